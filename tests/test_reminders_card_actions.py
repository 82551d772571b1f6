"""Pressing a button on a reminder card changes the action, re-plans its reminders and redraws the card."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from bot.reminders.dispatcher import dispatcher_of
from store.models import ActionItem, AuditEvent, Reminder
from store.queries.reminders import replan_for_action
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, find_action, input_values
from tests.harness.cards import assert_valid_cards
from tests.harness.seed_reminders import seed_action, seed_case
from tests.test_reminders_delivery import TUESDAY, at, cards_to, know


async def two_reminders(bot) -> tuple[dict, list[str], str]:
    """SOCIAL's card with two due-soon items; returns (card, action ids, case id)."""
    await know(bot, SOCIAL, POLICE, COORDINATOR)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-030", members=[(SOCIAL, "socialtjanst"), (POLICE, "polis")])
        first = await seed_action(s, case, SOCIAL, date(2027, 3, 11), text="Samtal med vårdnadshavare")
        second = await seed_action(s, case, SOCIAL, date(2027, 3, 11), text="Kontakt med fritidsgården")
        for action in (first, second):
            await replan_for_action(s, action, now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    dispatcher.clock = lambda: TUESDAY
    await dispatcher.run_once(now=TUESDAY)
    [card] = cards_to(bot, SOCIAL)
    return card, [first.id, second.id], case.id


async def action_row(bot, action_id: str) -> ActionItem:
    async with bot.services.db.session() as s:
        return await s.get(ActionItem, action_id)


async def texts_of(bot, action_id: str) -> str:
    return (await action_row(bot, action_id)).text


async def reminder_states(bot, action_id: str) -> dict[str, str]:
    async with bot.services.db.session() as s:
        rows = await s.scalars(select(Reminder).where(Reminder.subject_id == action_id))
        return {r.kind: r.state for r in rows}


async def test_klar_updates_the_action_and_the_card_in_place(bot):
    card, actions, case_id = await two_reminders(bot)
    bot.connector.clear()
    button = find_action(card, "Klar")
    first = button["data"]["action_id"]
    [second] = [a for a in actions if a != first]
    pressed_text, other_text = await texts_of(bot, first), await texts_of(bot, second)

    reply = await bot.press(SOCIAL, acts.personal(SOCIAL), button)

    assert reply.status == 200
    text = card_text(reply.card)
    assert "Sparat: åtgärden är klar." in text
    assert pressed_text in text and other_text in text  # both items still there
    titles = [a["title"] for a in _actions(reply.card)]
    assert titles.count("Klar") == 1  # only the open item keeps its buttons
    assert (await action_row(bot, first)).status == "done"
    assert (await action_row(bot, second)).status == "open"
    states = await reminder_states(bot, first)
    assert states["due_soon"] == "sent" and states["overdue"] == "cancelled"
    assert bot.connector.messages() == []  # redrawn in place, no new message

    async with bot.services.db.session() as s:
        audit = (await s.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id))).all()
    updates = [a for a in audit if a.entity == "action_item" and a.action == "update"]
    assert [a.actor_aad_id for a in updates] == [SOCIAL.aad]
    assert any(a.entity == "case" and a.action == "write" for a in audit)

    # The overdue reminder of the finished action never comes; the other one does.
    await dispatcher_of(bot.services).run_once(now=at(2027, 3, 12, 9, 0))
    [overdue] = cards_to(bot, SOCIAL)
    assert other_text in card_text(overdue)
    assert pressed_text not in card_text(overdue)


def _actions(card: dict) -> list[dict]:
    found: list[dict] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(card)
    return found


async def test_a_double_click_changes_the_action_once(bot):
    card, _, _ = await two_reminders(bot)
    button = find_action(card, "Skjut 1 vecka")
    first = button["data"]["action_id"]
    one = await bot.press(SOCIAL, acts.personal(SOCIAL), button)
    two = await bot.press(SOCIAL, acts.personal(SOCIAL), button)
    assert "nytt slutdatum 2027-03-18" in card_text(one.card)
    assert "redan gjort" in two.invoke_text
    action = await action_row(bot, first)
    assert action.due_on == date(2027, 3, 18) and action.version == 2


async def test_postponing_moves_the_reminders(bot):
    card, _, _ = await two_reminders(bot)
    button = find_action(card, "Skjut 1 dag")
    first = button["data"]["action_id"]
    await bot.press(SOCIAL, acts.personal(SOCIAL), button)
    assert (await action_row(bot, first)).due_on == date(2027, 3, 12)
    async with bot.services.db.session() as s:
        rows = (await s.scalars(select(Reminder).where(Reminder.subject_id == first))).all()
    mine = [r for r in rows if r.kind != "escalation"]
    pending = {r.dedupe_key.split(":", 2)[2] for r in mine if r.state == "pending"}
    assert pending == {"due_soon:2027-03-12", "overdue:2027-03-12"}
    cancelled = {r.dedupe_key.split(":", 2)[2] for r in mine if r.state == "cancelled"}
    assert cancelled == {"overdue:2027-03-11"}  # the due-soon of the 11th was sent: it stays "sent"


async def test_cannot_be_done_needs_a_comment_and_keeps_the_rest(bot):
    card, actions, _ = await two_reminders(bot)
    button = find_action(card, "Kan inte göras")
    first = button["data"]["action_id"]
    [second] = [a for a in actions if a != first]
    refused = await bot.press(SOCIAL, acts.personal(SOCIAL), button)
    text = card_text(refused.card)
    assert "Skriv kort varför åtgärden inte kan genomföras." in text
    assert await texts_of(bot, second) in text
    assert (await action_row(bot, first)).status == "open"

    button = find_action(refused.card, "Kan inte göras")
    field = button["data"]["comment_field"]
    assert field in input_values(refused.card)
    saved = await bot.press(
        SOCIAL, acts.personal(SOCIAL), button, {field: "Familjen har flyttat från kommunen"}
    )
    assert "Sparat: åtgärden kan inte genomföras." in card_text(saved.card)
    assert "Familjen har flyttat från kommunen" in card_text(saved.card)
    action = await action_row(bot, first)
    assert action.status == "not_done" and action.status_comment == "Familjen har flyttat från kommunen"
    assert (await action_row(bot, second)).status == "open"
    assert_valid_cards([card, refused.card, saved.card])


async def test_only_the_responsible_person_or_a_coordinator_may_change_it(bot):
    card, _, _ = await two_reminders(bot)
    button = find_action(card, "Klar")
    first = button["data"]["action_id"]

    police = await bot.press(POLICE, acts.personal(POLICE), button)  # on the case, not responsible
    assert "Bara den som är ansvarig" in " ".join([police.invoke_text, *police.texts])
    outsider = await bot.press(OUTSIDER, acts.personal(OUTSIDER), button)  # not on the case at all
    assert "inte behörighet" in " ".join([outsider.invoke_text, *outsider.texts])
    assert (await action_row(bot, first)).status == "open"
    async with bot.services.db.session() as s:
        denied = (await s.scalars(select(AuditEvent).where(AuditEvent.action == "denied"))).all()
    assert {d.actor_aad_id for d in denied} == {POLICE.aad, OUTSIDER.aad}

    coordinator = await bot.press(COORDINATOR, acts.personal(COORDINATOR), button)
    assert coordinator.status == 200
    assert (await action_row(bot, first)).status == "done"
