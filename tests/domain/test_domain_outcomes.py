"""The outcome questions: only answers on each question's own scale are taken; blanks are unknown."""

from domain.outcomes import SCALES, Indicator, field_name, read_outcomes


def test_answers_on_the_scale_are_taken_and_blanks_skipped() -> None:
    answers, refusals = read_outcomes(
        {"outcome_skolnarvaro": "battre", "outcome_droger": " minskat ", "outcome_fritid": "", "reason": "x"}
    )
    assert answers == {Indicator.SKOLNARVARO: "battre", Indicator.DROGER: "minskat"}
    assert refusals == {}


def test_an_answer_from_another_scale_is_refused_for_that_field_only() -> None:
    answers, refusals = read_outcomes({"outcome_brottslighet": "battre", "outcome_fritid": "ja"})
    assert answers == {Indicator.FRITID: "ja"}
    assert set(refusals) == {"outcome_brottslighet"}
    assert refusals["outcome_brottslighet"].key == "outcome.unknown_value"


def test_non_text_values_are_refused_not_crashed_on() -> None:
    _, refusals = read_outcomes({"outcome_skolnarvaro": ["battre"], "outcome_droger": 3})
    assert refusals == {}  # not text: treated as not answered


def test_every_indicator_has_a_scale_whose_goal_is_one_of_its_answers() -> None:
    assert set(SCALES) == set(Indicator)
    for indicator, scale in SCALES.items():
        assert scale.good in scale.values
        assert field_name(indicator) == f"outcome_{indicator.value}"
