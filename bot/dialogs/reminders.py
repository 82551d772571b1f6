"""Acting on a reminder card: Klar / Pågår / Skjut upp 1 dag / 1 vecka / Kan inte genomföras.

The press updates the action item (only its responsible person or a coordinator may), re-plans its
reminders in the same transaction and redraws the card in place with what was saved. The responsible
person need not be on the case's team: the route declares ``resource="action_item"``, and the access
gate resolves the action and its case, asks ``domain.access.action_policy`` and audits (a ``denied``
record for everyone else; a ``write`` record on the case for a change). "Kan inte genomföras" needs a
comment; a comment with a personnummer or over ``COMMENT_MAX`` characters is refused on every button.
A refusal redraws the card with a Swedish message under the field, nothing saved, and what was typed
under the other items kept.
The middleware makes a double click do nothing twice (each button carries its own nonce).
"""

from __future__ import annotations

import logging
from datetime import date

from bot.cards.reminders import ACTION_VERB, COMMENT_PREFIX, reminder_card
from bot.refusals import refusal_text
from bot.registry import registry
from bot.reminders.content import load_items
from bot.reminders.dispatcher import clock_of
from bot.turn import Turn
from domain.actions import ActionStatus, change_action_status, comment_refusal, postpone
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

log = logging.getLogger(__name__)


@registry.verb(ACTION_VERB, resource="action_item", access="write", personal=True)
async def act_on_reminder(turn: Turn) -> None:
    """The gate resolved the pressed action (``resource="action_item"``) and asked
    ``domain.access.action_policy``: its responsible person or a coordinator, within the consent (the
    responsible need not be on the case's team); a team member who is not responsible is told so; anyone
    else gets the refusal that reveals nothing. The gate audits denied/read/write."""
    action = turn.action
    assert action is not None
    if turn.case is None:  # an action about no case has no reminder card
        turn.say("reminders.action_gone")
        return
    changed = await _act(turn, action)
    turn.case_audit = "write" if changed else "read"


async def _act(turn: Turn, action: ActionItem) -> bool:
    """Apply the pressed button to the action and redraw the card; True when something was saved."""
    assert turn.case is not None
    data = turn.data
    op = _text(data.get("op"))
    item_id = _text(data.get("item"))
    if turn.case.status != "open":
        turn.say("reminders.case_stopped")
        return False
    comment_field = _text(data.get("comment_field"))
    comment = _text(data.get(comment_field)).strip() if comment_field.startswith(COMMENT_PREFIX) else ""
    kept = _kept_comments(turn, skip=comment_field)
    now = clock_of(turn.services)()
    today = to_local(now).date()
    before = {"status": action.status, "due_on": action.due_on.isoformat()}

    refused: Refusal | None = None
    if op in STATUS_OPS:
        outcome = change_action_status(ActionStatus(action.status), STATUS_OPS[op], comment)
        if isinstance(outcome, Refusal):
            refused = outcome
    elif op in POSTPONE_OPS:
        refused = comment_refusal(comment)
    else:
        turn.say("reminders.unknown_op")
        return False
    if refused is not None:
        if refused.key in ACCEPTED_COMMENT_REFUSALS:  # the comment itself was fine: keep it on the card
            kept[item_id] = comment
        await _redraw(turn, errors={item_id: refusal_text(turn.t, refused)}, comments=kept)
        return False

    if op in STATUS_OPS:
        action.status = STATUS_OPS[op].value
        action.closed_at = closed_at_for(action.status, now)
        note = turn.t(f"reminders.outcome_{op}")
    else:
        base: date = max(action.due_on, today)
        action.due_on = postpone(base, **POSTPONE_OPS[op])
        if action.follow_up_on is not None and action.follow_up_on < action.due_on:
            action.follow_up_on = action.due_on
        note = turn.t("reminders.outcome_postponed", due_on=action.due_on.isoformat())
    if comment:
        action.status_comment = comment
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
    await _redraw(turn, outcomes={item_id: note}, comments=kept)
    return True


# Refusals about the status, not the comment: the comment typed with them is kept on the card.
ACCEPTED_COMMENT_REFUSALS = frozenset({"action.comment_required", "action.status_unchanged"})


def _text(value: object) -> str:
    """A card value as text; anything but a string (a forged list, number, object) counts as empty."""
    return value if isinstance(value, str) else ""


def _kept_comments(turn: Turn, *, skip: str) -> dict[str, str]:
    """What the person typed under the card's other items (keyed by reminder id), so a redrawn card
    keeps it; an entry that could not be saved (personnummer, too long) is not echoed back."""
    kept: dict[str, str] = {}
    for name, value in turn.data.items():
        if name == skip or not name.startswith(COMMENT_PREFIX) or not isinstance(value, str):
            continue
        note = value.strip()
        if note and comment_refusal(note) is None:
            kept[name[len(COMMENT_PREFIX) :]] = note
    return kept


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
