from collections.abc import Callable
from datetime import date

from domain.agencies import Agency
from domain.consent import ConsentRecord, check_consent, covered_agencies, validate_consent_entry
from domain.refusal import Refusal

Render = Callable[[Refusal], str]
ON = date(2026, 11, 25)
ALL_FOUR = frozenset({Agency.SKOLA, Agency.SOCIALTJANST, Agency.POLIS, Agency.FRITID})


def consent(gid: str, agencies: frozenset[Agency] = ALL_FOUR, **kw: object) -> ConsentRecord:
    fields: dict[str, object] = {"signed_on": date(2026, 11, 1), "filed_at": "Dnr SOC 2026/88"}
    fields.update(kw)
    return ConsentRecord(guardian_id=gid, agencies=agencies, **fields)  # type: ignore[arg-type]


def test_both_guardians_consenting_allows_the_meeting() -> None:
    decision = check_consent([consent("mamma"), consent("pappa")], ["mamma", "pappa"], [Agency.POLIS], ON)
    assert decision.allowed
    assert decision.refusals == []
    assert not decision.must_pause


def test_no_guardian_registered_blocks_everything(render: Render) -> None:
    decision = check_consent([consent("mamma")], [], [Agency.SKOLA], ON)
    assert not decision.allowed
    assert [r.key for r in decision.refusals] == ["consent.no_guardian"]
    assert "Ingen vårdnadshavare" in render(decision.refusals[0])


def test_one_guardian_without_consent_blocks_and_is_named_by_number(render: Render) -> None:
    decision = check_consent([consent("mamma")], ["mamma", "pappa"], [Agency.SKOLA], ON)
    assert not decision.allowed
    assert decision.refusals == [Refusal("consent.guardian_missing", {"guardian": 2, "guardian_id": "pappa"})]
    assert render(decision.refusals[0]).startswith("Vårdnadshavare 2 har inget giltigt")


def test_agency_must_be_covered_by_every_guardian(render: Render) -> None:
    records = [consent("mamma"), consent("pappa", frozenset({Agency.SKOLA, Agency.SOCIALTJANST}))]
    decision = check_consent(records, ["mamma", "pappa"], [Agency.SKOLA, Agency.POLIS], ON)
    assert not decision.allowed
    assert decision.refusals == [Refusal("consent.agency_not_covered", {"agency": "polis"})]
    assert render(decision.refusals[0]) == (
        "Samtycke saknas för polis. Registrera vårdnadshavarnas skriftliga samtycke först."
    )
    assert covered_agencies(records, ["mamma", "pappa"], ON) == {Agency.SKOLA, Agency.SOCIALTJANST}


def test_agencies_from_two_forms_of_one_guardian_add_up() -> None:
    records = [consent("mamma", frozenset({Agency.SKOLA})), consent("mamma", frozenset({Agency.POLIS}))]
    assert check_consent(records, ["mamma"], [Agency.SKOLA, Agency.POLIS], ON).allowed


def test_consent_signed_later_or_expired_is_not_valid_on_the_date() -> None:
    later = consent("mamma", signed_on=date(2026, 11, 26))
    expired = consent("mamma", valid_until=date(2026, 11, 24))
    assert check_consent([later], ["mamma"], [], ON).refusals[0].key == "consent.guardian_missing"
    assert check_consent([expired], ["mamma"], [], ON).refusals[0].key == "consent.guardian_missing"
    last_day = consent("mamma", valid_until=ON)
    assert check_consent([last_day], ["mamma"], [], ON).allowed
    assert check_consent([consent("mamma", signed_on=ON)], ["mamma"], [], ON).allowed


def test_withdrawal_stops_everything_and_pauses_the_case(render: Render) -> None:
    records = [consent("mamma"), consent("pappa", withdrawn_on=date(2026, 11, 20))]
    decision = check_consent(records, ["mamma", "pappa"], [Agency.SKOLA], ON)
    assert not decision.allowed
    assert decision.must_pause
    assert [r.key for r in decision.refusals] == ["consent.withdrawn"]
    assert "återkallade samtycket 2026-11-20" in render(decision.refusals[0])
    assert covered_agencies(records, ["mamma", "pappa"], ON) == frozenset()


def test_before_the_withdrawal_date_the_consent_still_held() -> None:
    records = [consent("mamma", withdrawn_on=date(2026, 11, 26))]
    assert check_consent(records, ["mamma"], [Agency.SKOLA], ON).allowed
    assert check_consent(records, ["mamma"], [Agency.SKOLA], date(2026, 11, 26)).must_pause


def test_a_new_consent_after_withdrawal_restores_the_case() -> None:
    records = [
        consent("mamma", withdrawn_on=date(2026, 11, 10)),
        consent("mamma", signed_on=date(2026, 11, 20)),
    ]
    decision = check_consent(records, ["mamma"], [Agency.POLIS], ON)
    assert decision.allowed and not decision.must_pause


def test_consent_of_someone_not_registered_as_guardian_does_not_count() -> None:
    decision = check_consent([consent("granne")], ["mamma"], [], ON)
    assert not decision.allowed


def entry(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "guardian_id": "g1",
        "signed_on": "2026-11-20",
        "agencies": "skola,socialtjanst,polis",
        "filed_at": "Dnr SOC 2026/88",
        "valid_until": "",
    }
    base.update(overrides)
    return base


def test_a_good_consent_entry_builds_a_record(today: date) -> None:
    clean, errors = validate_consent_entry(entry(valid_until="2027-11-20"), today)
    assert errors == {}
    record = ConsentRecord(**{k: v for k, v in clean.items() if k != "custodians"})
    assert record.agencies == {Agency.SKOLA, Agency.SOCIALTJANST, Agency.POLIS}
    assert record.is_valid_on(today)


def test_consent_entry_refusals(today: date, render: Render) -> None:
    _, errors = validate_consent_entry(
        entry(signed_on="2026-12-01", agencies="", filed_at="", guardian_id=""), today
    )
    assert {k: r.key for k, r in errors.items()} == {
        "guardian_id": "consent.guardian_required",
        "signed_on": "consent.signed_in_future",
        "agencies": "consent.agencies_required",
        "filed_at": "consent.filed_at_required",
    }
    _, errors = validate_consent_entry(entry(signed_on="20/11", agencies=["skola", "kyrkan"]), today)
    assert errors["signed_on"].key == "consent.date_invalid"
    assert render(errors["agencies"]) == "Okänd verksamhet: kyrkan."


def test_valid_until_must_come_after_signing(today: date) -> None:
    _, errors = validate_consent_entry(entry(valid_until="2026-11-20"), today)
    assert errors["valid_until"].key == "consent.valid_until_not_after_signed"


def test_filed_at_with_a_personnummer_is_refused_and_dropped(today: date) -> None:
    clean, errors = validate_consent_entry(entry(filed_at="pärm för 20120315-1234"), today)
    assert errors["filed_at"].key == "privacy.personnummer_refused"
    assert "filed_at" not in clean
