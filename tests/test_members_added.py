"""Installing the bot: Teams lists the installing user *and* the bot in ``membersAdded``.

Found by the Agents Playground e2e tests: botbuilder looked the user up through a connector client the
fast adapter does not have, and every personal install ended in the error message instead of the welcome.
"""

from __future__ import annotations

from tests.conftest import SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text


async def test_welcome_when_membersadded_lists_the_user_and_the_bot(sqlite_bot):
    conv = acts.personal(SOCIAL)
    activity = acts.members_added(conv, sqlite_bot.connector.url, SOCIAL)
    activity["membersAdded"] = [SOCIAL.account(), acts.BOT]
    reply = await sqlite_bot.send(activity)
    assert reply.status == 200
    assert "Hej! Jag hjälper SSPF-teamet" in card_text(reply.card)
    assert not any("gick fel" in t for t in reply.texts)


async def test_a_user_added_to_a_team_gets_no_welcome_and_no_error(sqlite_bot):
    conv = acts.channel()
    activity = acts.members_added(conv, sqlite_bot.connector.url, SOCIAL, bot=False)
    reply = await sqlite_bot.send(activity)
    assert reply.status == 200
    assert reply.sent == []
