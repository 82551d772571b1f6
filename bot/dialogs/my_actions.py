"""``mina åtgärder``: the actions I am responsible for, across my cases (each case read is audited)."""

from __future__ import annotations

from datetime import datetime

from bot.cards.my_actions import my_actions_card
from bot.registry import registry
from bot.turn import Turn
from store.queries.actions import open_actions_for


@registry.verb(
    "actions.mine", "mina åtgärder", "mina atgarder", personal=True, help_key="help.cmd.my_actions"
)
async def my_actions(turn: Turn) -> None:
    today = datetime.now(turn.services.settings.tz).date()
    actions = await open_actions_for(turn.session, turn.tenant_id, turn.user_id)
    for case_id in {action.case_id for action, _ in actions}:
        turn.audit("action_item", "read", case_id=case_id, listing="mina_atgarder")
    turn.show(my_actions_card(turn.t, actions, today), summary=turn.t("my_actions.title"))
