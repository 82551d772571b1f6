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


TEAM_NAMES_SHOWN = 6  # the whole team is one switch; its first names are shown, the rest counted


@dataclass
class StartView:
    """The first step of ``boka möte``: the type of meeting, and the case for a case meeting."""

    values: dict[str, Any]
    cases: list[tuple[str, str]] = field(default_factory=list)  # (case id, code): the most recent few
    kinds: list[str] = field(default_factory=list)  # the types this user may book
    errors: dict[str, str] = field(default_factory=dict)


def booking_start_card(t: Translator, view: StartView) -> Element:
    """Type first (and case, for a case meeting); the form that follows asks only what that type needs.
    The case list is short (the most recent few); any case is reached by typing its code."""
    body: list[Element] = heading(t("booking.form.title"), subtle=t("booking.start.intro"))
    kinds = [(k, t(f"meeting_kind.{k}")) for k in view.kinds]
    value = view.values.get("kind") if view.values.get("kind") in view.kinds else view.kinds[0]
    body.append(input_choice("kind", t("booking.field.kind"), kinds, value=value, expanded=True))
    body += field_error(view.errors, "kind")
    items: list[Element] = []
    if view.cases:
        items.append(
            input_choice(
                "case_id",
                t("booking.field.case"),
                view.cases,
                value=_value_of(view.values, "case_id"),
                placeholder=t("booking.field.case_placeholder"),
            )
        )
    items.append(
        input_text(
            "case_code",
            t("booking.field.case_code") if view.cases else t("booking.field.case_code_only"),
            _value_of(view.values, "case_code"),
            placeholder=t("booking.field.case_code_placeholder"),
            max_length=40,
        )
    )
    items += field_error(view.errors, "case_id")
    body.append(container(items))
    return card(body, [submit(t("booking.action.continue"), "meeting.book", step="form", style="positive")])


@dataclass
class FormView:
    """What the booking form shows for one type of meeting: the entries, the case's team as a whole,
    the guests by role, what to fix."""

    values: dict[str, Any]
    nonce: str
    kind: str = "individuell"
    case_id: str | None = None
    case_code: str | None = None
    team: list[TeamChoice] = field(default_factory=list)
    guests: list[GuestChoice] = field(default_factory=list)
    picked_others: list[tuple[str, str]] = field(default_factory=list)  # (aad id, name) for the picker
    errors: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    slots: list[tuple[datetime, datetime]] = field(default_factory=list)
    info: str | None = None


def _value_of(values: dict[str, Any], key: str) -> str | None:
    return elements.kept(values, key)


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


def _team_names(t: Translator, team: list[TeamChoice]) -> str:
    names = ", ".join(
        t("booking.team_member", name=m.name, agency=t(f"agency.{m.agency}")) for m in team[:TEAM_NAMES_SHOWN]
    )
    more = len(team) - TEAM_NAMES_SHOWN
    return t("booking.team.more", names=names, more=more) if more > 0 else names


def booking_form_card(t: Translator, view: FormView) -> Element:
    case_meeting = is_case_kind(view.kind)
    title = t(f"meeting_kind.{view.kind}") + (
        f" – {view.case_code}" if case_meeting and view.case_code else ""
    )
    body: list[Element] = heading(t("booking.form.title"), subtle=title)
    body.append(text(t("booking.form.subtitle"), isSubtle=True, size="Small"))
    for notice in view.notices:
        body.append(error_text(notice))
    if view.info:
        body.append(text(view.info))
    body += field_error(view.errors, "kind")
    body += field_error(view.errors, "case_id")
    if case_meeting:
        if view.team:
            body.append(
                {
                    "type": "Input.Toggle",
                    "id": "team",
                    "title": t("booking.field.team_all", count=len(view.team)),
                    "valueOn": "all",
                    "valueOff": "none",
                    "value": "none" if _value(view, "team") == "none" else "all",
                    "wrap": True,
                }
            )
            body.append(text(_team_names(t, view.team), isSubtle=True, spacing="None"))
        else:
            body.append(text(t("booking.team.none"), isSubtle=True))
        body += field_error(view.errors, "team")
    body.append(people_picker(t, view))
    body += field_error(view.errors, "others")
    if case_meeting:
        agencies = [(a.value, t(f"agency.{a.value}")) for a in Agency]
        body.append(
            input_choice(
                "others_agency",
                t("booking.field.others_agency"),
                agencies,
                value=_value(view, "others_agency"),
            )
        )
        body += field_error(view.errors, "others_agency")
    if case_meeting and view.guests:
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
    weeks = recurrence_weeks(view.kind)
    if weeks:
        body.append(input_date("until", t("booking.field.until", weeks=weeks), _value(view, "until")))
        body += field_error(view.errors, "until")
    chosen = {"kind": view.kind, "case_id": view.case_id or ""}
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
                        **chosen,
                    )
                    for s, e in view.slots
                ],
            }
        )
    actions = [
        submit(t("booking.action.book"), "meeting.confirm", nonce=view.nonce, style="positive", **chosen),
        submit(t("booking.action.suggest"), "meeting.suggest", nonce=view.nonce, **chosen),
        submit(t("booking.action.change"), "meeting.book", step="start", **chosen),
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
    ics_written: bool = False  # the local calendar wrote the invitation file (where is the server's business)
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
        if view.ics_written:
            body.append(text(t("booking.local.ics_written"), isSubtle=True))
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
