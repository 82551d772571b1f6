"""Issue 17 item 5: a step that asserts something ("Syfte och samtycke") needs its confirmation before
Nästa, and minnesanteckningar of a meeting ended early say "Inte bekräftat", never "Inget antecknat"."""

from __future__ import annotations

from domain.agenda import get_template, may_move_on
from tests.conftest import COORDINATOR
from tests.harness import activities as acts
from tests.harness.bot_runner import all_actions, card_text, find_action
from tests.test_agenda import _case_meeting


def test_the_purpose_and_consent_step_must_be_confirmed():
    step = get_template("individuell").steps[0]
    assert step.must_confirm and step.title == "Syfte och samtycke"
    assert not may_move_on(step, confirmed=False) and may_move_on(step, confirmed=True)
    assert all(not s.must_confirm for s in get_template("individuell").steps[1:])


async def test_next_waits_for_the_confirmation_and_the_chat_card_stays_neutral(bot):
    conv = acts.meeting_chat("confirm")
    await _case_meeting(bot, conv)
    start = await bot.say(COORDINATOR, conv, "starta mötet")
    refused = await bot.press(COORDINATOR, conv, find_action(start.card, "Nästa ▶"))
    text = card_text(refused.card)
    assert "Bekräfta syfte och samtycke innan ni går vidare." in text and "Punkt 1 av 5" in text
    confirmed = await bot.press(COORDINATOR, conv, find_action(refused.card, "Bekräfta syfte och samtycke"))
    moved = await bot.press(COORDINATOR, conv, find_action(confirmed.card, "Nästa ▶"))
    assert "Punkt 2 av 5" in card_text(moved.card)


async def test_ended_early_the_minnesanteckningar_say_not_confirmed(bot):
    conv = acts.meeting_chat("early")
    await _case_meeting(bot, conv)
    await bot.say(COORDINATOR, conv, "starta mötet")
    ended = await bot.say(COORDINATOR, conv, "avsluta mötet")
    protokoll = next(c for c in ended.cards if any(a.get("title") == "Visa för mig" for a in all_actions(c)))
    own = await bot.press(COORDINATOR, conv, find_action(protokoll, "Visa för mig"))
    text = card_text(own.card)
    assert "Syfte och samtycke" in text and "Inte bekräftat." in text
