"""What SSPF is measured on, recorded when a case closes, kept only as anonymous counts.

The steering group asks whether SSPF works: less crime and drug use, higher school attendance and
results, more youths with a leisure activity. The coordinator answers these when closing a case, and
the answers are added to per-tenant tallies. They are never stored with the case, nor in its audit
trail: "crime increased" about one named child would be the most sensitive row in the database, and
the figures need only the counts. Every question is optional; an unanswered one counts as unknown.

i18n keys emitted: ``outcome.unknown_value``; ``outcome.<value>`` (the question) and
``outcome.<value>.good`` (the goal, in the figures) per indicator; ``outcome_value.<value>`` per answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.refusal import FieldErrors, Refusal


class Indicator(StrEnum):
    SKOLNARVARO = "skolnarvaro"
    MALUPPFYLLELSE = "maluppfyllelse"
    BROTTSLIGHET = "brottslighet"
    DROGER = "droger"
    FRITID = "fritid"


@dataclass(frozen=True)
class Scale:
    values: tuple[str, ...]
    good: str  # the answer that means SSPF's goal was met for this indicator


HIGHER = Scale(("battre", "oforandrat", "samre"), good="battre")
LOWER = Scale(("minskat", "oforandrat", "okat"), good="minskat")
YES_NO = Scale(("ja", "nej"), good="ja")

SCALES: dict[Indicator, Scale] = {
    Indicator.SKOLNARVARO: HIGHER,
    Indicator.MALUPPFYLLELSE: HIGHER,
    Indicator.BROTTSLIGHET: LOWER,
    Indicator.DROGER: LOWER,
    Indicator.FRITID: YES_NO,
}

FIELD_PREFIX = "outcome_"  # the form's input ids: outcome_skolnarvaro, …

I18N_KEYS: frozenset[str] = frozenset(
    {"outcome.unknown_value"}
    | {f"outcome.{i.value}" for i in Indicator}
    | {f"outcome.{i.value}.good" for i in Indicator}
    | {f"outcome_value.{v}" for scale in SCALES.values() for v in scale.values}
)


def field_name(indicator: Indicator) -> str:
    return FIELD_PREFIX + indicator.value


def read_outcomes(data: dict[str, object]) -> tuple[dict[Indicator, str], FieldErrors]:
    """The answers given on the closing form, and a refusal per field whose value is not on its scale
    (only a forged submission can send one: the form offers the scale's choices only)."""
    answers: dict[Indicator, str] = {}
    refusals: FieldErrors = {}
    for indicator, scale in SCALES.items():
        raw = data.get(field_name(indicator))
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            continue
        if value not in scale.values:
            refusals[field_name(indicator)] = Refusal("outcome.unknown_value")
            continue
        answers[indicator] = value
    return answers, refusals
