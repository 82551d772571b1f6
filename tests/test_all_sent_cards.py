"""Every Adaptive Card the bot sent during this test run is valid 1.5 for Microsoft's own parser and
within our 28 KB budget: Teams would show an empty or broken card otherwise."""

from __future__ import annotations

import pytest

from tests.harness.cards import assert_valid_cards
from tests.harness.connector import SENT_CARDS


def test_every_card_the_bot_sent_is_valid(request: pytest.FixtureRequest):
    if len(request.session.items) < 20:
        pytest.skip("checks the cards the rest of the suite made the bot send: run it with the suite")
    cards = list(SENT_CARDS.values())
    assert len(cards) >= 5, "the suite made the bot send almost no cards: the collector is broken"
    assert_valid_cards(cards)
