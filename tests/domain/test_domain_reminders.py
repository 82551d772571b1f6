from dataclasses import replace
from datetime import date, datetime

import pytest

from domain.actions import ActionStatus
from domain.agencies import Agency, CaseStatus
from domain.reminders import (
    ActionSnapshot,
    ReminderKind,
    ReminderSettings,
    ReminderSpec,
    add_months,
    due_now,
    group_for_delivery,
    plan_meeting_preparation,
    plan_track_cycle,
    plan_weekly_digest,
    replan,
)
from domain.worktime import UTC, to_local

ACTION = ActionSnapshot(
    action_id="a1",
    case_id="c1",
    due_on=date(2026, 12, 23),  # Wednesday before Christmas
    status=ActionStatus.OPEN,
    responsible_id="user-anna",
    follow_up_on=date(2027, 1, 15),
)


def by_kind(specs: set[ReminderSpec]) -> dict[ReminderKind, ReminderSpec]:
    return {s.kind: s for s in specs}


def local(spec: ReminderSpec) -> tuple[date, int]:
    moment = to_local(spec.due_at_utc)
    return moment.date(), moment.hour


def test_action_reminders_fall_on_working_mornings_around_christmas() -> None:
    specs = by_kind(replan(ACTION))
    assert local(specs[ReminderKind.DUE_SOON]) == (date(2026, 12, 21), 8)
    assert local(specs[ReminderKind.OVERDUE]) == (date(2026, 12, 28), 8)  # not julafton, not juldagen
    assert local(specs[ReminderKind.ESCALATION]) == (date(2026, 12, 30), 8)  # 3 working days overdue
    assert local(specs[ReminderKind.FOLLOW_UP_NEARING]) == (date(2027, 1, 8), 8)  # 6 Jan is a holiday


def test_responsible_gets_own_reminders_and_coordinator_the_escalations() -> None:
    specs = by_kind(replan(ACTION))
    assert specs[ReminderKind.DUE_SOON].recipient == "user-anna"
    assert specs[ReminderKind.OVERDUE].recipient == "user-anna"
    assert specs[ReminderKind.ESCALATION].recipient == "role:coordinator"
    assert specs[ReminderKind.FOLLOW_UP_NEARING].recipient == "role:coordinator"


def test_escalation_delay_is_configurable() -> None:
    specs = by_kind(replan(ACTION, ReminderSettings(escalate_after_working_days=1)))
    assert local(specs[ReminderKind.ESCALATION])[0] == date(2026, 12, 28)


def test_replanning_is_stable_and_a_new_due_date_gives_new_keys() -> None:
    first = replan(ACTION)
    assert replan(ACTION) == first
    assert "action:a1:due_soon:2026-12-23" in {s.dedupe_key for s in first}
    moved = replan(replace(ACTION, due_on=date(2027, 1, 12)))
    assert {s.dedupe_key for s in moved if s.kind is not ReminderKind.FOLLOW_UP_NEARING}.isdisjoint(
        {s.dedupe_key for s in first}
    )


def test_booked_follow_up_meeting_silences_the_follow_up_warning() -> None:
    kinds = {s.kind for s in replan(replace(ACTION, follow_up_meeting_booked=True))}
    assert ReminderKind.FOLLOW_UP_NEARING not in kinds
    assert ReminderKind.OVERDUE in kinds


@pytest.mark.parametrize(
    "change",
    [
        {"status": ActionStatus.DONE},
        {"status": ActionStatus.NOT_DONE},
        {"case_status": CaseStatus.CLOSED},
        {"case_status": CaseStatus.PAUSED},
        {"consent_withdrawn": True},
    ],
)
def test_finished_actions_and_stopped_cases_get_no_reminders(change: dict[str, object]) -> None:
    assert replan(replace(ACTION, **change)) == set()  # type: ignore[arg-type]


def test_due_soon_is_dropped_once_the_action_is_already_overdue() -> None:
    late = datetime(2026, 12, 29, 9, 0, tzinfo=UTC)
    kinds = {s.kind for s in replan(ACTION, now=late)}
    assert ReminderKind.DUE_SOON not in kinds
    assert ReminderKind.OVERDUE in kinds


def test_meeting_preparation_goes_to_each_representative_the_working_day_before() -> None:
    monday_meeting = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    reps = {Agency.SKOLA: "u-skola", Agency.POLIS: "u-polis", Agency.FRITID: "u-fritid"}
    specs = plan_meeting_preparation("m1", monday_meeting, reps)
    assert {s.recipient for s in specs} == {"u-skola", "u-polis", "u-fritid"}
    assert {local(s) for s in specs} == {(date(2026, 11, 27), 8)}  # Friday
    assert plan_meeting_preparation("m1", monday_meeting, reps) == specs


def test_youngsters_cycle_selection_every_8_weeks_and_evaluation_after_4_months() -> None:
    specs = plan_track_cycle("yt-1", date(2026, 9, 7), until=date(2027, 1, 31))
    selections = sorted(s.dedupe_key for s in specs if s.kind is ReminderKind.SELECTION_MEETING)
    assert selections == ["program:yt-1:selection:2026-11-02", "program:yt-1:selection:2026-12-28"]
    evaluation = next(s for s in specs if s.kind is ReminderKind.EVALUATION)
    assert evaluation.dedupe_key == "program:yt-1:evaluation:2027-01-07"
    assert evaluation.recipient == "role:coordinator"
    # the coordinator is told a week ahead, on a working morning
    assert local(evaluation) == (date(2026, 12, 28), 8)  # 5 working days: skips 31 Dec, 1 and 6 Jan


def test_adding_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 10, 31), 4) == date(2027, 2, 28)
    assert add_months(date(2027, 10, 31), 4) == date(2028, 2, 29)


def test_weekly_digest_is_monday_morning_or_tuesday_after_easter() -> None:
    ordinary = plan_weekly_digest(date(2026, 11, 26), "u1")
    assert local(ordinary) == (date(2026, 11, 23), 8)
    easter = plan_weekly_digest(date(2026, 4, 8), "u1")
    assert local(easter) == (date(2026, 4, 7), 8)
    assert easter.dedupe_key == "digest:u1:2026-W15"


def test_one_card_per_recipient_per_run() -> None:
    other = replace(ACTION, action_id="a2", due_on=date(2026, 12, 22))
    now = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
    specs = due_now(replan(ACTION) | replan(other) | replan(ACTION), now)
    grouped = group_for_delivery(specs)
    assert set(grouped) == {"user-anna", "role:coordinator"}
    assert len(grouped["user-anna"]) == 4  # due-soon + overdue for each of two actions
    assert [s.due_at_utc for s in grouped["user-anna"]] == sorted(s.due_at_utc for s in grouped["user-anna"])


def test_nothing_is_due_before_its_time() -> None:
    assert due_now(replan(ACTION), datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == []


def test_a_spec_needs_exactly_one_recipient() -> None:
    with pytest.raises(ValueError):
        ReminderSpec(ReminderKind.OVERDUE, "coordinator", "u1", datetime(2026, 1, 1, tzinfo=UTC), "k", "s")
