"""Acting on a reminder card: Klar / Pågår / Skjut upp 1 dag / 1 vecka / Kan inte genomföras.

The press updates the action item (only its responsible person or a coordinator may), re-plans its
reminders in the same transaction and redraws the card in place with what was saved. "Kan inte
genomföras" needs a comment; without one the card comes back with a Swedish message under the field
and the other items as they were. The middleware audits the write on the case and makes a double
click do nothing twice (each button carries its own nonce).
"""

from __future__ import annotations

from datetime import date

from bot.cards.reminders import ACTION_VERB, reminder_card
from bot.refusals import refusal_text
from bot.registry import registry
from bot.reminders.content import load_items
from bot.reminders.dispatcher import clock_of
from bot.turn import Turn
from domain.actions import ActionStatus, change_action_status, postpone
from domain.refusal import Refusal
from domain.worktime import to_local
from store.models import ActionItem, Reminder
from store.queries.actions import closed_at_for
from store.queries.reminders import reminders_for, replan_for_action

STATUS_OPS = {
    "done": ActionStatus.DONE,
    "in_progress": ActionStatus.IN_PROGRESS,
    "not_done": ActionStatus.NOT_DONE,
}
POSTPONE_OPS = {"postpone_day": {"days": 1}, "postpone_week": {"weeks": 1}}


@registry.verb(ACTION_VERB, case="write", personal=True)
async def act_on_reminder(turn: Turn) -> None:
    data = turn.data
    op = str(data.get("op") or "")
    item_id = str(data.get("item") or "")
    comment_field = str(data.get("comment_field") or "")
    comment = str(data.get(comment_field) or "").strip() if comment_field.startswith("comment_") else ""
    assert turn.case is not None
    action = await turn.session.get(ActionItem, str(data.get("action_id") or ""))
    if action is None or action.case_id != turn.case.id or action.tenant_id != turn.tenant_id:
        turn.say("reminders.action_gone")
        return
    if turn.user_id != action.responsible_aad_id and not turn.is_coordinator:
        turn.audit("action_item", "denied", action_id=action.id, reason="not_responsible")
        turn.say("reminders.not_responsible")
        return
    if turn.case.status != "open":
        turn.say("reminders.case_stopped")
        return
    now = clock_of(turn.services)()
    today = to_local(now).date()
    before = {"status": action.status, "due_on": action.due_on.isoformat()}

    if op in STATUS_OPS:
        outcome = change_action_status(ActionStatus(action.status), STATUS_OPS[op], comment)
        if isinstance(outcome, Refusal):
            await _redraw(turn, errors={item_id: refusal_text(turn.t, outcome)}, comments={item_id: comment})
            return
        action.status = outcome.value
        action.closed_at = closed_at_for(action.status, now)
        if comment:
            action.status_comment = comment
        note = turn.t(f"reminders.outcome_{op}")
    elif op in POSTPONE_OPS:
        base: date = max(action.due_on, today)
        action.due_on = postpone(base, **POSTPONE_OPS[op])
        if action.follow_up_on is not None and action.follow_up_on < action.due_on:
            action.follow_up_on = action.due_on
        if comment:
            action.status_comment = comment
        note = turn.t("reminders.outcome_postponed", due_on=action.due_on.isoformat())
    else:
        turn.say("reminders.unknown_op")
        return
    action.version += 1
    turn.audit(
        "action_item",
        "update",
        action_id=action.id,
        op=op,
        before=before,
        after={"status": action.status, "due_on": action.due_on.isoformat()},
        via="reminder",
    )
    await replan_for_action(turn.session, action, now=now)
    await _redraw(turn, outcomes={item_id: note})


async def _redraw(
    turn: Turn,
    *,
    errors: dict[str, str] | None = None,
    outcomes: dict[str, str] | None = None,
    comments: dict[str, str] | None = None,
) -> None:
    """Put the same card back, fresh from the database, with what happened to the pressed item."""
    head = await turn.session.get(Reminder, str(turn.data.get("card") or ""))
    if head is None or head.recipient_aad_id != turn.user_id or head.tenant_id != turn.tenant_id:
        for text in (errors or {}).values():
            turn.say_text(text)
        for text in (outcomes or {}).values():
            turn.say_text(text)
        return
    ids = (head.payload or {}).get("card_items") or [head.id]
    rows = [r for r in await reminders_for(turn.session, ids) if r.recipient_aad_id == turn.user_id]
    await turn.session.flush()
    loaded = await load_items(turn.session, rows, clock_of(turn.services)(), for_delivery=False)
    turn.replace(
        reminder_card(turn.t, loaded.items, head=head.id, errors=errors, outcomes=outcomes, comments=comments)
    )
