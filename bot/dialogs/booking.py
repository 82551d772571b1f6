"""``boka möte``: book an SSPF meeting in Teams from a card, and move, cancel or follow it up later.

Flow: the form (``meeting.book``) → optionally ``Föreslå tider`` (``meeting.suggest``: getSchedule for the
participants → the first free slots as buttons) → ``Boka`` (``meeting.confirm``) → the meeting card with
``Visa svar`` / ``Boka om`` / ``Avboka``.

Everything that reads the database and decides (validation, access, consent) runs in the turn's
transaction. Everything that talks to Graph runs in a ``turn.later`` job after that transaction committed,
through ``bot.booking_service`` (which explains the two-step write). ``meeting.confirm`` is not
de-duplicated by the middleware on purpose: a second press with the same card nonce must *return the same
meeting* (or finish a booking that timed out), not answer "already done".
"""

from __future__ import annotations

import dataclasses
import logging
import os
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import bot.calendar_setup  # noqa: F401  (registers the calendar start/stop hooks)
from bot.booking_service import (
    BookingPlan,
    Invitee,
    Outcome,
    book,
    calendar_of,
    cancel_meeting,
    complete_booking,
    fetch_responses,
    reschedule_meeting,
)
from bot.cards.booking import (
    FormView,
    GuestChoice,
    MeetingView,
    StartView,
    TeamChoice,
    booking_form_card,
    booking_start_card,
    cancel_card,
    meeting_card,
    reschedule_card,
    role_label,
)
from bot.cards.elements import new_nonce
from bot.i18n import Translator
from bot.refusals import refusal_text
from bot.registry import registry
from bot.turn import Turn
from domain.agencies import Agency
from domain.case_code import parse_case_code
from domain.choices import raw_text
from domain.free_slots import find_free_slots
from domain.meetings import CASE_KINDS, MeetingKind, parse_kind, read_times, validate_booking_entry
from domain.refusal import Refusal
from domain.worktime import is_working_day
from graph.errors import GraphError, GraphPermissionError, GraphUnavailable
from store.models import Meeting, SspfCase
from store.queries.access import find_case
from store.queries.consent import individual_work_decision
from store.queries.meeting_cases import (
    Guest,
    TeamMember,
    bookable_case,
    bookable_cases,
    case_guests,
    case_team,
    known_professional,
)
from store.queries.meetings import meeting_by_id, meeting_by_key

log = logging.getLogger(__name__)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
FORM_FIELDS = (
    "kind",
    "case_id",
    "team",
    "others",
    "others_agency",
    "guests",
    "guest_emails",
    "date",
    "start",
    "end",
    "until",
)
SUGGEST_DAYS = 14


# --- helpers -------------------------------------------------------------------------------------------


@dataclasses.dataclass
class FormContext:
    case: SspfCase | None
    team: list[TeamMember]
    guests: list[Guest]
    denied: bool = False


async def _context(turn: Turn, case_id: str | None) -> FormContext:
    """The chosen case (if this user may book for it), its team and guests: three statements at most,
    whatever the size of the tenant or the team (the team is read whole, shown as one switch)."""
    case = (
        await bookable_case(turn.session, turn.tenant_id, turn.user_id, turn.is_coordinator, case_id)
        if case_id
        else None
    )
    denied = bool(case_id) and case is None
    if denied:
        turn.audit("case", "denied", case_id=None, asked_id=case_id, from_card=True)
    team = await case_team(turn.session, case.id) if case else []
    guests = await case_guests(turn.session, case.id) if case else []
    if case is not None:
        turn.audit("case", "read", case_id=case.id)
    return FormContext(case, team, guests, denied)


def _with_team(turn: Turn, data: dict[str, Any], ctx: FormContext) -> dict[str, Any]:
    """``team`` as the form sends it: ``all`` (the switch "Hela teamet i ärendet") is every member of the
    case's team but the user, resolved here; ``none`` nobody; anything else a list of ids (older cards),
    checked against the team by ``_check``."""
    raw = raw_text(data, "team")
    if raw == "all":
        return {**data, "team": ",".join(m.aad_id for m in ctx.team if m.aad_id != turn.user_id)}
    if raw == "none":
        return {**data, "team": ""}
    return data


VALUE_MAX = 1000  # the longest input of the form (guest_emails); the people pickers hold ids


def _values(data: dict[str, Any]) -> dict[str, Any]:
    """The form's entries to put back on a re-rendered form: text only, and never longer than the
    form's own inputs allow (a forged 200 KB value would make a card Teams refuses to show)."""
    return {k: data[k] for k in FORM_FIELDS if isinstance(data.get(k), str) and len(data[k]) <= VALUE_MAX}


def _form_view(
    turn: Turn,
    ctx: FormContext,
    values: dict[str, Any],
    nonce: str,
    picked: list[tuple[str, str]] | None = None,
) -> FormView:
    kind = parse_kind(raw_text(values, "kind")) or MeetingKind.INDIVIDUELL
    return FormView(
        values=values,
        nonce=nonce,
        kind=kind.value,
        case_id=ctx.case.id if ctx.case and kind in CASE_KINDS else None,
        case_code=ctx.case.code if ctx.case and kind in CASE_KINDS else None,
        team=[TeamChoice(m.aad_id, m.name, m.agency) for m in ctx.team if m.aad_id != turn.user_id],
        guests=[
            GuestChoice(g.contact_id, _guest_role(g), bool(g.email))
            for g in ctx.guests  # by role only: never a guardian's or the child's name
        ],
        picked_others=picked or [],
    )


def _guest_role(g: Guest) -> str:
    return f"role:guardian:{g.number}" if g.kind == "guardian" else "role:youth"


async def _picked_names(turn: Turn, ids: list[str]) -> list[tuple[str, str]]:
    """Titles for the people picker's pre-selected choices (so a re-rendered card shows names)."""
    out = []
    for aad in ids:
        known = await known_professional(turn.session, turn.tenant_id, aad)
        out.append((aad, known.name if known else aad))
    return out


def _with_slot(data: dict[str, Any]) -> dict[str, Any]:
    """A suggested-slot button carries ``slot_start``/``slot_end``; they win over the typed date/time."""
    start, end = data.get("slot_start"), data.get("slot_end")
    if not (isinstance(start, str) and isinstance(end, str)):
        return dict(data)
    try:
        s = datetime.fromisoformat(start).astimezone(STOCKHOLM)
        e = datetime.fromisoformat(end).astimezone(STOCKHOLM)
    except ValueError:
        return dict(data)
    return {**data, "date": s.date().isoformat(), "start": s.strftime("%H:%M"), "end": e.strftime("%H:%M")}


def _organizer(turn: Turn) -> str:
    return turn.services.extras.get("calendar_organizer") or turn.user_id


def _graph_notice(t: Translator, exc: Exception) -> str:
    if isinstance(exc, GraphPermissionError):
        return t("booking.error.permission", permission=exc.permission, hint=exc.admin_hint)
    if isinstance(exc, GraphUnavailable):
        return t("booking.error.unavailable")
    return t("booking.error.failed")


def _outcome_notice(t: Translator, outcome: Outcome) -> str:
    if outcome.status == "unavailable":
        return t("booking.error.unavailable")
    if outcome.status == "permission":
        return t("booking.error.permission", permission=outcome.permission, hint=outcome.admin_hint)
    if outcome.detail == "organizer_not_found":
        return t("booking.error.organizer_not_found")
    return t("booking.error.failed")


async def meeting_view(turn: Turn, row: Meeting) -> MeetingView:
    """What the meeting card shows, from the stored row (professionals by name, guests by role)."""
    async with turn.services.db.session() as session:
        case = await session.get(SspfCase, row.case_id) if row.case_id else None
    real = row.backend == "graph"
    rec = row.recurrence or {}
    until = rec.get("until")
    from datetime import date as _date

    return MeetingView(
        meeting_id=row.id,
        kind=row.kind,
        case_code=case.code if case else None,
        start_utc=row.start_at,
        end_utc=row.end_at,
        status=row.status,
        professionals=[p.display_name for p in row.participants if not p.external],
        guest_roles=[p.display_name for p in row.participants if p.external],
        recurrence_weeks=rec.get("interval_weeks"),
        until=_date.fromisoformat(until) if until else None,
        join_url=row.join_url,
        real=real,
        ics_written=not real and bool(row.graph_event_id),
    )


async def _load_meeting(turn: Turn, meeting_id: str) -> Meeting | None:
    async with turn.services.db.session() as session:
        return await meeting_by_id(session, turn.tenant_id, meeting_id)


# --- the form ------------------------------------------------------------------------------------------


@registry.verb(
    "meeting.book",
    "boka möte",
    "boka mote",
    "nytt möte",
    "book meeting",
    "book a meeting",
    resource="meeting",
    access="create",
    personal=True,
    idempotent=False,
    because="the form's own button reloads it with the entries kept (same nonce)",
    help_key="help.cmd.book",
)
async def open_booking_form(turn: Turn) -> None:
    """``boka möte``: first the type of meeting (and the case, for a case meeting: one of the most recent
    few, or typed by its code), then the form for that type only. ``boka möte SSPF-…`` and the case card's
    button go straight to the case's form. ``Byt typ eller ärende`` goes back to the first step."""
    data = turn.data
    step = raw_text(data, "step")
    kind = parse_kind(raw_text(data, "kind"))
    if kind is not None and kind not in CASE_KINDS and not turn.is_coordinator:
        kind = None  # only a coordinator books the group meetings: back to the types they may book
    case_id = raw_text(data, "case_id") or None
    code_typed = raw_text(data, "case_code").strip()
    if step == "start":
        await _show_start(turn, {"kind": raw_text(data, "kind"), "case_id": case_id or ""}, {})
        return
    case_kind = (kind or MeetingKind.INDIVIDUELL) in CASE_KINDS
    if case_kind and code_typed:  # a typed code wins over the short list
        code = parse_case_code(code_typed)
        found = await find_case(turn.session, turn.tenant_id, code=code) if code else None
        if found is None:
            values = {"kind": raw_text(data, "kind"), "case_code": code_typed[:40]}
            await _show_start(turn, values, {"case_id": turn.t("access.case_unavailable")})
            return
        case_id = found.id
    if case_id is None and turn.args:
        code = parse_case_code(turn.args)
        found = await find_case(turn.session, turn.tenant_id, code=code) if code else None
        case_id = found.id if found else None
        if found is None:
            turn.say("access.case_unavailable")
            return
    if not case_kind:
        case_id = None
    elif case_id is None:
        if step == "form":
            values = {"kind": raw_text(data, "kind")}
            await _show_start(turn, values, {"case_id": turn.t("booking.error.case_required")})
        else:
            await _show_start(turn, {}, {})
        return
    # A paused or closed case takes no meeting: say so now, not after the form is filled in. A coordinator
    # sees every case of the tenant (a closed one is not bookable, so look it up).
    frozen = await find_case(turn.session, turn.tenant_id, case_id=case_id) if case_id else None
    if frozen is not None and frozen.status in ("paused", "closed") and turn.is_coordinator:
        turn.say(f"booking.error.case_{frozen.status}_form", code=frozen.code)
        return
    ctx = await _context(turn, case_id)
    if ctx.denied:
        turn.say("access.case_unavailable")
        return
    if ctx.case is not None and ctx.case.status in ("paused", "closed"):
        turn.say(f"booking.error.case_{ctx.case.status}_form", code=ctx.case.code)
        return
    values: dict[str, Any] = {"kind": (kind or MeetingKind.INDIVIDUELL).value, "case_id": case_id or ""}
    if ctx.case is not None:
        values["team"] = "all"
    card = booking_form_card(turn.t, _form_view(turn, ctx, values, new_nonce()))
    if step:
        turn.replace(card)
    else:
        turn.show(card, summary=turn.t("booking.form.title"))


async def _show_start(turn: Turn, values: dict[str, Any], errors: dict[str, str]) -> None:
    """The first step: the types this user may book and their most recent few cases (one statement)."""
    cases = await bookable_cases(turn.session, turn.tenant_id, turn.user_id, turn.is_coordinator)
    kinds = [k.value for k in MeetingKind if turn.is_coordinator or k in CASE_KINDS]
    view = StartView(values, [(c.id, c.code) for c in cases], kinds, errors)
    card = booking_start_card(turn.t, view)
    if raw_text(turn.data, "step"):
        turn.replace(card)
    else:
        turn.show(card, summary=turn.t("booking.form.title"))


@dataclasses.dataclass
class Draft:
    """A checked booking whose professionals may still need a directory lookup (done after commit)."""

    kind: MeetingKind
    case: SspfCase | None
    start_utc: datetime
    end_utc: datetime
    until: Any
    ready: list[Invitee]
    lookup: list[tuple[str, str, str | None, str]]  # (aad id, name, agency, field) to resolve via Graph


async def _check(
    turn: Turn, data: dict[str, Any], ctx: FormContext
) -> tuple[Draft | None, dict[str, str], list[str]]:
    """Validate the form against the rules (times, participants, access, consent). Runs in the turn's tx."""
    t = turn.t
    clean, refusals = validate_booking_entry(data, datetime.now(UTC))
    errors = {f: refusal_text(t, r) for f, r in refusals.items()}
    notices: list[str] = []
    kind: MeetingKind | None = clean["kind"]
    if kind is not None and kind not in CASE_KINDS and not turn.is_coordinator:
        errors["kind"] = t("booking.error.coordinator_kind")
    case = ctx.case if kind in CASE_KINDS else None
    if kind in CASE_KINDS and clean["case_id"] and case is None:
        errors["case_id"] = t("access.case_unavailable")
    if case is not None and case.status == "closed":
        errors["case_id"] = t("booking.error.case_closed")
    elif case is not None and case.status == "paused":
        errors["case_id"] = t("booking.error.case_paused")
    members = {m.aad_id: m for m in ctx.team}
    organizer = _organizer(turn)
    ready: list[Invitee] = []
    lookup: list[tuple[str, str, str | None, str]] = []
    agencies: set[str] = set()
    for aad in clean["team"] if case is not None else []:
        m = members.get(aad)
        if m is None:
            errors["team"] = t("booking.error.not_in_team")
            continue
        agencies.add(m.agency)
        if aad == organizer:
            continue
        if m.email:
            ready.append(Invitee(m.email, m.name, aad, m.agency))
        else:
            lookup.append((aad, m.name, m.agency, "team"))
    others_agency = raw_text(data, "others_agency") or None
    if others_agency is not None and others_agency not in Agency._value2member_map_:
        errors["others_agency"] = t("booking.error.others_agency_required")
        others_agency = None
    needs_agency = False
    for aad in clean["others"]:
        known = members.get(aad) or await known_professional(turn.session, turn.tenant_id, aad)
        agency = known.agency if known else others_agency
        if agency is None:
            needs_agency = True
        else:
            agencies.add(agency)
        if aad == organizer:
            continue
        if known and known.email:
            ready.append(Invitee(known.email, known.name, aad, agency))
        else:
            lookup.append((aad, known.name if known else "", agency, "others"))
    if needs_agency and kind in CASE_KINDS:
        errors["others_agency"] = t("booking.error.others_agency_required")
    guests = {g.contact_id: g for g in ctx.guests}
    for cid in clean["guest_contacts"]:
        g = guests.get(cid)
        if g is None:
            errors["guests"] = t("booking.error.not_in_team")
        elif not g.email:
            errors["guests"] = t("booking.error.guest_no_email", role=role_label(t, _guest_role(g)))
        else:
            ready.append(Invitee(g.email, _guest_role(g), None, None, external=True))
    for n, address in enumerate(clean["guest_emails"], start=1):
        ready.append(Invitee(address, f"role:guest:{n}", None, None, external=True))
    if case is not None and "start_utc" in clean and not errors:
        on = clean["start_utc"].astimezone(STOCKHOLM).date()
        decision = await individual_work_decision(turn.session, case, sorted(agencies), on)
        notices += [refusal_text(t, r) for r in decision.refusals]
        turn.audit("consent", "read", case_id=case.id, allowed=decision.allowed)
    if errors or notices or kind is None or "start_utc" not in clean:
        return None, errors, notices
    draft = Draft(kind, case, clean["start_utc"], clean["end_utc"], clean["until"], ready, lookup)
    return draft, errors, notices


@registry.verb(
    "meeting.confirm",
    resource="meeting",
    access="create",
    personal=True,
    idempotent=False,
    because="the same nonce returns the same meeting and finishes a booking an earlier press left pending",
)
async def confirm_booking(turn: Turn) -> None:
    """``Boka`` (or a suggested slot): validate, then book after commit; the same nonce returns the same
    meeting, and finishes it if an earlier press left it pending."""
    nonce = raw_text(turn.data, "nonce")
    if not nonce:
        turn.say("card.unknown_action")
        return
    key = f"book:{turn.user_id}:{nonce}"[:200]
    data = _with_slot(turn.data)
    existing = await meeting_by_key(turn.session, turn.tenant_id, key)
    if existing is not None and existing.status not in ("pending", "failed"):
        row = existing
        turn.later(lambda: _reply_meeting(turn, row.id, []))
        return
    ctx = await _context(turn, raw_text(data, "case_id") or None)
    values = _values(data)
    picked = await _picked_names(turn, [p for p in raw_text(values, "others").split(",") if p])
    if ctx.denied:  # whatever the meeting type: nothing is booked (or finished) for a refused case
        await _refuse_case(turn, values)
        return
    if existing is not None:  # pending after a timeout, or refused earlier: same row, same transaction id
        meeting_id = existing.id
        view = _form_view(turn, ctx, values, nonce, picked)
        turn.later(lambda: _finish(turn, complete_booking(turn.services, meeting_id), view))
        return
    draft, errors, notices = await _check(turn, _with_team(turn, data, ctx), ctx)
    if draft is None:
        view = _form_view(turn, ctx, values, new_nonce(), picked)
        view.errors, view.notices = errors, notices
        turn.replace(booking_form_card(turn.t, view))
        return
    view = _form_view(turn, ctx, values, nonce, picked)
    turn.later(lambda: _book_after_commit(turn, draft, key, view))


async def _book_after_commit(turn: Turn, draft: Draft, key: str, view: FormView) -> None:
    t = turn.t
    calendar = calendar_of(turn.services)
    invitees = list(draft.ready)
    for aad, name, agency, field_id in draft.lookup:
        try:
            hit = await calendar.get_user(aad)
        except GraphError as exc:
            view.notices = [_graph_notice(t, exc)]
            turn.replace(booking_form_card(t, view))
            return
        if hit is None or not hit.mail:
            # Locally there is no directory: the address typed on the team is the only one there is.
            key = (
                "booking.error.unknown_user" if calendar.sends_real_invitations else "booking.error.no_email"
            )
            view.errors[field_id] = t(key, who=name or aad)
            view.nonce = new_nonce()
            turn.replace(booking_form_card(t, view))
            return
        invitees.append(Invitee(hit.mail, hit.display_name or name, aad, agency))
    seen: set[str] = set()
    unique = [i for i in invitees if not (i.email.lower() in seen or seen.add(i.email.lower()))]
    plan = BookingPlan(
        tenant_id=turn.tenant_id,
        created_by=turn.user_id,
        organizer_id=_organizer(turn),
        kind=draft.kind,
        case_id=draft.case.id if draft.case else None,
        case_code=draft.case.code if draft.case else None,
        start_utc=draft.start_utc,
        end_utc=draft.end_utc,
        invitees=unique,
        idempotency_key=key,
        until=draft.until,
    )
    await _finish(turn, book(turn.services, plan), view)


async def _finish(turn: Turn, pending: Any, view: FormView) -> None:
    """Await the booking and put the result where the form was: the meeting card, or the form with why."""
    try:
        outcome: Outcome = await pending
    except Exception:
        log.exception("booking failed unexpectedly")
        outcome = Outcome("failed")
    if outcome.status in ("booked", "cancelled") and outcome.meeting_id:
        info = []
        if outcome.install_permission:
            info.append(turn.t("booking.error.install_chat", permission=outcome.install_permission))
        info += [turn.t(key, **params) for key, params in outcome.notes]
        await _reply_meeting(turn, outcome.meeting_id, info)
        return
    view.notices = [_outcome_notice(turn.t, outcome)]
    turn.replace(booking_form_card(turn.t, view))


async def _reply_meeting(
    turn: Turn, meeting_id: str, notices: list[str], info: list[str] | None = None
) -> None:
    row = await _load_meeting(turn, meeting_id)
    if row is None:
        turn.say("booking.error.meeting_unavailable")
        return
    view = await meeting_view(turn, row)
    view.notices = notices
    view.info = info or []
    turn.replace(meeting_card(turn.t, view))


async def _refuse_case(turn: Turn, values: dict[str, Any]) -> None:
    """Back to the first step with the refusal under the case field; the refused case id is not put back
    (``_context`` audited the ``denied``). Nothing else runs after it."""
    kept = {"kind": raw_text(values, "kind")}
    cases = await bookable_cases(turn.session, turn.tenant_id, turn.user_id, turn.is_coordinator)
    kinds = [k.value for k in MeetingKind if turn.is_coordinator or k in CASE_KINDS]
    errors = {"case_id": turn.t("access.case_unavailable")}
    turn.replace(booking_start_card(turn.t, StartView(kept, [(c.id, c.code) for c in cases], kinds, errors)))


# --- suggested times -----------------------------------------------------------------------------------


@registry.verb(
    "meeting.suggest",
    resource="meeting",
    access="create",
    personal=True,
    idempotent=False,
    because="asking for times again with changed entries is pressed on the same form (same nonce)",
)
async def suggest_times(turn: Turn) -> None:
    """``Föreslå tider``: everyone's free/busy from the calendar, within Swedish working days and hours."""
    data = turn.data
    ctx = await _context(turn, raw_text(data, "case_id") or None)
    values = _values(data)
    nonce = raw_text(data, "nonce") or new_nonce()
    picked = await _picked_names(turn, [p for p in raw_text(values, "others").split(",") if p])
    if ctx.denied:  # a case this user may not book for: refused, and nobody's calendar is asked
        await _refuse_case(turn, values)
        return
    view = _form_view(turn, ctx, values, nonce, picked)
    members = {m.aad_id: m for m in ctx.team}
    emails: list[str] = []
    lookup: list[str] = []
    for aad in [p for p in raw_text(_with_team(turn, data, ctx), "team").split(",") if p] + [
        p for p in raw_text(data, "others").split(",") if p
    ]:
        known = members.get(aad) or await known_professional(turn.session, turn.tenant_id, aad)
        if known and known.email:
            emails.append(known.email)
        else:
            lookup.append(aad)
    errors: dict[str, Refusal] = {}
    times = read_times(data, datetime.now(UTC) - timedelta(days=366), errors)
    length = (times.end_utc - times.start_utc) if times else timedelta(hours=1)
    today = datetime.now(STOCKHOLM).date()
    first = max(times.start_utc.astimezone(STOCKHOLM).date(), today) if times else today
    turn.later(lambda: _suggest_after_commit(turn, view, emails, lookup, first, length))


def family_hours() -> tuple[time, time] | None:
    """When a family can come (SSPF_FAMILY_HOURS, default 14:00-17:00: after school); "off" for none."""
    raw = os.environ.get("SSPF_FAMILY_HOURS", "14:00-17:00").strip()
    if raw.lower() in ("", "off", "none"):
        return None
    try:
        first, _, last = raw.partition("-")
        return time.fromisoformat(first.strip()), time.fromisoformat(last.strip())
    except ValueError:
        log.warning("SSPF_FAMILY_HOURS=%r is not HH:MM-HH:MM; using 14:00-17:00", raw)
        return time(14, 0), time(17, 0)


async def _suggest_after_commit(
    turn: Turn, view: FormView, emails: list[str], lookup: list[str], first: Any, length: timedelta
) -> None:
    t = turn.t
    calendar = calendar_of(turn.services)
    organizer = _organizer(turn)
    try:
        for aad in [*lookup, organizer]:
            hit = await calendar.get_user(aad)
            if hit is not None and hit.mail:
                emails.append(hit.mail)
            elif aad == organizer and "@" in organizer:
                emails.append(organizer)
        users = list(dict.fromkeys(e.lower() for e in emails))
        if not users:
            view.errors["participants"] = t("meeting.no_participants")
            turn.replace(booking_form_card(t, view))
            return
        window_start = datetime.combine(first, time(0, 0), STOCKHOLM)
        window_end = window_start + timedelta(days=SUGGEST_DAYS)
        schedule = await calendar.get_schedule(organizer, users, window_start, window_end)
    except GraphError as exc:
        view.notices = [_graph_notice(t, exc)]
        turn.replace(booking_form_card(t, view))
        return
    days = [first + timedelta(days=n) for n in range(SUGGEST_DAYS + 1)]
    slots = find_free_slots(
        {u: info.busy for u, info in schedule.items()},
        window_start=window_start,
        window_end=window_end,
        duration=length,
        now=datetime.now(UTC),
        working_hours={u: info.working_hours for u, info in schedule.items()},
        non_working_dates={d for d in days if not is_working_day(d)},
        count=3,
        spread=True,  # different days and times of day, not 08:00, 08:15, 08:30 the same morning
        preferred=family_hours(),
    )
    missing = [u for u, info in schedule.items() if info.error]
    view.slots = [(s.start_utc, s.end_utc) for s in slots]
    view.info = t("booking.slots.none", days=SUGGEST_DAYS) if not slots else None
    if missing:
        view.notices = [t("booking.slots.unreadable", count=len(missing))]
    turn.replace(booking_form_card(t, view))


# --- the booked meeting --------------------------------------------------------------------------------


VIEW = "a view changes nothing: pressing its button again shows it again"


async def _meeting_for(turn: Turn) -> Meeting | None:
    """The meeting in the press: the access gate resolved it (``resource="meeting"``), asked
    ``domain.access.meeting_policy`` (coordinator, booker, participant, case team), refused and audited
    anyone else, and records the read/write."""
    return turn.meeting


@registry.verb(
    "meeting.show", resource="meeting", access="read", personal=True, idempotent=False, because=VIEW
)
async def show_meeting(turn: Turn) -> None:
    row = await _meeting_for(turn)
    if row is not None:
        meeting_id = row.id
        turn.later(lambda: _reply_meeting(turn, meeting_id, []))


@registry.verb(
    "meeting.responses", resource="meeting", access="read", personal=True, idempotent=False, because=VIEW
)
async def show_responses(turn: Turn) -> None:
    """``Visa svar``: who accepted, declined or has not answered (guests by role)."""
    row = await _meeting_for(turn)
    if row is None:
        return
    meeting_id = row.id

    async def job() -> None:
        outcome, answers = await fetch_responses(turn.services, turn.tenant_id, meeting_id)
        current = await _load_meeting(turn, meeting_id)
        if current is None:
            return
        view = await meeting_view(turn, current)
        if outcome.status != "booked":
            view.notices = [_outcome_notice(turn.t, outcome)]
        else:
            labels = {
                (p.email or "").lower(): role_label(turn.t, p.display_name) if p.external else p.display_name
                for p in current.participants
            }
            view.responses = [
                (labels.get(a.email.lower(), turn.t("booking.role.unknown")), a.response) for a in answers
            ]
        turn.replace(meeting_card(turn.t, view))

    turn.later(job)


def _local_values(row: Meeting) -> dict[str, str]:
    s, e = row.start_at.astimezone(STOCKHOLM), row.end_at.astimezone(STOCKHOLM)
    return {"date": s.date().isoformat(), "start": s.strftime("%H:%M"), "end": e.strftime("%H:%M")}


@registry.verb(
    "meeting.reschedule_form",
    resource="meeting",
    access="read",
    personal=True,
    idempotent=False,
    because=VIEW,
)
async def reschedule_form(turn: Turn) -> None:
    row = await _meeting_for(turn)
    if row is None:
        return
    values = _local_values(row)

    async def job() -> None:
        view = await meeting_view(turn, row)
        turn.replace(reschedule_card(turn.t, view, values, {}, new_nonce()))

    turn.later(job)


@registry.verb("meeting.reschedule", resource="meeting", access="write", personal=True)
async def reschedule(turn: Turn) -> None:
    """``Boka om``: new date and time; the calendar moves first, then the row (a failure moves nothing)."""
    row = await _meeting_for(turn)
    if row is None:
        return
    t = turn.t
    refusals: dict[str, Refusal] = {}
    times = read_times(turn.data, datetime.now(UTC), refusals)
    values = {k: raw_text(turn.data, k) for k in ("date", "start", "end")}
    meeting_id = row.id
    if row.status != "booked":
        turn.later(lambda: _reply_meeting(turn, meeting_id, [t("booking.error.not_booked")]))
        return
    if times is None:
        errors = {f: refusal_text(t, r) for f, r in refusals.items()}

        async def show_errors() -> None:
            view = await meeting_view(turn, row)
            turn.replace(reschedule_card(t, view, values, errors, new_nonce()))

        turn.later(show_errors)
        return

    async def job() -> None:
        outcome = await reschedule_meeting(
            turn.services, turn.tenant_id, meeting_id, times.start_utc, times.end_utc, turn.user_id
        )
        if outcome.status == "rescheduled":
            await _reply_meeting(turn, meeting_id, [], [t("booking.reschedule.done")])
            return
        view = await meeting_view(turn, row)
        turn.replace(reschedule_card(t, view, values, {}, new_nonce(), [_outcome_notice(t, outcome)]))

    turn.later(job)


@registry.verb(
    "meeting.cancel_form", resource="meeting", access="read", personal=True, idempotent=False, because=VIEW
)
async def cancel_form(turn: Turn) -> None:
    row = await _meeting_for(turn)
    if row is None:
        return

    async def job() -> None:
        view = await meeting_view(turn, row)
        turn.replace(cancel_card(turn.t, view, new_nonce()))

    turn.later(job)


@registry.verb("meeting.cancel", resource="meeting", access="write", personal=True)
async def cancel(turn: Turn) -> None:
    """``Avboka``: attendees get Graph's cancellation with the comment; an outage leaves it queued."""
    row = await _meeting_for(turn)
    if row is None:
        return
    t = turn.t
    meeting_id = row.id
    comment = raw_text(turn.data, "comment")[:500]

    async def job() -> None:
        outcome = await cancel_meeting(turn.services, turn.tenant_id, meeting_id, comment, turn.user_id)
        if outcome.status == "cancelled":
            await _reply_meeting(turn, meeting_id, [], [t("booking.cancel.done")])
        elif outcome.status == "cancel_queued":
            await _reply_meeting(turn, meeting_id, [], [t("booking.cancel.queued")])
        else:
            await _reply_meeting(turn, meeting_id, [_outcome_notice(t, outcome)])

    turn.later(job)
