"""Cards for booking SSPF meetings: the booking form, the meeting card, and the move/cancel forms.

Privacy: guardians and the youth appear only by role ("Vårdnadshavare 1", "Ungdomen"), never by name, and
the case only by its code. The cards live in the personal chat, but they are built so they could be shown
anywhere without naming a child.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import elements
from bot.cards.elements import (
    Element,
    card,
    container,
    error_text,
    facts,
    field_error,
    heading,
    input_choice,
    input_date,
    input_text,
    input_time,
    open_url,
    submit,
    text,
)
from bot.i18n import Translator
from domain.agencies import Agency
from domain.meetings import CASE_KINDS, RECURRENCE_WEEKS, MeetingKind

STOCKHOLM = ZoneInfo("Europe/Stockholm")
RESPONSES = ("accepted", "tentativelyAccepted", "declined", "none")


def when_text(t: Translator, start_utc: datetime, end_utc: datetime) -> str:
    """``tis 2 dec 2025, 09:00–10:00`` in Stockholm time."""
    s, e = start_utc.astimezone(STOCKHOLM), end_utc.astimezone(STOCKHOLM)
    day = t("booking.weekdays").split(",")[s.weekday()]
    month = t("booking.months").split(",")[s.month - 1]
    return t(
        "booking.when",
        weekday=day,
        day=s.day,
        month=month,
        year=s.year,
        start=s.strftime("%H:%M"),
        end=e.strftime("%H:%M"),
    )


def role_label(t: Translator, code: str) -> str:
    """``role:guardian:2`` → "Vårdnadshavare 2"; ``role:youth`` → "Ungdomen"; ``role:guest:1`` → "Gäst 1"."""
    parts = code.split(":")
    if len(parts) >= 2 and parts[0] == "role":
        number = parts[2] if len(parts) > 2 else ""
        return t(f"booking.role.{parts[1]}", number=number)
    return code


@dataclass(frozen=True)
class TeamChoice:
    aad_id: str
    name: str
    agency: str


@dataclass(frozen=True)
class GuestChoice:
    """A guardian or the youth, shown by ``role`` code only."""

    contact_id: str
    role: str
    has_email: bool


@dataclass
class FormView:
    """What the booking form shows: the user's entries, the lists to choose from, what to fix."""

    values: dict[str, Any]
    nonce: str
    cases: list[tuple[str, str]] = field(default_factory=list)  # (case id, code)
    team: list[TeamChoice] = field(default_factory=list)
    guests: list[GuestChoice] = field(default_factory=list)
    picked_others: list[tuple[str, str]] = field(default_factory=list)  # (aad id, name) for the picker
    errors: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    slots: list[tuple[datetime, datetime]] = field(default_factory=list)
    info: str | None = None
    shown_case: str | None = None  # the case whose team is listed (a different choice reloads the team)


def _value(view: FormView, key: str) -> str | None:
    return elements.kept(view.values, key)


def people_picker(t: Translator, view: FormView) -> Element:
    """Teams' people picker: an Input.ChoiceSet whose choices come from the tenant directory."""
    return elements.people_picker(
        "others",
        t("booking.field.others"),
        view.picked_others,
        value=_value(view, "others"),
        multi=True,
        placeholder=t("booking.field.others_placeholder"),
    )


def booking_form_card(t: Translator, view: FormView) -> Element:
    body: list[Element] = heading(t("booking.form.title"), subtle=t("booking.form.subtitle"))
    for notice in view.notices:
        body.append(error_text(notice))
    if view.info:
        body.append(text(view.info))
    kinds = [(k.value, t(f"meeting_kind.{k.value}")) for k in MeetingKind]
    body.append(
        input_choice("kind", t("booking.field.kind"), kinds, value=_value(view, "kind") or "individuell")
    )
    body += field_error(view.errors, "kind")
    case_items: list[Element] = [
        input_choice(
            "case_id",
            t("booking.field.case"),
            view.cases,
            value=_value(view, "case_id"),
        )
        if view.cases
        else text(t("booking.field.no_cases"), isSubtle=True)
    ]
    case_items += field_error(view.errors, "case_id")
    if view.cases:
        case_items.append(
            {
                "type": "ActionSet",
                "actions": [
                    submit(
                        t("booking.action.load_team"),
                        "meeting.book",
                        refresh=True,
                        nonce=view.nonce,
                        shown_case=view.shown_case or "",
                    )
                ],
            }
        )
    body.append(container(case_items))
    if view.team:
        choices = [
            (m.aad_id, t("booking.team_member", name=m.name, agency=t(f"agency.{m.agency}")))
            for m in view.team
        ]
        body.append(
            input_choice(
                "team",
                t("booking.field.team"),
                choices,
                value=_value(view, "team"),
                multi=True,
                expanded=True,
            )
        )
        body += field_error(view.errors, "team")
    body.append(people_picker(t, view))
    body += field_error(view.errors, "others")
    agencies = [(a.value, t(f"agency.{a.value}")) for a in Agency]
    body.append(
        input_choice(
            "others_agency", t("booking.field.others_agency"), agencies, value=_value(view, "others_agency")
        )
    )
    body += field_error(view.errors, "others_agency")
    if view.guests:
        choices = [
            (
                g.contact_id,
                role_label(t, g.role)
                if g.has_email
                else t("booking.guest_without_email", role=role_label(t, g.role)),
            )
            for g in view.guests
        ]
        body.append(
            input_choice(
                "guests",
                t("booking.field.guests"),
                choices,
                value=_value(view, "guests"),
                multi=True,
                expanded=True,
            )
        )
        body += field_error(view.errors, "guests")
    body.append(
        input_text(
            "guest_emails",
            t("booking.field.guest_emails"),
            _value(view, "guest_emails"),
            placeholder=t("booking.field.guest_emails_placeholder"),
            max_length=1000,
        )
    )
    body += field_error(view.errors, "guest_emails")
    body += field_error(view.errors, "participants")
    body.append(input_date("date", t("booking.field.date"), _value(view, "date")))
    body += field_error(view.errors, "date")
    body.append(
        {
            "type": "ColumnSet",
            "columns": [
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": [
                        input_time("start", t("booking.field.start"), _value(view, "start")),
                        *field_error(view.errors, "start"),
                    ],
                },
                {
                    "type": "Column",
                    "width": "stretch",
                    "items": [
                        input_time("end", t("booking.field.end"), _value(view, "end")),
                        *field_error(view.errors, "end"),
                    ],
                },
            ],
        }
    )
    body.append(input_date("until", t("booking.field.until"), _value(view, "until")))
    body += field_error(view.errors, "until")
    if view.slots:
        body.append(text(t("booking.slots.title"), weight="Bolder", separator=True))
        body.append(
            {
                "type": "ActionSet",
                "actions": [
                    submit(
                        t("booking.slots.book", when=when_text(t, s, e)),
                        "meeting.confirm",
                        nonce=view.nonce,
                        slot_start=s.isoformat(),
                        slot_end=e.isoformat(),
                    )
                    for s, e in view.slots
                ],
            }
        )
    actions = [
        submit(t("booking.action.book"), "meeting.confirm", nonce=view.nonce, style="positive"),
        submit(t("booking.action.suggest"), "meeting.suggest", nonce=view.nonce),
    ]
    return card(body, actions)


@dataclass
class MeetingView:
    meeting_id: str
    kind: str
    case_code: str | None
    start_utc: datetime
    end_utc: datetime
    status: str
    professionals: list[str]
    guest_roles: list[str]
    recurrence_weeks: int | None = None
    until: date | None = None
    join_url: str | None = None
    real: bool = True
    ics_path: str | None = None
    responses: list[tuple[str, str]] | None = None  # (who, response kind)
    notices: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)


def meeting_card(t: Translator, view: MeetingView) -> Element:
    title = t(f"meeting_kind.{view.kind}") + (f" – {view.case_code}" if view.case_code else "")
    body: list[Element] = heading(title, subtle=t(f"booking.status.{view.status}"))
    for notice in view.notices:
        body.append(error_text(notice))
    for line in view.info:
        body.append(text(line))
    pairs = [(t("booking.fact.when"), when_text(t, view.start_utc, view.end_utc))]
    if view.recurrence_weeks:
        series = t("booking.fact.every_weeks", weeks=view.recurrence_weeks)
        if view.until:
            series += " " + t("booking.fact.until", until=view.until.isoformat())
        pairs.append((t("booking.fact.series"), series))
    if view.case_code:
        pairs.append((t("booking.fact.case"), view.case_code))
    pairs.append((t("booking.fact.participants"), ", ".join(view.professionals) or "–"))
    if view.guest_roles:
        pairs.append((t("booking.fact.guests"), ", ".join(role_label(t, r) for r in view.guest_roles)))
    body.append(facts(pairs))
    if not view.real:
        body.append(error_text(t("booking.local.no_invitation")))
        if view.ics_path:
            body.append(text(t("booking.local.ics_at", path=view.ics_path), isSubtle=True))
    elif view.status == "booked" and not view.join_url:  # Graph made it without a Teams meeting
        body.append(error_text(t("booking.graph.no_teams_meeting")))
    if view.responses is not None:
        body.append(text(t("booking.responses.title"), weight="Bolder", separator=True))
        if view.responses:
            body.append(facts([(who, t(f"booking.response.{kind}")) for who, kind in view.responses]))
        else:
            body.append(text(t("booking.responses.none"), isSubtle=True))
    actions: list[Element] = []
    if view.status == "booked":
        if view.real and view.join_url:
            actions.append(open_url(t("booking.action.join"), view.join_url))
        actions.append(submit(t("booking.action.responses"), "meeting.responses", meeting_id=view.meeting_id))
        actions.append(
            submit(t("booking.action.reschedule"), "meeting.reschedule_form", meeting_id=view.meeting_id)
        )
        actions.append(
            submit(
                t("booking.action.cancel"),
                "meeting.cancel_form",
                meeting_id=view.meeting_id,
                style="destructive",
            )
        )
    return card(body, actions)


def reschedule_card(
    t: Translator,
    view: MeetingView,
    values: dict[str, Any],
    errors: dict[str, str],
    nonce: str,
    notices: list[str] | None = None,
) -> Element:
    title = t(f"meeting_kind.{view.kind}") + (f" – {view.case_code}" if view.case_code else "")
    body: list[Element] = heading(t("booking.reschedule.title"), subtle=title)
    for notice in notices or []:
        body.append(error_text(notice))
    body.append(text(t("booking.reschedule.now", when=when_text(t, view.start_utc, view.end_utc))))
    body.append(input_date("date", t("booking.field.date"), values.get("date")))
    body += field_error(errors, "date")
    body.append(input_time("start", t("booking.field.start"), values.get("start")))
    body += field_error(errors, "start")
    body.append(input_time("end", t("booking.field.end"), values.get("end")))
    body += field_error(errors, "end")
    actions = [
        submit(
            t("booking.action.save_time"),
            "meeting.reschedule",
            nonce=nonce,
            meeting_id=view.meeting_id,
            style="positive",
        ),
        submit(t("booking.action.back"), "meeting.show", meeting_id=view.meeting_id),
    ]
    return card(body, actions)


def cancel_card(t: Translator, view: MeetingView, nonce: str, comment: str | None = None) -> Element:
    title = t(f"meeting_kind.{view.kind}") + (f" – {view.case_code}" if view.case_code else "")
    body: list[Element] = heading(t("booking.cancel.title"), subtle=title)
    body.append(text(t("booking.cancel.question", when=when_text(t, view.start_utc, view.end_utc))))
    body.append(
        input_text(
            "comment",
            t("booking.field.cancel_comment"),
            comment,
            placeholder=t("booking.field.cancel_comment_placeholder"),
            multiline=True,
            max_length=500,
        )
    )
    actions = [
        submit(
            t("booking.action.confirm_cancel"),
            "meeting.cancel",
            nonce=nonce,
            meeting_id=view.meeting_id,
            style="destructive",
        ),
        submit(t("booking.action.back"), "meeting.show", meeting_id=view.meeting_id),
    ]
    return card(body, actions)


def is_case_kind(kind: str | None) -> bool:
    return kind in {k.value for k in CASE_KINDS}


def recurrence_weeks(kind: str) -> int | None:
    try:
        return RECURRENCE_WEEKS.get(MeetingKind(kind))
    except ValueError:
        return None
