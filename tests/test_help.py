"""Every user sees Swedish (the configured SSPF_LOCALE) until they choose English with ``språk``; the locale
the Teams client reports (the Agents Playground always says en-US) is not a choice."""

from __future__ import annotations

from tests.conftest import COORDINATOR, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, find_action


async def test_hjalp_answers_with_a_swedish_help_card(bot):
    reply = await bot.say(SOCIAL, acts.personal(SOCIAL), "Hjälp")
    assert reply.status == 200
    text = card_text(reply.card)
    assert "SSPF – vad jag kan hjälpa till med" in text
    assert "hjalp" in text or "hjälp" in text
    assert "sekretess" in text


async def test_a_newcomer_whose_teams_says_en_us_gets_swedish_until_choosing_english(bot):
    me = acts.personal(SOCIAL)
    first = await bot.say(SOCIAL, me, "hjälp", locale="en-US")
    assert "SSPF – vad jag kan hjälpa till med" in card_text(first.card)
    asked = await bot.say(SOCIAL, me, "språk", locale="en-US")
    assert "Vilket språk vill du att jag skriver på?" in card_text(asked.card)
    await bot.press(SOCIAL, me, find_action(asked.card, "English"))
    reply = await bot.say(SOCIAL, me, "help", locale="en-US")
    assert "what I can help with" in card_text(reply.card)


async def test_text_the_bot_does_not_understand_gets_the_help_card(bot):
    reply = await bot.say(SOCIAL, acts.personal(SOCIAL), "kan du boka pizza")
    assert "Det där förstod jag inte" in card_text(reply.card)


async def test_coordinator_is_reminded_of_the_duty_to_report(bot):
    coordinator = await bot.say(COORDINATOR, acts.personal(COORDINATOR), "hjälp")
    other = await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    assert "orosanmälan" in card_text(coordinator.card)
    assert "orosanmälan" not in card_text(other.card)


async def test_a_replayed_activity_is_answered_once(bot):
    activity = acts.message("hjälp", SOCIAL, acts.personal(SOCIAL), bot.connector.url)
    first = await bot.send(activity)
    second = await bot.send(activity)
    assert first.status == second.status == 200
    assert len(first.cards) == 1
    assert second.sent == []


async def test_welcome_when_the_bot_is_installed(bot):
    reply = await bot.send(acts.members_added(acts.personal(SOCIAL), bot.connector.url, SOCIAL))
    assert "Hej! Jag hjälper SSPF-teamet" in card_text(reply.card)


async def test_conversation_reference_is_kept_for_proactive_messages(bot):
    from store.queries.conversations import personal_reference

    await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    async with bot.services.db.session() as session:
        ref = await personal_reference(session, acts.TENANT, SOCIAL.aad)
    assert ref is not None
    assert ref["conversation"]["id"] == acts.personal(SOCIAL).id
    assert ref["serviceUrl"] == bot.connector.url


async def test_a_caller_that_expects_replies_gets_them_in_the_http_answer(bot):
    """Direct Line, skill hosts and the Agents Playground (--delivery-mode expectReplies) read the replies
    from the answer to their POST; nothing goes through the connector."""
    activity = acts.message("hjälp", SOCIAL, acts.personal(SOCIAL), bot.connector.url)
    activity["deliveryMode"] = "expectReplies"
    reply = await bot.send(activity)
    assert reply.status == 200
    assert reply.sent == []
    (message,) = reply.body["activities"]
    assert message["type"] == "message"
    assert message["conversation"]["id"] == acts.personal(SOCIAL).id
    card = message["attachments"][0]["content"]
    assert "SSPF – vad jag kan hjälpa till med" in card_text(card)
