from collections.abc import Callable
from datetime import date

import pytest

from domain.agencies import CaseStatus, ConcernCategory, SignalSource, Track
from domain.case_rules import CloseReason, change_case_status, validate_new_case
from domain.consent_rules import ConsentRules
from domain.refusal import Refusal

Render = Callable[[Refusal], str]


def form(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "initials": "A.B.",
        "birth_year": "2012",
        "school_area": "Centrumskolan",
        "signal_source": "skola",
        "concerns": "skolk, droger",
        "track": "",
    }
    base.update(overrides)
    return base


def test_a_good_form_gives_clean_typed_values(today: date) -> None:
    clean, errors = validate_new_case(form(), today)
    assert errors == {}
    assert clean == {
        "initials": "AB",
        "birth_year": 2012,
        "school_area": "Centrumskolan",
        "signal_source": SignalSource.SKOLA,
        "concerns": (ConcernCategory.SKOLK, ConcernCategory.DROGER),
        "track": Track.INDIVIDUELL,
    }


def test_swedish_words_as_typed_are_understood(today: date) -> None:
    clean, errors = validate_new_case(
        form(
            initials="Å Ö",
            signal_source="Vårdnadshavare",
            concerns="Utåtagerande; Kriminella grupper",
            track="Top 5",
        ),
        today,
    )
    assert errors == {}
    assert clean["initials"] == "ÅÖ"
    assert clean["concerns"] == (ConcernCategory.UTAGERANDE, ConcernCategory.KRIMINELLA_GRUPPER)
    assert clean["track"] is Track.TOP5


@pytest.mark.parametrize("field", ["initials", "school_area", "concerns", "signal_source", "birth_year"])
def test_personnummer_in_any_field_is_refused_and_not_echoed(field: str, today: date, render: Render) -> None:
    clean, errors = validate_new_case(form(**{field: "120315-1234"}), today)
    assert errors[field] == Refusal("privacy.personnummer_refused", {"field": field})
    assert field not in clean
    assert "120315" not in repr(clean)
    assert "120315" not in repr(errors)
    assert "Personnummer" in render(errors[field])


@pytest.mark.parametrize("initials", ["ABCD", "A1", "", "Anna-Karin"])
def test_initials_must_be_one_to_three_letters(initials: str, today: date) -> None:
    _, errors = validate_new_case(form(initials=initials), today)
    assert errors["initials"].key in {"case.initials_invalid", "case.initials_required"}


def test_birth_year_outside_the_target_ages_is_refused_with_the_range(today: date, render: Render) -> None:
    # default target ages 12-18 (source page 003): someone who may still be 18, or turns 12 this year
    _, errors = validate_new_case(form(birth_year="1990"), today)
    assert render(errors["birth_year"]) == "Födelseåret ska ligga mellan 2007 och 2014."
    assert validate_new_case(form(birth_year="2007"), today)[1] == {}
    assert validate_new_case(form(birth_year="2014"), today)[1] == {}
    assert "birth_year" in validate_new_case(form(birth_year="2015"), today)[1]
    assert "birth_year" in validate_new_case(form(birth_year="2006"), today)[1]


def test_target_ages_are_the_municipalitys(today: date) -> None:
    wide = ConsentRules(target_age_min=6, target_age_max=21)
    assert validate_new_case(form(birth_year="2020"), today, wide)[1] == {}
    assert validate_new_case(form(birth_year="2004"), today, wide)[1] == {}
    assert validate_new_case(form(birth_year="12"), today)[1]["birth_year"].key == "case.birth_year_invalid"


def test_missing_fields_each_get_their_own_message(today: date) -> None:
    clean, errors = validate_new_case({}, today)
    assert set(errors) == {"initials", "birth_year", "school_area", "signal_source", "concerns"}
    assert clean == {"track": Track.INDIVIDUELL}


def test_unknown_choices_name_the_offending_value(today: date, render: Render) -> None:
    _, errors = validate_new_case(form(concerns="skolk, mobbning", signal_source="grannen"), today)
    assert render(errors["concerns"]) == "Okänt orosområde: mobbning."
    assert render(errors["signal_source"]) == "Okänd signalkälla: grannen."


def test_pause_and_resume_need_no_reason() -> None:
    assert change_case_status(CaseStatus.OPEN, CaseStatus.PAUSED) == (CaseStatus.PAUSED, None)
    assert change_case_status(CaseStatus.PAUSED, CaseStatus.OPEN) == (CaseStatus.OPEN, None)


@pytest.mark.parametrize("current", [CaseStatus.OPEN, CaseStatus.PAUSED])
def test_closing_requires_a_known_reason(current: CaseStatus) -> None:
    assert change_case_status(current, CaseStatus.CLOSED) == Refusal("case.close_reason_required")
    assert change_case_status(current, CaseStatus.CLOSED, "   ") == Refusal("case.close_reason_required")
    assert change_case_status(current, CaseStatus.CLOSED, "tröttnade").key == "case.close_reason_unknown"
    assert change_case_status(current, CaseStatus.CLOSED, "flyttat") == (
        CaseStatus.CLOSED,
        CloseReason.FLYTTAT,
    )
    assert change_case_status(current, CaseStatus.CLOSED, "Mål uppnått") == (
        CaseStatus.CLOSED,
        CloseReason.MAL_UPPNATT,
    )


def test_closed_cases_stay_closed(render: Render) -> None:
    refusal = change_case_status(CaseStatus.CLOSED, CaseStatus.OPEN)
    assert isinstance(refusal, Refusal)
    assert refusal.key == "case.already_closed"
    assert "nytt ärende" in render(refusal)
    assert change_case_status(CaseStatus.OPEN, CaseStatus.OPEN).key == "case.status_unchanged"
