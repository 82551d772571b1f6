"""Rules for registering a case and changing its status.

A case holds minimum data: initials, birth year, school area, who raised the signal, coarse
concern categories and the track. A personnummer anywhere is refused and never echoed back,
because the card that shows the error must not repeat it.

i18n keys emitted:
    privacy.personnummer_refused        (field)
    case.initials_required
    case.initials_invalid
    case.birth_year_required
    case.birth_year_invalid
    case.birth_year_out_of_range        (min_year, max_year)
    case.school_area_required
    case.school_area_too_long           (max_length)
    case.signal_source_required
    case.signal_source_unknown          (value)
    case.concerns_required
    case.concern_unknown                (value)
    case.track_unknown                  (value)
    case.status_unchanged               (status)
    case.already_closed
    case.close_reason_required
    case.close_reason_unknown           (value)
    close_reason.<value>                (labels)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from domain.agencies import CaseStatus, ConcernCategory, SignalSource, Track
from domain.choices import parse_choice, raw_text, split_list
from domain.consent_rules import ConsentRules
from domain.personnummer import contains_personnummer
from domain.refusal import FieldErrors, Refusal


class CloseReason(StrEnum):
    """Why a case ended; kept for the steering group's figures."""

    MAL_UPPNATT = "mal_uppnatt"
    SAMTYCKE_ATERKALLAT = "samtycke_aterkallat"
    FLYTTAT = "flyttat"
    ANNAN_INSATS = "annan_insats"
    OVRIGT = "ovrigt"


I18N_KEYS: frozenset[str] = frozenset(
    {
        "privacy.personnummer_refused",
        "case.initials_required",
        "case.initials_invalid",
        "case.birth_year_required",
        "case.birth_year_invalid",
        "case.birth_year_out_of_range",
        "case.school_area_required",
        "case.school_area_too_long",
        "case.signal_source_required",
        "case.signal_source_unknown",
        "case.concerns_required",
        "case.concern_unknown",
        "case.track_unknown",
        "case.status_unchanged",
        "case.already_closed",
        "case.close_reason_required",
        "case.close_reason_unknown",
    }
    | {f"close_reason.{r.value}" for r in CloseReason}
)

CASE_FIELDS = ("initials", "birth_year", "school_area", "signal_source", "concerns", "track")
SCHOOL_AREA_MAX = 80

# Letters incl. å ä ö é ü etc.; each optionally followed by a dot and/or space: "A.B.", "ÅÖ", "a b".
_INITIALS = re.compile(r"^(?:[^\W\d_]\.?\s*){1,3}$")


def personnummer_refusal(field_name: str) -> Refusal:
    """The one refusal for a personnummer, so every form says the same thing."""
    return Refusal("privacy.personnummer_refused", {"field": field_name})


def _clean_initials(text: str) -> tuple[str | None, Refusal | None]:
    if not text:
        return None, Refusal("case.initials_required")
    if not _INITIALS.match(text):
        return None, Refusal("case.initials_invalid")
    letters = [ch for ch in text if ch.isalpha()]
    return "".join(letters).upper(), None


def birth_year_bounds(today: date, rules: ConsentRules | None = None) -> tuple[int, int]:
    """Oldest and youngest accepted birth year for the municipality's target ages (default 12–18,
    ``ConsentRules``): someone who may still be ``target_age_max`` today, and someone who turns
    ``target_age_min`` this year (only the birth year is known)."""
    rules = rules or ConsentRules()
    return today.year - rules.target_age_max - 1, today.year - rules.target_age_min


def _clean_birth_year(
    text: str, today: date, rules: ConsentRules | None = None
) -> tuple[int | None, Refusal | None]:
    if not text:
        return None, Refusal("case.birth_year_required")
    if not re.fullmatch(r"\d{4}", text):
        return None, Refusal("case.birth_year_invalid")
    year = int(text)
    low, high = birth_year_bounds(today, rules)
    if not low <= year <= high:
        return None, Refusal("case.birth_year_out_of_range", {"min_year": low, "max_year": high})
    return year, None


def validate_new_case(
    raw: Mapping[str, Any], today: date, rules: ConsentRules | None = None
) -> tuple[dict[str, Any], FieldErrors]:
    """Clean values for the fields that passed, and one refusal per failing field.

    A field holding a personnummer gets only the privacy refusal and is left out of the clean
    values, so nothing downstream can echo it.
    """
    clean: dict[str, Any] = {}
    errors: FieldErrors = {}

    for name in CASE_FIELDS:
        if contains_personnummer(raw_text(raw, name)):
            errors[name] = personnummer_refusal(name)

    def keep(name: str, value: Any, refusal: Refusal | None) -> None:
        if name in errors:
            return
        if refusal is not None:
            errors[name] = refusal
        else:
            clean[name] = value

    initials, err = _clean_initials(raw_text(raw, "initials"))
    keep("initials", initials, err)

    birth_year, err = _clean_birth_year(raw_text(raw, "birth_year"), today, rules)
    keep("birth_year", birth_year, err)

    area = " ".join(raw_text(raw, "school_area").split())
    if not area:
        keep("school_area", None, Refusal("case.school_area_required"))
    elif len(area) > SCHOOL_AREA_MAX:
        keep("school_area", None, Refusal("case.school_area_too_long", {"max_length": SCHOOL_AREA_MAX}))
    else:
        keep("school_area", area, None)

    source_text = raw_text(raw, "signal_source")
    if not source_text:
        keep("signal_source", None, Refusal("case.signal_source_required"))
    else:
        source = parse_choice(SignalSource, source_text)
        refusal = None if source else Refusal("case.signal_source_unknown", {"value": source_text})
        keep("signal_source", source, refusal)

    concern_texts = split_list(raw.get("concerns"))
    concerns: list[ConcernCategory] = []
    concern_error: Refusal | None = None
    if not concern_texts:
        concern_error = Refusal("case.concerns_required")
    for item in concern_texts:
        member = parse_choice(ConcernCategory, item)
        if member is None:
            concern_error = concern_error or Refusal("case.concern_unknown", {"value": item})
        elif member not in concerns:
            concerns.append(member)
    keep("concerns", tuple(concerns), concern_error)

    track_text = raw_text(raw, "track")
    if not track_text:
        keep("track", Track.INDIVIDUELL, None)  # the ordinary SSPF way unless chosen otherwise
    else:
        track = parse_choice(Track, track_text)
        keep("track", track, None if track else Refusal("case.track_unknown", {"value": track_text}))

    return clean, errors


_ALLOWED: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.PAUSED, CaseStatus.CLOSED}),
    CaseStatus.PAUSED: frozenset({CaseStatus.OPEN, CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset(),
}


def change_case_status(
    current: CaseStatus, target: CaseStatus, reason: str | None = None
) -> tuple[CaseStatus, CloseReason | None] | Refusal:
    """New status (and close reason) or a refusal.

    Closing needs a reason because "why did it end" is what the steering group asks. A closed case
    is not reopened: a new signal is a new case with fresh consent.
    """
    if current == target:
        return Refusal("case.status_unchanged", {"status": current.value})
    if target not in _ALLOWED[current]:
        return Refusal("case.already_closed")
    if target is CaseStatus.CLOSED:
        if not reason or not reason.strip():
            return Refusal("case.close_reason_required")
        close_reason = parse_choice(CloseReason, reason)
        if close_reason is None:
            return Refusal("case.close_reason_unknown", {"value": reason})
        return target, close_reason
    return target, None
