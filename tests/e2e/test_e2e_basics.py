"""The Playground itself, end to end with what every user meets first: the welcome, help, a card press.

The Playground sends every activity with locale en-US; the bot still answers in Swedish (SSPF_LOCALE) until
someone chooses English with ``språk``. The expected texts come from the catalog the bot picks for that
locale (``T``), never copied by hand.
"""

from __future__ import annotations

from bot.i18n import translator
from tests.e2e.playground import COORDINATOR, GROUP_CHAT, PERSONAL, POLICE, TEAM, Playground

T = translator("en-US")  # what a newcomer in the Playground gets: Swedish, the default
SV = translator("sv-SE")  # activities without a locale (conversationUpdate) get the bot's default


def test_welcome_when_the_coordinator_installs_the_bot(pg: Playground) -> None:
    mark = pg.mark()
    pg.install(PERSONAL)
    welcome = pg.wait_text(SV("help.welcome"), PERSONAL, since=mark)
    assert SV("help.title") in welcome.visible_text
    # the coordinator is reminded that SSPF never replaces a report of concern
    assert SV("help.orosanmalan") in welcome.visible_text
    # one welcome, no error message (the Playground sends installationUpdate and conversationUpdate)
    later = pg.quiet(1.0, since=mark)
    assert [m for m in later if SV("help.welcome") in m.visible_text] == [welcome]
    assert not any(
        SV("error.unexpected") in m.visible_text or T("error.unexpected") in m.visible_text for m in later
    )


def test_help_in_the_personal_chat(pg: Playground) -> None:
    mark = pg.mark()
    pg.say(COORDINATOR, PERSONAL, "hjälp")
    card = pg.wait_text(T("help.title"), PERSONAL, since=mark)
    assert T("help.cmd.help") in card.visible_text
    assert T("help.privacy") in card.visible_text
    assert T("help.not_understood") not in card.visible_text


def test_unknown_text_in_the_group_chat_answers_with_help(pg: Playground) -> None:
    mark = pg.mark()
    pg.say(COORDINATOR, GROUP_CHAT, "vad är klockan")
    card = pg.wait_text(T("help.not_understood"), GROUP_CHAT, since=mark)
    assert T("help.title") in card.visible_text


def test_another_user_writes_in_the_group_chat(pg: Playground) -> None:
    mark = pg.mark()
    pg.say(POLICE, GROUP_CHAT, "hjälp")
    card = pg.wait_text(T("help.title"), GROUP_CHAT, since=mark)
    # the police officer is not a coordinator: no coordinator-only line
    assert T("help.orosanmalan") not in card.visible_text


def test_help_in_a_team_channel(pg: Playground) -> None:
    mark = pg.mark()
    pg.say(COORDINATOR, TEAM, "hjälp")
    pg.wait_text(T("help.title"), TEAM, since=mark)


def test_card_press_submit_and_execute(pg: Playground) -> None:
    mark = pg.mark()
    pg.say(COORDINATOR, PERSONAL, "hjälp")
    card = pg.wait_text(T("help.title"), PERSONAL, since=mark)

    # Action.Submit with a verb the bot no longer knows: a plain answer, not a crash
    mark = pg.mark()
    pg.submit(COORDINATOR, PERSONAL, card.message_id, {"verb": "gone.away", "nonce": "e2e-1"})
    pg.wait_text(T("card.unknown_action").split("**")[0], PERSONAL, since=mark)

    # Action.Submit carrying the help verb: the help card again
    mark = pg.mark()
    pg.submit(COORDINATOR, PERSONAL, card.message_id, {"verb": "help", "nonce": "e2e-2"})
    pg.wait_text(T("help.title"), PERSONAL, since=mark)

    # Action.Execute (Universal Actions): the invoke is answered (not 500) through Microsoft's emulator
    answer = pg.invoke(COORDINATOR, PERSONAL, card.message_id, "help", {"nonce": "e2e-3"})
    assert answer.get("type") in {
        "application/vnd.microsoft.activity.message",
        "application/vnd.microsoft.card.adaptive",
    }
