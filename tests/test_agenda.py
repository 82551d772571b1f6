"""Running the meeting in its chat: the agenda card, concurrent inputs, the chair's moves, the
handlingsplan, the protokoll. Everything over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from docx import Document
from sqlalchemy import func, select

from store.models import ActionItem, AgendaRun, AuditEvent, StepEntry
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, PRINCIPAL, SOCIAL, YOUTH_WORKER
from tests.harness import activities as acts
from tests.harness.bot_runner import (
    RunningBot,
    all_actions,
    card_text,
    find_action,
    input_values,
    local_settings,
)
from tests.harness.cards import CARD_BUDGET_BYTES, assert_valid_cards
from tests.harness.seed import seed_action, seed_case, seed_meeting
from tests.harness.views import own_view

CODE = "SSPF-2026-007"
CHILD_INITIALS = "Z.Q."
GUARDIAN = "Vera Vårdnadshavarsson"
YOUTH = "Ziggy Quist"
TEAM = [
    (PRINCIPAL.aad, PRINCIPAL.name, "skola"),
    (SOCIAL.aad, SOCIAL.name, "socialtjanst"),
    (POLICE.aad, POLICE.name, "polis"),
    (YOUTH_WORKER.aad, YOUTH_WORKER.name, "fritid"),
]
ALL_AGENCIES = ["skola", "socialtjanst", "polis", "fritid"]


async def _case_meeting(bot, conv, kind: str = "individuell", **case_kw: Any):
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s,
            acts.TENANT,
            case_kw.pop("code", CODE),
            members=TEAM,
            guardians=[GUARDIAN, "Gunnar Vårdnadshavarsson"],
            consent_agencies=case_kw.pop("consent_agencies", ALL_AGENCIES),
            initials=CHILD_INITIALS,
            youth_name=YOUTH,
            **case_kw,
        )
        # the team is invited (as booking does): chat members who are not participants see the neutral card
        await seed_meeting(s, acts.TENANT, kind=kind, chat_id=conv.id, case=case, participants=TEAM)
    return case


async def _run(bot, conv) -> AgendaRun:
    async with bot.services.db.session() as s:
        runs = (await s.scalars(select(AgendaRun).where(AgendaRun.conversation_id == conv.id))).all()
    assert len(runs) == 1, f"expected one agenda run, found {len(runs)}"
    return runs[0]


def _posted(bot, activity_id: str) -> dict[str, Any]:
    """The card everyone sees now: the last version posted or edited under that message id."""
    versions = [s for s in bot.connector.sent if s.activity_id == activity_id and s.cards]
    assert versions, f"nothing posted as {activity_id}"
    return versions[-1].cards[-1]


def _no_child_data(text: str) -> None:
    for secret in (CHILD_INITIALS, GUARDIAN, "Gunnar", YOUTH, "Ziggy"):
        assert secret not in text, f"{secret!r} must never appear in a chat card"


async def _confirm(bot, conv, card, user=COORDINATOR):
    """Purpose and consent confirmed by the chair (from their own view: the chat's card is neutral)."""
    titles = [a.get("title") for a in all_actions(card)]
    if "Bekräfta syfte och samtycke" not in titles:
        card = (await bot.press(user, conv, find_action(card, "Nästa ▶"))).card  # refused: own view
    return (await bot.press(user, conv, find_action(card, "Bekräfta syfte och samtycke"))).card


async def _to_step(bot, conv, card, title: str, user=COORDINATOR):
    for _ in range(8):
        if title in card_text(card).split("\n")[2:4]:
            return card
        if "Bekräfta syfte och samtycke" in card_text(card):  # Nästa waits for it
            card = await _confirm(bot, conv, card, user)
        card = (await bot.press(user, conv, find_action(card, "Nästa ▶"))).card
    raise AssertionError(f"never reached step {title!r}")


# --- starting -------------------------------------------------------------------------------------


async def test_meeting_start_event_posts_one_agenda_card_once(bot):
    conv = acts.meeting_chat("start")
    await _case_meeting(bot, conv)
    first = await bot.send(acts.meeting_event("meetingStart", COORDINATOR, conv, bot.connector.url))
    assert first.status == 200
    [posted] = [s for s in first.sent if s.method == "POST"]
    text = card_text(posted.cards[0])
    assert "Individuellt SSPF-möte" in text
    assert f"Ärende {CODE}" in text
    assert "Punkt 1 av 5" in text
    assert "Syfte och samtycke" in text
    _no_child_data(text)
    refresh = posted.cards[0]["refresh"]
    assert refresh["action"]["verb"] == "agenda.refresh"
    assert refresh["userIds"] == [COORDINATOR.id]

    # Teams repeats the event, and someone types the command twice at the same time: still one run
    again = await bot.send(acts.meeting_event("meetingStart", COORDINATOR, conv, bot.connector.url))
    assert again.sent == []
    typed = await asyncio.gather(
        bot.say(PRINCIPAL, conv, "starta mötet"), bot.say(SOCIAL, conv, "Starta mötet")
    )
    assert all(r.status == 200 for r in typed)
    run = await _run(bot, conv)
    assert run.state == "running" and run.step_index == 0
    assert run.card_activity_id is not None


async def test_two_starts_at_once_make_one_run(bot):
    conv = acts.meeting_chat("race")
    await _case_meeting(bot, conv)
    replies = await asyncio.gather(
        bot.send(acts.meeting_event("meetingStart", COORDINATOR, conv, bot.connector.url)),
        bot.say(COORDINATOR, conv, "starta mötet"),
        bot.say(PRINCIPAL, conv, "starta mötet"),
    )
    assert [r.status for r in replies] == [200, 200, 200]
    await _run(bot, conv)  # exactly one


async def test_start_without_consent_is_refused(bot):
    conv = acts.meeting_chat("noconsent")
    await _case_meeting(bot, conv, consent_withdrawn_on=date.today() - timedelta(days=1))
    reply = await bot.say(COORDINATOR, conv, "starta mötet")
    assert any("kan inte startas" in t and CODE in t for t in reply.texts)
    assert not reply.cards
    async with bot.services.db.session() as s:
        assert await s.scalar(select(func.count()).select_from(AgendaRun)) == 0


async def test_unlinked_chat_asks_which_meeting_and_starts_in_place(bot):
    conv = acts.meeting_chat("adhoc")
    async with bot.services.db.transaction() as s:
        await seed_case(s, acts.TENANT, "SSPF-2026-101", members=[(PRINCIPAL.aad, PRINCIPAL.name, "skola")])
        await seed_case(s, acts.TENANT, "SSPF-2026-102", members=[(SOCIAL.aad, SOCIAL.name, "socialtjanst")])
    # no booked meeting behind this chat: only a coordinator starts one here, explicitly (issue 11 item 7)
    refused = await bot.say(PRINCIPAL, conv, "starta mötet")
    assert not refused.cards and any("bokat SSPF-möte" in t for t in refused.texts)
    reply = await bot.say(COORDINATOR, conv, "starta mötet")
    setup = reply.card
    text = card_text(setup)
    assert "Starta mötet" in text and "SSPF-2026-101" in text and "SSPF-2026-102" in text
    message_id = reply.sent[0].activity_id

    start = find_action(setup, "Starta dagordningen")
    missing = await bot.press(
        COORDINATOR, conv, start, {"meeting_type": "individuell"}, reply_to_id=message_id
    )
    assert "måste gälla ett ärende" in card_text(missing.card)
    assert input_values(missing.card)["meeting_type"] == "individuell"

    start_again = find_action(missing.card, "Starta dagordningen")  # a re-rendered card has a new nonce
    started = await bot.press(
        COORDINATOR, conv, start_again, {"meeting_type": "arbetsgrupp"}, reply_to_id=message_id
    )
    assert "Arbetsgruppsmöte SSPF" in card_text(started.card)
    assert "Allmän lägesbild per verksamhet" in card_text(started.card)
    run = await _run(bot, conv)
    assert run.card_activity_id == message_id and run.chair_aad_id == COORDINATOR.aad
    assert "Allmän lägesbild" in card_text(_posted(bot, message_id))
    assert_valid_cards([setup, missing.card, started.card])


# --- the walk-through -----------------------------------------------------------------------------


async def test_individual_meeting_walk_through(bot):
    conv = acts.meeting_chat("walk")
    case = await _case_meeting(bot, conv)
    cards: list[dict[str, Any]] = []
    start = await bot.say(COORDINATOR, conv, "starta mötet")
    # the chat keeps the neutral card; the chair's own view (Teams' refresh) carries the content
    card = (await own_view(bot, COORDINATOR, conv, start.card)).card
    message_id = start.sent[0].activity_id
    cards += [start.card, card]
    assert "Skriftligt samtycke finns" in card_text(card)
    card = await _confirm(bot, conv, card, COORDINATOR)
    assert "Bekräftat av Kim Koordinator." in card_text(card)
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    assert "Punkt 2 av 5" in card_text(card)
    step2 = card

    # three agencies write at the same moment from the same card: all three are kept
    save = find_action(step2, "Spara")
    texts = {
        PRINCIPAL: "Skolan: frånvaron har ökat till 30 %, men eleven trivs på slöjden.",
        SOCIAL: "Socialtjänsten: familjen har tackat ja till föräldrastöd.",
        POLICE: "Polisen: inga nya händelser sedan förra mötet.",
    }
    replies = await asyncio.gather(*(bot.press(u, conv, save, {"entry": t}) for u, t in texts.items()))
    assert all(r.status == 200 for r in replies)
    async with bot.services.db.session() as s:
        entries = (await s.scalars(select(StepEntry).where(StepEntry.step_key == "gemensam_bild"))).all()
    assert {(e.agency, e.text) for e in entries} == {
        ("skola", texts[PRINCIPAL]),
        ("socialtjanst", texts[SOCIAL]),
        ("polis", texts[POLICE]),
    }
    # the card in the chat (what its history keeps) says who contributed, never what
    everyone = _posted(bot, message_id)
    for t in texts.values():
        assert t not in card_text(everyone)
    assert "Har bidragit: Polis, Skola, Socialtjänst" in card_text(everyone)
    police_view = (await own_view(bot, POLICE, conv, everyone)).card
    assert all(t in card_text(police_view) for t in texts.values())
    mine = (await bot.press(POLICE, conv, find_action(police_view, "Spara"), {"entry": texts[POLICE]})).card
    assert "Du skriver för: Polis" in card_text(mine)
    cards += [everyone, police_view, mine]

    # someone who is not the chair presses Nästa: nothing moves, they get a short note
    not_chair = await bot.press(SOCIAL, conv, find_action(everyone, "Nästa ▶"))
    assert "Bara koordinatorn kan flytta dagordningen." in card_text(not_chair.card)
    assert (await _run(bot, conv)).step_index == 1

    # the chair's double click (two presses of the same card at once) moves one step
    nxt = find_action(everyone, "Nästa ▶")
    double = await asyncio.gather(bot.press(COORDINATOR, conv, nxt), bot.press(COORDINATOR, conv, nxt))
    run = await _run(bot, conv)
    assert run.step_index == 2, "two presses of Nästa from one card must move one step"
    notes = [card_text(r.card) for r in double]
    assert sum("Dagordningen har redan gått vidare" in n for n in notes) == 1
    assert all("Barnets och vårdnadshavarnas bild" in n for n in notes)

    # a stale card (still on step 2): the text is not saved over the new step, but kept for the user
    late = "Fritid: han har börjat på boxningen igen."
    stale = await bot.press(YOUTH_WORKER, conv, find_action(step2, "Spara"), {"entry": late})
    assert "din text sparades inte" in card_text(stale.card)
    assert input_values(stale.card)["entry"] == late
    async with bot.services.db.session() as s:
        assert await s.scalar(select(func.count()).where(StepEntry.text == late)) == 0
    cards.append(stale.card)

    # step 3 (free text), then the handlingsplan
    card = (
        await bot.press(
            PRINCIPAL, conv, find_action(stale.card, "Spara"), {"entry": "Eleven vill ha läxhjälp."}
        )
    ).card
    card = await _to_step(bot, conv, card, "Handlingsplan")
    cards.append(card)
    add = find_action(card, "Lägg till åtgärd")
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    bad = await bot.press(
        PRINCIPAL,
        conv,
        add,
        {"a_kind": "laxlasning", "a_text": "Läxhjälp tisdagar", "a_agency": "skola", "a_due_on": yesterday},
    )
    bad_text = card_text(bad.card)
    assert "Välj en ansvarig person." in bad_text
    assert "Klart senast kan inte ligga bakåt i tiden." in bad_text
    kept = input_values(bad.card)
    assert (
        kept["a_text"] == "Läxhjälp tisdagar"
        and kept["a_kind"] == "laxlasning"
        and kept["a_agency"] == "skola"
    )
    cards.append(bad.card)

    due = (date.today() + timedelta(days=21)).isoformat()
    follow = (date.today() + timedelta(days=28)).isoformat()
    first = await bot.press(
        PRINCIPAL,
        conv,
        find_action(bad.card, "Lägg till åtgärd"),
        {**kept, "a_responsible": PRINCIPAL.aad, "a_due_on": due, "a_follow_up_on": follow},
    )
    assert "Åtgärden är tillagd" in card_text(first.card)
    second = await bot.press(
        SOCIAL,
        conv,
        find_action(first.card, "Lägg till åtgärd"),
        {
            "a_kind": "stod_vardnadshavare",
            "a_agency": "socialtjanst",
            "a_responsible": SOCIAL.aad,
            "a_due_on": due,
        },
    )
    text = card_text(second.card)
    assert "Läxhjälp tisdagar" in text and "Stöd till vårdnadshavare" in text
    assert "Ansvarig: Sam Socialsekreterare" in text
    cards.append(second.card)

    card = (await bot.press(COORDINATOR, conv, find_action(second.card, "Nästa ▶"))).card
    proposed = (date.today() + timedelta(days=35)).isoformat()
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Spara"), {"next_on": proposed})).card
    assert f"Kim Koordinator föreslår {proposed}" in card_text(card)
    cards.append(card)

    # the chair ends the meeting: protokoll in the chat, actions stored with the case
    end = await bot.say(COORDINATOR, conv, "avsluta mötet")
    [posted] = [c for c in end.cards if "Protokoll –" in card_text(c)]
    assert texts[PRINCIPAL] not in card_text(posted) and "Läxhjälp tisdagar" not in card_text(posted)
    protokoll = (await own_view(bot, COORDINATOR, conv, posted)).card
    cards.append(posted)
    ptext = card_text(protokoll)
    for needle in [
        "Protokoll – Individuellt SSPF-möte",
        f"Ärende {CODE}",
        "Rita Rektor",
        "Sam Socialsekreterare",
        "Per Polis",
        texts[PRINCIPAL],
        texts[SOCIAL],
        "Läxhjälp tisdagar",
        "Stöd till vårdnadshavare",
        f"Nästa möte (förslag): {proposed}",
    ]:
        assert needle in ptext, needle
    assert late not in ptext
    _no_child_data(ptext)
    ended = _posted(bot, message_id)
    assert "Mötet är avslutat" in card_text(ended)
    cards += [protokoll, ended]

    async with bot.services.db.session() as s:
        items = (await s.scalars(select(ActionItem).order_by(ActionItem.agency))).all()
    assert [(a.agency, a.case_id, a.responsible_aad_id) for a in items] == [
        ("skola", case.id, PRINCIPAL.aad),
        ("socialtjanst", case.id, SOCIAL.aad),
    ]
    assert items[0].due_on.isoformat() == due and items[0].follow_up_on.isoformat() == follow
    # saved without text: the kind is stored, and each reader sees its label in their language
    assert (items[1].text, items[1].kind, items[1].status) == ("", "stod_vardnadshavare", "open")
    assert (await _run(bot, conv)).state == "ended"

    # ending again (Teams' meetingEnd after the chair's command) posts nothing new
    again = await bot.send(acts.meeting_event("meetingEnd", COORDINATOR, conv, bot.connector.url))
    assert again.sent == []
    for c in cards:
        _no_child_data(card_text(c))
    assert_valid_cards(cards)


async def test_press_from_someone_outside_the_case_team_is_refused_and_audited(bot):
    conv = acts.meeting_chat("outsider")
    await _case_meeting(bot, conv)
    card = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    card = await _to_step(bot, conv, card, "Gemensam bild per verksamhet – styrkor och risker")
    reply = await bot.press(
        OUTSIDER, conv, find_action(card, "Spara"), {"entry": "Jag vet något", "agency": "annan"}
    )
    assert "har du inte behörighet" in card_text(reply.card)
    # their own view is the neutral card: no input for a case they may not write about (issue 12 §3)
    assert "Du är inte kallad till det här mötet" in card_text(reply.card)
    assert input_values(reply.card) == {}
    async with bot.services.db.session() as s:
        mine = select(func.count()).where(StepEntry.author_aad_id == OUTSIDER.aad)
        assert await s.scalar(mine) == 0
        denied = await s.scalar(
            select(func.count()).where(AuditEvent.action == "denied", AuditEvent.actor_aad_id == OUTSIDER.aad)
        )
    assert denied == 1


async def test_agency_outside_the_consent_cannot_write(bot):
    conv = acts.meeting_chat("narrow")
    await _case_meeting(bot, conv, consent_agencies=["skola", "socialtjanst"])
    card = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    card = await _confirm(bot, conv, card, COORDINATOR)
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    reply = await bot.press(POLICE, conv, find_action(card, "Spara"), {"entry": "Polisens bild"})
    assert "omfattar inte din verksamhet (Polis)" in card_text(reply.card)  # the access gate (issue 12 §2)
    # police's own view: the neutral card and why, no input for this case (issue 12 §3)
    assert "samtycke omfattar inte din verksamhet" in card_text(reply.card)
    assert input_values(reply.card) == {}


# --- follow-up: reviewing earlier actions ---------------------------------------------------------


async def test_follow_up_meeting_reviews_open_actions(bot):
    conv = acts.meeting_chat("followup")
    case = await _case_meeting(bot, conv, kind="uppfoljning")
    async with bot.services.db.transaction() as s:
        homework = await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="Läxhjälp två dagar i veckan",
            agency="skola",
            responsible=(PRINCIPAL.aad, PRINCIPAL.name),
        )
        await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="Hitta en fritidsaktivitet",
            agency="fritid",
            responsible=(YOUTH_WORKER.aad, YOUTH_WORKER.name),
            status="in_progress",
        )
        await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="Redan klar sedan länge",
            agency="polis",
            responsible=(POLICE.aad, POLICE.name),
            status="done",
        )
    posted = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    assert "Läxhjälp två dagar i veckan" not in card_text(posted), "action texts stay out of the chat"
    card = (await own_view(bot, COORDINATOR, conv, posted)).card
    text = card_text(card)
    assert "Genomgång av varje åtgärd" in text
    assert "Läxhjälp två dagar i veckan" in text and "Hitta en fritidsaktivitet" in text
    assert "Redan klar sedan länge" not in text
    cards = [posted, card]

    not_done = next(a for a in _actions(card, "Ej genomförd") if a["data"]["action_id"] == homework.id)
    refused = await bot.press(PRINCIPAL, conv, not_done, {f"comment_{homework.id}": ""})
    assert "Skriv kort varför åtgärden inte kan genomföras." in card_text(refused.card)
    cards.append(refused.card)
    explained = await bot.press(
        PRINCIPAL, conv, not_done, {f"comment_{homework.id}": "Eleven har bytt skola."}
    )
    assert "Status: Kan inte genomföras – Eleven har bytt skola." in card_text(explained.card)
    cards.append(explained.card)
    async with bot.services.db.session() as s:
        stored = await s.get(ActionItem, homework.id)
    assert (stored.status, stored.status_comment, stored.version) == ("not_done", "Eleven har bytt skola.", 2)

    # pressing on the old card again (its action version is stale) does not apply twice
    again = await bot.press(PRINCIPAL, conv, not_done, {f"comment_{homework.id}": "Ny kommentar"})
    assert "redan den statusen" in card_text(again.card) or "ändrade åtgärden samtidigt" in card_text(
        again.card
    )

    card = (await bot.press(COORDINATOR, conv, find_action(explained.card, "Nästa ▶"))).card
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    assert "Fortsätta eller avsluta" in card_text(card)
    missing = await bot.press(COORDINATOR, conv, find_action(card, "Spara beslut"), {"entry": "Målen nådda"})
    assert "Välj fortsätta eller avsluta." in card_text(missing.card)
    assert input_values(missing.card)["entry"] == "Målen nådda"
    decided = await bot.press(
        COORDINATOR, conv, find_action(card, "Spara beslut"), {"decision": "avsluta", "entry": "Målen nådda"}
    )
    assert "Beslut (Kim Koordinator): Avsluta – Målen nådda" in card_text(decided.card)
    cards += [missing.card, decided.card]
    ended = await bot.press(COORDINATOR, conv, find_action(decided.card, "Avsluta mötet"))
    [posted] = [c for c in ended.cards if "Protokoll –" in card_text(c)]
    assert "Eleven har bytt skola" not in card_text(posted) and "Avsluta" not in card_text(posted)
    protokoll = (await own_view(bot, COORDINATOR, conv, posted)).card
    cards.append(posted)
    ptext = card_text(protokoll)
    assert "Läxhjälp två dagar i veckan – Kan inte genomföras (Eleven har bytt skola.)" in ptext
    assert "Beslut: Avsluta" in ptext
    _no_child_data(ptext)
    cards += [protokoll, ended.card]
    assert_valid_cards(cards)


def _actions(card: dict[str, Any], title: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Execute" and node.get("title") == title:
                found.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found


# --- arbetsgrupp: individnivå lists consented cases only ------------------------------------------


async def test_working_group_lists_only_cases_with_consent_by_code(bot):
    conv = acts.meeting_chat("arbetsgrupp")
    async with bot.services.db.transaction() as s:
        ok = await seed_case(
            s,
            acts.TENANT,
            "SSPF-2026-201",
            members=TEAM,
            guardians=[GUARDIAN],
            consent_agencies=ALL_AGENCIES,
            initials=CHILD_INITIALS,
        )
        await seed_case(s, acts.TENANT, "SSPF-2026-202", members=TEAM, guardians=["Utan Samtycke"])
        await seed_meeting(
            s,
            acts.TENANT,
            kind="arbetsgrupp",
            chat_id=conv.id,
            participants=[(m[0], m[1], m[2]) for m in TEAM],
        )
    card = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    card = await _to_step(bot, conv, card, "Individnivå")
    text = card_text(card)
    assert "SSPF-2026-201" in text and "SSPF-2026-202" not in text
    _no_child_data(text)
    saved = await bot.press(
        POLICE, conv, find_action(card, "Spara"), {f"note_{ok.id}": "Polisen har haft bekymringssamtal."}
    )
    assert "Polisen har haft bekymringssamtal." in card_text(saved.card)
    assert_valid_cards([card, saved.card])


# --- size: long texts everywhere still fit --------------------------------------------------------


async def test_cards_stay_under_the_size_budget_with_long_texts(bot):
    conv = acts.meeting_chat("long")
    case = await _case_meeting(bot, conv)
    async with bot.services.db.transaction() as s:
        for i in range(25):
            await seed_action(
                s,
                acts.TENANT,
                case=case,
                text=f"Åtgärd {i} " + "lång beskrivning " * 29,
                agency="skola",
                responsible=(PRINCIPAL.aad, PRINCIPAL.name),
            )
    long = "Mycket lång lägesbild. " * 26  # 598 characters, just under the cap
    users = [PRINCIPAL, SOCIAL, POLICE, YOUTH_WORKER, COORDINATOR]
    card = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    card = await _confirm(bot, conv, card, COORDINATOR)
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    for u in users:
        card = (await bot.press(u, conv, find_action(card, "Spara"), {"entry": long, "agency": "annan"})).card
    too_long = await bot.press(PRINCIPAL, conv, find_action(card, "Spara"), {"entry": long + long})
    assert "Korta ner den till högst 600 tecken" in card_text(too_long.card)
    assert "högst 600 tecken" in card_text(card)
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    for u in users:
        card = (await bot.press(u, conv, find_action(card, "Spara"), {"entry": long, "agency": "annan"})).card
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    due = (date.today() + timedelta(days=10)).isoformat()
    for i in range(12):
        card = (
            await bot.press(
                PRINCIPAL,
                conv,
                find_action(card, "Lägg till åtgärd"),
                {
                    "a_text": f"Ny åtgärd {i} " + "x" * 480,
                    "a_agency": "skola",
                    "a_responsible": PRINCIPAL.aad,
                    "a_due_on": due,
                },
            )
        ).card
    end = await bot.say(COORDINATOR, conv, "avsluta mötet")
    cards = [card, too_long.card, *end.cards]
    for c in cards:
        assert len(json.dumps(c, ensure_ascii=False).encode()) < CARD_BUDGET_BYTES
    assert_valid_cards(cards)


# --- the record -----------------------------------------------------------------------------------


async def test_coordinator_gets_the_handlingsplan_as_a_word_file(bot, tmp_path: Path):
    conv = acts.meeting_chat("doc")
    await _case_meeting(bot, conv)
    card = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    card = await _to_step(bot, conv, card, "Handlingsplan")
    due = (date.today() + timedelta(days=14)).isoformat()
    await bot.press(
        PRINCIPAL,
        conv,
        find_action(card, "Lägg till åtgärd"),
        {"a_kind": "laxlasning", "a_agency": "skola", "a_responsible": PRINCIPAL.aad, "a_due_on": due},
    )
    end = await bot.say(COORDINATOR, conv, "avsluta mötet")
    [posted] = [c for c in end.cards if "Protokoll –" in card_text(c)]
    assert "Word-fil" not in card_text(posted)  # the document is the coordinator's: only in their view
    protokoll = (await own_view(bot, COORDINATOR, conv, posted)).card

    refused = await bot.press(
        PRINCIPAL, conv, find_action(protokoll, "Handlingsplan som Word-fil (koordinator)")
    )
    assert "koordinator" in refused.invoke_text
    await bot.say(COORDINATOR, acts.personal(COORDINATOR), "hjälp")  # the coordinator has a 1:1 chat
    bot.connector.clear()
    pressed = await bot.press(
        COORDINATOR, conv, find_action(protokoll, "Handlingsplan som Word-fil (koordinator)")
    )
    assert "personliga chatt" in pressed.invoke_text
    [notice] = [s for s in bot.connector.sent if s.conversation_id == acts.personal(COORDINATOR).id]
    assert CODE in notice.text and ".docx" in notice.text
    path = Path(notice.text.split(": ", 1)[1].strip())
    assert path.is_relative_to(tmp_path)
    doc = Document(io.BytesIO(await asyncio.to_thread(path.read_bytes)))
    words = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells
    )
    assert "Handlingsplan SSPF" in words and CODE in words
    assert "Läxläsning" in words and "Rita Rektor" in words and due in words
    _no_child_data(words)

    typed = await bot.say(COORDINATOR, acts.personal(COORDINATOR), f"protokoll {CODE}")
    assert any("Protokoll – Individuellt SSPF-möte" in card_text(c) for c in typed.cards)
    assert any(".docx" in t for t in typed.texts)
    other = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), f"protokoll {CODE}")
    assert not other.cards


async def test_in_teams_the_handlingsplan_is_a_file_the_coordinator_accepts(bot, database_url, tmp_path):
    """Teams gives bots no attachments: a consent card, then the upload into the user's OneDrive."""
    teams_bot = RunningBot(
        local_settings(database_url, ics_dir=str(tmp_path / "ics-t"), documents="teams"), bot.connector
    )
    await teams_bot.start()
    try:
        conv = acts.meeting_chat("file")
        await _case_meeting(teams_bot, conv)
        card = (await teams_bot.say(COORDINATOR, conv, "starta mötet")).card
        card = await _to_step(teams_bot, conv, card, "Handlingsplan")
        due = (date.today() + timedelta(days=14)).isoformat()
        await teams_bot.press(
            PRINCIPAL,
            conv,
            find_action(card, "Lägg till åtgärd"),
            {"a_kind": "laxlasning", "a_agency": "skola", "a_responsible": PRINCIPAL.aad, "a_due_on": due},
        )
        me = acts.personal(COORDINATOR)
        await teams_bot.say(COORDINATOR, me, "hjälp")
        await teams_bot.say(COORDINATOR, conv, "avsluta mötet")
        teams_bot.connector.clear()
        asked = await teams_bot.say(COORDINATOR, me, f"protokoll {CODE}")
        [consent] = [
            a
            for s in asked.sent
            for a in s.body.get("attachments", [])
            if a["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
        ]
        assert CODE in consent["name"] and consent["name"].endswith(".docx")
        assert CODE in consent["content"]["description"] and consent["content"]["sizeInBytes"] > 1000
        _no_child_data(json.dumps(consent, ensure_ascii=False))
        context = consent["content"]["acceptContext"]

        def answer(user: acts.User, action: str) -> dict:
            return acts.base(
                "invoke",
                user,
                acts.personal(user),
                teams_bot.connector.url,
                name="fileConsent/invoke",
                value={
                    "type": "fileUpload",
                    "action": action,
                    "context": context,
                    "uploadInfo": {
                        "name": consent["name"],
                        "uploadUrl": f"{teams_bot.connector.url}/upload/{consent['name']}",
                        "contentUrl": "https://kommun-my.sharepoint.example/handlingsplan.docx",
                        "uniqueId": "1234",
                        "fileType": "docx",
                    },
                },
            )

        forged = await teams_bot.send(answer(PRINCIPAL, "accept"))  # someone else replaying the context
        assert forged.status == 200 and teams_bot.connector.uploads == {}
        declined = await teams_bot.send(answer(COORDINATOR, "decline"))
        assert declined.texts == ["Okej, ingen fil skickades."] and teams_bot.connector.uploads == {}
        accepted = await teams_bot.send(answer(COORDINATOR, "accept"))
        assert accepted.status == 200
        uploaded = teams_bot.connector.uploads[consent["name"]]
        words = "\n".join(p.text for p in Document(io.BytesIO(uploaded)).paragraphs)
        assert "Handlingsplan SSPF" in words and CODE in words
        _no_child_data(words)
        [info] = [a for s in accepted.sent for a in s.body.get("attachments", [])]
        assert info["contentType"] == "application/vnd.microsoft.teams.card.file.info"
        assert info["content"] == {"uniqueId": "1234", "fileType": "docx"}
    finally:
        await teams_bot.stop()


async def test_late_participant_sees_the_current_step_and_is_refreshed_from_then_on(bot):
    conv = acts.meeting_chat("late")
    await _case_meeting(bot, conv)
    start = await bot.say(COORDINATOR, conv, "starta mötet")
    first = start.card
    card = await _confirm(bot, conv, first, COORDINATOR)
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    # Teams sends the card's refresh action when someone opens the chat with the old card on screen
    late = await bot.press(YOUTH_WORKER, conv, first["refresh"]["action"])
    assert "Punkt 3 av 5" in card_text(late.card) and "Barnets och vårdnadshavarnas bild" in card_text(
        late.card
    )
    assert "Du skriver för: Fritid" in card_text(late.card)
    assert YOUTH_WORKER.id in late.card["refresh"]["userIds"]
    back = await bot.press(COORDINATOR, conv, find_action(late.card, "◀ Tillbaka"))
    assert "Punkt 2 av 5" in card_text(back.card)
    everyone = _posted(bot, start.sent[0].activity_id)
    assert "Punkt 2 av 5" in card_text(everyone)
    assert set(everyone["refresh"]["userIds"]) == {COORDINATOR.id, YOUTH_WORKER.id}
