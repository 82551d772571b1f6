"""Per-viewer views of a card posted in a shared chat (Universal Actions ``refresh``).

Teams shows the posted card to everyone and, for each user in ``refresh.userIds`` (at most 60), asks the
bot for that user's own view with an ``adaptiveCard/action`` invoke whose ``trigger`` is "automatic";
"Visa för mig" sends the same verb with trigger "manual". The own view is shown to that user only and is
not kept in the chat's history: what the chat keeps is the posted card.

    mine = await own_view(bot, PRINCIPAL, conv, posted_card)      # what Rita's Teams shows her
    assert is_listed(posted_card, PRINCIPAL)                      # refreshed without her pressing
"""

from __future__ import annotations

from typing import Any

from tests.harness import activities as acts
from tests.harness.bot_runner import Reply, RunningBot


def is_listed(card: dict[str, Any], user: acts.User) -> bool:
    """Teams refreshes this card for ``user`` by itself (they are in ``refresh.userIds``)."""
    return user.id in ((card.get("refresh") or {}).get("userIds") or [])


async def own_view(
    bot: RunningBot,
    user: acts.User,
    conv: acts.Conversation,
    card: dict[str, Any],
    *,
    trigger: str = "automatic",
) -> Reply:
    """The invoke Teams sends for ``user``'s own view of ``card`` (its ``refresh.action``)."""
    action = (card.get("refresh") or {}).get("action")
    assert action, "the card has no refresh clause: Teams would never ask for a user's own view"
    activity = acts.execute(action["verb"], dict(action.get("data") or {}), user, conv, bot.connector.url)
    activity["value"]["trigger"] = trigger
    return await bot.send(activity)
