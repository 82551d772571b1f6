"""Who consents (issue 15): every custodian, the young person too from 15, only the young person from 18;
a consent past its end date covers nothing from the next day on. Pure rules of domain/consent.py."""

from __future__ import annotations

from datetime import date, timedelta

from domain.agencies import Agency
from domain.consent import ConsentRecord, Signers, check_consent, consent_ends_on, covered_agencies
from domain.consent_rules import ConsentRules

ON = date(2026, 11, 30)
SKOLA, SOC, POLIS = Agency.SKOLA, Agency.SOCIALTJANST, Agency.POLIS


def signed(who: str, *agencies: Agency, until: date | None = None, withdrawn: date | None = None):
    return ConsentRecord(
        who,
        ON - timedelta(days=10),
        frozenset(agencies),
        "Diarium 1",
        valid_until=until,
        withdrawn_on=withdrawn,
    )


def keys(decision) -> list[str]:
    return [r.key for r in decision.refusals]


def test_one_of_two_custodians_is_not_enough_and_says_who_is_missing():
    who = Signers(("g1", "g2"), custodians=2, birth_year=2013)
    decision = check_consent([signed("g1", SKOLA)], who, [SKOLA], ON)
    assert not decision.allowed
    assert keys(decision) == ["consent.guardian_missing"]
    assert decision.refusals[0].params["guardian"] == 2


def test_two_custodians_but_one_registered_says_how_many_are_missing():
    who = Signers(("g1",), custodians=2, birth_year=2013)
    decision = check_consent([signed("g1", SKOLA)], who, [SKOLA], ON)
    assert keys(decision) == ["consent.guardians_not_registered"]
    assert decision.refusals[0].params == {"missing": 1, "custodians": 2}


def test_the_number_of_custodians_must_be_recorded():
    who = Signers(("g1",), custodians=None, birth_year=2013)
    assert keys(check_consent([signed("g1", SKOLA)], who, [SKOLA], ON)) == ["consent.custodians_unknown"]


def test_a_sixteen_year_old_signs_too():
    born = ON.year - 16
    guardians_only = Signers(("g1",), youth_id=None, custodians=1, birth_year=born)
    assert keys(check_consent([signed("g1", SKOLA)], guardians_only, [SKOLA], ON)) == [
        "consent.youth_not_registered"
    ]
    with_youth = Signers(("g1",), youth_id="y", custodians=1, birth_year=born)
    assert keys(check_consent([signed("g1", SKOLA)], with_youth, [SKOLA], ON)) == ["consent.youth_missing"]
    assert check_consent([signed("g1", SKOLA), signed("y", SKOLA)], with_youth, [SKOLA], ON).allowed


def test_a_twelve_year_old_needs_the_guardians_only():
    who = Signers(("g1",), youth_id="y", custodians=1, birth_year=ON.year - 12)
    assert check_consent([signed("g1", SKOLA)], who, [SKOLA], ON).allowed


def test_from_eighteen_only_the_young_persons_own_consent_counts():
    who = Signers(("g1", "g2"), youth_id="y", custodians=2, birth_year=ON.year - 19)
    assert check_consent([signed("y", SKOLA, SOC)], who, [SKOLA, SOC], ON).allowed
    assert keys(check_consent([signed("g1", SKOLA), signed("g2", SKOLA)], who, [SKOLA], ON)) == [
        "consent.youth_missing"
    ]


def test_the_age_limits_are_the_municipalitys_to_set():
    who = Signers(("g1",), youth_id="y", custodians=1, birth_year=ON.year - 14)
    assert check_consent([signed("g1", SKOLA)], who, [SKOLA], ON).allowed  # default: from 15
    stricter = ConsentRules(youth_from_age=13)
    assert not check_consent([signed("g1", SKOLA)], who, [SKOLA], ON, stricter).allowed


def test_coverage_is_what_every_required_signer_consented_to():
    who = Signers(("g1", "g2"), custodians=2, birth_year=2013)
    records = [signed("g1", SKOLA, SOC, POLIS), signed("g2", SKOLA, SOC)]
    assert set(covered_agencies(records, who, ON)) == {SKOLA, SOC}
    decision = check_consent(records, who, [POLIS], ON)
    assert keys(decision) == ["consent.agency_not_covered"]


def test_a_consent_past_its_end_date_covers_nothing_from_the_next_day():
    who = Signers(("g1",), custodians=1, birth_year=2013)
    records = [signed("g1", SKOLA, until=ON)]
    assert set(covered_agencies(records, who, ON)) == {SKOLA}
    assert consent_ends_on(records, who, ON) == ON
    assert set(covered_agencies(records, who, ON + timedelta(days=1))) == set()
    assert not check_consent(records, who, [SKOLA], ON + timedelta(days=1)).allowed


def test_a_withdrawal_ends_coverage_at_once_and_asks_for_a_pause():
    who = Signers(("g1",), custodians=1, birth_year=2013)
    decision = check_consent([signed("g1", SKOLA, withdrawn=ON)], who, [SKOLA], ON)
    assert not decision.allowed and decision.must_pause
