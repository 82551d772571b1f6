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

from store.models import ActionItem, AgendaRun, AuditEvent, Consent, Coordinator, Reminder, SspfCase
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, PRINCIPAL, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import (
    RunningBot,
    all_actions,
    card_text,
    find_action,
    input_values,
    local_settings,
)
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
        # the team is invited, as booking does: chat members who are not participants see the neutral card
        await seed_meeting(s, acts.TENANT, kind="individuell", chat_id=conv.id, case=case, participants=TEAM)
    return case


async def _confirm(bot, conv, card, user=COORDINATOR):
    """Purpose and consent confirmed by the chair (from their own view: the chat's card is neutral)."""
    titles = [a.get("title") for a in all_actions(card)]
    if "Bekräfta syfte och samtycke" not in titles:
        card = (await bot.press(user, conv, find_action(card, "Nästa ▶"))).card  # refused: own view
    return (await bot.press(user, conv, find_action(card, "Bekräfta syfte och samtycke"))).card


async def _to_step(bot, conv, card, title: str):
    for _ in range(8):
        if title in card_text(card).split("\n")[2:4]:
            return card
        if "Bekräfta syfte och samtycke" in card_text(card):  # Nästa waits for it
            card = await _confirm(bot, conv, card, COORDINATOR)
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
    # the coordinator chairs (and confirms purpose and consent first: Nästa waits for it)
    refused = await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))
    assert "Bekräfta syfte och samtycke innan ni går vidare." in card_text(refused.card)
    card = await _confirm(bot, conv, card, COORDINATOR)
    moved = await bot.press(COORDINATOR, conv, find_action(card, "Nästa ▶"))
    assert "Punkt 2 av 5" in card_text(moved.card)


async def test_arbetsgrupp_case_codes_only_for_coordinators_and_members(bot):
    conv = acts.meeting_chat("ag-codes")
    cases = await _consented_cases(bot)
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
    assert "inte kallad till det här mötet" in card_text(outsider.card)
    member = await bot.press(POLICE, conv, everyone["refresh"]["action"])
    assert CODE in card_text(member.card)
    saved = await bot.press(
        POLICE, conv, find_action(member.card, "Spara"), {f"note_{cases[0].id}": "Bekymringssamtal hölls."}
    )
    assert "Bekymringssamtal hölls." in card_text(saved.card)

    # the protokoll posted in the chat at the end names no case either; the coordinator's file does
    end = await bot.say(COORDINATOR, conv, "avsluta mötet")
    [protokoll] = [c for c in end.cards if "Protokoll –" in card_text(c)]
    assert CODE not in card_text(protokoll) and "Bekymringssamtal hölls." not in card_text(protokoll)
    assert "handlingsplan" in card_text(protokoll)
    assert_valid_cards([card, everyone, outsider.card, member.card, saved.card, protokoll])


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
    assert "inget giltigt samtycke" in card_text(withdrawn.card)  # refused by the access gate (issue 12 §2)
    async with bot.services.db.transaction() as s:
        await s.execute(update(SspfCase).where(SspfCase.id == case.id).values(status="paused"))
    # after the withdrawal Rita's own view has no case content and no input: her earlier card is pressed
    assert "a_due_on" not in input_values(withdrawn.card)
    again = find_action(closed.card, "Lägg till åtgärd")
    again = {**again, "data": {**again["data"], "nonce": "a-second-press"}}
    paused = await bot.press(PRINCIPAL, conv, again, entries)
    assert "inget giltigt samtycke" in card_text(paused.card)  # the gate refuses before the case status
    assert await _count(bot, ActionItem) == 0
    assert_valid_cards([closed.card, withdrawn.card, paused.card])


# --- 8a: the handlingsplan file: whose it is, and where it may go ----------------------------------


async def _teams_bot(bot, database_url, tmp_path, **overrides: Any) -> RunningBot:
    settings = local_settings(database_url, ics_dir=str(tmp_path / "ics-t"), documents="teams", **overrides)
    return await RunningBot(settings, bot.connector).start()


async def _consent_card(teams_bot: RunningBot) -> tuple[dict[str, Any], AgendaRun]:
    conv = acts.meeting_chat("file-access")
    await _individual_meeting(teams_bot, conv)
    await teams_bot.say(COORDINATOR, conv, "starta mötet")
    me = acts.personal(COORDINATOR)
    await teams_bot.say(COORDINATOR, me, "hjälp")
    await teams_bot.say(COORDINATOR, conv, "avsluta mötet")
    asked = await teams_bot.say(COORDINATOR, me, f"protokoll {CODE}")
    [consent] = [
        a
        for s in asked.sent
        for a in s.body.get("attachments", [])
        if a["contentType"] == "application/vnd.microsoft.teams.card.file.consent"
    ]
    async with teams_bot.services.db.session() as s:
        run = await s.scalar(select(AgendaRun))
    teams_bot.connector.clear()
    return consent, run


def _accept(teams_bot: RunningBot, user: acts.User, context: dict[str, Any], upload_url: str) -> dict:
    return acts.base(
        "invoke",
        user,
        acts.personal(user),
        teams_bot.connector.url,
        name="fileConsent/invoke",
        value={
            "type": "fileUpload",
            "action": "accept",
            "context": context,
            "uploadInfo": {
                "name": "Handlingsplan.docx",
                "uploadUrl": upload_url,
                "contentUrl": "https://kommun-my.sharepoint.com/handlingsplan.docx",
                "uniqueId": "1234",
                "fileType": "docx",
            },
        },
    )


async def test_forged_requester_of_the_handlingsplan_is_refused(bot, database_url, tmp_path):
    teams_bot = await _teams_bot(bot, database_url, tmp_path)
    try:
        async with teams_bot.services.db.transaction() as s:  # a second coordinator in the tenant
            s.add(Coordinator(tenant_id=acts.TENANT, aad_object_id=SOCIAL.aad, display_name=SOCIAL.name))
        consent, run = await _consent_card(teams_bot)
        upload_url = f"{teams_bot.connector.url}/upload/forged.docx"
        await teams_bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
        teams_bot.connector.clear()

        # the context names the forger as requester: Teams passes back whatever the card carried
        made_up = {
            "verb": consent["content"]["acceptContext"]["verb"],
            "run_id": run.id,
            "requested_by": SOCIAL.aad,
        }
        forged = await teams_bot.send(_accept(teams_bot, SOCIAL, made_up, upload_url))
        assert forged.status == 200
        assert any("inte" in t and "begärde" in t for t in forged.texts), forged.texts
        # the real context, replayed by someone else, with the requester rewritten
        rewritten = {**consent["content"]["acceptContext"], "requested_by": SOCIAL.aad}
        again = await teams_bot.send(_accept(teams_bot, SOCIAL, rewritten, upload_url))
        assert any("begärde" in t for t in again.texts), again.texts
        assert teams_bot.connector.uploads == {}
        assert (
            await _count(
                teams_bot,
                AuditEvent,
                AuditEvent.action == "denied",
                AuditEvent.actor_aad_id == SOCIAL.aad,
                AuditEvent.entity == "handlingsplan",
            )
            == 2
        )

        # the requester's own accept still works
        mine = await teams_bot.send(
            _accept(teams_bot, COORDINATOR, consent["content"]["acceptContext"], upload_url)
        )
        assert mine.status == 200 and "forged.docx" in teams_bot.connector.uploads
    finally:
        await teams_bot.stop()


async def test_the_handlingsplan_is_uploaded_only_to_sharepoint(bot, database_url, tmp_path):
    """With loopback not allowed (as outside local mode), the test's own server is a foreign host."""
    teams_bot = await _teams_bot(bot, database_url, tmp_path, upload_loopback=False)
    try:
        consent, _ = await _consent_card(teams_bot)
        foreign = f"{teams_bot.connector.url}/upload/stolen.docx"
        reply = await teams_bot.send(
            _accept(teams_bot, COORDINATOR, consent["content"]["acceptContext"], foreign)
        )
        assert reply.status == 200
        assert any("SharePoint" in t or "OneDrive" in t for t in reply.texts), reply.texts
        assert teams_bot.connector.uploads == {}, (
            "the bot PUT the document to a host outside the tenant's OneDrive"
        )
        assert (
            await _count(
                teams_bot, AuditEvent, AuditEvent.action == "denied", AuditEvent.entity == "handlingsplan"
            )
            == 1
        )
    finally:
        await teams_bot.stop()


def test_upload_url_rule():
    from bot.config import Settings
    from bot.files import upload_url_allowed

    teams = Settings(app_id="app", app_password="x")
    local = Settings()
    sovereign = Settings(app_id="app", app_password="x", upload_hosts=("*.sharepoint.de",))
    good = "https://kommun-my.sharepoint.com/personal/kim/_api/v2.0/drive/items/1/uploadSession?guid=x"
    assert upload_url_allowed(good, teams)
    assert upload_url_allowed("https://kommun-my.sharepoint.de/upload", teams)
    assert upload_url_allowed("https://kommun.sharepoint.de/upload", sovereign)
    assert not upload_url_allowed(good, sovereign)
    for bad in (
        "http://kommun-my.sharepoint.com/upload",  # not https
        "https://sharepoint.com.evil.example/upload",
        "https://evilsharepoint.com/upload",
        "https://kommun-my.sharepoint.com@evil.example/upload",
        "https://evil.example/kommun-my.sharepoint.com",
        "https://sharepoint.com/upload",  # the bare domain is no tenant's site
        "ftp://kommun-my.sharepoint.com/upload",
        "http://127.0.0.1:3978/upload/x",  # loopback only in local mode
        "",
        "not a url",
    ):
        assert not upload_url_allowed(bad, teams), bad
    assert upload_url_allowed("http://127.0.0.1:3978/upload/x", local)
    assert upload_url_allowed("http://localhost:3978/upload/x", local)
    assert not upload_url_allowed("http://10.0.0.5/upload/x", local)
    assert not upload_url_allowed("http://127.0.0.1:3978/upload/x", Settings(upload_loopback=False))
