import json
from pathlib import Path

import pytest

from domain.agenda import (
    AgendaConfigError,
    StepKind,
    advance,
    back,
    can_chair,
    chair_refusal,
    current_step,
    end_agenda,
    get_template,
    is_stale,
    load_templates,
    progress,
    start_agenda,
)


def kinds(meeting_type: str) -> list[StepKind]:
    return [s.kind for s in get_template(meeting_type).steps]


def test_arbetsgrupp_follows_the_sspf_order() -> None:
    assert kinds("arbetsgrupp") == [
        StepKind.AGENCY_TEXT,
        StepKind.AGENCY_TEXT,
        StepKind.INDIVIDUAL_CASES,
        StepKind.ACTION_REVIEW,
        StepKind.NEW_ACTIONS,
        StepKind.NEXT_MEETING,
    ]
    template = get_template("arbetsgrupp")
    assert template.steps[0].title.startswith("Allmän lägesbild")
    assert "kalendari" in template.steps[0].hint
    assert template.steps[2].requires_consent
    assert not template.steps[0].requires_consent


def test_individual_and_follow_up_meetings() -> None:
    assert kinds("individuell") == [
        StepKind.CONFIRM,
        StepKind.AGENCY_TEXT,
        StepKind.FREE_TEXT,
        StepKind.NEW_ACTIONS,
        StepKind.NEXT_MEETING,
    ]
    assert kinds("uppfoljning") == [StepKind.ACTION_REVIEW, StepKind.NEW_ACTIONS, StepKind.DECISION]
    assert len(get_template("styrgrupp").steps) >= 2
    assert StepKind.INDIVIDUAL_CASES not in kinds("styrgrupp")  # steering group never sees names
    assert len(get_template("urval").steps) >= 2


def test_every_step_has_a_unique_stable_key() -> None:
    for template in load_templates().values():
        keys = [s.key for s in template.steps]
        assert len(keys) == len(set(keys))


def test_two_presses_of_nasta_from_the_same_card_move_one_step() -> None:
    state = start_agenda(get_template("arbetsgrupp"))
    card_version = state.version
    once = advance(state, card_version)
    twice = advance(once, card_version)
    assert twice == once
    assert progress(twice) == (2, 6)
    assert is_stale(once, card_version)
    assert not is_stale(once, once.version)


def test_walking_to_the_end_and_back() -> None:
    template = get_template("uppfoljning")
    state = start_agenda(template)
    assert progress(state) == (1, 3)
    for _ in range(3):
        state = advance(state, state.version)
    assert state.ended
    assert current_step(state, template) is None
    assert progress(state) == (3, 3)
    assert advance(state, state.version) == state  # nothing after the end
    reopened = back(state, state.version)
    assert not reopened.ended
    assert current_step(reopened, template) == template.steps[-1]


def test_back_on_first_step_and_stale_back_change_nothing() -> None:
    state = start_agenda(get_template("individuell"))
    assert back(state, state.version) == state
    moved = advance(state, state.version)
    assert back(moved, state.version) == moved


def test_chair_can_end_early_once() -> None:
    state = start_agenda(get_template("styrgrupp"))
    ended = end_agenda(state, state.version)
    assert ended.ended
    assert end_agenda(ended, state.version) == ended


def test_only_the_coordinator_chairs() -> None:
    state = start_agenda(get_template("arbetsgrupp"))
    assert can_chair(True) and not can_chair(False)
    assert chair_refusal(False, state, state.version).key == "agenda.only_coordinator"  # type: ignore[union-attr]
    assert chair_refusal(True, state, state.version - 1).key == "agenda.stale_card"  # type: ignore[union-attr]
    assert chair_refusal(True, state, state.version) is None


def test_env_var_points_at_a_municipal_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = json.loads(
        (Path(__file__).parents[2] / "domain" / "data" / "agenda_templates.json").read_text(encoding="utf-8")
    )
    custom["styrgrupp"]["steps"] = [{"key": "kort", "kind": "free_text", "title": "Kort styrgrupp"}]
    path = tmp_path / "agenda.json"
    path.write_text(json.dumps(custom), encoding="utf-8")
    monkeypatch.setenv("SSPF_AGENDA_TEMPLATES", str(path))
    assert [s.title for s in get_template("styrgrupp").steps] == ["Kort styrgrupp"]


def test_broken_template_files_are_reported(tmp_path: Path) -> None:
    bad_kind = tmp_path / "bad.json"
    bad_kind.write_text(json.dumps({"arbetsgrupp": {"steps": [{"key": "a", "kind": "dans", "title": "x"}]}}))
    with pytest.raises(AgendaConfigError):
        load_templates(bad_kind)
    missing = tmp_path / "missing.json"
    missing.write_text(
        json.dumps({"arbetsgrupp": {"steps": [{"key": "a", "kind": "confirm", "title": "x"}]}})
    )
    with pytest.raises(AgendaConfigError, match="lack meeting types"):
        load_templates(missing)
    with pytest.raises(AgendaConfigError):
        load_templates(tmp_path / "nowhere.json")
