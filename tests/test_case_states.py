"""Issue 17 item 6: the case card says the state once and offers what the state allows.

A closed case showed "Avslutat" and "Återkallat – ärendet är pausat" at once; a paused case still
offered "Återkalla samtycke" and "Boka möte", and the booking form opened with no warning.
"""

from __future__ import annotations

from typing import Any

from tests.case_steps import consent_of_both_guardians, open_case_with_team
from tests.conftest import COORDINATOR
from tests.harness import activities as acts
from tests.harness.bot_runner import all_actions, card_text, find_action, input_values

ME = acts.personal(COORDINATOR)


def titles(card: dict[str, Any]) -> list[str]:
    return [a["title"] for a in all_actions(card)]


async def paused_case(bot) -> tuple[str, dict[str, Any]]:
    """A case with consent whose consent was then withdrawn; returns its code and the card shown before."""
    code, _ = await open_case_with_team(bot)
    await consent_of_both_guardians(bot, code)
    before = (await bot.say(COORDINATOR, ME, f"ärende {code}")).card
    ask = await bot.say(COORDINATOR, ME, f"återkalla samtycke {code}")
    await bot.press(COORDINATOR, ME, find_action(ask.card, "Återkalla samtycket"), input_values(ask.card))
    return code, before


async def test_a_paused_case_says_so_once_and_offers_a_new_consent_not_booking(bot):
    code, _ = await paused_case(bot)
    shown = (await bot.say(COORDINATOR, ME, f"ärende {code}")).card
    text = card_text(shown)
    assert text.count("Pausat") == 1 and "Återkallat" not in text
    assert "samtycket har återkallats eller upphört" in text
    offered = titles(shown)
    assert "Registrera nytt samtycke" in offered
    for gone in ("Återkalla samtycke", "Boka möte", "Lägg till i teamet", "Registrera samtycke"):
        assert gone not in offered, gone


async def test_booking_a_paused_case_is_refused_in_swedish_before_the_form(bot):
    code, before = await paused_case(bot)
    pressed = await bot.press(COORDINATOR, ME, find_action(before, "Boka möte"))  # a card from before
    typed = await bot.say(COORDINATOR, ME, f"boka möte {code}")
    for answer in (pressed, typed):
        assert not answer.cards, "the booking form opened for a paused case"
        assert answer.texts == [
            f"Det går inte att boka möte för **{code}**: SSPF-ärendet är pausat eftersom samtycket har "
            "återkallats eller upphört. Registrera ett nytt skriftligt samtycke först."
        ]


async def test_a_closed_case_shows_one_status_and_can_only_be_read(bot):
    code, before = await paused_case(bot)
    ask = await bot.say(COORDINATOR, ME, f"avsluta ärende {code}")
    await bot.press(COORDINATOR, ME, find_action(ask.card, "Avsluta ärendet"), {"reason": "mal_uppnatt"})
    shown = (await bot.say(COORDINATOR, ME, f"ärende {code}")).card
    text = card_text(shown)
    assert text.count("Avslutat") == 1
    assert "Återkallat" not in text and "pausat" not in text.lower()
    assert titles(shown) == ["Vem har läst?"]
    pressed = await bot.press(COORDINATOR, ME, find_action(before, "Boka möte"))
    assert not pressed.cards
    assert pressed.texts == [f"Det går inte att boka möte för **{code}**: SSPF-ärendet är avslutat."]
