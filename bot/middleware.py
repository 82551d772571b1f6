"""Cross-cutting rules that run once for every command and card action, in this order.

1. tenant scope: who is a coordinator in this tenant (everything else is scoped by ``turn.tenant_id``);
2. privacy: no personnummer in a command, a card's fields or a chat message (refused, nothing stored),
   and routes marked ``personal`` answer only in the 1:1 chat;
3. role: routes marked ``coordinator`` refuse everyone else;
4. idempotency: a card press (nonce) runs once, however often Teams or a double click sends it;
5. case access: the case named by the press or the command must be this tenant's and the user must
   be on its team (or a coordinator); otherwise a refusal that reveals nothing, and a ``denied``
   audit record (a forged id in a card's ``value`` lands here);
6. audit: every handler that touches a case leaves a read or write record in the same transaction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.registry import Next, Route, registry
from bot.turn import Turn
from domain.case_code import parse_case_code
from domain.personnummer import contains_personnummer
from store.models import IdempotencyKey
from store.queries.access import find_case, is_coordinator, may_see
from store.queries.conversations import stored_key

log = logging.getLogger(__name__)


@registry.use
async def tenant_scope(turn: Turn, route: Route, nxt: Next) -> Any:
    turn.is_coordinator = await is_coordinator(turn.session, turn.tenant_id, turn.user_id)
    return await nxt()


@registry.use
async def no_personnummer(turn: Turn, route: Route, nxt: Next) -> Any:
    """No personnummer through any door: a command's words, any field of any card press, a chat message.

    Runs before the press is marked handled, so the user can take it out and press the same card again
    (Teams keeps their other entries on an Action.Submit card). Routes that show the refusal under the
    field themselves (``screens_personnummer``) get the names of the fields that hold one instead.
    The audit row names the fields, never what was in them.
    """
    turn.data = _without_nul(turn.data)  # no database stores U+0000 (PostgreSQL refuses it): never meant
    turn.args = turn.args.replace("\x00", "")
    fields = tainted_fields(turn)
    if not fields:
        return await nxt()
    turn.audit("privacy", "personnummer_refused", fields=sorted(fields))
    if route.screens_personnummer and "(message)" not in fields and "(command)" not in fields:
        # the handler says which field; it never sees the value, so it can neither store nor echo it
        turn.personnummer_fields = frozenset(fields)
        turn.data = {k: ("" if k in fields or "(field)" in fields else v) for k, v in turn.data.items()}
        return await nxt()
    log.info("refused %s: a personnummer in %d field(s)", route.verb, len(fields))
    turn.say("privacy.personnummer_door_chat" if "(message)" in fields else "privacy.personnummer_door")
    return None


def tainted_fields(turn: Turn) -> set[str]:
    """Names of what holds something personnummer-shaped: card fields by their id, the typed command
    as ``(command)``, a chat message as ``(message)``. A field name that is itself odd is not repeated."""
    found: set[str] = set()
    if turn.args and contains_personnummer(turn.args):
        found.add("(command)")
    text = turn.activity.text if turn.activity.type == "message" else None
    if isinstance(text, str) and contains_personnummer(text):
        found.add("(message)")
    for name, value in _strings(turn.data):
        if contains_personnummer(value):
            found.add(name if _FIELD_NAME.fullmatch(name) and not contains_personnummer(name) else "(field)")
    return found


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


_FIELD_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _strings(value: Any, name: str = "", depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every string in a card's data, with the top-level field it came in (keys count too)."""
    if depth > 20:  # deeper than any card we build: refused by what reads it, not searched forever
        return
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            field_name = name or str(key)
            yield field_name, str(key)
            yield from _strings(item, field_name, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, name, depth + 1)


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
    key = stored_key(f"press:{turn.tenant_id}:{turn.user_id}:{route.verb}:{nonce}")  # never cut: no collision
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
