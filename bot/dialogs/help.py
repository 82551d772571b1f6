"""``hjälp``: what the bot can do, also the answer to anything it does not understand."""

from __future__ import annotations

from bot.cards.help import help_card, suggestion_card
from bot.registry import Route, registry
from bot.turn import Turn
from domain.case_code import find_case_code


@registry.verb("help", "hjälp", "hjalp", "help", "meny", "menu", resource="none", help_key="help.cmd.help")
async def show_help(turn: Turn) -> None:
    if turn.data.get("not_understood") and _suggest(turn):
        return
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


def _suggest(turn: Turn) -> bool:
    """A typo or a near miss gets one line and a button, not the whole help card."""

    def allowed(route: Route) -> bool:
        return (turn.is_coordinator or not route.coordinator) and (turn.is_personal or not route.personal)

    found = registry.suggest(turn.activity.text or "", allowed)
    if found is None:
        return False
    route, phrase, rest = found
    code = find_case_code(rest)
    data = {"case_code": code} if code else {}
    turn.show(
        suggestion_card(turn.t, phrase, route.verb, data), summary=turn.t("help.did_you_mean", command=phrase)
    )
    return True
