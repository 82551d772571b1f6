"""Actions in a handlingsplan/åtgärdsplan: what each agency will do, who is responsible, by when.

An action without an owner or a date is how SSPF decisions die, so both are required. A past
due date is refused on entry because it would be overdue the moment it is saved.

i18n keys emitted:
    action.text_required
    action.kind_unknown                 (value)
    action.agency_required
    action.agency_unknown               (value)
    action.responsible_required
    action.responsible_not_on_team
    action.text_link_refused
    action.due_on_required
    action.date_invalid                 (field)
    action.due_in_past
    action.follow_up_before_due
    action.comment_required
    action.comment_too_long             (max, length)
    action.status_unchanged             (status)
    privacy.personnummer_refused        (field)
    action_kind.<value>                 (labels; also the default text of an action of that kind)
    action_status.<value>               (labels)
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from domain.agencies import Agency
from domain.case_rules import personnummer_refusal
from domain.choices import parse_choice, parse_iso_date, raw_text
from domain.personnummer import contains_personnummer
from domain.refusal import FieldErrors, Refusal
from domain.worktime import working_day_on_or_after


class ActionKind(StrEnum):
    """The typical actions of an individual SSPF plan; `annan` needs its own text."""

    LAXLASNING = "laxlasning"
    SAMTALSKONTAKT = "samtalskontakt"
    FRITIDSAKTIVITET = "fritidsaktivitet"
    STOD_VARDNADSHAVARE = "stod_vardnadshavare"
    KOMMUNIKATION_SKOLA = "kommunikation_skola"
    ANNAN = "annan"


class ActionStatus(StrEnum):
    """`not_done` is an honest outcome ("kan inte genomföras") and must be explained."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_DONE = "not_done"


FINISHED_STATUSES = frozenset({ActionStatus.DONE, ActionStatus.NOT_DONE})
TEXT_MAX = 500

# An action's text travels: onto the agenda card, into the protokoll and the Word file, and in reminder
# cards to the responsible person, where Teams renders Markdown and turns web and e-mail addresses into
# links. A handlingsplan line says what someone will do; it never needs a link, and one sent in a trusted
# bot's reminder is a phishing lure. So anything a renderer could make clickable is refused on entry
# (escaping would not do: Teams links bare addresses whatever the Markdown says, and the same text is
# also shown where escapes would be visible). Abbreviations like "t.ex." or "bl.a." are not addresses.
_LINK = re.compile(
    r"""
      [a-z][a-z0-9+.\-]*://                       # any scheme://
    | \b(?:mailto|javascript|data|vbscript|tel|sip|file|ms-[a-z-]+):  # schemes without //
    | \bwww\d{0,3}\.                              # www.
    | \]\s*\(                                      # Markdown link or image: [text](target)
    | <\s*[a-z][a-z0-9+.\-]*:                      # <scheme:...> autolink
    | [^\s@]+@[^\s@]+\.[a-z]{2,}                   # e-mail address
    | \b[a-z0-9](?:[a-z0-9-]*[a-z0-9])\.            # a host name: a label of two or more characters,
      (?:[a-z0-9-]+\.)*[a-z]{2,63}\b(?!\.\w)       #   dots, and a top-level domain (kommun.se)
    | \b\d{1,3}(?:\.\d{1,3}){3}\b                  # an IPv4 address
    """,
    re.IGNORECASE | re.VERBOSE,
)


def contains_link(text: str) -> bool:
    """Whether a renderer (Teams, Word) could turn part of ``text`` into a clickable link."""
    return bool(_LINK.search(text or ""))


# A status comment ("kan inte genomföras", "skjut upp") is a line or two for the next meeting, shown
# on every reminder card of the action: longer is refused, never cut (the person decides what to keep).
# The same limit as the agenda card's written entries, where the same comment is also written.
COMMENT_MAX = 600

I18N_KEYS: frozenset[str] = frozenset(
    {
        "action.text_required",
        "action.kind_unknown",
        "action.agency_required",
        "action.agency_unknown",
        "action.responsible_required",
        "action.responsible_not_on_team",
        "action.text_link_refused",
        "action.due_on_required",
        "action.date_invalid",
        "action.due_in_past",
        "action.follow_up_before_due",
        "action.comment_required",
        "action.comment_too_long",
        "action.status_unchanged",
        "privacy.personnummer_refused",
    }
    | {f"action_kind.{k.value}" for k in ActionKind}
    | {f"action_status.{s.value}" for s in ActionStatus}
)


def default_text_key(kind: ActionKind) -> str | None:
    """Catalog key giving the text of an action entered without one; `annan` has none."""
    return None if kind is ActionKind.ANNAN else f"action_kind.{kind.value}"


def validate_action(raw: Mapping[str, Any], today: date) -> tuple[dict[str, Any], FieldErrors]:
    """Check the action form.

    When the text is left empty for a known kind, clean values carry `text=None` and `text_key`
    (the kind's label key), so the bot stores the Swedish label as the text.
    """
    clean: dict[str, Any] = {}
    errors: FieldErrors = {}

    kind_text = raw_text(raw, "kind")
    kind: ActionKind | None = ActionKind.ANNAN
    if kind_text:
        kind = parse_choice(ActionKind, kind_text)
        if kind is None:
            errors["kind"] = Refusal("action.kind_unknown", {"value": kind_text})
        else:
            clean["kind"] = kind
    else:
        clean["kind"] = kind

    text = " ".join(raw_text(raw, "text").split())[:TEXT_MAX]
    if contains_personnummer(raw_text(raw, "text")):
        errors["text"] = personnummer_refusal("text")
    elif contains_link(raw_text(raw, "text")):
        errors["text"] = Refusal("action.text_link_refused")
    elif text:
        clean["text"] = text
        clean["text_key"] = None
    elif kind is not None and default_text_key(kind):
        clean["text"] = None
        clean["text_key"] = default_text_key(kind)
    elif "kind" not in errors:
        errors["text"] = Refusal("action.text_required")

    agency_text = raw_text(raw, "agency")
    if not agency_text:
        errors["agency"] = Refusal("action.agency_required")
    else:
        agency = parse_choice(Agency, agency_text)
        if agency is None:
            errors["agency"] = Refusal("action.agency_unknown", {"value": agency_text})
        else:
            clean["agency"] = agency

    responsible = raw_text(raw, "responsible")
    if not responsible:
        errors["responsible"] = Refusal("action.responsible_required")
    elif contains_personnummer(responsible):
        errors["responsible"] = personnummer_refusal("responsible")
    else:
        clean["responsible"] = responsible

    due_text = raw_text(raw, "due_on")
    due_on = parse_iso_date(due_text) if due_text else None
    if not due_text:
        errors["due_on"] = Refusal("action.due_on_required")
    elif due_on is None:
        errors["due_on"] = Refusal("action.date_invalid", {"field": "due_on"})
    elif due_on < today:
        errors["due_on"] = Refusal("action.due_in_past")
        due_on = None
    else:
        clean["due_on"] = due_on

    follow_text = raw_text(raw, "follow_up_on")
    if follow_text:
        follow_up_on = parse_iso_date(follow_text)
        if follow_up_on is None:
            errors["follow_up_on"] = Refusal("action.date_invalid", {"field": "follow_up_on"})
        elif due_on is not None and follow_up_on < due_on:
            errors["follow_up_on"] = Refusal("action.follow_up_before_due")
        else:
            clean["follow_up_on"] = follow_up_on
    else:
        clean["follow_up_on"] = None

    return clean, errors


def comment_refusal(comment: str | None) -> Refusal | None:
    """Why a status comment cannot be saved (a personnummer, or longer than ``COMMENT_MAX``), or None.

    Every path that stores a status comment runs this, whether or not the status changes."""
    note = (comment or "").strip()
    if not note:
        return None
    if contains_personnummer(note):
        return personnummer_refusal("comment")
    if len(note) > COMMENT_MAX:
        return Refusal("action.comment_too_long", {"max": COMMENT_MAX, "length": len(note)})
    return None


def responsible_refusal(responsible: str, allowed: Collection[str]) -> Refusal | None:
    """The responsible person gets reminders carrying the action's text and the case code, so only
    someone already entitled may be named: on the case's team, among the meeting's participants, or a
    coordinator (``allowed``, as the caller knows them). Anyone else is refused, never silently kept."""
    if responsible and responsible not in allowed:
        return Refusal("action.responsible_not_on_team")
    return None


def change_action_status(
    current: ActionStatus, target: ActionStatus, comment: str | None = None
) -> ActionStatus | Refusal:
    """New status or a refusal; "kan inte genomföras" needs a why so the next meeting can act on it."""
    if current == target:
        return Refusal("action.status_unchanged", {"status": current.value})
    note = (comment or "").strip()
    refused = comment_refusal(note)
    if refused is not None:
        return refused
    if target is ActionStatus.NOT_DONE and not note:
        return Refusal("action.comment_required")
    return target


def postpone(due_on: date, *, days: int = 0, weeks: int = 0) -> date:
    """New due date for "skjut upp"; moved off weekends and holidays so it can actually be met."""
    delta = timedelta(days=days, weeks=weeks)
    if delta <= timedelta(0):
        raise ValueError("postpone needs a positive number of days or weeks")
    return working_day_on_or_after(due_on + delta)
