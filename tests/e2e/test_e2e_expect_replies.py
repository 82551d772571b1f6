"""The Playground as a client that expects the replies in the HTTP answer (``deliveryMode: expectReplies``,
as Direct Line and skill hosts send it): the bot answers there, and the user sees the same help card."""

from __future__ import annotations

from bot.i18n import translator
from tests.e2e.playground import COORDINATOR, PERSONAL, Playground

T = translator("en-US")
PLAYGROUND_ARGS = ("--delivery-mode", "expectReplies")


def test_help_reaches_a_client_that_expects_replies(pg: Playground) -> None:
    mark = pg.mark()
    pg.say(COORDINATOR, PERSONAL, "hjälp")
    card = pg.wait_text(T("help.title"), PERSONAL, since=mark)
    assert T("help.cmd.help") in card.visible_text
    later = pg.quiet(1.0, since=mark)
    assert [m for m in later if T("help.title") in m.visible_text] == [card]  # once, not twice
