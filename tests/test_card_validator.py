"""The Adaptive Card validator (tools/validate_cards.js via tests/harness/cards.py) catches what Teams
would not render and accepts what our cards use."""

from __future__ import annotations

import copy

import pytest

from tests.harness.cards import CARD_BUDGET_BYTES, assert_valid_cards, validate_cards


def valid_card() -> dict:
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": [
            {"type": "TextBlock", "text": "Åtgärd för SSPF-2025-001", "weight": "Bolder", "wrap": True},
            {
                "type": "Input.Text",
                "id": "what",
                "label": "Åtgärd",
                "isRequired": True,
                "errorMessage": "Beskriv åtgärden",
                "maxLength": 500,
                "isMultiline": True,
            },
            {"type": "Input.Date", "id": "due", "label": "Följs upp", "min": "2025-01-01"},
            {
                "type": "Input.ChoiceSet",
                "id": "owner",
                "label": "Ansvarig verksamhet",
                "style": "compact",
                "choices": [
                    {"title": "Skola", "value": "skola"},
                    {"title": "Socialtjänst", "value": "soc"},
                    {"title": "Polis", "value": "polis"},
                    {"title": "Fritid", "value": "fritid"},
                ],
            },
        ],
        "actions": [
            {
                "type": "Action.Execute",
                "title": "Spara",
                "verb": "action.save",
                "data": {"verb": "action.save", "nonce": "3c1d"},
            },
        ],
    }


def events_of(card: dict) -> list[str]:
    (report,) = validate_cards([card])
    return [e.event for e in report.events]


def test_accepts_valid_1_5_card_with_execute_and_inputs():
    reports = assert_valid_cards([valid_card()])
    assert reports[0].ok and reports[0].events == []
    assert 0 < reports[0].bytes < CARD_BUDGET_BYTES


def test_rejects_card_version_above_1_5():
    card = valid_card() | {"version": "1.6"}
    assert "UnsupportedCardVersion" in events_of(card)


def test_rejects_1_6_element():
    card = valid_card()
    card["body"].append({"type": "Carousel", "pages": []})  # registered by adaptivecards as a 1.6 element
    assert "UnknownElementType" in events_of(card)


def test_rejects_unknown_element_and_action():
    card = valid_card()
    card["body"].append({"type": "Fancy", "text": "x"})
    card["actions"].append({"type": "Action.Frob", "title": "x"})
    events = events_of(card)
    assert "UnknownElementType" in events and "UnknownActionType" in events


def test_rejects_unknown_property_and_bad_enum_value():
    card = valid_card()
    card["body"][0]["colour"] = "red"
    card["body"][0]["size"] = "Huge"
    events = events_of(card)
    assert "UnknownProperty" in events and "InvalidPropertyValue" in events


def test_rejects_duplicate_input_ids_and_unlabelled_required_input():
    card = valid_card()
    card["body"].append({"type": "Input.Text", "id": "what", "isRequired": True})
    events = events_of(card)
    assert {"DuplicateId", "RequiredInputsShouldHaveLabel", "RequiredInputsShouldHaveErrorMessage"} <= set(
        events
    )


def test_rejects_oversize_card_with_readable_message():
    big = valid_card()
    big["body"].append({"type": "TextBlock", "text": "x" * (CARD_BUDGET_BYTES + 10), "wrap": True})
    with pytest.raises(AssertionError) as exc:
        assert_valid_cards([valid_card(), big])
    msg = str(exc.value)
    assert "1 of 2" in msg and "card #1" in msg and "OverBudget" in msg


def test_batch_keeps_order_and_names_events():
    bad = copy.deepcopy(valid_card()) | {"version": "1.6"}
    with pytest.raises(AssertionError) as exc:
        assert_valid_cards([valid_card(), valid_card(), bad])
    assert "card #2" in str(exc.value) and "UnsupportedCardVersion" in str(exc.value)
    reports = validate_cards([valid_card(), bad, {"type": "Message"}])
    assert [r.ok for r in reports] == [True, False, False]


def test_bytes_is_utf8_size():
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "åäö"}]}
    (report,) = validate_cards([card])
    import json

    assert report.bytes == len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode())


def test_missing_node_skips_locally_and_fails_under_ci(monkeypatch):
    import shutil

    from tests.harness import cards

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="node"):
        cards.validate_cards([valid_card()])
    monkeypatch.setenv("CI", "true")
    with pytest.raises(cards.ToolingMissing, match="CI=true"):
        cards.validate_cards([valid_card()])
