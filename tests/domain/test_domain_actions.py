from collections.abc import Callable
from datetime import date

import pytest

from domain.actions import ActionKind, ActionStatus, change_action_status, postpone, validate_action
from domain.agencies import Agency
from domain.refusal import Refusal

Render = Callable[[Refusal], str]


def action(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "text": "Läxhjälp tisdagar på fritidsgården",
        "kind": "laxlasning",
        "agency": "fritid",
        "responsible": "user-anna",
        "due_on": "2026-12-10",
        "follow_up_on": "2026-12-17",
    }
    base.update(overrides)
    return base


def test_a_good_action_is_accepted(today: date) -> None:
    clean, errors = validate_action(action(), today)
    assert errors == {}
    assert clean["agency"] is Agency.FRITID
    assert clean["kind"] is ActionKind.LAXLASNING
    assert clean["due_on"] == date(2026, 12, 10)
    assert clean["follow_up_on"] == date(2026, 12, 17)


def test_known_kind_without_text_uses_the_kind_label(today: date) -> None:
    clean, errors = validate_action(action(text="", kind="samtalskontakt"), today)
    assert errors == {}
    assert clean["text"] is None
    assert clean["text_key"] == "action_kind.samtalskontakt"


def test_other_kind_needs_a_text(today: date) -> None:
    _, errors = validate_action(action(text="  ", kind="annan"), today)
    assert errors["text"] == Refusal("action.text_required")


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("agency", "action.agency_required"),
        ("responsible", "action.responsible_required"),
        ("due_on", "action.due_on_required"),
    ],
)
def test_owner_agency_and_date_are_required(field: str, key: str, today: date) -> None:
    _, errors = validate_action(action(**{field: ""}), today)
    assert errors[field].key == key


def test_due_date_in_the_past_is_refused_but_today_is_fine(today: date, render: Render) -> None:
    _, errors = validate_action(action(due_on="2026-11-24", follow_up_on=""), today)
    assert render(errors["due_on"]) == "Klart senast kan inte ligga bakåt i tiden."
    assert validate_action(action(due_on="2026-11-25", follow_up_on=""), today)[1] == {}


def test_follow_up_before_due_is_refused(today: date) -> None:
    _, errors = validate_action(action(follow_up_on="2026-12-09"), today)
    assert errors["follow_up_on"].key == "action.follow_up_before_due"
    assert validate_action(action(follow_up_on="2026-12-10"), today)[1] == {}


def test_personnummer_in_the_text_is_refused_and_not_kept(today: date) -> None:
    clean, errors = validate_action(action(text="Ring om 120315-1234"), today)
    assert errors["text"].key == "privacy.personnummer_refused"
    assert "text" not in clean


def test_unknown_agency_and_bad_date_are_named(today: date, render: Render) -> None:
    _, errors = validate_action(action(agency="kyrkan", due_on="10 dec"), today)
    assert render(errors["agency"]) == "Okänd verksamhet: kyrkan."
    assert errors["due_on"] == Refusal("action.date_invalid", {"field": "due_on"})


def test_not_done_requires_a_comment() -> None:
    assert change_action_status(ActionStatus.OPEN, ActionStatus.NOT_DONE) == Refusal(
        "action.comment_required"
    )
    assert (
        change_action_status(ActionStatus.OPEN, ActionStatus.NOT_DONE, "Familjen tackade nej")
        is ActionStatus.NOT_DONE
    )
    assert change_action_status(ActionStatus.IN_PROGRESS, ActionStatus.DONE) is ActionStatus.DONE
    assert change_action_status(ActionStatus.DONE, ActionStatus.DONE).key == "action.status_unchanged"


def test_comment_with_personnummer_is_refused() -> None:
    result = change_action_status(ActionStatus.OPEN, ActionStatus.NOT_DONE, "gäller 1203151236")
    assert isinstance(result, Refusal) and result.key == "privacy.personnummer_refused"


def test_postpone_moves_by_weeks_or_days_and_skips_holidays() -> None:
    assert postpone(date(2026, 11, 25), weeks=1) == date(2026, 12, 2)
    assert postpone(date(2026, 11, 25), days=3) == date(2026, 11, 30)  # Saturday → Monday
    assert postpone(date(2026, 12, 17), weeks=1) == date(2026, 12, 28)  # julafton → after Christmas
    with pytest.raises(ValueError):
        postpone(date(2026, 11, 25))
