"""Reminder rows: planned in the same transaction as what they follow, claimed so no replica sends twice.

The rows are the truth; APScheduler only wakes the dispatcher. Planning is an upsert keyed by the
domain's ``dedupe_key`` (unique per tenant), so re-planning the same action changes nothing, a moved
date cancels the old keys and creates new ones, and a reminder already sent is never revived.

Claiming is one statement: ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``. On
PostgreSQL two dispatchers skip each other's rows; on SQLite (one process) ``FOR UPDATE`` renders to
nothing and the outer ``WHERE`` re-checks claimability, so the same code stays correct. A claim is a
lease: if the claiming process dies, the rows come back when ``claimed_until`` has passed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import ActionStatus
from domain.agencies import Agency, CaseStatus
from domain.reminders import (
    COORDINATOR,
    ActionSnapshot,
    ReminderKind,
    ReminderSettings,
    ReminderSpec,
    plan_meeting_preparation,
    plan_track_cycle,
    plan_weekly_digest,
    replan,
)
from domain.worktime import to_local
from store.models import ActionItem, Consent, Coordinator, Meeting, MeetingParticipant, Reminder, SspfCase
from store.queries import dialect_insert
from store.types import utcnow

log = logging.getLogger(__name__)

PENDING, CLAIMED, SENT, CANCELLED, UNDELIVERABLE = "pending", "claimed", "sent", "cancelled", "undeliverable"
OPEN_STATES = (PENDING, CLAIMED)
UNDELIVERABLE_NOTICE = "undeliverable"  # kind of the note telling a coordinator someone cannot be reached
OPEN_ACTION_STATUSES = (ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value)
FOLLOW_UP_MEETING_KINDS = ("uppfoljning",)
PREPARED_MEETING_KINDS = ("arbetsgrupp",)
LIVE_MEETING_STATUSES = ("pending", "booked")

_settings = ReminderSettings()


def set_default_settings(settings: ReminderSettings) -> None:
    """The process's timings (e.g. ``SSPF_ESCALATION_DAYS``), so callers need not pass them each time."""
    global _settings
    _settings = settings


def default_settings() -> ReminderSettings:
    return _settings


@dataclass
class PlanResult:
    created: int = 0
    revived: int = 0
    moved: int = 0
    cancelled: int = 0
    kept: int = 0
    keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Planned:
    """One row to exist: a spec resolved to a person (a role becomes one row per coordinator)."""

    dedupe_key: str
    kind: str
    recipient: str
    due_at: datetime
    subject_id: str
    case_id: str | None
    payload: dict[str, Any] | None


# --- who receives --------------------------------------------------------------------------------


async def coordinator_ids(session: AsyncSession, tenant_id: str) -> list[str]:
    """The tenant's coordinators, including those configured for every tenant (``*``)."""
    rows = await session.scalars(
        select(Coordinator.aad_object_id)
        .where(Coordinator.tenant_id.in_((tenant_id, "*")))
        .order_by(Coordinator.aad_object_id)
    )
    return list(dict.fromkeys(rows))


async def _resolve(
    session: AsyncSession,
    tenant_id: str,
    specs: Iterable[ReminderSpec],
    case_id: str | None,
    payload: dict[str, Any] | None = None,
) -> list[Planned]:
    coordinators: list[str] | None = None
    planned: list[Planned] = []
    for spec in specs:
        if spec.recipient_id is not None:
            recipients = [(spec.recipient_id, spec.dedupe_key)]
        elif spec.recipient_role == COORDINATOR:
            if coordinators is None:
                coordinators = await coordinator_ids(session, tenant_id)
            recipients = [(c, f"{spec.dedupe_key}:to:{c}") for c in coordinators]
        else:  # a role nobody resolves yet: say so instead of silently dropping it
            log.error("reminder %s for unknown role %s not planned", spec.dedupe_key, spec.recipient_role)
            continue
        for recipient, key in recipients:
            planned.append(
                Planned(key, spec.kind.value, recipient, spec.due_at_utc, spec.subject_id, case_id, payload)
            )
    return planned


# --- planning --------------------------------------------------------------------------------------


async def _apply(
    session: AsyncSession, tenant_id: str, key_prefixes: Sequence[str], planned: Sequence[Planned]
) -> PlanResult:
    """Make the rows under ``key_prefixes`` match ``planned``: insert, revive, move, cancel."""
    result = PlanResult(keys=[p.dedupe_key for p in planned])
    existing: dict[str, Reminder] = {}
    if key_prefixes:
        rows = await session.scalars(
            select(Reminder).where(
                Reminder.tenant_id == tenant_id,
                or_(*(Reminder.dedupe_key.startswith(p, autoescape=True) for p in key_prefixes)),
            )
        )
        existing = {r.dedupe_key: r for r in rows}
    wanted = {p.dedupe_key: p for p in planned}
    for key, row in existing.items():
        if key not in wanted and row.state in OPEN_STATES:
            row.state, row.claimed_by, row.claimed_until = CANCELLED, None, None
            result.cancelled += 1
    for key, plan in wanted.items():
        row = existing.get(key)
        if row is None:
            stmt = (
                dialect_insert(session, Reminder)
                .values(
                    id=_new_id(),
                    tenant_id=tenant_id,
                    kind=plan.kind,
                    dedupe_key=key,
                    case_id=plan.case_id,
                    subject_id=plan.subject_id,
                    recipient_aad_id=plan.recipient,
                    due_at=plan.due_at,
                    state=PENDING,
                    attempts=0,
                    payload=plan.payload,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing()
            )
            await session.execute(stmt)
            result.created += 1
        elif row.state == CANCELLED:
            row.state, row.due_at, row.attempts, row.last_error = PENDING, plan.due_at, 0, None
            row.recipient_aad_id, row.payload = plan.recipient, plan.payload
            result.revived += 1
        elif row.state == PENDING and (row.due_at != plan.due_at or row.recipient_aad_id != plan.recipient):
            row.due_at, row.recipient_aad_id, row.payload = plan.due_at, plan.recipient, plan.payload
            result.moved += 1
        else:  # claimed (being sent right now), sent or undeliverable: leave it be
            result.kept += 1
    await session.flush()
    return result


def _new_id() -> str:
    from store.models import new_id

    return new_id()


def _withdrawn(rows: Iterable[tuple[str, date, datetime, date | None]], today: date) -> bool:
    latest: dict[str, tuple[date, datetime, date | None]] = {}
    for guardian, signed_on, recorded_at, withdrawn_on in rows:
        current = latest.get(guardian)
        if current is None or (signed_on, recorded_at) > current[:2]:
            latest[guardian] = (signed_on, recorded_at, withdrawn_on)
    return any(w is not None and w <= today for _, _, w in latest.values())


async def consent_withdrawn(session: AsyncSession, case_id: str, today: date) -> bool:
    """A guardian whose latest consent is withdrawn: the case pauses and nothing individual goes on."""
    return (await consent_withdrawn_many(session, [case_id], today))[case_id]


async def consent_withdrawn_many(
    session: AsyncSession, case_ids: Iterable[str], today: date
) -> dict[str, bool]:
    ids = list(dict.fromkeys(case_ids))
    by_case: dict[str, list[tuple[str, date, datetime, date | None]]] = {cid: [] for cid in ids}
    if ids:
        rows = await session.execute(
            select(
                Consent.case_id,
                Consent.guardian_id,
                Consent.signed_on,
                Consent.recorded_at,
                Consent.withdrawn_on,
            ).where(Consent.case_id.in_(ids))
        )
        for case_id, *rest in rows:
            by_case[case_id].append(tuple(rest))  # type: ignore[arg-type]
    return {cid: _withdrawn(rows, today) for cid, rows in by_case.items()}


async def follow_up_meeting_booked(session: AsyncSession, case_id: str, today: date) -> bool:
    """A follow-up meeting for the case from today on that is booked or being booked."""
    rows = await session.scalars(
        select(Meeting.start_at).where(
            Meeting.case_id == case_id,
            Meeting.kind.in_(FOLLOW_UP_MEETING_KINDS),
            Meeting.status.in_(LIVE_MEETING_STATUSES),
        )
    )
    return any(to_local(start).date() >= today for start in rows)


async def action_snapshot(session: AsyncSession, action: ActionItem, now: datetime) -> ActionSnapshot:
    today = to_local(now).date()
    case = await session.get(SspfCase, action.case_id) if action.case_id else None
    case_status = CaseStatus.OPEN
    if case is not None:
        try:
            case_status = CaseStatus(case.status)
        except ValueError:
            case_status = CaseStatus.CLOSED
    withdrawn = bool(action.case_id) and await consent_withdrawn(session, action.case_id, today)
    booked = bool(action.case_id) and await follow_up_meeting_booked(session, action.case_id, today)
    try:
        status = ActionStatus(action.status)
    except ValueError:
        status = ActionStatus.OPEN
    return ActionSnapshot(
        action_id=action.id,
        case_id=action.case_id or "",
        due_on=action.due_on,
        status=status,
        responsible_id=action.responsible_aad_id,
        follow_up_on=action.follow_up_on,
        follow_up_meeting_booked=booked,
        case_status=case_status,
        consent_withdrawn=withdrawn,
    )


async def replan_for_action(
    session: AsyncSession,
    action: ActionItem,
    *,
    settings: ReminderSettings | None = None,
    now: datetime | None = None,
) -> PlanResult:
    """Bring the action's reminders in line with it, in the caller's transaction.

    Call it after every change of the action (due date, status, responsible, follow-up date) and
    after booking or cancelling the case's follow-up meeting; it is idempotent.
    """
    await session.flush()
    now = now or utcnow()
    snapshot = await action_snapshot(session, action, now)
    specs = replan(snapshot, settings or _settings, now)
    payload = {"due_on": action.due_on.isoformat()}
    if action.follow_up_on is not None:
        payload["follow_up_on"] = action.follow_up_on.isoformat()
    planned = await _resolve(session, action.tenant_id, specs, action.case_id, payload)
    return await _apply(session, action.tenant_id, [f"action:{action.id}:"], planned)


async def replan_for_case(
    session: AsyncSession,
    case_id: str,
    *,
    settings: ReminderSettings | None = None,
    now: datetime | None = None,
) -> PlanResult:
    """Re-plan every action of a case (e.g. its follow-up meeting was booked, or the case reopened)."""
    total = PlanResult()
    actions = await session.scalars(select(ActionItem).where(ActionItem.case_id == case_id))
    for action in list(actions):
        part = await replan_for_action(session, action, settings=settings, now=now)
        for name in ("created", "revived", "moved", "cancelled", "kept"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
        total.keys.extend(part.keys)
    return total


async def replan_for_meeting(session: AsyncSession, meeting: Meeting) -> PlanResult:
    """Arbetsgrupp meetings: each agency's representative prepares lägesbild the working day before."""
    await session.flush()
    prefix = f"meeting:{meeting.id}:prep:"
    planned: list[Planned] = []
    if meeting.kind in PREPARED_MEETING_KINDS and meeting.status in LIVE_MEETING_STATUSES:
        representatives: dict[Agency, str] = {}
        participants = await session.scalars(
            select(MeetingParticipant)
            .where(MeetingParticipant.meeting_id == meeting.id)
            .order_by(MeetingParticipant.id)
        )
        for participant in participants:
            if participant.external or not participant.aad_object_id or not participant.agency:
                continue
            try:
                agency = Agency(participant.agency)
            except ValueError:
                continue
            representatives.setdefault(agency, participant.aad_object_id)
        specs = plan_meeting_preparation(meeting.id, meeting.start_at, representatives)
        payload = {"meeting_on": to_local(meeting.start_at).date().isoformat()}
        planned = await _resolve(session, meeting.tenant_id, specs, meeting.case_id, payload)
    return await _apply(session, meeting.tenant_id, [prefix], planned)


async def ensure_meeting_preparations(
    session: AsyncSession, now: datetime, horizon: timedelta = timedelta(days=21)
) -> int:
    """Re-plan the preparation reminders of every arbetsgrupp meeting in the coming weeks.

    Run by the dispatcher, so meetings booked, moved or cancelled by any flow get (or lose) their
    reminders without that flow knowing about reminders; idempotent.
    """
    meetings = await session.scalars(
        select(Meeting).where(
            Meeting.kind.in_(PREPARED_MEETING_KINDS),
            Meeting.start_at > now,
            Meeting.start_at <= now + horizon,
        )
    )
    changed = 0
    for meeting in list(meetings):
        result = await replan_for_meeting(session, meeting)
        changed += result.created + result.revived + result.moved + result.cancelled
    return changed


async def plan_program(
    session: AsyncSession,
    tenant_id: str,
    program_id: str,
    start_on: date,
    until: date,
    recipients: Sequence[str] | None = None,
    *,
    settings: ReminderSettings | None = None,
) -> PlanResult:
    """Youngsters/Top 5: every-8-weeks selection meeting and the 4-month evaluation.

    The domain addresses the coordinator; ``recipients`` (e.g. the police and social-services
    contacts of the programme) are added to the coordinators.
    """
    specs = plan_track_cycle(program_id, start_on, until, settings or _settings)
    extra = [r for r in dict.fromkeys(recipients or ()) if r]
    planned: list[Planned] = []
    for spec in specs:
        when = spec.dedupe_key.rsplit(":", 1)[1]
        payload = (
            {"meeting_on": when} if spec.kind is ReminderKind.SELECTION_MEETING else {"evaluation_on": when}
        )
        planned += await _resolve(session, tenant_id, [spec], None, payload)
        coordinators = await coordinator_ids(session, tenant_id)
        for person in extra:
            if person in coordinators:
                continue
            planned.append(
                Planned(
                    f"{spec.dedupe_key}:to:{person}", spec.kind.value, person, spec.due_at_utc,
                    spec.subject_id, None, payload,
                )
            )  # fmt: skip
    return await _apply(session, tenant_id, [f"program:{program_id}:"], planned)


async def ensure_weekly_digests(session: AsyncSession, now: datetime) -> int:
    """Plan the next Monday digest for each coordinator of every tenant with open actions (idempotent).

    Always the next one still ahead of ``now``: a Monday the bot was down is sent late, but a system
    started on a Wednesday waits for Monday instead of sending a digest mid-week.
    """
    today = to_local(now).date()
    tenants = await session.scalars(
        select(ActionItem.tenant_id).where(ActionItem.status.in_(OPEN_ACTION_STATUSES)).distinct()
    )
    created = 0
    for tenant_id in list(tenants):
        for coordinator in await coordinator_ids(session, tenant_id):
            spec = plan_weekly_digest(today, coordinator)
            if spec.due_at_utc <= now:
                spec = plan_weekly_digest(today + timedelta(days=7), coordinator)
            stmt = (
                dialect_insert(session, Reminder)
                .values(
                    id=_new_id(),
                    tenant_id=tenant_id,
                    kind=spec.kind.value,
                    dedupe_key=spec.dedupe_key,
                    case_id=None,
                    subject_id=spec.subject_id,
                    recipient_aad_id=coordinator,
                    due_at=spec.due_at_utc,
                    state=PENDING,
                    attempts=0,
                    payload={"week": spec.dedupe_key.rsplit(":", 1)[1]},
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing()
            )
            created += (await session.execute(stmt)).rowcount or 0
    return created


async def cancel_for_case(session: AsyncSession, case_id: str) -> int:
    """Consent withdrawn or case closed: nothing more about this case is sent (same transaction)."""
    result = await session.execute(
        update(Reminder)
        .where(Reminder.case_id == case_id, Reminder.state.in_(OPEN_STATES))
        .values(state=CANCELLED, claimed_by=None, claimed_until=None, last_error="case stopped")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def cancel(session: AsyncSession, ids: Sequence[str], reason: str) -> int:
    if not ids:
        return 0
    result = await session.execute(
        update(Reminder)
        .where(Reminder.id.in_(ids), Reminder.state.in_(OPEN_STATES))
        .values(state=CANCELLED, claimed_by=None, claimed_until=None, last_error=reason[:500])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- claiming and delivery outcome -------------------------------------------------------------------


def _claimable(now: datetime):
    return or_(
        and_(Reminder.state == PENDING, Reminder.due_at <= now),
        and_(Reminder.state == CLAIMED, Reminder.claimed_until < now),
    )


async def claim_due(
    session: AsyncSession, now: datetime, worker_id: str, limit: int, lease: timedelta
) -> list[Reminder]:
    """Claim about ``limit`` due rows, whole recipients only, leased until ``now + lease``.

    1. lock up to ``limit`` claimable rows, ordered by recipient, skipping rows another replica holds;
    2. lock the rest of the last recipient's rows (the limit may have cut through them);
    3. keep only recipients all of whose claimable rows we hold: a person whose rows are partly held
       by another replica is left for the next batch, so nobody's items are split over two cards;
    4. mark them claimed, re-checking claimability in the ``UPDATE`` itself (SQLite has no row locks:
       there the ``FOR UPDATE SKIP LOCKED`` renders to nothing and this check keeps one process correct).

    Expired leases (a crashed replica) are claimable again. Commit promptly: the claim is the lock.
    """
    claimable = _claimable(now)
    locked = (
        await session.execute(
            select(Reminder.id, Reminder.recipient_aad_id)
            .where(claimable)
            .order_by(Reminder.recipient_aad_id, Reminder.due_at, Reminder.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not locked:
        return []
    held: dict[str, set[str]] = {}
    for rid, recipient in locked:
        held.setdefault(recipient, set()).add(rid)
    if len(locked) >= limit:
        last = locked[-1][1]
        rest = await session.scalars(
            select(Reminder.id)
            .where(claimable, Reminder.recipient_aad_id == last)
            .with_for_update(skip_locked=True)
        )
        held[last].update(rest)
    counts = dict(
        (
            await session.execute(
                select(Reminder.recipient_aad_id, func.count())
                .where(claimable, Reminder.recipient_aad_id.in_(list(held)))
                .group_by(Reminder.recipient_aad_id)
            )
        ).all()
    )
    ids = [rid for recipient, rids in held.items() if counts.get(recipient, 0) <= len(rids) for rid in rids]
    if not ids:
        return []
    stmt = (
        update(Reminder)
        .where(Reminder.id.in_(ids), claimable)
        .values(state=CLAIMED, claimed_by=worker_id[:100], claimed_until=now + lease)
        .returning(Reminder)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    rows = list((await session.scalars(stmt)).all())
    rows.sort(key=lambda r: (r.tenant_id, r.recipient_aad_id, r.due_at, r.kind, r.dedupe_key))
    return rows


async def senders_per_tenant(
    session: AsyncSession, tenant_ids: Iterable[str], now: datetime
) -> dict[str, int]:
    """How many dispatchers hold live claims on each tenant's reminders: they share Teams' rate."""
    wanted = sorted(set(tenant_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Reminder.tenant_id, func.count(distinct(Reminder.claimed_by)))
        .where(
            Reminder.tenant_id.in_(wanted),
            Reminder.state == CLAIMED,
            Reminder.claimed_until >= now,
        )
        .group_by(Reminder.tenant_id)
    )
    return {tenant: count for tenant, count in rows.all()}


def _mine(ids: Sequence[str], worker_id: str):
    return and_(Reminder.id.in_(ids), Reminder.state == CLAIMED, Reminder.claimed_by == worker_id[:100])


async def mark_sent(
    session: AsyncSession,
    ids: Sequence[str],
    worker_id: str,
    now: datetime,
    *,
    card_head: str | None = None,
    head_payload: dict[str, Any] | None = None,
    activity_id: str | None = None,
) -> int:
    """Sent (the connector said 2xx). ``card_head`` remembers the card's items, to redraw it in place;
    pass the head row's current ``head_payload`` to save reading it again."""
    if not ids:
        return 0
    result = await session.execute(
        update(Reminder)
        .where(_mine(ids, worker_id))
        .values(state=SENT, sent_at=now, claimed_until=None, last_error=None, attempts=Reminder.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if card_head is not None:
        if head_payload is None:
            head_payload = await session.scalar(select(Reminder.payload).where(Reminder.id == card_head))
        card = {"card_items": list(ids), "activity_id": activity_id}
        await session.execute(
            update(Reminder)
            .where(Reminder.id == card_head)
            .values(payload={**(head_payload or {}), **card})
            .execution_options(synchronize_session=False)
        )
    return result.rowcount or 0


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes, at most an hour: a flaky hour costs a few retries, not a flood."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


async def mark_failed(
    session: AsyncSession,
    ids: Sequence[str],
    worker_id: str,
    now: datetime,
    error: str,
    *,
    max_attempts: int = 12,
) -> tuple[int, int]:
    """A transient failure: back to pending with backoff; after ``max_attempts`` undeliverable.

    Returns (rescheduled, given up).
    """
    if not ids:
        return 0, 0
    rows = await session.scalars(select(Reminder).where(_mine(ids, worker_id)))
    again = gave_up = 0
    for row in rows:
        row.attempts += 1
        row.last_error = error[:500]
        row.claimed_by, row.claimed_until = None, None
        if row.attempts >= max_attempts:
            row.state = UNDELIVERABLE
            gave_up += 1
        else:
            row.state = PENDING
            row.due_at = now + backoff(row.attempts)
            again += 1
    await session.flush()
    return again, gave_up


async def mark_undeliverable(
    session: AsyncSession, ids: Sequence[str], worker_id: str, now: datetime, error: str
) -> int:
    """403/404: the app was removed or the person is gone. Stop retrying these rows."""
    if not ids:
        return 0
    result = await session.execute(
        update(Reminder)
        .where(_mine(ids, worker_id))
        .values(
            state=UNDELIVERABLE,
            claimed_until=None,
            last_error=error[:500],
            attempts=Reminder.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def release(session: AsyncSession, ids: Sequence[str], worker_id: str) -> int:
    """Give back a claim without counting an attempt (polite time ended, shutting down)."""
    if not ids:
        return 0
    result = await session.execute(
        update(Reminder)
        .where(_mine(ids, worker_id))
        .values(state=PENDING, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def notify_undeliverable(
    session: AsyncSession,
    tenant_id: str,
    person_aad_id: str,
    *,
    person_name: str | None,
    case_codes: Sequence[str],
    due_at: datetime,
) -> int:
    """Tell the tenant's coordinators, once per person, that reminders cannot reach someone."""
    created = 0
    for coordinator in await coordinator_ids(session, tenant_id):
        if coordinator == person_aad_id:
            continue
        stmt = (
            dialect_insert(session, Reminder)
            .values(
                id=_new_id(),
                tenant_id=tenant_id,
                kind=UNDELIVERABLE_NOTICE,
                dedupe_key=f"undeliverable:{person_aad_id}:to:{coordinator}",
                case_id=None,
                subject_id=None,
                recipient_aad_id=coordinator,
                due_at=due_at,
                state=PENDING,
                attempts=0,
                payload={
                    "person": person_aad_id,
                    "person_name": person_name,
                    "case_codes": sorted(set(case_codes)),
                },
                created_at=utcnow(),
            )
            .on_conflict_do_nothing()
        )
        created += (await session.execute(stmt)).rowcount or 0
    return created


async def next_wake(session: AsyncSession) -> datetime | None:
    """The earliest moment something becomes claimable: a pending due time or an expiring lease."""
    pending = await session.scalar(select(func.min(Reminder.due_at)).where(Reminder.state == PENDING))
    leased = await session.scalar(select(func.min(Reminder.claimed_until)).where(Reminder.state == CLAIMED))
    times = [t for t in (pending, leased) if t is not None]
    return min(times) if times else None


async def reminders_for(session: AsyncSession, ids: Sequence[str]) -> list[Reminder]:
    if not ids:
        return []
    rows = await session.scalars(select(Reminder).where(Reminder.id.in_(ids)))
    order = {rid: i for i, rid in enumerate(ids)}
    return sorted(rows, key=lambda r: order.get(r.id, 0))
