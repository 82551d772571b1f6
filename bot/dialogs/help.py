"""``hjälp``: what the bot can do, also the answer to anything it does not understand."""

from __future__ import annotations

from bot.cards.help import help_card
from bot.registry import registry
from bot.turn import Turn


@registry.verb("help", "hjälp", "hjalp", "help", "meny", "menu", resource="none", help_key="help.cmd.help")
async def show_help(turn: Turn) -> None:
    lines = [
        (route.label or route.verb, turn.t(route.help_key))
        for route in registry.routes.values()
        if route.help_key and (turn.is_coordinator or not route.coordinator)
    ]
    intro = None
    if turn.data.get("not_understood"):
        intro = turn.t("help.not_understood")
    elif turn.data.get("welcome"):
        intro = turn.t("help.welcome")
    turn.show(
        help_card(turn.t, lines, intro=intro, coordinator=turn.is_coordinator), summary=turn.t("help.title")
    )
