"""Who may run an agenda, see its case codes, name a responsible person and receive the handlingsplan.

Issue 11 items 7 and 8: an attacker's probe started an agenda in an arbitrary group chat, chaired it, read
the tenant's consented case codes, assigned actions (with links) to colleagues outside the case, forged the
requester of the Word file and pointed the upload at a host of their choosing, and added actions to a closed
case. Each test asserts what a user would notice; all run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update

from store.models import ActionItem, AgendaRun, AuditEvent, Consent, Reminder, SspfCase
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, PRINCIPAL, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, find_action, input_values
from tests.harness.cards import assert_valid_cards
from tests.harness.seed import seed_case, seed_meeting

CODE = "SSPF-2026-301"
OTHER = "SSPF-2026-302"
TEAM = [
    (PRINCIPAL.aad, PRINCIPAL.name, "skola"),
    (SOCIAL.aad, SOCIAL.name, "socialtjanst"),
    (POLICE.aad, POLICE.name, "polis"),
]
ALL_AGENCIES = ["skola", "socialtjanst", "polis", "fritid"]
# a colleague found by the people search: a real Entra object id, on no case's team, in no meeting
COLLEAGUE = acts.User("0b3c6a2e-5f41-4d7a-9c1e-2a6f8d9e7b10", "Kalle Kollega")


def _everything_sent(bot) -> str:
    return json.dumps([s.body for s in bot.connector.sent], ensure_ascii=False)


async def _consented_cases(bot) -> list[SspfCase]:
    async with bot.services.db.transaction() as s:
        return [
            await seed_case(
                s, acts.TENANT, code, members=TEAM, guardians=["Vera V"], consent_agencies=ALL_AGENCIES
            )
            for code in (CODE, OTHER)
        ]


async def _individual_meeting(bot, conv, **case_kw: Any) -> SspfCase:
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s, acts.TENANT, CODE, members=TEAM, guardians=["Vera V"], consent_agencies=ALL_AGENCIES, **case_kw
        )
        await seed_meeting(s, acts.TENANT, kind="individuell", chat_id=conv.id, case=case)
    return case


async def _to_step(bot, conv, card, title: str):
    for _ in range(8):
        if title in card_text(card).split("\n")[2:4]:
            return card
        card = (await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))).card
    raise AssertionError(f"never reached step {title!r}")


async def _count(bot, model, *where) -> int:
    async with bot.services.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


# --- 7: where an agenda runs, who chairs it -------------------------------------------------------


async def test_outsider_cannot_start_an_agenda_in_an_arbitrary_group_chat(bot):
    await _consented_cases(bot)
    probe = acts.group_chat("probe")

    typed = await bot.say(OUTSIDER, probe, "starta mötet")
    assert not typed.cards, "no setup card for someone who may not start a meeting here"
    assert any("bokat SSPF-möte" in t for t in typed.texts), typed.texts

    # pressing a hand-made setup action is refused just the same
    forged = {
        "type": "Action.Execute",
        "verb": "agenda.setup",
        "data": {"verb": "agenda.setup", "nonce": "p1"},
    }
    pressed = await bot.press(OUTSIDER, probe, forged, {"meeting_type": "arbetsgrupp"})
    assert "koordinator" in (pressed.invoke_text or " ".join(pressed.texts)).lower()

    assert await _count(bot, AgendaRun) == 0
    sent = _everything_sent(bot)
    assert CODE not in sent and OTHER not in sent
    assert (
        await _count(bot, AuditEvent, AuditEvent.action == "denied", AuditEvent.actor_aad_id == OUTSIDER.aad)
        >= 2
    )


async def test_organiser_not_on_the_case_team_does_not_chair(bot):
    """The booked meeting names its organiser as chair; chairing still needs the right to the case."""
    conv = acts.meeting_chat("organiser")
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s, acts.TENANT, CODE, members=TEAM, guardians=["Vera V"], consent_agencies=ALL_AGENCIES
        )
        await seed_meeting(
            s, acts.TENANT, kind="individuell", chat_id=conv.id, case=case, organizer=OUTSIDER.aad
        )
    card = (await bot.say(PRINCIPAL, conv, "starta mötet")).card
    moved = await bot.press(OUTSIDER, conv, find_action(card, "Nästa ▶"))
    assert "Bara koordinatorn kan flytta dagordningen." in card_text(moved.card)
    ended = await bot.say(OUTSIDER, conv, "avsluta mötet")
    assert not any("Protokoll –" in card_text(c) for c in ended.cards)
    async with bot.services.db.session() as s:
        run = await s.scalar(select(AgendaRun))
    assert run.step_index == 0 and run.state == "running"
    # the coordinator chairs
    moved = await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))
    assert "Punkt 2 av 5" in card_text(moved.card)


async def test_arbetsgrupp_case_codes_only_for_coordinators_and_members(bot):
    conv = acts.meeting_chat("ag-codes")
    await _consented_cases(bot)
    async with bot.services.db.transaction() as s:
        await seed_meeting(
            s,
            acts.TENANT,
            kind="arbetsgrupp",
            chat_id=conv.id,
            participants=[(PRINCIPAL.aad, PRINCIPAL.name, "skola"), (POLICE.aad, POLICE.name, "polis")],
        )
    start = await bot.say(COORDINATOR, conv, "starta mötet")
    message_id = start.sent[0].activity_id
    card = await _to_step(bot, conv, start.card, "Individnivå")
    assert CODE in card_text(card) and OTHER in card_text(card)  # the coordinator sees the list

    everyone = [s for s in bot.connector.sent if s.activity_id == message_id and s.cards][-1].cards[-1]
    assert CODE not in card_text(everyone), "the card posted in the chat carries no case codes"

    outsider = await bot.press(OUTSIDER, conv, everyone["refresh"]["action"])
    assert CODE not in card_text(outsider.card) and OTHER not in card_text(outsider.card)
    assert "arbetsgruppens" in card_text(outsider.card)
    member = await bot.press(POLICE, conv, everyone["refresh"]["action"])
    assert CODE in card_text(member.card)
    assert_valid_cards([card, everyone, outsider.card, member.card])


# --- 7: who may be responsible for an action, and what its text may hold ----------------------------


async def _reminder_cards(bot, user: acts.User) -> list[dict[str, Any]]:
    from bot.reminders.dispatcher import dispatcher_of

    async with bot.services.db.session() as s:
        moments = sorted({r.due_at for r in await s.scalars(select(Reminder))})
    dispatcher = dispatcher_of(bot.services)
    for moment in moments:
        await dispatcher.run_once(now=moment)
    return [c for m in bot.connector.messages(acts.personal(user).id) for c in m.cards]


async def test_only_the_team_or_meeting_participants_can_be_made_responsible(bot):
    conv = acts.meeting_chat("responsible")
    await _individual_meeting(bot, conv)
    for user in (COLLEAGUE, OUTSIDER, PRINCIPAL):  # everyone has a 1:1 chat, so a reminder could reach them
        await bot.say(user, acts.personal(user), "hjälp")
    card = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    await bot.press(OUTSIDER, conv, find_action(card, "Nästa ▶"))  # the outsider has pressed the card
    card = await _to_step(bot, conv, card, "Handlingsplan")
    due = (date.today() + timedelta(days=21)).isoformat()
    entries = {"a_kind": "annan", "a_text": "Ring mig om eleven", "a_agency": "skola", "a_due_on": due}

    for stranger in (COLLEAGUE, OUTSIDER):
        refused = await bot.press(
            PRINCIPAL, conv, find_action(card, "Lägg till åtgärd"), {**entries, "a_responsible": stranger.aad}
        )
        text = card_text(refused.card)
        assert "ärendets team eller bland mötets deltagare" in text, text
        kept = input_values(refused.card)
        assert kept["a_text"] == entries["a_text"] and kept["a_due_on"] == due
        card = refused.card
    assert await _count(bot, ActionItem) == 0

    ok = await bot.press(
        PRINCIPAL,
        conv,
        find_action(card, "Lägg till åtgärd"),
        {**entries, "a_text": "Läxhjälp tisdagar", "a_responsible": PRINCIPAL.aad},
    )
    assert "Åtgärden är tillagd" in card_text(ok.card)
    bot.connector.clear()
    assert any("Läxhjälp tisdagar" in card_text(c) for c in await _reminder_cards(bot, PRINCIPAL))
    for stranger in (COLLEAGUE, OUTSIDER):
        assert await _reminder_cards(bot, stranger) == [], f"a reminder reached {stranger.name}"
    assert await _count(bot, ActionItem, ActionItem.responsible_aad_id != PRINCIPAL.aad) == 0


async def test_links_in_an_action_text_are_refused(bot):
    conv = acts.meeting_chat("links")
    await _individual_meeting(bot, conv)
    card = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    card = await _to_step(bot, conv, card, "Handlingsplan")
    due = (date.today() + timedelta(days=21)).isoformat()
    base = {"a_kind": "annan", "a_agency": "skola", "a_responsible": PRINCIPAL.aad, "a_due_on": due}
    for bad in (
        "Logga in på [portalen](https://evil.example/login) och bekräfta",
        "Se https://evil.example/a",
        "Gå till www.evil.example",
        "Mejla kurator@evil.example",
        "Klicka [här](javascript:alert(1))",
    ):
        refused = await bot.press(
            PRINCIPAL, conv, find_action(card, "Lägg till åtgärd"), {**base, "a_text": bad}
        )
        assert "utan länkar" in card_text(refused.card), bad
        assert input_values(refused.card)["a_due_on"] == due
        card = refused.card
    assert await _count(bot, ActionItem) == 0
    fine = await bot.press(
        PRINCIPAL,
        conv,
        find_action(card, "Lägg till åtgärd"),
        {**base, "a_text": "Läxhjälp t.ex. tisdagar kl. 15, bl.a. matte och sv."},
    )
    assert "Åtgärden är tillagd" in card_text(fine.card)


# --- 8b: nothing new on a closed or paused case ----------------------------------------------------


async def test_running_agenda_adds_no_action_to_a_closed_or_paused_case(bot):
    conv = acts.meeting_chat("closed")
    case = await _individual_meeting(bot, conv)
    card = (await bot.say(COORDINATOR, conv, "starta mötet")).card
    card = await _to_step(bot, conv, card, "Handlingsplan")
    due = (date.today() + timedelta(days=21)).isoformat()
    entries = {"a_kind": "laxlasning", "a_agency": "skola", "a_responsible": PRINCIPAL.aad, "a_due_on": due}

    async with bot.services.db.transaction() as s:
        await s.execute(update(SspfCase).where(SspfCase.id == case.id).values(status="closed"))
    closed = await bot.press(PRINCIPAL, conv, find_action(card, "Lägg till åtgärd"), entries)
    assert f"{CODE} är avslutat" in card_text(closed.card)
    assert input_values(closed.card)["a_due_on"] == due

    # consent withdrawn: the case is paused (and even before the status caught up, the withdrawal counts)
    async with bot.services.db.transaction() as s:
        await s.execute(update(SspfCase).where(SspfCase.id == case.id).values(status="open"))
        await s.execute(update(Consent).where(Consent.case_id == case.id).values(withdrawn_on=date.today()))
    withdrawn = await bot.press(PRINCIPAL, conv, find_action(closed.card, "Lägg till åtgärd"), entries)
    assert "återkallade samtycket" in card_text(withdrawn.card)
    async with bot.services.db.transaction() as s:
        await s.execute(update(SspfCase).where(SspfCase.id == case.id).values(status="paused"))
    paused = await bot.press(PRINCIPAL, conv, find_action(withdrawn.card, "Lägg till åtgärd"), entries)
    assert f"{CODE} är pausat" in card_text(paused.card)
    assert await _count(bot, ActionItem) == 0
    assert_valid_cards([closed.card, withdrawn.card, paused.card])
