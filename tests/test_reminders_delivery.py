"""Reminders reach people once, as one card per person per run, only in Swedish working hours.

Time is moved, not waited for: each test calls ``dispatcher.run_once(now=...)`` with the moment it
wants the bot to believe it is; the rows in the database decide what is sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cards.reminders import card_item_ids
from bot.reminders.dispatcher import dispatcher_of
from store.models import ActionItem, Reminder, SspfCase
from store.queries.reminders import cancel_for_case, replan_for_action, replan_for_meeting
from tests.conftest import COORDINATOR, POLICE, PRINCIPAL, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, find_action
from tests.harness.cards import assert_valid_cards
from tests.harness.seed_reminders import seed_action, seed_case, seed_consent, seed_meeting

SE = ZoneInfo("Europe/Stockholm")


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """A Stockholm wall-clock moment."""
    return datetime(y, m, d, hh, mm, tzinfo=SE)


TUESDAY = at(2027, 3, 9)  # an ordinary working Tuesday, 09:00


async def know(bot, *users: acts.User) -> None:
    """Each user has written to the bot once, so it has their 1:1 chat; then forget that traffic."""
    for user in users:
        await bot.say(user, acts.personal(user), "hjälp")
    bot.connector.clear()


def cards_to(bot, user: acts.User) -> list[dict]:
    return [c for m in bot.connector.messages(acts.personal(user).id) for c in m.cards]


async def states(bot) -> dict[str, str]:
    async with bot.services.db.session() as s:
        return {r.dedupe_key: r.state for r in await s.scalars(select(Reminder))}


async def plan(bot, action: ActionItem, now: datetime = TUESDAY) -> None:
    async with bot.services.db.transaction() as s:
        await replan_for_action(s, await s.get(ActionItem, action.id), now=now)


async def test_due_reminders_arrive_once_as_one_card_per_person(bot):
    await know(bot, SOCIAL, POLICE)
    async with bot.services.db.transaction() as s:
        case_a = await seed_case(s, "SSPF-2027-001", members=[(SOCIAL, "socialtjanst"), (POLICE, "polis")])
        case_b = await seed_case(s, "SSPF-2027-002", members=[(SOCIAL, "socialtjanst")])
        actions = [
            await seed_action(s, case_a, SOCIAL, date(2027, 3, 11), text="Samtal med vårdnadshavare"),
            await seed_action(s, case_a, SOCIAL, date(2027, 3, 11), text="Kontakt med fritidsgården"),
            await seed_action(s, case_b, SOCIAL, date(2027, 3, 11), text="Läxhjälp"),
            await seed_action(s, case_a, POLICE, date(2027, 3, 11), text="Orosbesök i området"),
        ]
        for action in actions:
            await replan_for_action(s, action, now=TUESDAY - timedelta(days=7))
    dispatcher = dispatcher_of(bot.services)

    report = await dispatcher.run_once(now=TUESDAY)  # due soon: two working days before 11 March

    [social_card] = cards_to(bot, SOCIAL)
    [police_card] = cards_to(bot, POLICE)
    text = card_text(social_card)
    assert "Påminnelser (3)" in text
    assert "SSPF-2027-001" in text and "SSPF-2027-002" in text
    assert "Samtal med vårdnadshavare" in text and "Läxhjälp" in text and "2027-03-11" in text
    assert "XY" not in text and "2013" not in text  # initials and birth year never leave the database
    assert "Orosbesök i området" in card_text(police_card)
    assert "Samtal med vårdnadshavare" not in card_text(police_card)
    assert len(card_item_ids(social_card)) == 3
    assert report.cards == 2 and report.items_sent == 4

    await dispatcher.run_once(now=TUESDAY + timedelta(hours=2))
    await dispatcher.run_once(now=TUESDAY + timedelta(hours=2))
    assert len(bot.connector.messages()) == 2  # nothing twice
    sent = [k for k, v in (await states(bot)).items() if v == "sent"]
    assert len(sent) == 4 and all(":due_soon:" in k for k in sent)


async def test_nothing_is_sent_outside_working_hours_midsummer_weekends_or_across_dst(bot):
    await know(bot, SOCIAL)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-003", members=[(SOCIAL, "socialtjanst")])
        june = await seed_action(s, case, SOCIAL, date(2027, 6, 29), text="Sommarplan")
        await replan_for_action(s, june, now=at(2027, 6, 1))
    dispatcher = dispatcher_of(bot.services)

    # due soon is Friday 25 June 08:00? No: that is midsommarafton, so Thursday 24 June 08:00.
    for moment in (
        at(2027, 6, 24, 7, 59),  # before eight
        at(2027, 6, 24, 17, 0),  # after five
        at(2027, 6, 25, 10, 0),  # midsommarafton
        at(2027, 6, 26, 10, 0),  # midsommardagen, a Saturday
        at(2027, 6, 27, 12, 0),  # Sunday
    ):
        report = await dispatcher.run_once(now=moment)
        assert report.claimed == 0, moment
    assert bot.connector.messages() == []
    assert report.waiting_until == at(2027, 6, 28, 8, 0)  # the next working morning

    await dispatcher.run_once(now=at(2027, 6, 28, 8, 0))
    [card] = cards_to(bot, SOCIAL)
    assert "Sommarplan" in card_text(card)

    # Summer time starts Sunday 28 March 2027: 17:30 in Stockholm is 15:30 UTC, not 16:30.
    async with bot.services.db.transaction() as s:
        case = await s.get(SspfCase, case.id)
        spring = await seed_action(s, case, SOCIAL, date(2027, 3, 31), text="Vårplan")
        await replan_for_action(s, spring, now=at(2027, 3, 1))
    bot.connector.clear()
    report = await dispatcher.run_once(now=datetime(2027, 3, 29, 15, 30, tzinfo=ZoneInfo("UTC")))
    assert report.claimed == 0 and bot.connector.messages() == []
    assert report.waiting_until == datetime(2027, 3, 30, 6, 0, tzinfo=ZoneInfo("UTC"))  # 08:00 CEST
    await dispatcher.run_once(now=datetime(2027, 3, 30, 6, 0, tzinfo=ZoneInfo("UTC")))
    [card] = cards_to(bot, SOCIAL)
    assert "Vårplan" in card_text(card)


async def test_after_downtime_each_missed_reminder_is_sent_once_late(bot):
    await know(bot, SOCIAL)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-004", members=[(SOCIAL, "socialtjanst")])
        for due, text in ((11, "Första"), (12, "Andra"), (15, "Tredje")):
            action = await seed_action(s, case, SOCIAL, date(2027, 3, due), text=text)
            await replan_for_action(s, action, now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    # The bot was down from Monday evening until Thursday 10:00: three due-soon times passed.
    await dispatcher.run_once(now=at(2027, 3, 11, 10, 0))
    [card] = cards_to(bot, SOCIAL)
    assert all(word in card_text(card) for word in ("Första", "Andra", "Tredje"))
    await dispatcher.run_once(now=at(2027, 3, 11, 10, 1))
    assert len(bot.connector.messages()) == 1

    # Friday 08:30: the first action is overdue; only that is new.
    await dispatcher.run_once(now=at(2027, 3, 12, 8, 30))
    cards = cards_to(bot, SOCIAL)
    assert len(cards) == 2
    assert "skulle ha varit klar 2027-03-11" in card_text(cards[1])
    assert "Andra" not in card_text(cards[1])


async def test_throttled_send_is_retried_and_delivered_once(bot):
    await know(bot, SOCIAL)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-005", members=[(SOCIAL, "socialtjanst")])
        await replan_for_action(s, await seed_action(s, case, SOCIAL, date(2027, 3, 11)), now=at(2027, 3, 1))
    bot.connector.fail_next(429, times=2, retry_after=0.05)
    await dispatcher_of(bot.services).run_once(now=TUESDAY)
    assert len(cards_to(bot, SOCIAL)) == 1
    assert bot.connector.status_counts[429] == 2
    assert list((await states(bot)).values()).count("sent") == 1


async def test_connector_down_means_retry_later_not_lost(bot):
    await know(bot, SOCIAL)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-006", members=[(SOCIAL, "socialtjanst")])
        await replan_for_action(s, await seed_action(s, case, SOCIAL, date(2027, 3, 11)), now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    bot.connector.fail_next(503, times=10)  # more than the client's retries
    report = await dispatcher.run_once(now=TUESDAY)
    assert report.failed == 1 and bot.connector.messages() == []
    bot.connector.faults.clear()
    await dispatcher.run_once(now=TUESDAY + timedelta(seconds=30))  # backoff not over yet
    assert bot.connector.messages() == []
    await dispatcher.run_once(now=TUESDAY + timedelta(minutes=5))
    assert len(cards_to(bot, SOCIAL)) == 1
    await dispatcher.run_once(now=TUESDAY + timedelta(minutes=10))
    assert len(cards_to(bot, SOCIAL)) == 1


async def test_app_removed_marks_undeliverable_and_tells_the_coordinator_once(bot):
    await know(bot, POLICE, COORDINATOR)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-007", members=[(POLICE, "polis")])
        first = await seed_action(s, case, POLICE, date(2027, 3, 11), text="Orosbesök")
        await replan_for_action(s, first, now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    bot.connector.fail_next(403, conversation=acts.personal(POLICE).id)
    report = await dispatcher.run_once(now=TUESDAY)
    assert report.undeliverable == 1 and bot.connector.status_counts[403] == 1
    assert bot.connector.messages() == []

    await dispatcher.run_once(now=TUESDAY + timedelta(minutes=2))
    [notice] = cards_to(bot, COORDINATOR)
    text = card_text(notice)
    assert "Jag når inte Per Polis" in text and "SSPF-2027-007" in text
    assert_valid_cards([notice])
    keys = await states(bot)
    assert [v for k, v in keys.items() if ":due_soon:" in k] == ["undeliverable"]

    # Not retried; a later reminder that also fails does not tell the coordinator a second time.
    async with bot.services.db.transaction() as s:
        case = await s.get(SspfCase, case.id)
        second = await seed_action(s, case, POLICE, date(2027, 3, 12), text="Uppföljning")
        await replan_for_action(s, second, now=TUESDAY)
    bot.connector.fail_next(403, conversation=acts.personal(POLICE).id)
    await dispatcher.run_once(now=at(2027, 3, 10, 9, 0))
    await dispatcher.run_once(now=at(2027, 3, 10, 9, 5))
    assert bot.connector.status_counts[403] == 2
    assert len(cards_to(bot, COORDINATOR)) == 1


async def test_moving_the_due_date_moves_the_reminders(bot):
    await know(bot, SOCIAL)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-008", members=[(SOCIAL, "socialtjanst")])
        action = await seed_action(s, case, SOCIAL, date(2027, 3, 11))
        await replan_for_action(s, action, now=at(2027, 3, 1))
    async with bot.services.db.transaction() as s:
        row = await s.get(ActionItem, action.id)
        row.due_on = date(2027, 3, 18)
        await replan_for_action(s, row, now=at(2027, 3, 1))
    keys = await states(bot)
    assert {k.split(":", 2)[2] for k, v in keys.items() if v == "cancelled" and ":to:" not in k} == {
        "due_soon:2027-03-11",
        "overdue:2027-03-11",
        "escalation:2027-03-11",
    } - {"escalation:2027-03-11"}
    assert any(k.endswith("due_soon:2027-03-18") and v == "pending" for k, v in keys.items())

    dispatcher = dispatcher_of(bot.services)
    await dispatcher.run_once(now=TUESDAY)  # the old due-soon time: nothing any more
    assert bot.connector.messages() == []
    await dispatcher.run_once(now=at(2027, 3, 16, 9, 0))
    [card] = cards_to(bot, SOCIAL)
    assert "2027-03-18" in card_text(card)


async def test_withdrawn_consent_stops_every_reminder_of_the_case(bot):
    await know(bot, SOCIAL, COORDINATOR)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-009", members=[(SOCIAL, "socialtjanst")])
        consent = await seed_consent(s, case, date(2027, 2, 1))
        action = await seed_action(s, case, SOCIAL, date(2027, 3, 11), follow_up_on=date(2027, 3, 25))
        await replan_for_action(s, action, now=at(2027, 3, 1))
    async with bot.services.db.transaction() as s:  # what the consent flow does on withdrawal
        (await s.get(type(consent), consent.id)).withdrawn_on = date(2027, 3, 5)
        (await s.get(SspfCase, case.id)).status = "paused"
        cancelled = await cancel_for_case(s, case.id)
    assert cancelled >= 4
    dispatcher = dispatcher_of(bot.services)
    for day in (9, 12, 15, 16, 18, 22):
        await dispatcher.run_once(now=at(2027, 3, day, 9, 0))
    assert bot.connector.messages() == []


async def test_withdrawal_without_cancelling_still_sends_nothing(bot):
    """Belt and braces: a flow that forgot ``cancel_for_case`` still leaks nothing."""
    await know(bot, SOCIAL, COORDINATOR)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-010", members=[(SOCIAL, "socialtjanst")])
        consent = await seed_consent(s, case, date(2027, 2, 1))
        action = await seed_action(s, case, SOCIAL, date(2027, 3, 11))
        await replan_for_action(s, action, now=at(2027, 3, 1))
    async with bot.services.db.transaction() as s:
        (await s.get(type(consent), consent.id)).withdrawn_on = date(2027, 3, 5)
    dispatcher = dispatcher_of(bot.services)
    for day in (9, 12, 15, 16):
        await dispatcher.run_once(now=at(2027, 3, day, 9, 0))
    assert bot.connector.messages() == []
    assert {v for k, v in (await states(bot)).items() if k.startswith("action:")} == {"cancelled"}


async def test_arbetsgrupp_representatives_are_asked_to_prepare_the_working_day_before(bot):
    await know(bot, SOCIAL, POLICE, PRINCIPAL)
    async with bot.services.db.transaction() as s:
        meeting = await seed_meeting(
            s,
            at(2027, 3, 15, 13, 0),  # Monday
            participants=[(SOCIAL, "socialtjanst"), (POLICE, "polis"), (PRINCIPAL, "skola")],
        )  # booked by the booking flow, which knows nothing of reminders: each run plans them
        cancelled = await seed_meeting(
            s, at(2027, 3, 16, 13, 0), participants=[(SOCIAL, "socialtjanst")], status="cancelled"
        )
    dispatcher = dispatcher_of(bot.services)
    await dispatcher.run_once(now=at(2027, 3, 11, 9, 0))
    assert bot.connector.messages() == []
    await dispatcher.run_once(now=at(2027, 3, 12, 8, 5))  # Friday, the working day before
    for user in (SOCIAL, POLICE, PRINCIPAL):
        [card] = cards_to(bot, user)
        text = card_text(card)
        assert "Arbetsgruppen möts 2027-03-15 13:00" in text
        assert "Allmänt" in text and "Gruppnivå" in text and "Individnivå" in text
    assert_valid_cards([card])
    async with bot.services.db.transaction() as s:  # moved to Wednesday: Friday's reminder is not sent again
        (await s.get(type(meeting), meeting.id)).start_at = at(2027, 3, 17, 13, 0)
        await replan_for_meeting(s, await s.get(type(meeting), meeting.id))
    bot.connector.clear()
    await dispatcher.run_once(now=at(2027, 3, 16, 8, 5))  # Tuesday: prepare for Wednesday
    assert len(cards_to(bot, SOCIAL)) == 1 and "2027-03-17 13:00" in card_text(cards_to(bot, SOCIAL)[0])
    assert cancelled.id not in card_text(cards_to(bot, SOCIAL)[0])
    assert "2027-03-16" not in card_text(cards_to(bot, SOCIAL)[0])  # the cancelled meeting


async def test_follow_up_nearing_without_a_meeting_asks_the_coordinator_to_book(bot):
    await know(bot, SOCIAL, COORDINATOR)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-011", members=[(SOCIAL, "socialtjanst")])
        action = await seed_action(s, case, SOCIAL, date(2027, 4, 1), follow_up_on=date(2027, 4, 20))
        await replan_for_action(s, action, now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    await dispatcher.run_once(now=at(2027, 4, 13, 9, 0))  # five working days before, Easter in between
    [card] = cards_to(bot, COORDINATOR)
    assert "Uppföljningen för SSPF-2027-011 närmar sig (2027-04-20)" in card_text(card)
    button = find_action(card, "Boka uppföljning")
    assert button["data"]["verb"] == "meeting.book" and button["data"]["case_id"] == case.id
    assert_valid_cards([card])
    form = await bot.press(COORDINATOR, acts.personal(COORDINATOR), button)  # the booking flow's form
    assert form.status == 200
    assert "SSPF-2027-011" in card_text(form.card)
    assert form.card.get("body") and "uppfoljning" in str(form.card)


async def test_a_booked_follow_up_meeting_cancels_the_nudge(bot):
    await know(bot, SOCIAL, COORDINATOR)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-012", members=[(SOCIAL, "socialtjanst")])
        action = await seed_action(s, case, SOCIAL, date(2027, 4, 1), follow_up_on=date(2027, 4, 20))
        await replan_for_action(s, action, now=at(2027, 3, 1))
        await seed_meeting(s, at(2027, 4, 20, 10, 0), kind="uppfoljning", case=case)
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    await dispatcher.run_once(now=at(2027, 4, 13, 9, 0))
    assert all("Uppföljningen" not in card_text(c) for c in cards_to(bot, COORDINATOR))
    keys = await states(bot)
    assert [v for k, v in keys.items() if ":follow_up_nearing:" in k] == ["cancelled"]


async def test_overdue_action_escalates_to_the_coordinator_after_the_configured_days(bot):
    await know(bot, SOCIAL, COORDINATOR)
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-013", members=[(SOCIAL, "socialtjanst")])
        action = await seed_action(s, case, SOCIAL, date(2027, 3, 11), text="Samtalskontakt")
        await replan_for_action(s, action, now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    await dispatcher.run_once(now=at(2027, 3, 12, 9, 0))
    assert "skulle ha varit klar" in card_text(cards_to(bot, SOCIAL)[0])
    assert cards_to(bot, COORDINATOR) == []
    await dispatcher.run_once(now=at(2027, 3, 16, 9, 0))  # three working days after 11 March
    [card] = cards_to(bot, COORDINATOR)
    text = card_text(card)
    assert "försenad sedan 2027-03-11" in text and "Sam Socialsekreterare" in text
    assert "Samtalskontakt" in text


async def test_monday_digest_lists_open_actions_per_case_overdue_first(bot):
    await know(bot, SOCIAL, COORDINATOR)
    async with bot.services.db.transaction() as s:
        calm = await seed_case(s, "SSPF-2027-020", members=[(SOCIAL, "socialtjanst")])
        late = await seed_case(s, "SSPF-2027-021", members=[(SOCIAL, "socialtjanst")])
        await seed_action(s, calm, SOCIAL, date(2027, 3, 25), text="Lugn åtgärd")
        await seed_action(s, late, SOCIAL, date(2027, 3, 10), text="Sen åtgärd")
        await seed_action(s, late, SOCIAL, date(2027, 3, 30), text="Kommande åtgärd")
    dispatcher = dispatcher_of(bot.services)
    await dispatcher.run_once(now=at(2027, 3, 14, 12, 0))  # Sunday: nothing
    assert cards_to(bot, COORDINATOR) == []
    await dispatcher.run_once(now=at(2027, 3, 15, 8, 10))  # Monday morning
    [card] = cards_to(bot, COORDINATOR)
    text = card_text(card)
    assert "Veckans sammanställning: 3 öppna åtgärder, varav 1 försenade" in text
    assert text.index("SSPF-2027-021") < text.index("SSPF-2027-020")
    assert "Försenad: Sen åtgärd" in text
    assert_valid_cards([card])
    await dispatcher.run_once(now=at(2027, 3, 16, 8, 10))
    assert len(cards_to(bot, COORDINATOR)) == 1  # once a week


async def test_a_person_who_chose_english_gets_the_card_in_english(bot):
    asked = await bot.say(POLICE, acts.personal(POLICE), "språk", locale="en-US")
    await bot.press(POLICE, acts.personal(POLICE), find_action(asked.card, "English"))
    bot.connector.clear()
    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-014", members=[(POLICE, "polis")])
        await replan_for_action(s, await seed_action(s, case, POLICE, date(2027, 3, 11)), now=at(2027, 3, 1))
    dispatcher = dispatcher_of(bot.services)
    dispatcher.digests = False
    await dispatcher.run_once(now=TUESDAY)
    [card] = cards_to(bot, POLICE)
    text = card_text(card)
    assert "Reminder: an action in SSPF-2027-014 is due by 2027-03-11." in text
    assert "Done" in text and "Delay 1 week" in text and "Påminnelse" not in text
