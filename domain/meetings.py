"""SSPF meeting types and the rules for a booking form: what is booked, when, and with whom.

Why here and not in the dialog: "a time in the past", "end before start", "nobody invited" and "that is not
an e-mail address" are the same rules whether the booking comes from a card, a command or a reschedule,
and they must be testable without Teams or Graph. Times are read as Europe/Stockholm wall-clock time and
returned as UTC instants.

i18n keys emitted:
    meeting_kind.<value>                (labels)
    meeting.kind_required
    meeting.kind_unknown                (value)
    meeting.case_required
    meeting.date_required
    meeting.date_invalid
    meeting.time_required
    meeting.time_invalid
    meeting.end_before_start
    meeting.in_past
    meeting.too_long                    (hours)
    meeting.until_invalid
    meeting.until_before_start
    meeting.email_invalid               (value)
    meeting.no_participants
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.choices import parse_iso_date, raw_text, split_list
from domain.refusal import FieldErrors, Refusal

STOCKHOLM = "Europe/Stockholm"
MAX_LENGTH = timedelta(hours=8)


class MeetingKind(StrEnum):
    """The SSPF meetings the coordinator calls to (the values are stored in ``meeting.kind``)."""

    INDIVIDUELL = "individuell"  # individual SSPF meeting (kartläggning) about one case
    UPPFOLJNING = "uppfoljning"  # follow-up of a case's handlingsplan
    ARBETSGRUPP = "arbetsgrupp"  # operative group, every other week
    STYRGRUPP = "styrgrupp"  # steering group, about twice a term (booked one by one)
    URVAL = "urval"  # police + social services pick Youngsters/Top 5, every 8 weeks


CASE_KINDS: frozenset[MeetingKind] = frozenset({MeetingKind.INDIVIDUELL, MeetingKind.UPPFOLJNING})
# Weeks between occurrences of the recurring meeting types (a Graph weekly recurrence with this interval).
RECURRENCE_WEEKS: dict[MeetingKind, int] = {MeetingKind.ARBETSGRUPP: 2, MeetingKind.URVAL: 8}

_LABEL_KEYS = frozenset(f"meeting_kind.{k.value}" for k in MeetingKind)
I18N_KEYS: frozenset[str] = _LABEL_KEYS | frozenset(
    {
        "meeting.kind_required",
        "meeting.kind_unknown",
        "meeting.case_required",
        "meeting.date_required",
        "meeting.date_invalid",
        "meeting.time_required",
        "meeting.time_invalid",
        "meeting.end_before_start",
        "meeting.in_past",
        "meeting.too_long",
        "meeting.until_invalid",
        "meeting.until_before_start",
        "meeting.email_invalid",
        "meeting.no_participants",
    }
)

# Deliberately simple: one @, no spaces, a dot in the domain. Exchange does the real check.
_EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[A-Za-z]{2,}")


def is_email(text: str) -> bool:
    return bool(_EMAIL.fullmatch(text.strip()))


def parse_kind(text: str) -> MeetingKind | None:
    try:
        return MeetingKind(text.strip().lower())
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    """Input.Time sends HH:MM (some clients HH:MM:SS)."""
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})(?::\d{2})?", text.strip())
    if not m:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


@dataclass(frozen=True)
class MeetingTimes:
    """A checked start and end (UTC) and, for a series, the last date (local)."""

    start_utc: datetime
    end_utc: datetime


def read_times(
    raw: Mapping[str, Any], now: datetime, errors: FieldErrors, tz: str = STOCKHOLM
) -> MeetingTimes | None:
    """Read ``date``, ``start`` and ``end`` (local wall-clock) into UTC; note what is wrong in ``errors``."""
    zone = ZoneInfo(tz)
    day_text = raw_text(raw, "date")
    day = parse_iso_date(day_text) if day_text else None
    if not day_text:
        errors["date"] = Refusal("meeting.date_required")
    elif day is None:
        errors["date"] = Refusal("meeting.date_invalid")
    parsed: dict[str, time | None] = {}
    for name in ("start", "end"):
        value = raw_text(raw, name)
        parsed[name] = parse_time(value) if value else None
        if not value:
            errors[name] = Refusal("meeting.time_required")
        elif parsed[name] is None:
            errors[name] = Refusal("meeting.time_invalid")
    start_t, end_t = parsed["start"], parsed["end"]
    if day is None or start_t is None or end_t is None:
        return None
    start = datetime.combine(day, start_t, zone)
    end = datetime.combine(day, end_t, zone)
    if end <= start:
        errors["end"] = Refusal("meeting.end_before_start")
        return None
    if end - start > MAX_LENGTH:
        errors["end"] = Refusal("meeting.too_long", {"hours": int(MAX_LENGTH.total_seconds() // 3600)})
        return None
    if start.astimezone(UTC) < now:
        errors["start"] = Refusal("meeting.in_past")
        return None
    return MeetingTimes(start.astimezone(UTC), end.astimezone(UTC))


def read_guest_emails(raw: Mapping[str, Any], errors: FieldErrors) -> list[str]:
    """Free-text guests: addresses separated by comma, semicolon, space or new line; lower-cased, unique."""
    text = raw_text(raw, "guest_emails")
    out: list[str] = []
    for part in re.split(r"[\s,;]+", text):
        if not part:
            continue
        if not is_email(part):
            errors.setdefault("guest_emails", Refusal("meeting.email_invalid", {"value": part[:80]}))
            continue
        address = part.strip().lower()
        if address not in out:
            out.append(address)
    return out


def validate_booking_entry(
    raw: Mapping[str, Any], now: datetime, tz: str = STOCKHOLM
) -> tuple[dict[str, Any], FieldErrors]:
    """Check the booking card. ``clean`` holds kind, case_id, start_utc, end_utc, until, team, others,
    guest_contacts and guest_emails; ``errors`` maps a field id to the refusal shown under it."""
    errors: FieldErrors = {}
    clean: dict[str, Any] = {}
    kind_text = raw_text(raw, "kind")
    kind = parse_kind(kind_text) if kind_text else None
    if not kind_text:
        errors["kind"] = Refusal("meeting.kind_required")
    elif kind is None:
        errors["kind"] = Refusal("meeting.kind_unknown", {"value": kind_text[:40]})
    clean["kind"] = kind
    case_id = raw_text(raw, "case_id") or None
    if kind in CASE_KINDS and not case_id:
        errors["case_id"] = Refusal("meeting.case_required")
    clean["case_id"] = case_id if kind in CASE_KINDS else None

    times = read_times(raw, now, errors, tz)
    if times is not None:
        clean["start_utc"], clean["end_utc"] = times.start_utc, times.end_utc

    clean["until"] = None
    until_text = raw_text(raw, "until")
    if until_text and kind in RECURRENCE_WEEKS:
        until = parse_iso_date(until_text)
        if until is None:
            errors["until"] = Refusal("meeting.until_invalid")
        elif times is not None and until < times.start_utc.astimezone(ZoneInfo(tz)).date():
            errors["until"] = Refusal("meeting.until_before_start")
        else:
            clean["until"] = until

    clean["team"] = split_list(raw.get("team"))
    clean["others"] = [p for p in split_list(raw.get("others")) if p not in clean["team"]]
    clean["guest_contacts"] = split_list(raw.get("guests")) if kind in CASE_KINDS else []
    clean["guest_emails"] = read_guest_emails(raw, errors)
    count = (
        len(clean["team"]) + len(clean["others"]) + len(clean["guest_contacts"]) + len(clean["guest_emails"])
    )
    if count == 0 and "guest_emails" not in errors:
        errors["participants"] = Refusal("meeting.no_participants")
    return clean, errors
