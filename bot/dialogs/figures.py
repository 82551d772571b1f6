"""``statistik``: the figures the steering group (styrgrupp) asks for, aggregated for the tenant."""

from __future__ import annotations

from bot.cards.figures import figures_card
from bot.registry import registry
from bot.turn import Turn
from store.queries.figures import raw_figures


@registry.verb(
    "figures",
    "statistik",
    "siffror",
    "statistics",
    resource="none",
    coordinator=True,
    personal=True,
    help_key="help.cmd.figures",
)
async def show_figures(turn: Turn) -> None:
    today = turn.today
    raw = await raw_figures(turn.session, turn.tenant_id, today)
    turn.audit("figures", "read", aggregated=True)
    turn.show(figures_card(turn.t, raw, today), summary=turn.t("figures.title"))
