"""Issue 17 item 9: a typo, an English command or a bare case code does not get the 18-line help card."""

from __future__ import annotations

from tests.case_steps import register_case
from tests.conftest import COORDINATOR, OUTSIDER, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import all_actions, card_text

ME = acts.personal(COORDINATOR)


async def test_a_typo_gets_did_you_mean_with_a_button_that_runs_the_command(bot):
    reply = await bot.say(COORDINATOR, ME, "nytt ärnde")
    text = card_text(reply.card)
    assert "Menade du **nytt ärende**?" in text
    assert "SSPF – vad jag kan hjälpa till med" not in text  # not the whole help card
    [button, everything] = all_actions(reply.card)
    assert button["title"] == "nytt ärende" and everything["title"] == "Visa allt jag kan"
    form = await bot.press(COORDINATOR, ME, button)
    assert "Nytt SSPF-ärende" in card_text(form.card)  # the new-case form


async def test_a_typo_with_a_case_code_keeps_the_code_on_the_button(bot):
    code, _, _ = await register_case(bot)
    reply = await bot.say(COORDINATOR, ME, f"ärnde {code}")
    [button, _] = all_actions(reply.card)
    assert button["data"]["case_code"] == code
    opened = await bot.press(COORDINATOR, ME, button)
    assert code in card_text(opened.card)


async def test_a_coordinator_command_is_not_suggested_to_a_professional(bot):
    reply = await bot.say(SOCIAL, acts.personal(SOCIAL), "nytt ärnde")
    assert "Menade du" not in card_text(reply.card)


async def test_english_commands_are_understood(bot):
    new = await bot.say(COORDINATOR, ME, "new case")
    assert "Nytt SSPF-ärende" in card_text(new.card)
    mine = await bot.say(COORDINATOR, ME, "my cases")
    assert "Det där förstod jag inte" not in card_text(mine.card)
    assert "Menade du" not in card_text(mine.card)


async def test_a_bare_case_code_opens_the_case_card_through_the_gate(bot):
    code, _, _ = await register_case(bot)
    opened = await bot.say(COORDINATOR, ME, code.lower())
    assert code in card_text(opened.card) and "född 2013" in card_text(opened.card)
    refused = await bot.say(OUTSIDER, acts.personal(OUTSIDER), code)
    assert refused.texts == ["Ärendet finns inte, eller så har du inte behörighet till det."]
