"""Booking, moving and cancelling meetings so that nothing happens twice and nothing is left half done.

Why two transactions around the Graph call (and not the turn's one): a handler's turn is one transaction
whose replies go out after commit. A Graph call inside it would either hold the database's write lock for
seconds (SQLite has one writer) or, worse, leave no trace if the process died after Graph created the event
but before the turn committed. So ``book`` works like this:

1. **Claim** — in its own committed transaction, find the meeting by ``idempotency_key`` (derived from the
   card's nonce) or insert it as ``pending`` with a fresh, stable ``transaction_id``. A double click or a
   replayed activity finds the same row; two simultaneous presses collide on the unique key and the loser
   reads the winner's row.
2. **Graph** — ``create_meeting`` with that ``transaction_id``; no database transaction is open. The SDK
   retries 429/503/504 honouring Retry-After; Graph (and the local Graph server) return the already created
   event for a repeated ``transactionId``, so a retry after a timeout cannot make a second meeting.
3. **Record** — a second committed transaction marks the row ``booked`` with the event id, join URL and the
   meeting chat id; then the bot installs itself in that chat so the agenda can run there.

If step 2 times out the row stays ``pending``: the user pressing again, or ``reconcile_pending_meetings``
(at start and on a timer), repeats step 2 with the same ``transaction_id``. Cancelling follows the same
pattern: the row becomes ``cancel_pending`` first, then Graph is told, then the row becomes ``cancelled``;
``cancel_pending_meetings`` finishes whatever was left (also after a consent withdrawal).

The handlers call these functions from ``turn.later`` jobs, i.e. after the turn's transaction committed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domain.meetings import RECURRENCE_WEEKS, MeetingKind
from domain.worktime import STOCKHOLM
from graph.calendar import Attendee, AttendeeResponse, CalendarBackend, MeetingRequest, Recurrence
from graph.errors import (
    GraphError,
    GraphEventNotFound,
    GraphPermissionError,
    GraphUnavailable,
    GraphUserNotFound,
)
from graph.local_calendar import LocalCalendar
from store.models import AuditEvent, Meeting, MeetingParticipant, SspfCase
from store.queries.meetings import cancel_pending_ids, meeting_by_id, meeting_by_key, stale_pending_ids
from store.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services

log = logging.getLogger(__name__)
NO_TEAMS_MEETING = "no Teams meeting: the organiser's calendar does not allow Teams meetings (calendar-only)"
# How long after a row was marked cancel_pending a create that timed out might still land in the calendar.
CREATE_IN_FLIGHT = timedelta(minutes=2)
Status = Literal["booked", "cancelled", "rescheduled", "unavailable", "permission", "failed", "cancel_queued"]


@dataclass(frozen=True)
class Invitee:
    """Someone to invite. ``label`` is a professional's name, or a role code for guests
    (``role:guardian:1``, ``role:youth``, ``role:guest:2``): no guardian's or child's name is stored."""

    email: str
    label: str
    aad_id: str | None = None
    agency: str | None = None
    external: bool = False


@dataclass(frozen=True)
class BookingPlan:
    tenant_id: str
    created_by: str
    organizer_id: str
    kind: MeetingKind
    case_id: str | None
    case_code: str | None
    start_utc: datetime
    end_utc: datetime
    invitees: list[Invitee]
    idempotency_key: str
    until: date | None = None


@dataclass
class Outcome:
    """What happened, in terms the card can explain."""

    status: Status
    meeting_id: str | None = None
    retry_after: float | None = None
    permission: str | None = None
    admin_hint: str | None = None
    install_permission: str | None = None  # the bot could not join the meeting chat (booking still done)
    detail: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # What the coordinator must also be told about a booking that was made (catalog key, parameters).
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def calendar_of(services: Services) -> CalendarBackend:
    calendar = services.extras.get("calendar")
    if calendar is None:
        raise RuntimeError("no calendar backend: bot.calendar_setup.start_calendar did not run")
    return calendar


def backend_name(calendar: CalendarBackend) -> str:
    return "graph" if calendar.sends_real_invitations else "local"


def _invitation(kind: str, case_code: str | None) -> tuple[str, str]:
    """A neutral subject and body (issue 12 §4): a meeting about a case says "SSPF-möte" and nothing about
    the case — no case code, no meeting type that tells it is about one child, never the child. Group
    meetings (arbetsgrupp, styrgrupp, urval) name their type, which is about no one. The event is also
    private (``graph_calendar.build_event``)."""
    from bot.i18n import Translator

    t = Translator("sv")  # invitations go to Swedish municipal mailboxes and guardians
    label = t(f"meeting_kind.{kind}")
    subject = t("booking.invite.subject_case") if case_code else t("booking.invite.subject", kind=label)
    body = "<p>{}</p><p>{}</p>".format(
        t("booking.invite.body_case") if case_code else t("booking.invite.body", kind=label),
        t("booking.invite.secrecy"),
    )
    return subject, body


def invitation_subject(kind: str, case_code: str | None) -> str:
    return _invitation(kind, case_code)[0]


def _audit(session: Any, tenant_id: str, actor: str, row: Meeting, action: str, **detail: Any) -> None:
    session.add(
        AuditEvent(
            tenant_id=tenant_id,
            actor_aad_id=actor,
            case_id=row.case_id,
            entity="meeting",
            action=action,
            verb=f"meeting.{action}",
            detail={"meeting_id": row.id, **detail},
        )
    )


# --- booking -------------------------------------------------------------------------------------------


async def book(services: Services, plan: BookingPlan) -> Outcome:
    """Claim (or find) the row, then create it in the calendar. Safe to call again with the same plan."""
    meeting_id, status = await _claim(services, plan)
    if status == "booked":
        return Outcome("booked", meeting_id)
    if status in ("cancelled", "cancel_pending"):
        return Outcome("cancelled", meeting_id)
    return await complete_booking(services, meeting_id)


async def _claim(services: Services, plan: BookingPlan) -> tuple[str, str]:
    calendar = calendar_of(services)
    async with services.db.transaction() as session:
        existing = await meeting_by_key(session, plan.tenant_id, plan.idempotency_key)
        if existing is not None:
            if existing.status == "failed":  # the user pressed again after fixing what Graph refused
                existing.status = "pending"
            return existing.id, existing.status
    weeks = RECURRENCE_WEEKS.get(plan.kind)
    row = Meeting(
        id=uuid.uuid4().hex,
        tenant_id=plan.tenant_id,
        case_id=plan.case_id,
        kind=plan.kind.value,
        subject=invitation_subject(plan.kind.value, plan.case_code),
        start_at=plan.start_utc,
        end_at=plan.end_utc,
        recurrence=(
            {"interval_weeks": weeks, "until": plan.until.isoformat() if plan.until else None}
            if weeks
            else None
        ),
        organizer_aad_id=plan.organizer_id,
        status="pending",
        backend=backend_name(calendar),
        idempotency_key=plan.idempotency_key,
        transaction_id=str(uuid.uuid4()),
        created_by=plan.created_by,
    )
    row.participants = [
        MeetingParticipant(
            aad_object_id=i.aad_id,
            email=i.email,
            display_name=i.label,
            agency=i.agency,
            external=i.external,
        )
        for i in plan.invitees
    ]
    try:
        async with services.db.transaction() as session:
            session.add(row)
            _audit(session, plan.tenant_id, plan.created_by, row, "create", kind=plan.kind.value)
    except IntegrityError:  # a simultaneous press won the race: use its row
        async with services.db.transaction() as session:
            existing = await meeting_by_key(session, plan.tenant_id, plan.idempotency_key)
            assert existing is not None
            return existing.id, existing.status
    return row.id, "pending"


async def _load(services: Services, meeting_id: str) -> tuple[Meeting | None, str | None]:
    """The row with its participants, and its case's code (the invitation body is rebuilt from it)."""
    async with services.db.session() as session:
        row = await meeting_by_id(session, None, meeting_id)
        code = None
        if row is not None and row.case_id:
            case = await session.get(SspfCase, row.case_id)
            code = case.code if case else None
    return row, code


def _recurrence(row: Meeting) -> Recurrence | None:
    if not row.recurrence:
        return None
    until = row.recurrence.get("until")
    return Recurrence(
        interval=int(row.recurrence.get("interval_weeks", 1)),
        until=date.fromisoformat(until) if until else None,
    )


def _request(row: Meeting, case_code: str | None) -> MeetingRequest:
    """The same request on every retry: same subject, body, times, attendees and ``transaction_id``."""
    _, body = _invitation(row.kind, case_code)
    rec = _recurrence(row)
    return MeetingRequest(
        organizer_id=row.organizer_aad_id,
        subject=row.subject,
        body_html=body,
        start_utc=row.start_at,
        end_utc=row.end_at,
        attendees=[
            Attendee(
                email=p.email or "",
                name="" if p.external else p.display_name,
                aad_id=p.aad_object_id,
                external=p.external,
            )
            for p in row.participants
            if p.email
        ],
        transaction_id=row.transaction_id,
        recurrence=rec,
    )


def _calendar_for(services: Services, row: Meeting) -> CalendarBackend | None:
    """The calendar the row was booked in; a local row stays local even after Graph is configured."""
    calendar = calendar_of(services)
    if row.backend == backend_name(calendar):
        return calendar
    if row.backend == "local":
        return LocalCalendar(services.settings.ics_dir)
    return None  # a Graph meeting while Graph is not configured: nothing can reach it now


async def _set(services: Services, meeting_id: str, **values: Any) -> Meeting | None:
    async with services.db.transaction() as session:
        row = await meeting_by_id(session, None, meeting_id)
        if row is None:
            return None
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        return row


def _failure(exc: Exception) -> tuple[Outcome, dict[str, Any]]:
    """Map a calendar error to the outcome and the row update it implies."""
    if isinstance(exc, GraphUnavailable):
        return Outcome("unavailable", retry_after=exc.retry_after, detail=str(exc)), {"last_error": str(exc)}
    if isinstance(exc, GraphPermissionError):
        return (
            Outcome("permission", permission=exc.permission, admin_hint=exc.admin_hint, detail=str(exc)),
            {"status": "failed", "last_error": str(exc)[:2000]},
        )
    if isinstance(exc, GraphUserNotFound):
        return Outcome("failed", detail="organizer_not_found"), {"status": "failed", "last_error": str(exc)}
    return Outcome("failed", detail=str(exc)), {"status": "failed", "last_error": str(exc)[:2000]}


async def _plan_selection_programme(session: AsyncSession, meeting: Meeting) -> None:
    """Booking the 8-weekly Youngsters/Top 5 selection series starts the programme's own follow-up: a
    reminder before each selection meeting and the 4-month evaluation for the steering group, to the
    coordinators and the police and social-services people invited."""
    from store.queries.reminders import plan_program

    start_on = meeting.start_at.astimezone(STOCKHOLM).date()
    people = await session.scalars(
        select(MeetingParticipant.aad_object_id).where(
            MeetingParticipant.meeting_id == meeting.id,
            MeetingParticipant.external.is_(False),
            MeetingParticipant.aad_object_id.is_not(None),
        )
    )
    recipients = [aad for aad in people if aad]
    await plan_program(
        session, meeting.tenant_id, meeting.id, start_on, start_on + timedelta(days=365), recipients
    )


async def complete_booking(services: Services, meeting_id: str) -> Outcome:
    """Step 2 and 3 for a ``pending`` row: create in the calendar (same transaction id), record, join chat."""
    row, code = await _load(services, meeting_id)
    if row is None:
        return Outcome("failed", detail="missing")
    if row.status == "booked":
        return Outcome("booked", meeting_id)
    if row.status in ("cancel_pending", "cancelled"):
        return Outcome("cancelled", meeting_id)
    calendar = _calendar_for(services, row)
    if calendar is None:
        return Outcome("unavailable", meeting_id, detail="graph not configured")
    try:
        booked = await calendar.create_meeting(_request(row, code))
    except (GraphError, ValueError) as exc:
        outcome, values = _failure(exc)
        outcome.meeting_id = meeting_id
        await _set(services, meeting_id, **values)
        log.warning("booking %s not completed: %s", meeting_id, exc)
        return outcome
    async with services.db.transaction() as session:
        current = await meeting_by_id(session, None, meeting_id)
        assert current is not None
        current.graph_event_id = booked.event_id
        current.join_url = booked.join_url
        current.ical_uid = booked.ical_uid
        current.chat_id = booked.online_meeting_chat_id
        # Created without a Teams meeting (the organiser's calendar allows none): the event is KEPT as an
        # ordinary calendar meeting. Exchange already sent the invitations when it created the event;
        # deleting it now would send every guardian and the police a cancellation on top, and lose the time
        # everyone was invited to. Nothing is hidden: the row has no join URL and no chat, the meeting card
        # says it has no Teams link and what the administrator must change (bot/cards/booking.py).
        current.last_error = None if booked.teams_meeting else NO_TEAMS_MEETING
        current.updated_at = utcnow()
        withdrawn = current.status == "cancel_pending"  # consent withdrawn while Graph was creating it
        if not withdrawn:
            current.status = "booked"
            if current.kind == MeetingKind.URVAL.value:
                await _plan_selection_programme(session, current)
    if withdrawn:
        await _cancel_in_calendar(services, meeting_id, "")
        return Outcome("cancelled", meeting_id)
    outcome = Outcome("booked", meeting_id)
    if not booked.teams_meeting:
        log.warning(
            "meeting %s booked WITHOUT a Teams meeting (calendar-only): no chat, no join URL", meeting_id
        )
        return outcome  # the card says so (no join URL on a Graph meeting)
    if booked.chat_source == "join_url":
        # The documented lookup was refused; the chat id came from parsing a classic join URL.
        outcome.notes.append(
            ("booking.warn.chat_from_join_url", {"permission": booked.chat_lookup_permission or "?"})
        )
    elif booked.online_meeting_chat_id is None:
        key = "booking.error.no_meeting_chat"
        if booked.chat_lookup_permission:
            outcome.notes.append((key + "_permission", {"permission": booked.chat_lookup_permission}))
        else:
            outcome.notes.append((key, {}))
        log.warning("meeting %s: no meeting chat found, the bot is not installed there", meeting_id)
    if booked.online_meeting_chat_id:
        try:
            await calendar.install_bot_in_chat(booked.online_meeting_chat_id)
        except GraphPermissionError as exc:
            outcome.install_permission = exc.permission
            log.warning("bot not installed in meeting chat of %s: %s", meeting_id, exc)
        except GraphError as exc:
            outcome.install_permission = "?"
            log.warning("bot not installed in meeting chat of %s: %s", meeting_id, exc)
    return outcome


async def reconcile_pending_meetings(services: Services, older_than: timedelta = timedelta(minutes=2)) -> int:
    """Re-send every stale ``pending`` booking with its own transaction id; returns how many got booked."""
    async with services.db.session() as session:
        ids = await stale_pending_ids(session, older_than)
    done = 0
    for meeting_id in ids:
        outcome = await complete_booking(services, meeting_id)
        done += outcome.status == "booked"
    if ids:
        log.info("reconciled %d of %d pending bookings", done, len(ids))
    return done


# --- cancelling ----------------------------------------------------------------------------------------


async def cancel_meeting(
    services: Services, tenant_id: str, meeting_id: str, comment: str, actor: str
) -> Outcome:
    """Mark ``cancel_pending`` (committed), tell the calendar, mark ``cancelled``."""
    async with services.db.transaction() as session:
        row = await meeting_by_id(session, tenant_id, meeting_id)
        if row is None:
            return Outcome("failed", detail="missing")
        if row.status == "cancelled":
            return Outcome("cancelled", meeting_id)
        row.status = "cancel_pending"
        row.updated_at = utcnow()
        _audit(session, tenant_id, actor, row, "delete")
    return await _cancel_in_calendar(services, meeting_id, comment)


async def _cancel_in_calendar(services: Services, meeting_id: str, comment: str) -> Outcome:
    row, _ = await _load(services, meeting_id)
    if row is None or row.status == "cancelled":
        return Outcome("cancelled", meeting_id)
    calendar = _calendar_for(services, row)
    if calendar is None:
        return Outcome("cancel_queued", meeting_id, detail="graph not configured")
    event_id = row.graph_event_id
    try:
        if event_id is None:
            # The create may have reached the calendar before it timed out. Find the event by the
            # transaction id it carries -- never by creating again: if the first create never landed,
            # a create now would send every guardian and the police a fresh invitation right before the
            # cancellation.
            event_id = await calendar.find_event(row.organizer_aad_id, row.transaction_id)
            if event_id is None:
                age = utcnow() - row.updated_at
                # The local calendar writes in this process: a create it did not finish never will.
                if age < CREATE_IN_FLIGHT and row.backend != "local":
                    # A create that timed out moments ago may still land: the repair loop looks again.
                    log.info("cancel of %s: no event yet, looking again later", meeting_id)
                    return Outcome("cancel_queued", meeting_id)
                log.info("cancel of %s: the create never reached the calendar; nothing to cancel", meeting_id)
                await _set(services, meeting_id, status="cancelled", last_error=None)
                return Outcome("cancelled", meeting_id)
        await calendar.cancel(event_id, comment, organizer_id=row.organizer_aad_id)
    except GraphEventNotFound:
        pass
    except (GraphError, ValueError) as exc:
        outcome, values = _failure(exc)
        values.pop("status", None)  # it stays cancel_pending: cancel_pending_meetings finishes it
        await _set(services, meeting_id, **values)
        log.warning("cancel of %s not completed: %s", meeting_id, exc)
        if outcome.status == "unavailable":
            return Outcome("cancel_queued", meeting_id, retry_after=outcome.retry_after)
        outcome.meeting_id = meeting_id
        return outcome
    await _set(services, meeting_id, status="cancelled", graph_event_id=event_id, last_error=None)
    return Outcome("cancelled", meeting_id)


async def cancel_pending_meetings(services: Services) -> int:
    """Cancel in the calendar every meeting marked ``cancel_pending`` (consent withdrawn, or a cancel that
    could not reach Graph). Run at start, on the repair timer, and by the consent flow after a withdrawal."""
    async with services.db.session() as session:
        ids = await cancel_pending_ids(session)
    from bot.i18n import Translator

    comment = Translator("sv")("booking.cancel.default_comment")
    done = 0
    for meeting_id in ids:
        outcome = await _cancel_in_calendar(services, meeting_id, comment)
        done += outcome.status == "cancelled"
    return done


# --- moving and reading ----------------------------------------------------------------------------------


async def reschedule_meeting(
    services: Services, tenant_id: str, meeting_id: str, start_utc: datetime, end_utc: datetime, actor: str
) -> Outcome:
    """Move the meeting in the calendar first, then record the new time (a failure changes nothing)."""
    async with services.db.session() as session:
        row = await meeting_by_id(session, tenant_id, meeting_id)
    if row is None or row.status != "booked" or row.graph_event_id is None:
        return Outcome("failed", meeting_id, detail="not_booked")
    calendar = _calendar_for(services, row)
    if calendar is None:
        return Outcome("unavailable", meeting_id)
    try:
        # A series moves as a whole: its recurrence starts on the new date and repeats on the new weekday.
        await calendar.reschedule(
            row.graph_event_id,
            start_utc,
            end_utc,
            organizer_id=row.organizer_aad_id,
            recurrence=_recurrence(row),
        )
    except (GraphError, ValueError) as exc:
        outcome, _ = _failure(exc)
        outcome.meeting_id = meeting_id
        return outcome
    async with services.db.transaction() as session:
        current = await meeting_by_id(session, tenant_id, meeting_id)
        assert current is not None
        old = current.start_at.isoformat()
        current.start_at, current.end_at = start_utc, end_utc
        current.updated_at = utcnow()
        _audit(session, tenant_id, actor, current, "update", old_start=old, new_start=start_utc.isoformat())
    return Outcome("rescheduled", meeting_id)


async def fetch_responses(
    services: Services, tenant_id: str, meeting_id: str
) -> tuple[Outcome, list[AttendeeResponse]]:
    """Attendees' answers from the calendar, also stored on the participant rows."""
    async with services.db.session() as session:
        row = await meeting_by_id(session, tenant_id, meeting_id)
    if row is None or row.graph_event_id is None:
        return Outcome("failed", meeting_id, detail="not_booked"), []
    calendar = _calendar_for(services, row)
    if calendar is None:
        return Outcome("unavailable", meeting_id), []
    try:
        answers = await calendar.responses(row.graph_event_id, organizer_id=row.organizer_aad_id)
    except (GraphError, ValueError) as exc:
        outcome, _ = _failure(exc)
        outcome.meeting_id = meeting_id
        return outcome, []
    by_email = {a.email.lower(): a.response for a in answers}
    async with services.db.transaction() as session:
        current = await meeting_by_id(session, tenant_id, meeting_id)
        if current is not None:
            for p in current.participants:
                if p.email and p.email.lower() in by_email:
                    p.response = by_email[p.email.lower()]
    return Outcome("booked", meeting_id), answers
