"""Replicas, crashes and wake-ups: the rows are the truth, so no reminder is lost or sent twice."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.cards.reminders import card_item_ids
from bot.reminders.dispatcher import dispatcher_of
from store.models import Reminder
from store.queries import reminders as q
from tests.conftest import COORDINATOR, POLICE, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, card_text, local_settings
from tests.harness.cards import assert_valid_cards
from tests.harness.connector import LoopbackConnector
from tests.harness.seed_reminders import seed_action, seed_case, seed_reference
from tests.test_reminders_delivery import TUESDAY, at, cards_to, know

USERS = [acts.User(f"aad-user-{i:03d}", f"Användare {i}") for i in range(24)]


async def seed_many(bot, users: list[acts.User], per_user: int) -> int:
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-040", members=[(u, "skola") for u in users])
        for user in users:
            await seed_reference(s, user, bot.connector.url)
            for n in range(per_user):
                text = f"Åtgärd {n} för {user.name}"
                action = await seed_action(s, case, user, date(2027, 3, 11), text=text)
                await q.replan_for_action(s, action, now=at(2027, 3, 1))
    return len(users) * per_user


def delivered_items(bot) -> Counter[str]:
    return Counter(i for m in bot.connector.messages() for c in m.cards for i in card_item_ids(c))


async def test_two_dispatchers_on_one_database_send_nothing_twice(bot):
    expected = await seed_many(bot, USERS, 3)
    other = RunningBot(bot.settings, bot.connector)
    await other.start()
    try:
        first, second = dispatcher_of(bot.services), dispatcher_of(other.services)
        for dispatcher in (first, second):
            dispatcher.batch_size, dispatcher.digests = 7, False
        reports = await asyncio.gather(first.run_once(now=TUESDAY), second.run_once(now=TUESDAY))
        await asyncio.gather(first.run_once(now=TUESDAY), second.run_once(now=TUESDAY))
    finally:
        await other.stop()
    items = delivered_items(bot)
    assert len(items) == expected and set(items.values()) == {1}  # every reminder once
    per_conversation = Counter(m.conversation_id for m in bot.connector.messages())
    assert len(per_conversation) == len(USERS) and set(per_conversation.values()) == {1}  # one card each
    assert sum(r.items_sent for r in reports) == expected
    print("items sent per replica:", [r.items_sent for r in reports])


async def test_a_crashed_replicas_claims_come_back_after_the_lease(bot):
    expected = await seed_many(bot, USERS[:4], 2)
    async with bot.services.db.transaction() as s:  # a replica claims, then dies before sending
        claimed = await q.claim_due(s, TUESDAY, "dead-replica", 100, timedelta(minutes=5))
    assert len(claimed) == expected
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    await dispatcher.run_once(now=TUESDAY + timedelta(minutes=1))
    assert bot.connector.messages() == []  # the lease still holds
    await dispatcher.run_once(now=TUESDAY + timedelta(minutes=6))
    items = delivered_items(bot)
    assert len(items) == expected and set(items.values()) == {1}
    async with bot.services.db.session() as s:
        rows = (await s.scalars(select(Reminder).where(Reminder.kind == "due_soon"))).all()
    assert {r.state for r in rows} == {"sent"} and {r.claimed_by for r in rows} == {dispatcher.worker_id}


async def test_the_scheduler_wakes_the_dispatcher_without_help(database_url, connector, tmp_path):
    settings = local_settings(
        database_url,
        ics_dir=str(tmp_path / "ics"),
        reminders=True,
        reminder_interval_s=3600,  # only the next-due wake-up can deliver within this test
        reminder_clock_start=TUESDAY.isoformat(),
    )
    running = RunningBot(settings, connector)
    await running.start()
    try:
        dispatcher = dispatcher_of(running.services)
        async with running.services.db.transaction() as s:
            await seed_reference(s, SOCIAL, connector.url)
            case = await seed_case(s, "SSPF-2027-041", members=[(SOCIAL, "socialtjanst")])
            action = await seed_action(s, case, SOCIAL, date(2027, 3, 11))
            row = Reminder(
                tenant_id=acts.TENANT,
                kind="due_soon",
                dedupe_key=f"action:{action.id}:due_soon:2027-03-11",
                case_id=case.id,
                subject_id=action.id,
                recipient_aad_id=SOCIAL.aad,
                due_at=dispatcher.clock() + timedelta(seconds=1.5),
                payload={"due_on": "2027-03-11"},
            )
            s.add(row)
        await dispatcher.wake()  # what a flow's commit would do; nothing is due yet
        assert connector.messages() == []
        await connector.wait_for(1, timeout=10)
        [card] = [c for m in connector.messages() for c in m.cards]
        assert "2027-03-11" in card_text(card)
    finally:
        await running.stop()


async def test_youngsters_selection_and_evaluation_reach_coordinator_police_and_social(bot):
    await know(bot, COORDINATOR, POLICE, SOCIAL)
    async with bot.services.db.transaction() as s:
        await q.plan_program(
            s, acts.TENANT, "youngsters-2027", date(2027, 1, 11), date(2027, 6, 30), [POLICE.aad, SOCIAL.aad]
        )
    dispatcher = dispatcher_of(bot.services)
    await dispatcher.run_once(now=at(2027, 3, 1, 9, 0))  # selection on 8 March, five working days ahead
    for user in (COORDINATOR, POLICE, SOCIAL):
        [card] = cards_to(bot, user)
        assert "Dags att boka urvalsmöte för Youngsters och Top 5 (2027-03-08)" in card_text(card)
    bot.connector.clear()
    await dispatcher.run_once(now=at(2027, 5, 4, 9, 0))
    for user in (COORDINATOR, POLICE, SOCIAL):
        texts = " ".join(card_text(c) for c in cards_to(bot, user))
        assert "Fyramånadersutvärderingen till styrgruppen ska göras 2027-05-11" in texts


async def test_a_big_card_stays_valid_and_within_budget(bot):
    """Twenty items for one person: six with buttons, the rest listed; one card, valid Adaptive Card 1.5."""
    user = USERS[0]
    await seed_many(bot, [user], 20)
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    await dispatcher.run_once(now=TUESDAY)
    [card] = cards_to(bot, user)
    assert len(card_item_ids(card)) == 20
    assert "Påminnelser (20)" in card_text(card) and "Fler påminnelser" in card_text(card)
    assert_valid_cards([card])


async def test_settings_switch_the_wake_ups_off_but_not_the_dispatcher(sqlite_url, connector, tmp_path):
    settings = dataclasses.replace(local_settings(sqlite_url, ics_dir=str(tmp_path / "ics")), reminders=False)
    running = RunningBot(settings, connector)
    await running.start()
    try:
        dispatcher = dispatcher_of(running.services)
        assert dispatcher is not None and dispatcher._scheduler is None
    finally:
        await running.stop()


async def test_sends_are_paced_under_the_tenant_limit_without_429(database_url, tmp_path):
    """Twelve people, a tenant limit of 5/s at the connector and in the bot: no 429, about 2 s."""
    connector = LoopbackConnector(per_tenant_per_second=5)
    await connector.start()
    settings = local_settings(database_url, ics_dir=str(tmp_path / "ics"), reminder_tenant_rate=5)
    running = RunningBot(settings, connector)
    await running.start()
    try:
        expected = await seed_many(running, USERS[:12], 1)
        dispatcher = dispatcher_of(running.services)
        dispatcher.digests = False
        started = time.monotonic()
        await dispatcher.run_once(now=TUESDAY)
        elapsed = time.monotonic() - started
        assert len(delivered_items(running)) == expected
        assert connector.status_counts.get(429, 0) == 0
        assert elapsed >= 2.0  # 12 sends, at most 5 in any second
    finally:
        await running.stop()
        await connector.stop()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # replicas share PostgreSQL
async def test_two_replicas_share_the_tenant_limit_without_429(database_url, tmp_path):
    """Two replicas, each configured with the whole tenant rate (6/s, as the connector enforces): each
    paces at its share while both hold claims, so Teams never answers 429 and both did part of the work.
    (On SQLite one process's stream of short write transactions starves the other's busy-wait, so one
    replica does all the work; several replicas are a PostgreSQL deployment.)"""
    connector = LoopbackConnector(per_tenant_per_second=6)
    await connector.start()
    settings = local_settings(database_url, ics_dir=str(tmp_path / "ics"), reminder_tenant_rate=6)
    first, second = RunningBot(settings, connector), RunningBot(settings, connector)
    await first.start()
    await second.start()
    try:
        expected = await seed_many(first, USERS[:12], 1)
        dispatchers = [dispatcher_of(first.services), dispatcher_of(second.services)]
        for dispatcher in dispatchers:
            dispatcher.batch_size, dispatcher.digests = 3, False
        reports = await asyncio.gather(*(d.run_once(now=TUESDAY) for d in dispatchers))
        items = delivered_items(first)
        assert len(items) == expected and set(items.values()) == {1}
        assert all(report.cards > 0 for report in reports)  # both replicas sent
        assert connector.status_counts.get(429, 0) == 0
    finally:
        await first.stop()
        await second.stop()
        await connector.stop()


async def test_a_replica_alone_again_takes_the_whole_tenant_rate(bot):
    """The share follows the claims: while another replica holds some, half; once they are done, all."""
    await seed_many(bot, USERS[:6], 1)
    other = RunningBot(bot.settings, bot.connector)
    await other.start()
    try:
        mine, theirs = dispatcher_of(bot.services), dispatcher_of(other.services)
        whole = mine.limiter.rate(acts.TENANT)
        async with bot.services.db.transaction() as s:
            claimed = await q.claim_due(s, TUESDAY, theirs.worker_id, 3, timedelta(minutes=5))
        async with bot.services.db.transaction() as s:
            await q.claim_due(s, TUESDAY, mine.worker_id, 3, timedelta(minutes=5))
        await mine.refresh_share(acts.TENANT, TUESDAY)
        assert mine.limiter.rate(acts.TENANT) == pytest.approx(whole / 2, abs=1)
        async with bot.services.db.transaction() as s:
            await q.mark_sent(s, [r.id for r in claimed], theirs.worker_id, TUESDAY)
        await asyncio.sleep(0.3)  # past the refresh interval
        await mine.refresh_share(acts.TENANT, TUESDAY)
        assert mine.limiter.rate(acts.TENANT) == whole
    finally:
        await other.stop()
