"""The closed vocabularies of SSPF: agencies, signal sources, tracks, statuses, concerns.

Values are ASCII and stable because they are stored and put in card payloads; the Swedish
labels live in the catalog.

i18n keys emitted (labels, one per value):
    agency.<value>, signal_source.<value>, track.<value>, case_status.<value>, concern.<value>
"""

from __future__ import annotations

from enum import StrEnum


class Agency(StrEnum):
    """Verksamheter that can sit in an SSPF group and be named in a consent."""

    SKOLA = "skola"
    SOCIALTJANST = "socialtjanst"
    POLIS = "polis"
    FRITID = "fritid"
    SAKERHET = "sakerhet"  # säkerhet och beredskap (trygghetssamordnare)
    ANNAN = "annan"


class SignalSource(StrEnum):
    """Who first raised the concern; used for the "signal to first meeting" figures."""

    VARDNADSHAVARE = "vardnadshavare"
    UNGDOMEN = "ungdomen"
    SKOLA = "skola"
    FRITID = "fritid"
    POLIS = "polis"
    SOCIALTJANST = "socialtjanst"


class Track(StrEnum):
    """Which SSPF way of working the case follows; Youngsters and Top 5 have their own cadence."""

    INDIVIDUELL = "individuell"
    YOUNGSTERS = "youngsters"
    TOP5 = "top5"


class CaseStatus(StrEnum):
    """Paused exists because a family may withdraw consent and later come back."""

    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class ConcernCategory(StrEnum):
    """Coarse categories only: minimum data, enough for steering-group figures."""

    SKOLK = "skolk"
    UTAGERANDE = "utagerande"
    DROGER = "droger"
    KRIMINALITET = "kriminalitet"
    KRIMINELLA_GRUPPER = "kriminella_grupper"
    ANNAT = "annat"


def _label_keys() -> frozenset[str]:
    groups: dict[str, type[StrEnum]] = {
        "agency": Agency,
        "signal_source": SignalSource,
        "track": Track,
        "case_status": CaseStatus,
        "concern": ConcernCategory,
    }
    return frozenset(f"{prefix}.{member.value}" for prefix, enum in groups.items() for member in enum)


I18N_KEYS: frozenset[str] = _label_keys()


def label_key(value: StrEnum) -> str:
    """Catalog key for showing an enum value to a user, so cards never show raw ASCII values."""
    prefixes = {
        Agency: "agency",
        SignalSource: "signal_source",
        Track: "track",
        CaseStatus: "case_status",
        ConcernCategory: "concern",
    }
    return f"{prefixes[type(value)]}.{value.value}"
