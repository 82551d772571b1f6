"""Cards of the case flow: the new-case form, the case card, the case list, closing, the audit trail.

Only the personal-chat variants show initials and birth year; the group variant shows code and status.
Guardians and the youth are never named on any card: they appear as "Vårdnadshavare 1", "Ungdomen".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
    kept,
    new_nonce,
    submit,
    text,
)
from bot.i18n import Translator
from domain.agencies import CaseStatus, ConcernCategory, SignalSource, Track
from domain.case_rules import SCHOOL_AREA_MAX, CloseReason
from domain.outcomes import SCALES, field_name

MEETING_BOOK_VERB = "meeting.book"  # reserved for the booking flow; this flow registers nothing for it


def _labels(t: Translator, prefix: str, values: Any) -> list[tuple[str, str]]:
    return [(v.value, t(f"{prefix}.{v.value}")) for v in values]


def label(t: Translator, prefix: str, value: str | None) -> str:
    if not value:
        return "–"
    key = f"{prefix}.{value}"
    return t(key) if t.has(key) else value


def actions_row(actions: list[Element], **props: Any) -> Element:
    return {"type": "ActionSet", "actions": actions, **props}


# --- new case -------------------------------------------------------------------------------------------


def new_case_form(
    t: Translator,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    *,
    top_error: str | None = None,
) -> Element:
    """The registration form; on a second showing it carries the user's entries and the messages."""
    values = values or {}
    errors = errors or {}
    body: list[Element] = heading(t("case_form.title"), subtle=t("case_form.subtitle"))
    if errors or top_error:
        body.append(error_text(top_error or t("case_form.fix_errors")))

    def v(name: str) -> str | None:
        return kept(values, name)

    body += [
        input_text(
            "initials",
            t("case_form.initials"),
            v("initials"),
            placeholder=t("case_form.initials_placeholder"),
            max_length=8,
        ),
        *field_error(errors, "initials"),
        input_text(
            "birth_year",
            t("case_form.birth_year"),
            v("birth_year"),
            placeholder=t("case_form.birth_year_placeholder"),
            max_length=4,
        ),
        *field_error(errors, "birth_year"),
        input_text(
            "school_area",
            t("case_form.school_area"),
            v("school_area"),
            placeholder=t("case_form.school_area_placeholder"),
            max_length=SCHOOL_AREA_MAX,
        ),
        *field_error(errors, "school_area"),
        input_choice(
            "signal_source",
            t("case_form.signal_source"),
            _labels(t, "signal_source", SignalSource),
            v("signal_source"),
        ),
        *field_error(errors, "signal_source"),
        input_choice(
            "concerns",
            t("case_form.concerns"),
            _labels(t, "concern", ConcernCategory),
            v("concerns"),
            multi=True,
            expanded=True,
        ),
        *field_error(errors, "concerns"),
        input_choice(
            "track",
            t("case_form.track"),
            _labels(t, "track", Track),
            v("track") or Track.INDIVIDUELL.value,
            expanded=True,
        ),
        *field_error(errors, "track"),
        input_date("signal_on", t("case_form.signal_on"), v("signal_on")),
        *field_error(errors, "signal_on"),
    ]
    return card(body, [submit(t("case_form.save"), "case.create", nonce=new_nonce(), style="positive")])


# --- the case card ----------------------------------------------------------------------------------------


@dataclass
class CaseView:
    """What the case card shows, gathered by the dialog (no database access in card builders)."""

    case_id: str
    code: str
    status: str
    track: str
    initials: str = ""
    birth_year: int | None = None
    school_area: str = ""
    signal_source: str = ""
    signal_on: str | None = None
    concerns: list[str] = field(default_factory=list)
    closing_reason: str | None = None
    members: list[tuple[str, str, bool]] = field(default_factory=list)  # name, agency, covered by consent
    contacts: list[str] = field(default_factory=list)  # labels only: "Vårdnadshavare 1", "Ungdomen"
    consent_line: str = ""
    coordinator: bool = False


def case_card(t: Translator, view: CaseView) -> Element:
    """The full case card, for the personal chat of someone on the case (or a coordinator)."""
    # One status line per state (issue 17 item 6): the Status fact. A closed case showed "Avslutat" and
    # "Återkallat – ärendet är pausat" at once; a paused one says why it is paused, once.
    paused = view.status == CaseStatus.PAUSED.value
    is_open = view.status == CaseStatus.OPEN.value
    status = t("case_card.status_paused") if paused else label(t, "case_status", view.status)
    body: list[Element] = heading(t("case_card.title", code=view.code), subtle=label(t, "track", view.track))
    rows = [
        (
            t("case_card.youth"),
            t("case_card.youth_value", initials=view.initials, birth_year=view.birth_year),
        ),
        (t("case_card.school_area"), view.school_area),
        (t("case_card.signal_source"), label(t, "signal_source", view.signal_source)),
        (t("case_card.concerns"), ", ".join(label(t, "concern", c) for c in view.concerns) or "–"),
        (t("case_card.signal_on"), view.signal_on or "–"),
        (t("case_card.status"), status),
    ]
    if view.closing_reason:
        rows.append((t("case_card.closing_reason"), label(t, "close_reason", view.closing_reason)))
    body.append(facts(rows))

    team: list[Element] = [text(t("case_card.team"), weight="Bolder")]
    if view.members:
        for name, agency, covered in view.members:
            key = "case_card.member" if covered else "case_card.member_not_covered"
            team.append(text(t(key, name=name, agency=label(t, "agency", agency)), spacing="None"))
    else:
        team.append(text(t("case_card.team_empty"), isSubtle=True, spacing="None"))
    team.append(text(t("case_card.contacts"), weight="Bolder"))
    if view.contacts:
        team.append(text(", ".join(view.contacts), spacing="None"))
    else:
        team.append(text(t("case_card.contacts_empty"), isSubtle=True, spacing="None"))
    team.append(text(t("case_card.contacts_note"), isSubtle=True, size="Small", spacing="None"))
    body.append(container(team, separator=True))

    if is_open:  # paused: the status line says why; closed: consent no longer matters
        body.append(
            container(
                [text(t("case_card.consent"), weight="Bolder"), text(view.consent_line, spacing="None")],
                separator=True,
            )
        )
    actions: list[Element] = []
    ids = {"case_id": view.case_id}
    # What is offered follows the state: open, everything; paused, only a new consent (or closing
    # the case); closed, only reading who has read it.
    if view.coordinator and is_open:
        # two buttons a row: four in one row truncate at Teams' card width ("Lägg till…", "Registr…")
        body.append(
            actions_row(
                [
                    submit(t("case_card.add_team"), "team.form", **ids),
                    submit(t("case_card.record_consent"), "consent.form", **ids),
                ]
            )
        )
        body.append(
            actions_row(
                [
                    submit(t("case_card.book_meeting"), MEETING_BOOK_VERB, **ids),
                    submit(t("case_card.close"), "case.close_form", **ids),
                ]
            )
        )
        actions = [
            submit(t("case_card.withdraw"), "consent.withdraw_form", **ids),
            submit(t("case_card.audit"), "case.audit", **ids),
        ]
    elif view.coordinator and paused:
        body.append(
            actions_row(
                [
                    submit(t("case_card.record_new_consent"), "consent.form", style="positive", **ids),
                    submit(t("case_card.close"), "case.close_form", **ids),
                ]
            )
        )
        actions = [submit(t("case_card.audit"), "case.audit", **ids)]
    elif view.coordinator:
        actions = [submit(t("case_card.audit"), "case.audit", **ids)]
    return card(body, actions or None)


def case_summary_card(t: Translator, code: str, status: str) -> Element:
    """What a case looks like in a group chat or channel: code and status, nothing about the child."""
    body = heading(t("case_card.title", code=code), subtle=label(t, "case_status", status))
    body.append(text(t("case_card.group_note"), isSubtle=True, size="Small"))
    return card(body)


# --- the list -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    code: str
    status: str
    track: str | None
    initials: str | None
    birth_year: int | None
    school_area: str | None
    withheld: str | None = None  # why the row shows the code only (the consent does not cover the viewer)


def case_list_card(t: Translator, rows: list[CaseRow], *, total: int, coordinator: bool) -> Element:
    title = t("case_list.title_coordinator" if coordinator else "case_list.title")
    body: list[Element] = heading(title)
    if not rows:
        body.append(text(t("case_list.empty")))
        return card(body)
    for row in rows:
        if row.withheld is not None:
            line = f"**{row.code}** · {label(t, 'case_status', row.status)}"
            detail = row.withheld
        else:
            line = t(
                "case_list.row",
                code=row.code,
                status=label(t, "case_status", row.status),
                track=label(t, "track", row.track),
            )
            detail = t(
                "case_list.row_detail",
                initials=row.initials,
                birth_year=row.birth_year,
                school_area=row.school_area,
            )
        body.append(
            {
                "type": "ColumnSet",
                "separator": True,
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [text(line), text(detail, isSubtle=True, spacing="None", size="Small")],
                        "verticalContentAlignment": "Center",
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [
                            actions_row([submit(t("case_list.open"), "case.open", case_id=row.case_id)])
                        ],
                        "verticalContentAlignment": "Center",
                    },
                ],
            }
        )
    if total > len(rows):
        body.append(text(t("case_list.more", shown=len(rows), total=total), isSubtle=True, size="Small"))
    return card(body)


# --- closing --------------------------------------------------------------------------------------------


def close_form(
    t: Translator,
    case_id: str,
    code: str,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Element:
    """The reason (required) and the outcome questions (optional, counted anonymously, see
    ``domain.outcomes``); shown again with errors, the user's choices stay."""
    errors, values = errors or {}, values or {}
    body: list[Element] = heading(t("close_form.title", code=code))
    body.append(text(t("close_form.note")))
    reasons = _labels(t, "close_reason", CloseReason)
    body.append(
        input_choice("reason", t("close_form.reason"), reasons, kept(values, "reason"), expanded=True)
    )
    body += field_error(errors, "reason")
    body.append(text(t("close_form.outcomes"), weight="Bolder", spacing="Medium"))
    body.append(text(t("close_form.outcomes_note"), isSubtle=True, size="Small", spacing="None"))
    for indicator, scale in SCALES.items():
        name = field_name(indicator)
        answers = [(v, t(f"outcome_value.{v}")) for v in scale.values]
        body.append(
            input_choice(
                name,
                t(f"outcome.{indicator.value}"),
                answers,
                kept(values, name),
                placeholder=t("close_form.outcome_unknown"),
            )
        )
        body += field_error(errors, name)
    return card(
        body,
        [
            submit(
                t("close_form.confirm"), "case.close", nonce=new_nonce(), style="destructive", case_id=case_id
            )
        ],
    )


# --- audit trail ----------------------------------------------------------------------------------------


@dataclass
class AuditPage:
    """One page of a case's audit trail: rows ``first``–``last`` of ``total``, newest first."""

    case_id: str
    code: str
    lines: list[str]
    first: int
    last: int
    total: int
    page: int = 0
    older: bool = False


def audit_card(t: Translator, view: AuditPage) -> Element:
    subtitle = t("audit_card.subtitle", first=view.first, last=view.last, total=view.total)
    body: list[Element] = heading(t("audit_card.title", code=view.code), subtle=subtitle)
    if not view.lines:
        body.append(text(t("audit_card.empty")))
    for line in view.lines:
        body.append(text(line, spacing="Small", size="Small"))
    actions: list[Element] = []
    if view.page > 0:
        actions.append(submit(t("audit_card.newer"), "case.audit", case_id=view.case_id, page=view.page - 1))
    if view.older:
        actions.append(submit(t("audit_card.older"), "case.audit", case_id=view.case_id, page=view.page + 1))
    return card(body, actions or None)
