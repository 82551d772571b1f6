"""``språk``: an Adaptive Card with Svenska and English; one press stores the choice in the user's state
(the database), and every later personal message is answered in that language, after a restart and on
another replica. No botbuilder-dialogs: nothing waits for a typed answer."""

from __future__ import annotations

from bot.cards.language import language_card
from bot.i18n import Translator
from tests.conftest import POLICE, SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, find_action, local_settings
from tests.harness.cards import assert_valid_cards


def test_the_card_is_valid_and_every_text_comes_from_the_catalog():
    sv, en = language_card(Translator("sv"), "sv"), language_card(Translator("en"), "en")
    assert_valid_cards([sv, en, language_card(Translator("sv"))])
    assert "Vilket språk vill du att jag skriver på?" in str(sv)
    assert "Nu skriver jag på svenska." in str(sv)
    assert "I am writing in English now." in str(en)
    assert "Which language should I write in?" in str(en)
    # each language is offered under its own name, whatever the card's language
    for built in (sv, en):
        assert [a["title"] for a in built["actions"]] == ["Svenska", "English"]
        assert {a["data"]["language"] for a in built["actions"]} == {"sv", "en"}


async def test_choice_is_stored_and_survives_a_restart(bot):
    conv = acts.personal(SOCIAL)
    asked = await bot.say(SOCIAL, conv, "språk")
    card = asked.cards[0]
    assert "Vilket språk vill du att jag skriver på?" in str(card)
    await bot.restart()  # the card needs no server-side state to be pressed later
    saved = await bot.press(SOCIAL, conv, find_action(card, "English"))
    assert saved.texts == ["Done! I will write to you in English."]
    await bot.restart()
    after = await bot.say(SOCIAL, conv, "vad kan du")
    assert "what I can help with" in str(after.sent[0].body)
    again = await bot.say(SOCIAL, conv, "språk")
    assert "I am writing in English now." in str(again.cards[0])
    back = await bot.press(SOCIAL, conv, find_action(again.cards[0], "Svenska"))
    assert back.texts == ["Klart! Jag skriver på svenska till dig."]


async def test_another_replica_sees_the_choice(bot, database_url, tmp_path):
    replica = RunningBot(local_settings(database_url, ics_dir=str(tmp_path / "ics2")), bot.connector)
    await replica.start()
    try:
        conv = acts.personal(POLICE)
        asked = await bot.say(POLICE, conv, "språk")
        await replica.press(POLICE, conv, find_action(asked.cards[0], "English"))
        after = await replica.say(POLICE, conv, "vad kan du")
        assert "what I can help with" in str(after.sent[0].body)
    finally:
        await replica.stop()


async def test_a_forged_language_changes_nothing(bot):
    conv = acts.personal(SOCIAL)
    asked = await bot.say(SOCIAL, conv, "språk")
    action = find_action(asked.cards[0], "English")
    forged = {**action, "data": {**action["data"], "language": "tlh"}}
    answer = await bot.press(SOCIAL, conv, forged)
    assert answer.texts == []
    assert "Vilket språk vill du att jag skriver på?" in str(answer.cards[0])
    after = await bot.say(SOCIAL, conv, "vad kan du")
    assert "Det där förstod jag inte" in str(after.sent[0].body)


async def test_typed_language_names_are_no_answer_and_cancel_has_nothing_to_cancel(bot):
    conv = acts.personal(SOCIAL)
    await bot.say(SOCIAL, conv, "språk")
    typed = await bot.say(SOCIAL, conv, "English")
    assert "Det där förstod jag inte" in str(typed.sent[0].body)
    cancelled = await bot.say(SOCIAL, conv, "avbryt")
    assert cancelled.texts == ["Det finns inget att avbryta."]
