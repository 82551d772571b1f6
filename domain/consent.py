"""The consent gate: nothing at individual level happens without written consent.

Who consents (OSL 10 kap. 1 §, 12 kap. 2-3 §; FB 6 kap. 11 §; see docs/CONSENT.md):

- every custodian of the child (joint custody means both): the coordinator records how many custodians
  the child has (``Signers.custodians``); with fewer registered, or fewer consenting, nothing is complete;
- from ``ConsentRules.youth_from_age`` (default 15) the young person's own consent is recorded as well;
- from ``ConsentRules.adult_age`` (18) only the young person's own consent counts: no guardian is asked.

Only the birth year is stored, so an age is a range: the youth is asked from the year they *may* have
turned 15 (asking too early is never wrong); guardians stop being asked once the person has *certainly*
turned 18 (the year after the one they turn 18 in), until then both are asked.

A consent names its parties: agencies, and named others (Region/BUP, a förening, a relative) with their
role (``Party``). It lifts secrecy only between the parties every required signer named (``Coverage``),
only while every required consent is valid: withdrawal pauses the case at once, an end date
(``valid_until``) ends it the day after. Checks take the date explicitly so the same rules answer
"may we meet on the 3rd?" as well as "may we meet today?".

i18n keys emitted:
    consent.no_guardian
    consent.custodians_unknown
    consent.guardians_not_registered    (missing, custodians)
    consent.youth_not_registered
    consent.youth_missing
    consent.youth_withdrawn             (withdrawn_on)
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
    consent.custodians_invalid
    consent.party_incomplete            (number)
    consent.party_kind_unknown          (value)
    party_kind.<value>                  (labels)
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
from domain.consent_rules import ConsentRules
from domain.personnummer import contains_personnummer
from domain.refusal import FieldErrors, Refusal

I18N_KEYS: frozenset[str] = frozenset(
    {
        "consent.no_guardian",
        "consent.custodians_unknown",
        "consent.guardians_not_registered",
        "consent.youth_not_registered",
        "consent.youth_missing",
        "consent.youth_withdrawn",
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
        "consent.custodians_invalid",
        "consent.party_incomplete",
        "consent.party_kind_unknown",
        "privacy.personnummer_refused",
    }
    | {f"party_kind.{k}" for k in ("region", "forening", "anhorig", "annan")}
)


PARTY_KINDS = ("region", "forening", "anhorig", "annan")  # Region/BUP, förening, a relative, someone else
PARTY_ROWS = 3  # named others on one consent form


@dataclass(frozen=True)
class Party:
    """Someone outside the agencies that a consent names: kind (``PARTY_KINDS``), name and role,
    e.g. ("region", "BUP Norra", "behandlare"), ("forening", "IFK Centrum", "tränare")."""

    kind: str
    name: str
    role: str = ""

    def matches(self, display_name: str | None) -> bool:
        """A team member stands for this party when the party's name is in their display name."""
        name = " ".join(self.name.casefold().split())
        return bool(display_name) and len(name) >= 3 and name in " ".join(display_name.casefold().split())


class Coverage(frozenset):
    """The agencies a complete consent covers (a frozenset of ``Agency``, so ``agency in coverage``),
    plus the named others (``others``). Empty whenever the consent is not complete."""

    others: tuple[Party, ...]

    def __new__(cls, agencies: Iterable[Agency] = (), others: Iterable[Party] = ()) -> Coverage:
        made = super().__new__(cls, agencies)
        made.others = tuple(others)
        return made

    def covers(self, agency: Agency | None, display_name: str | None = None) -> bool:
        """May this team member (agency, and name for ``annan``) take part? An ``annan`` member is
        covered only when a named other party of the consent is them (``Party.matches``)."""
        if agency is None or not self:
            return False
        if agency is Agency.ANNAN:
            return any(p.matches(display_name) for p in self.others)
        return agency in self


def covers(covered: frozenset[Agency], agency: Agency | None, display_name: str | None = None) -> bool:
    """The one coverage question, for plain sets (tests) and ``Coverage`` alike."""
    if isinstance(covered, Coverage):
        return covered.covers(agency, display_name)
    return agency is not None and agency in covered


@dataclass(frozen=True)
class ConsentRecord:
    """One signed consent form; `filed_at` says where the paper is kept (diarium, not Teams).

    ``guardian_id`` is the signer: a guardian's or the young person's contact id."""

    guardian_id: str
    signed_on: date
    agencies: frozenset[Agency]
    filed_at: str
    valid_until: date | None = None
    withdrawn_on: date | None = None
    parties: tuple[Party, ...] = ()

    def is_valid_on(self, on: date) -> bool:
        """Signed on or before `on`, not past `valid_until`, not withdrawn on or before `on`."""
        if self.signed_on > on:
            return False
        if self.valid_until is not None and on > self.valid_until:
            return False
        return self.withdrawn_on is None or on < self.withdrawn_on


@dataclass(frozen=True)
class Signers:
    """Who is registered on the case to consent, and what decides who must."""

    guardian_ids: tuple[str, ...]
    youth_id: str | None = None
    custodians: int | None = None  # how many custodians the child has (None: not recorded yet)
    birth_year: int | None = None


def age_range(birth_year: int, on: date) -> tuple[int, int]:
    """Youngest and oldest the person can be on ``on`` knowing the birth year only."""
    return on.year - birth_year - 1, on.year - birth_year


@dataclass(frozen=True)
class Requirement:
    """Whose consent makes it complete: ``custodians`` guardians (0 for an adult) and maybe the youth."""

    custodians: int | None
    youth: bool
    adult: bool


def requirement(signers: Signers, on: date, rules: ConsentRules | None = None) -> Requirement:
    rules = rules or ConsentRules()
    if signers.birth_year is None:
        return Requirement(signers.custodians, False, False)
    youngest, oldest = age_range(signers.birth_year, on)
    if youngest >= rules.adult_age:
        return Requirement(0, True, True)
    return Requirement(signers.custodians, oldest >= rules.youth_from_age, False)


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


def _signers(signers: Signers | Sequence[str]) -> Signers:
    """A plain list of guardian ids means: these are all the custodians (the domain tests' shorthand)."""
    if isinstance(signers, Signers):
        return signers
    ids = tuple(_unique(signers))
    return Signers(ids, None, len(ids), None)


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


def required_ids(signers: Signers | Sequence[str], on: date, rules: ConsentRules | None = None) -> list[str]:
    """The registered signers whose consent is required on ``on`` (guardians first, then the youth)."""
    who = _signers(signers)
    need = requirement(who, on, rules)
    ids = [] if need.adult else list(who.guardian_ids)
    if need.youth and who.youth_id:
        ids.append(who.youth_id)
    return ids


def _complete(records: list[ConsentRecord], who: Signers, on: date, rules: ConsentRules | None) -> bool:
    return not _signer_refusals(records, who, on, rules)[0]


def _signer_refusals(
    records: list[ConsentRecord], who: Signers, on: date, rules: ConsentRules | None
) -> tuple[list[Refusal], bool]:
    need = requirement(who, on, rules)
    refusals: list[Refusal] = []
    must_pause = False
    guardians = [] if need.adult else _unique(who.guardian_ids)
    if not need.adult:
        if need.custodians is None:
            refusals.append(
                Refusal("consent.no_guardian") if not guardians else Refusal("consent.custodians_unknown")
            )
        elif not guardians:
            refusals.append(Refusal("consent.no_guardian"))
        elif len(guardians) < need.custodians:
            refusals.append(
                Refusal(
                    "consent.guardians_not_registered",
                    {"missing": need.custodians - len(guardians), "custodians": need.custodians},
                )
            )
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
    if need.youth:
        if not who.youth_id:
            refusals.append(Refusal("consent.youth_not_registered"))
        elif (withdrawn := _withdrawal(records, who.youth_id, on)) is not None:
            must_pause = True
            refusals.append(
                Refusal(
                    "consent.youth_withdrawn", {"withdrawn_on": (withdrawn.withdrawn_on or on).isoformat()}
                )
            )
        elif not _valid_for(records, who.youth_id, on):
            refusals.append(Refusal("consent.youth_missing"))
    return refusals, must_pause


def covered_agencies(
    consents: Iterable[ConsentRecord],
    signers: Signers | Sequence[str],
    on: date,
    rules: ConsentRules | None = None,
) -> Coverage:
    """What every required signer has consented to on `on`, only when the consent is complete
    (every custodian, and the youth where required): who may see case content and join meetings."""
    records = list(consents)
    who = _signers(signers)
    if not _complete(records, who, on, rules):
        return Coverage()
    agencies: frozenset[Agency] | None = None
    others: list[Party] | None = None
    for sid in required_ids(who, on, rules):
        mine: set[Agency] = set()
        theirs: list[Party] = []
        for record in _valid_for(records, sid, on):
            mine |= record.agencies
            theirs += [p for p in record.parties if p not in theirs]
        agencies = frozenset(mine) if agencies is None else agencies & mine
        others = theirs if others is None else [p for p in others if p in theirs]
    return Coverage(agencies or (), others or ())


def consent_ends_on(
    consents: Iterable[ConsentRecord],
    signers: Signers | Sequence[str],
    on: date,
    rules: ConsentRules | None = None,
) -> date | None:
    """The last day the consent is complete if nothing changes: the earliest end date among the
    required signers' latest valid consents (None: complete without an end date, or not complete)."""
    records = list(consents)
    who = _signers(signers)
    if not _complete(records, who, on, rules):
        return None
    ends: list[date] = []
    for sid in required_ids(who, on, rules):
        valid = _valid_for(records, sid, on)
        if any(c.valid_until is None for c in valid):
            continue
        ends.append(max(c.valid_until for c in valid if c.valid_until is not None))
    return min(ends) if ends else None


def check_consent(
    consents: Iterable[ConsentRecord],
    signers: Signers | Sequence[str],
    agencies_needed: Iterable[Agency],
    on: date,
    rules: ConsentRules | None = None,
) -> ConsentDecision:
    """The consent gate for individual-level work on a date."""
    records = list(consents)
    who = _signers(signers)
    refusals, must_pause = _signer_refusals(records, who, on, rules)
    if not refusals:
        covered = covered_agencies(records, who, on, rules)
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

    custodians_text = raw_text(raw, "custodians")
    if custodians_text:
        if custodians_text in ("1", "2"):
            clean["custodians"] = int(custodians_text)
        else:
            errors["custodians"] = Refusal("consent.custodians_invalid")
    else:
        clean["custodians"] = None

    parties: list[Party] = []
    for number in range(1, PARTY_ROWS + 1):
        kind = raw_text(raw, f"party{number}_kind")
        name = " ".join(raw_text(raw, f"party{number}_name").split())
        role = " ".join(raw_text(raw, f"party{number}_role").split())
        if not name and not role:
            continue
        field_name = f"party{number}_name"
        if contains_personnummer(name) or contains_personnummer(role):
            errors[field_name] = personnummer_refusal(field_name)
        elif not name or not role:
            errors[field_name] = Refusal("consent.party_incomplete", {"number": number})
        elif (kind or "annan") not in PARTY_KINDS:
            errors[field_name] = Refusal("consent.party_kind_unknown", {"value": kind})
        else:
            parties.append(Party(kind or "annan", name[:120], role[:120]))
    clean["parties"] = tuple(parties)

    return clean, errors
