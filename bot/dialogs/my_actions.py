"""``mina åtgärder``: the actions I am responsible for, across my cases (each case read is audited).

Each action's text goes through ``domain.access.action_content_allowed``: an action whose case's
consent no longer covers its agency shows its case code, due date and why, nothing else."""

from __future__ import annotations

from bot.cards.my_actions import my_actions_card
from bot.registry import registry
from bot.turn import Turn
from domain.access import action_content_allowed
from store.queries.access import action_facts_many
from store.queries.actions import MY_ACTIONS_PAGE, open_actions_for


@registry.verb(
    "actions.mine",
    "mina åtgärder",
    "mina atgarder",
    "my actions",
    resource="action_item",
    access="list",
    personal=True,
    help_key="help.cmd.my_actions",
)
async def my_actions(turn: Turn) -> None:
    today = turn.today
    try:
        page = max(0, int(turn.data.get("page") or 0))
    except (TypeError, ValueError):
        page = 0
    actions, total = await open_actions_for(turn.session, turn.tenant_id, turn.user_id, page=page)
    pages = max(1, -(-total // MY_ACTIONS_PAGE))
    if page >= pages:  # past the end (actions were done meanwhile): the last page
        page = pages - 1
        actions, total = await open_actions_for(turn.session, turn.tenant_id, turn.user_id, page=page)
    facts = await action_facts_many(
        turn.session,
        [a for a, _ in actions],
        tenant_id=turn.tenant_id,
        user_id=turn.user_id,
        coordinator=turn.is_coordinator,
        on=today,
    )
    # each action through the action policy: its text only while the consent covers the viewer
    withheld = {
        a.id: turn.t("access.withheld_row") for a, _ in actions if not action_content_allowed(facts[a.id])
    }
    for case_id in dict.fromkeys(a.case_id for a, _ in actions if a.id not in withheld):
        turn.audit("action_item", "read", case_id=case_id, listing="mina_atgarder")
    card = my_actions_card(turn.t, actions, today, withheld, page=page, pages=pages, total=total)
    turn.show(card, summary=turn.t("my_actions.title"))
