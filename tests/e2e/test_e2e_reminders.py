"""Scenario (4) in Microsoft's Teams emulator: a reminder reaches the person responsible for an action in
their 1:1 chat when the (test-controlled) clock reaches it; they press Klar; nothing else follows. And the
reminder half of scenario (5): once the family withdraws consent, no reminder about the case goes out,
however far the clock moves.

Nothing is seeded: the case, team, guardians and consent come from the case flows, the actions from the
handlingsplan step of a meeting run from its chat. Time moves by writing the bot's fake clock file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.worktime import working_days_after, working_days_before
from tests.e2e import case_journey as steps
from tests.e2e.case_journey import GUARDIANS, Journey, T
from tests.e2e.chat_meeting import start_from_chat
from tests.e2e.playground import (
    COORDINATOR,
    POLICE,
    PRINCIPAL,
    SOCIAL,
    BotMessage,
    PgConversation,
    PgUser,
    Playground,
)
from tests.e2e.stack import Stack
from tests.harness.bot_runner import all_actions

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def STACK_ENV(workdir: Path) -> dict[str, str]:
    """The bot reads its reminder clock from a file we write (``SSPF_FAKE_CLOCK_FILE``, honoured in local
    mode only); with a wake-up every second the dispatcher sees a moved clock at once, nobody sleeps."""
    return {"SSPF_FAKE_CLOCK_FILE": str(workdir / "clock"), "SSPF_REMINDER_INTERVAL_S": "1"}


def set_clock(stack: Stack, day: date, hhmm: str = "10:00") -> None:
    h, m = map(int, hhmm.split(":"))
    instant = datetime.combine(day, time(h, m), STOCKHOLM)
    (stack.workdir / "clock").write_text(instant.isoformat(), encoding="utf-8")


TEAM = ((PRINCIPAL, "skola"), (SOCIAL, "socialtjanst"), (POLICE, "polis"))
HOMEWORK = "Läxhjälp tisdagar och torsdagar"
PARENT_SUPPORT = "Föräldrastöd via familjebehandlare"


@pytest.fixture(scope="module")
def journey(pg: Playground) -> Journey:
    run = Journey()
    for user, _ in TEAM:
        run.personal_chats[user] = pg.open_personal_chat(user)
    steps.register_case(pg, run)
    for user, agency in TEAM:
        steps.add_professional(pg, run, user, agency, email=user.email)
    for number, guardian in enumerate(GUARDIANS, start=1):
        steps.add_guardian(pg, run, guardian, number)
    steps.record_consent(pg, run, 1)
    steps.record_consent(pg, run, 2)
    return run


@dataclass
class Plan:
    """The handlingsplan agreed in the meeting: two actions, due dates a few weeks apart."""

    homework_due: date = field(default_factory=lambda: working_days_after(date.today(), 15))
    support_due: date = field(default_factory=lambda: working_days_after(date.today(), 25))


PLAN = Plan()


def agree_actions_in_a_meeting(pg: Playground, journey: Journey) -> None:
    """The individual meeting, run from its chat: the principal and the social worker each add an action
    to the handlingsplan with themselves responsible."""
    meeting = start_from_chat(pg, "individuell", journey.case_id)
    meeting.press(COORDINATOR, "agenda.entry", {"confirm": True})
    for _ in range(3):  # gemensam bild, barnets bild → handlingsplan
        meeting.press(COORDINATOR, "agenda.next")
    for user, kind, text, agency, due in (
        (PRINCIPAL, "laxlasning", HOMEWORK, "skola", PLAN.homework_due),
        (SOCIAL, "stod_vardnadshavare", PARENT_SUPPORT, "socialtjanst", PLAN.support_due),
    ):
        meeting.press(
            user,
            "agenda.action_add",
            {
                "a_kind": kind,
                "a_text": text,
                "a_agency": agency,
                "a_responsible": user.aad,
                "a_due_on": due.isoformat(),
            },
        )
    protokoll = meeting.end()
    assert HOMEWORK not in protokoll.visible_text, "the chat keeps the neutral protokoll only"
    mine = steps.card_text(meeting.own_view(COORDINATOR, protokoll))
    assert HOMEWORK in mine and PARENT_SUPPORT in mine


def my_actions(pg: Playground, user: PgUser, chat: PgConversation) -> BotMessage:
    """``user`` writes ``mina åtgärder`` in their 1:1 chat."""
    mark = pg.mark()
    pg.say(user, chat, "mina åtgärder")
    return pg.wait_for(
        lambda m: m.is_in(chat) and bool(m.cards) and T("my_actions.title") in m.visible_text,
        since=mark,
        what=f"{user.name}'s list of actions",
    )


def test_4_the_responsible_person_gets_one_reminder_and_marks_the_action_done(
    pg: Playground, journey: Journey, stack: Stack
) -> None:
    agree_actions_in_a_meeting(pg, journey)
    chat = journey.personal_chats[PRINCIPAL]
    assert HOMEWORK in my_actions(pg, PRINCIPAL, chat).visible_text

    # two working days before the due date, 10:00 in Stockholm: the due-soon reminder goes out
    mark = pg.mark()
    set_clock(stack, working_days_before(PLAN.homework_due, 2))
    reminder = pg.wait_for(
        lambda m: m.is_in(chat) and bool(m.cards), since=mark, timeout=20, what="the reminder card"
    )
    due = PLAN.homework_due.isoformat()
    text = reminder.visible_text
    assert T("reminder.due_soon", case_code=journey.code, due_on=due) in text
    assert HOMEWORK in text and journey.code in text
    for guardian in GUARDIANS:  # a reminder names the case code and the action, never the family
        assert guardian["name"] not in text
    assert steps.CASE_INPUTS["initials"] not in text

    # ONE card: the dispatcher wakes every second, and sends nothing twice
    later = pg.quiet(3.0, since=mark)
    assert [m for m in later if m.is_in(chat)] == [reminder]
    assert not [m for m in later if m.is_in(journey.personal_chats[SOCIAL])]  # not due for Sam yet

    # Klar: the card is redrawn in place with what was saved
    answer = pg.press(PRINCIPAL, chat, reminder, reminder.action(T("reminders.btn_done")))
    assert answer.get("type") == "application/vnd.microsoft.card.adaptive", answer
    redrawn = steps.card_text(answer["value"])
    assert T("reminders.outcome_done") in redrawn and HOMEWORK in redrawn
    assert not any(a.get("type") == "Action.Execute" for a in all_actions(answer["value"]))
    assert steps.latest(pg, reminder.message_id).source == "invoke"  # the same message, updated

    # the action is done: gone from the principal's list and from the next meeting's review
    assert HOMEWORK not in my_actions(pg, PRINCIPAL, chat).visible_text
    review = start_from_chat(pg, "uppfoljning", journey.case_id)
    assert HOMEWORK not in steps.card_text(review.everyone()), "action texts stay out of the chat"
    reviewed = steps.card_text(review.own_view(COORDINATOR))
    assert PARENT_SUPPORT in reviewed and HOMEWORK not in reviewed
    review.end()

    # time runs past the due date and the escalation day: nothing more about the finished action
    mark = pg.mark()
    set_clock(stack, working_days_after(PLAN.homework_due, 4))
    later = pg.quiet(3.0, since=mark)
    assert not [m for m in later if m.is_in(chat)]
    assert not [m for m in later if HOMEWORK in m.visible_text]


def test_5_after_withdrawal_no_reminder_is_sent_for_the_case(
    pg: Playground, journey: Journey, stack: Stack
) -> None:
    """The social worker's action is still open when the family withdraws: from then on nothing about
    the case is sent, however far the clock moves."""
    chat = journey.personal_chats[SOCIAL]
    mark = steps.say(pg, f"återkalla samtycke {journey.code}")
    form = steps.new_card(pg, T("withdraw_form.title", code=journey.code), since=mark)
    mark = steps.press(pg, form, T("withdraw_form.confirm"), steps.input_values(form.card))
    notice = T("notice.consent_withdrawn", code=journey.code)
    pg.wait_for(lambda m: m.is_in(chat) and m.text == notice, since=mark, what="Sam told of the withdrawal")
    steps.wait_card_edit(pg, form, T("case_card.status_paused"), since=mark, what="the case paused")
    mark = pg.mark()

    for day in (
        working_days_before(PLAN.support_due, 2),  # Sam's due-soon reminder would go out
        working_days_after(PLAN.support_due, 1),  # the overdue one
        working_days_after(PLAN.support_due, 4),  # the escalation to the coordinator
    ):
        set_clock(stack, day)
        pg.quiet(2.0, since=mark)
    assert pg.since(mark) == [], "nothing at all may be sent once consent is withdrawn"
