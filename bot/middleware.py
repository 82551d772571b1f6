"""Cross-cutting rules that run once for every command and card action, in this order.

1. tenant scope: who is a coordinator in this tenant (everything else is scoped by ``turn.tenant_id``);
2. privacy: routes marked ``personal`` answer only in the 1:1 chat;
3. role: routes marked ``coordinator`` refuse everyone else;
4. idempotency: a card press (nonce) runs once, however often Teams or a double click sends it;
5. case access: the case named by the press or the command must be this tenant's and the user must
   be on its team (or a coordinator); otherwise a refusal that reveals nothing, and a ``denied``
   audit record (a forged id in a card's ``value`` lands here);
6. audit: every handler that touches a case leaves a read or write record in the same transaction.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.registry import Next, Route, registry
from bot.turn import Turn
from domain.case_code import parse_case_code
from store.models import IdempotencyKey
from store.queries.access import find_case, is_coordinator, may_see

log = logging.getLogger(__name__)


@registry.use
async def tenant_scope(turn: Turn, route: Route, nxt: Next) -> Any:
    turn.is_coordinator = await is_coordinator(turn.session, turn.tenant_id, turn.user_id)
    return await nxt()


@registry.use
async def personal_only(turn: Turn, route: Route, nxt: Next) -> Any:
    if route.personal and not turn.is_personal:
        turn.say("privacy.personal_only")
        return None
    return await nxt()


@registry.use
async def coordinator_only(turn: Turn, route: Route, nxt: Next) -> Any:
    if route.coordinator and not turn.is_coordinator:
        turn.audit("command", "denied", reason="not_coordinator")
        turn.say("access.coordinator_only")
        return None
    return await nxt()


@registry.use
async def once_per_press(turn: Turn, route: Route, nxt: Next) -> Any:
    nonce = turn.data.get("nonce")
    if not route.idempotent or not isinstance(nonce, str) or not nonce:
        return await nxt()
    key = f"press:{turn.tenant_id}:{turn.user_id}:{route.verb}:{nonce}"[:400]
    try:
        async with turn.session.begin_nested():
            turn.session.add(IdempotencyKey(key=key))
            await turn.session.flush()
    except IntegrityError:
        log.info("duplicate press of %s ignored", route.verb)
        turn.say("card.already_handled")
        return None
    return await nxt()


@registry.use
async def case_access(turn: Turn, route: Route, nxt: Next) -> Any:
    if route.case is None:
        return await nxt()
    case_id = turn.data.get("case_id") if isinstance(turn.data.get("case_id"), str) else None
    asked = turn.args or str(turn.data.get("case_code", ""))
    if case_id is None and not asked.strip():
        turn.say("access.case_code_missing")  # nothing asked, nothing revealed
        return None
    code = None if case_id else parse_case_code(asked)
    case = await find_case(turn.session, turn.tenant_id, case_id=case_id, code=code)
    if case is None or not await may_see(turn.session, case, turn.user_id, turn.is_coordinator):
        turn.audit(
            "case",
            "denied",
            case_id=case.id if case else None,
            asked_id=case_id,
            asked_code=code,
            from_card=case_id is not None,
        )
        if case_id is not None:
            log.warning("refused card press %s for case id %s by %s", route.verb, case_id, turn.user_id)
        turn.say("access.case_unavailable")
        return None
    turn.case = case
    result = await nxt()
    turn.audit("case", turn.case_audit or route.case, case_id=case.id)
    return result
