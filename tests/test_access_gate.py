"""Issue 12 §1 and §2: every verb declares its resource and access, and who sees a case's content.

The viewer matrix: coordinator, a team member whose agency the consent covers (skola), a team member it
does not cover (polis, when the guardians consented to skola + socialtjänst), a chat member who is not
on the team, and a coordinator of another tenant — for the case card, the case list, my actions and a
reminder's content, with the audit rows each leaves. Runs on SQLite and PostgreSQL (the ``bot`` fixture).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

import bot.dialogs  # noqa: F401  (registers every verb)
from bot.cards.reminders import ACTION_VERB
from bot.protokoll import FILE_VERB
from bot.registry import Registry, registry
from bot.reminders.content import load_items
from domain.access import Access, Resource
from store.models import AuditEvent, Reminder
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text
from tests.harness.seed import seed_action, seed_case

# Every registered verb, its resource and access. A new verb must be added here (and so be thought about).
DECLARED = {
    "actions.mine": ("action_item", "list"),
    "agenda.action_add": ("agenda_run", "write"),
    "agenda.action_remove": ("agenda_run", "write"),
    "agenda.action_status": ("agenda_run", "write"),
    "agenda.back": ("agenda_run", "chair"),
    "agenda.document": ("document", "read"),
    "agenda.end": ("agenda_run", "chair"),
    "agenda.entry": ("agenda_run", "write"),
    "agenda.next": ("agenda_run", "chair"),
    "agenda.protokoll": ("case", "read"),
    "agenda.refresh": ("agenda_run", "read"),
    "agenda.setup": ("meeting", "write"),
    "case.audit": ("case", "read"),
    "case.close": ("case", "write"),
    "case.close_form": ("case", "read"),
    "case.create": ("case", "create"),
    "case.list": ("case", "list"),
    "case.new": ("case", "create"),
    "case.open": ("case", "read"),
    "consent.form": ("case", "read"),
    "consent.record": ("case", "write"),
    "consent.withdraw": ("case", "write"),
    "consent.withdraw_form": ("case", "read"),
    "dialog.cancel": ("none", "none"),
    "language.set": ("none", "none"),
    "figures": ("none", "none"),
    "help": ("none", "none"),
    "language": ("none", "none"),
    "meeting.book": ("meeting", "create"),
    "meeting.cancel": ("meeting", "write"),
    "meeting.cancel_form": ("meeting", "read"),
    "meeting.confirm": ("meeting", "create"),
    "meeting.end": ("agenda_run", "chair"),
    "meeting.reschedule": ("meeting", "write"),
    "meeting.reschedule_form": ("meeting", "read"),
    "meeting.responses": ("meeting", "read"),
    "meeting.show": ("meeting", "read"),
    "meeting.start": ("meeting", "read"),
    "meeting.suggest": ("meeting", "create"),
    "team.add_contact": ("case", "write"),
    "team.edit_member": ("case", "read"),
    "team.remove_member": ("case", "write"),
    "team.edit_contact": ("case", "read"),
    "team.add_member": ("case", "write"),
    "team.form": ("case", "read"),
}


def test_every_registered_verb_declares_its_resource_and_access():
    declared = {verb: (route.resource.value, route.access.value) for verb, route in registry.routes.items()}
    assert declared == {**DECLARED, FILE_VERB: ("document", "write"), ACTION_VERB: ("action_item", "write")}


def test_a_verb_without_a_declaration_fails_when_registered():
    fresh = Registry()

    async def handler(turn):  # pragma: no cover - never called
        return None

    with pytest.raises(ValueError, match="declare resource"):
        fresh.verb("x.undeclared")(handler)
    with pytest.raises(ValueError, match="needs an access"):
        fresh.verb("x.no_access", resource="case")(handler)
    with pytest.raises(ValueError, match="because"):
        fresh.verb("x.twice", resource="none", idempotent=False)(handler)
    with pytest.raises(ValueError):
        fresh.verb("x.unknown", resource="child", access="read")(handler)
    fresh.verb("x.ok", resource="case", access="read")(handler)
    assert fresh.routes["x.ok"].resource is Resource.CASE and fresh.routes["x.ok"].access is Access.READ


def test_every_opt_out_of_once_per_press_says_why():
    for verb, route in registry.routes.items():
        if not route.idempotent:
            assert len(route.because.strip()) > 20, verb


# --- the viewer matrix ----------------------------------------------------------------------------------

FOREIGN = acts.User(COORDINATOR.aad, COORDINATOR.name, tenant=acts.OTHER_TENANT)
CODE = "SSPF-2026-041"
REFUSAL = "Ärendet finns inte, eller så har du inte behörighet till det."
CONTENT = ("Q.Z.", "2012", "Norra skolan")  # initials, birth year, school of the seeded case


async def world(bot, *, withdrawn: bool = False):
    """A case with PRINCIPAL (skola) and POLICE (polis) on the team; consent covers skola + socialtjänst.
    Each has an open action on it."""
    today = date.today()
    async with bot.services.db.transaction() as s:
        case = await seed_case(
            s,
            acts.TENANT,
            CODE,
            initials="Q.Z.",
            birth_year=2012,
            members=[(PRINCIPAL.aad, PRINCIPAL.name, "skola"), (POLICE.aad, POLICE.name, "polis")],
            guardians=["Vårdnadshavare A", "Vårdnadshavare B"],
            consent_agencies=["skola", "socialtjanst"],
            consent_withdrawn_on=today if withdrawn else None,
        )
        school = await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="Läxhjälp tisdagar",
            agency="skola",
            responsible=(PRINCIPAL.aad, PRINCIPAL.name),
            due_on=today + timedelta(days=5),
        )
        police = await seed_action(
            s,
            acts.TENANT,
            case=case,
            text="Bekymringssamtal hemma",
            agency="polis",
            responsible=(POLICE.aad, POLICE.name),
            due_on=today + timedelta(days=5),
        )
    return case, school, police


async def rows_of(bot, user: acts.User) -> list[AuditEvent]:
    async with bot.services.db.session() as s:
        stmt = select(AuditEvent).where(
            AuditEvent.actor_aad_id == user.aad, AuditEvent.tenant_id == user.tenant
        )
        return list(await s.scalars(stmt.order_by(AuditEvent.id)))


def shows_content(text: str) -> bool:
    return any(part in text for part in CONTENT)


async def test_case_card_viewer_matrix(bot):
    case, _, _ = await world(bot)

    coordinator = await bot.say(COORDINATOR, acts.personal(COORDINATOR), f"ärende {CODE}")
    assert shows_content(card_text(coordinator.card))
    covered = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), f"ärende {CODE}")
    assert shows_content(card_text(covered.card))

    police = await bot.say(POLICE, acts.personal(POLICE), f"ärende {CODE}")
    assert police.cards == []
    [said] = police.texts
    assert CODE in said and "omfattar inte din verksamhet (Polis)" in said and not shows_content(said)

    outsider = await bot.say(OUTSIDER, acts.personal(OUTSIDER), f"ärende {CODE}")
    assert outsider.texts == [REFUSAL] and outsider.cards == []
    forged = await bot.press(
        OUTSIDER,
        acts.personal(OUTSIDER),
        {"type": "Action.Submit", "data": {"verb": "case.open", "case_id": case.id}},
    )
    assert forged.texts == [REFUSAL]
    foreign = await bot.say(FOREIGN, acts.personal(FOREIGN), f"ärende {CODE}")
    assert foreign.texts == [REFUSAL]

    assert [(r.entity, r.action) for r in await rows_of(bot, COORDINATOR)] == [("case", "read")]
    assert [(r.entity, r.action, r.case_id) for r in await rows_of(bot, PRINCIPAL)] == [
        ("case", "read", case.id)
    ]
    [denied] = await rows_of(bot, POLICE)
    assert (denied.action, denied.case_id, denied.detail["reason"]) == (
        "denied",
        case.id,
        "consent_not_covering",
    )
    outsider_rows = await rows_of(bot, OUTSIDER)
    assert [(r.action, r.detail["reason"]) for r in outsider_rows] == [("denied", "not_on_team")] * 2
    assert [(r.action, r.case_id) for r in await rows_of(bot, FOREIGN)] == [("denied", None)]


async def test_withdrawal_ends_what_the_covered_member_sees_at_once(bot):
    await world(bot, withdrawn=True)
    reply = await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), f"ärende {CODE}")
    assert reply.cards == [] and CODE in reply.texts[0] and not shows_content(reply.texts[0])
    listing = card_text((await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), "mina ärenden")).card)
    assert CODE in listing and not shows_content(listing)


async def test_case_list_viewer_matrix(bot):
    case, _, _ = await world(bot)
    seen = {}
    for user in (COORDINATOR, PRINCIPAL, POLICE, OUTSIDER, FOREIGN):
        seen[user] = card_text((await bot.say(user, acts.personal(user), "mina ärenden")).card)
    assert CODE in seen[COORDINATOR] and shows_content(seen[COORDINATOR])
    assert CODE in seen[PRINCIPAL] and shows_content(seen[PRINCIPAL])
    assert CODE in seen[POLICE] and not shows_content(seen[POLICE])
    assert "samtycket omfattar inte din verksamhet" in seen[POLICE]
    assert CODE not in seen[OUTSIDER] and CODE not in seen[FOREIGN]
    reads = {u: [(r.action, r.case_id) for r in await rows_of(bot, u)] for u in seen}
    assert reads[COORDINATOR] == reads[PRINCIPAL] == [("read", case.id)]
    assert reads[POLICE] == reads[OUTSIDER] == reads[FOREIGN] == []


async def test_my_actions_viewer_matrix(bot):
    case, _, _ = await world(bot)
    principal = card_text((await bot.say(PRINCIPAL, acts.personal(PRINCIPAL), "mina åtgärder")).card)
    assert "Läxhjälp tisdagar" in principal and "Bekymringssamtal" not in principal
    police = card_text((await bot.say(POLICE, acts.personal(POLICE), "mina åtgärder")).card)
    assert CODE in police and "Bekymringssamtal" not in police and "samtycket omfattar inte" in police
    outsider = card_text((await bot.say(OUTSIDER, acts.personal(OUTSIDER), "mina åtgärder")).card)
    assert CODE not in outsider
    assert [(r.entity, r.action, r.case_id) for r in await rows_of(bot, PRINCIPAL)] == [
        ("action_item", "read", case.id)
    ]
    assert await rows_of(bot, POLICE) == [] and await rows_of(bot, OUTSIDER) == []


async def test_reminder_content_viewer_matrix(bot):
    case, school, police = await world(bot)
    async with bot.services.db.transaction() as s:
        for action, who in ((school, PRINCIPAL), (police, POLICE), (police, OUTSIDER)):
            s.add(
                Reminder(
                    tenant_id=acts.TENANT,
                    case_id=case.id,
                    kind="due_soon",
                    dedupe_key=f"test:{action.id}:{who.aad}",
                    subject_id=action.id,
                    recipient_aad_id=who.aad,
                    due_at=datetime.now(UTC),
                    payload={},
                )
            )
    async with bot.services.db.session() as s:
        rows = list(await s.scalars(select(Reminder).order_by(Reminder.recipient_aad_id)))
        loaded = await load_items(s, rows, datetime.now(UTC), for_delivery=False)
    by_recipient = {r.recipient_aad_id: item for r, item in zip(rows, loaded.items, strict=True)}
    assert by_recipient[PRINCIPAL.aad].action.text == "Läxhjälp tisdagar"
    assert not by_recipient[PRINCIPAL.aad].withheld
    for who in (POLICE, OUTSIDER):
        item = by_recipient[who.aad]
        assert item.withheld and item.action.text == "" and item.case_code == CODE
