"""Pure planning of reminders; the store layer persists, cancels and sends them.

Every spec carries a deterministic `dedupe_key`, so re-planning the same thing never produces a
second reminder, while a moved date yields a new key (the store cancels keys no longer planned).
Nothing is planned for finished actions or for cases that are closed, paused or whose consent
was withdrawn: withdrawal stops everything at once.

i18n keys emitted (message of each reminder kind, by `ReminderSpec.message_key`):
    reminder.due_soon, reminder.overdue, reminder.escalation, reminder.follow_up_nearing,
    reminder.meeting_preparation, reminder.selection_meeting, reminder.evaluation,
    reminder.weekly_digest
The texts' parameters (case_code, due_on, meeting_on, ...) are filled in by the bot from the store;
a spec carries only ids, so no child data sits in the reminder queue.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.actions import FINISHED_STATUSES, ActionStatus
from domain.agencies import Agency, CaseStatus
from domain.worktime import (
    UTC,
    morning_of,
    next_working_day,
    to_local,
    working_day_on_or_after,
    working_days_after,
    working_days_before,
)

COORDINATOR = "coordinator"


class ReminderKind(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    FOLLOW_UP_NEARING = "follow_up_nearing"
    MEETING_PREPARATION = "meeting_preparation"
    SELECTION_MEETING = "selection_meeting"
    EVALUATION = "evaluation"
    WEEKLY_DIGEST = "weekly_digest"


I18N_KEYS: frozenset[str] = frozenset(f"reminder.{k.value}" for k in ReminderKind)


@dataclass(frozen=True)
class ReminderSettings:
    """Municipality-tunable timings."""

    due_soon_working_days: int = 2
    escalate_after_working_days: int = 3
    follow_up_warning_working_days: int = 5
    selection_interval_weeks: int = 8
    evaluation_after_months: int = 4
    selection_notice_working_days: int = 5


@dataclass(frozen=True)
class ReminderSpec:
    """One reminder to send to a person (`recipient_id`) or to whoever holds a role."""

    kind: ReminderKind
    recipient_role: str | None
    recipient_id: str | None
    due_at_utc: datetime
    dedupe_key: str
    subject_id: str

    def __post_init__(self) -> None:
        if (self.recipient_role is None) == (self.recipient_id is None):
            raise ValueError("exactly one of recipient_role and recipient_id")
        if self.due_at_utc.tzinfo is None:
            raise ValueError("due_at_utc must be timezone-aware")

    @property
    def recipient(self) -> str:
        """Delivery address: a user id, or "role:<role>" resolved per case by the bot."""
        return self.recipient_id if self.recipient_id is not None else f"role:{self.recipient_role}"

    @property
    def message_key(self) -> str:
        return f"reminder.{self.kind.value}"


@dataclass(frozen=True)
class ActionSnapshot:
    """What reminder planning needs to know about an action and its case."""

    action_id: str
    case_id: str
    due_on: date
    status: ActionStatus
    responsible_id: str
    follow_up_on: date | None = None
    follow_up_meeting_booked: bool = False
    case_status: CaseStatus = CaseStatus.OPEN
    consent_withdrawn: bool = False


def _active(action: ActionSnapshot) -> bool:
    return (
        action.status not in FINISHED_STATUSES
        and action.case_status is CaseStatus.OPEN
        and not action.consent_withdrawn
    )


def replan(
    action: ActionSnapshot,
    settings: ReminderSettings | None = None,
    now: datetime | None = None,
) -> set[ReminderSpec]:
    """All reminders the action should have; given `now`, a due-soon already overtaken is dropped."""
    if not _active(action):
        return set()
    cfg = settings or ReminderSettings()
    aid, due = action.action_id, action.due_on
    specs: set[ReminderSpec] = set()

    def to_responsible(kind: ReminderKind, at: datetime, key_date: date) -> ReminderSpec:
        return ReminderSpec(
            kind, None, action.responsible_id, at, f"action:{aid}:{kind.value}:{key_date}", aid
        )

    overdue_at = morning_of(next_working_day(due))
    due_soon_at = morning_of(working_days_before(due, cfg.due_soon_working_days))
    if now is None or now < overdue_at:
        specs.add(to_responsible(ReminderKind.DUE_SOON, due_soon_at, due))
    specs.add(to_responsible(ReminderKind.OVERDUE, overdue_at, due))

    escalate_on = working_days_after(working_day_on_or_after(due), cfg.escalate_after_working_days)
    specs.add(
        ReminderSpec(
            ReminderKind.ESCALATION,
            COORDINATOR,
            None,
            morning_of(escalate_on),
            f"action:{aid}:escalation:{due}",
            aid,
        )
    )

    if action.follow_up_on is not None and not action.follow_up_meeting_booked:
        warn_on = working_days_before(action.follow_up_on, cfg.follow_up_warning_working_days)
        specs.add(
            ReminderSpec(
                ReminderKind.FOLLOW_UP_NEARING,
                COORDINATOR,
                None,
                morning_of(warn_on),
                f"action:{aid}:follow_up_nearing:{action.follow_up_on}",
                action.case_id,
            )
        )
    return specs


def plan_meeting_preparation(
    meeting_id: str, starts_at_utc: datetime, representatives: Mapping[Agency, str]
) -> set[ReminderSpec]:
    """Each agency prepares lägesbild, gruppnivå and individnivå: remind them the working day before."""
    meeting_day = to_local(starts_at_utc).date()
    prep_on = working_days_before(meeting_day, 1)
    at = morning_of(prep_on)
    return {
        ReminderSpec(
            ReminderKind.MEETING_PREPARATION,
            None,
            user_id,
            at,
            f"meeting:{meeting_id}:prep:{meeting_day}:{user_id}",
            meeting_id,
        )
        for user_id in sorted(set(representatives.values()))
    }


def add_months(d: date, months: int) -> date:
    """Calendar months, clamped to the month's last day (31 Oct + 4 months → 28/29 Feb)."""
    month_index = d.month - 1 + months
    year, month = d.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def selection_dates(start_on: date, until: date, settings: ReminderSettings | None = None) -> list[date]:
    """Every-8-weeks selection meetings after `start_on`, up to `until`, moved off holidays."""
    cfg = settings or ReminderSettings()
    dates: list[date] = []
    k = 1
    while (d := start_on + timedelta(weeks=cfg.selection_interval_weeks * k)) <= until:
        dates.append(working_day_on_or_after(d))
        k += 1
    return dates


def plan_track_cycle(
    program_id: str, start_on: date, until: date, settings: ReminderSettings | None = None
) -> set[ReminderSpec]:
    """Youngsters/Top 5 cadence: selection meeting every 8 weeks, evaluation after 4 months.

    The coordinator is reminded a week ahead so the meeting can still be booked.
    """
    cfg = settings or ReminderSettings()
    specs: set[ReminderSpec] = set()
    for meeting_on in selection_dates(start_on, until, cfg):
        specs.add(
            ReminderSpec(
                ReminderKind.SELECTION_MEETING,
                COORDINATOR,
                None,
                morning_of(working_days_before(meeting_on, cfg.selection_notice_working_days)),
                f"program:{program_id}:selection:{meeting_on}",
                program_id,
            )
        )
    evaluation_on = working_day_on_or_after(add_months(start_on, cfg.evaluation_after_months))
    specs.add(
        ReminderSpec(
            ReminderKind.EVALUATION,
            COORDINATOR,
            None,
            morning_of(working_days_before(evaluation_on, cfg.selection_notice_working_days)),
            f"program:{program_id}:evaluation:{evaluation_on}",
            program_id,
        )
    )
    return specs


def plan_weekly_digest(week_of: date, recipient_id: str) -> ReminderSpec:
    """Monday 08:00, or the next working day when Monday is a holiday (Easter Monday)."""
    monday = week_of - timedelta(days=week_of.weekday())
    iso_year, iso_week, _ = monday.isocalendar()
    return ReminderSpec(
        ReminderKind.WEEKLY_DIGEST,
        None,
        recipient_id,
        morning_of(monday),
        f"digest:{recipient_id}:{iso_year}-W{iso_week:02d}",
        recipient_id,
    )


def due_now(specs: Iterable[ReminderSpec], now: datetime) -> list[ReminderSpec]:
    """Specs whose time has come."""
    now_utc = now.astimezone(UTC)
    return [s for s in specs if s.due_at_utc <= now_utc]


def group_for_delivery(specs: Iterable[ReminderSpec]) -> dict[str, list[ReminderSpec]]:
    """One card per recipient per run, however many reminders they have; duplicates by key merged."""
    grouped: dict[str, dict[str, ReminderSpec]] = {}
    for spec in specs:
        grouped.setdefault(spec.recipient, {}).setdefault(spec.dedupe_key, spec)
    return {
        recipient: sorted(by_key.values(), key=lambda s: (s.due_at_utc, s.kind.value, s.dedupe_key))
        for recipient, by_key in sorted(grouped.items())
    }
