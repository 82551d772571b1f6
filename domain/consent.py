"""The consent gate: nothing at individual level happens without guardians' written consent.

Guardians consent in writing that named agencies may lift confidentiality between them. Every
registered guardian must consent, the consent must cover each agency taking part, and a
withdrawal stops everything at once (the case pauses). Checks take the date explicitly so the
same rules answer "may we meet on the 3rd?" as well as "may we meet today?".

i18n keys emitted:
    consent.no_guardian
    consent.guardian_missing            (guardian, guardian_id)   guardian = 1-based number
    consent.agency_not_covered          (agency)                  agency = Agency value
    consent.withdrawn                   (guardian, guardian_id, withdrawn_on)
    consent.guardian_required
    consent.signed_on_required
    consent.date_invalid                (field)
    consent.signed_in_future
    consent.agencies_required
    consent.agency_unknown              (value)
    consent.filed_at_required
    consent.valid_until_not_after_signed
    privacy.personnummer_refused        (field)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.agencies import Agency
from domain.case_rules import personnummer_refusal
from domain.choices import parse_choice, parse_iso_date, raw_text, split_list
from domain.personnummer import contains_personnummer
from domain.refusal import FieldErrors, Refusal

I18N_KEYS: frozenset[str] = frozenset(
    {
        "consent.no_guardian",
        "consent.guardian_missing",
        "consent.agency_not_covered",
        "consent.withdrawn",
        "consent.guardian_required",
        "consent.signed_on_required",
        "consent.date_invalid",
        "consent.signed_in_future",
        "consent.agencies_required",
        "consent.agency_unknown",
        "consent.filed_at_required",
        "consent.valid_until_not_after_signed",
        "privacy.personnummer_refused",
    }
)


@dataclass(frozen=True)
class ConsentRecord:
    """One signed consent form; `filed_at` says where the paper is kept (diarium, not Teams)."""

    guardian_id: str
    signed_on: date
    agencies: frozenset[Agency]
    filed_at: str
    valid_until: date | None = None
    withdrawn_on: date | None = None

    def is_valid_on(self, on: date) -> bool:
        """Signed on or before `on`, not past `valid_until`, not withdrawn on or before `on`."""
        if self.signed_on > on:
            return False
        if self.valid_until is not None and on > self.valid_until:
            return False
        return self.withdrawn_on is None or on < self.withdrawn_on


@dataclass(frozen=True)
class ConsentDecision:
    """Whether individual-level work may go ahead, and every reason it may not.

    `must_pause` is set on withdrawal: the caller pauses the case and cancels reminders.
    """

    allowed: bool
    refusals: list[Refusal] = field(default_factory=list)
    must_pause: bool = False


def _unique(ids: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for gid in ids:
        if gid not in seen:
            seen.append(gid)
    return seen


def _valid_for(consents: Iterable[ConsentRecord], guardian_id: str, on: date) -> list[ConsentRecord]:
    return [c for c in consents if c.guardian_id == guardian_id and c.is_valid_on(on)]


def _withdrawal(consents: Sequence[ConsentRecord], guardian_id: str, on: date) -> ConsentRecord | None:
    """The guardian's withdrawal in force on `on`: one not followed by a newer signed consent."""
    own = [c for c in consents if c.guardian_id == guardian_id]
    withdrawals = [c for c in own if c.withdrawn_on is not None and c.withdrawn_on <= on]
    if not withdrawals:
        return None
    latest = max(withdrawals, key=lambda c: c.withdrawn_on or date.min)
    assert latest.withdrawn_on is not None
    renewed = any(c.signed_on >= latest.withdrawn_on and c.is_valid_on(on) for c in own)
    return None if renewed else latest


def covered_agencies(
    consents: Iterable[ConsentRecord], guardian_ids: Sequence[str], on: date
) -> frozenset[Agency]:
    """Agencies every registered guardian has consented to on `on`; who may join the case's meetings."""
    records = list(consents)
    guardians = _unique(guardian_ids)
    if not guardians:
        return frozenset()
    covered: frozenset[Agency] | None = None
    for gid in guardians:
        mine: frozenset[Agency] = frozenset()
        for record in _valid_for(records, gid, on):
            mine |= record.agencies
        covered = mine if covered is None else covered & mine
    return covered or frozenset()


def check_consent(
    consents: Iterable[ConsentRecord],
    guardian_ids: Sequence[str],
    agencies_needed: Iterable[Agency],
    on: date,
) -> ConsentDecision:
    """The consent gate for individual-level work on a date."""
    records = list(consents)
    guardians = _unique(guardian_ids)
    if not guardians:
        return ConsentDecision(False, [Refusal("consent.no_guardian")])

    refusals: list[Refusal] = []
    must_pause = False
    for number, gid in enumerate(guardians, start=1):
        withdrawn = _withdrawal(records, gid, on)
        if withdrawn is not None:
            must_pause = True
            refusals.append(
                Refusal(
                    "consent.withdrawn",
                    {
                        "guardian": number,
                        "guardian_id": gid,
                        "withdrawn_on": withdrawn.withdrawn_on.isoformat(),
                    },
                )
            )
        elif not _valid_for(records, gid, on):
            refusals.append(Refusal("consent.guardian_missing", {"guardian": number, "guardian_id": gid}))

    if not refusals:
        covered = covered_agencies(records, guardians, on)
        for agency in _unique(Agency(a) for a in agencies_needed):
            if agency not in covered:
                refusals.append(Refusal("consent.agency_not_covered", {"agency": agency.value}))

    return ConsentDecision(allowed=not refusals, refusals=refusals, must_pause=must_pause)


def validate_consent_entry(raw: Mapping[str, Any], today: date) -> tuple[dict[str, Any], FieldErrors]:
    """Check the "registrera samtycke" form; clean values can build a `ConsentRecord`."""
    clean: dict[str, Any] = {}
    errors: FieldErrors = {}

    guardian_id = raw_text(raw, "guardian_id")
    if guardian_id:
        clean["guardian_id"] = guardian_id
    else:
        errors["guardian_id"] = Refusal("consent.guardian_required")

    signed_text = raw_text(raw, "signed_on")
    signed_on = parse_iso_date(signed_text) if signed_text else None
    if not signed_text:
        errors["signed_on"] = Refusal("consent.signed_on_required")
    elif signed_on is None:
        errors["signed_on"] = Refusal("consent.date_invalid", {"field": "signed_on"})
    elif signed_on > today:
        errors["signed_on"] = Refusal("consent.signed_in_future")
    else:
        clean["signed_on"] = signed_on

    agencies: set[Agency] = set()
    for item in split_list(raw.get("agencies")):
        agency = parse_choice(Agency, item)
        if agency is None:
            errors.setdefault("agencies", Refusal("consent.agency_unknown", {"value": item}))
        else:
            agencies.add(agency)
    if "agencies" not in errors:
        if agencies:
            clean["agencies"] = frozenset(agencies)
        else:
            errors["agencies"] = Refusal("consent.agencies_required")

    filed_at = " ".join(raw_text(raw, "filed_at").split())
    if not filed_at:
        errors["filed_at"] = Refusal("consent.filed_at_required")
    elif contains_personnummer(filed_at):
        errors["filed_at"] = personnummer_refusal("filed_at")
    else:
        clean["filed_at"] = filed_at

    until_text = raw_text(raw, "valid_until")
    if until_text:
        valid_until = parse_iso_date(until_text)
        if valid_until is None:
            errors["valid_until"] = Refusal("consent.date_invalid", {"field": "valid_until"})
        elif signed_on is not None and valid_until <= signed_on:
            errors["valid_until"] = Refusal("consent.valid_until_not_after_signed")
        else:
            clean["valid_until"] = valid_until
    else:
        clean["valid_until"] = None

    return clean, errors
