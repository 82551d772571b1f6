"""Cross-cutting rules that run once for every command and card action, in this order.

1. tenant scope: who is a coordinator in this tenant (everything else is scoped by ``turn.tenant_id``);
2. privacy: no personnummer in a command, a card's fields or a chat message (refused, nothing stored),
   and routes marked ``personal`` answer only in the 1:1 chat;
3. role: routes marked ``coordinator`` refuse everyone else;
4. idempotency: a card press (nonce) runs once, however often Teams or a double click sends it;
5. the access gate: the resource the route declares (``resource=``: case, meeting, agenda run, action
   item, document) is resolved from the activity (an id in the card's data, a case code in the text,
   the chat the activity came from), its facts are loaded (``store/queries/access.py``) and ONE policy
   per resource type decides (``domain/access.py``). No: a Swedish refusal (one that reveals nothing to
   whoever is not entitled; the case code and why to a team member the consent does not cover) and a
   ``denied`` audit row (a forged id in a card's ``value`` lands here). Yes: the handler runs with
   ``turn.case``/``turn.run``/``turn.meeting``/``turn.action`` set, and the gate writes the read/write
   audit row in the same transaction. Handlers never check access or write access rows themselves.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.registry import Next, Route, registry
from bot.turn import Turn
from domain.access import (
    Access,
    Decision,
    Resource,
    action_policy,
    case_policy,
    document_policy,
    meeting_policy,
    run_policy,
)
from domain.case_code import parse_case_code
from domain.personnummer import contains_personnummer
from store.models import ActionItem, IdempotencyKey
from store.queries.access import (
    action_facts,
    case_facts,
    find_case,
    is_coordinator,
    meeting_facts,
    run_facts,
)
from store.queries.agenda import get_run, running_run
from store.queries.conversations import stored_key
from store.queries.meetings import meeting_by_chat, meeting_by_id

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


# --- the access gate ---------------------------------------------------------------------------------

RefusalView = Callable[[Turn, str], Awaitable[None]]
# How a refusal is shown for a resource whose cards answer in place (the agenda puts its own card
# back with the note); everything else is told in a message. Registered by the flow that owns the card.
refusal_views: dict[Resource, RefusalView] = {}


def refusal_view(resource: Resource | str) -> Callable[[RefusalView], RefusalView]:
    def register(view: RefusalView) -> RefusalView:
        refusal_views[Resource(resource)] = view
        return view

    return register


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _from_teams_event(turn: Turn) -> bool:
    """meetingStart/meetingEnd as Teams sends them (an event activity), never a card press."""
    return turn.activity.type == "event"


async def _refuse(turn: Turn, route: Route, decision: Decision, entity: str, **detail: Any) -> None:
    turn.audit(entity, "denied", reason=decision.reason, **detail)
    if _from_teams_event(turn):
        return  # Teams' own events get no chatter in the chat
    params = dict(decision.params)
    if "agency" in params:
        params["agency"] = turn.t(f"agency.{params['agency']}")
    text = turn.t(decision.key or "access.case_unavailable", **params)
    view = refusal_views.get(route.resource)
    if view is not None:
        await view(turn, text)
    else:
        turn.say_text(text)


async def _case_gate(turn: Turn, route: Route, nxt: Next) -> Any:
    case_id = _text(turn.data.get("case_id"))
    asked = turn.args or str(turn.data.get("case_code", ""))
    if case_id is None and not asked.strip():
        turn.say("access.case_code_missing")  # nothing asked, nothing revealed
        return None
    code = None if case_id else parse_case_code(asked)
    case = await find_case(turn.session, turn.tenant_id, case_id=case_id, code=code)
    facts = None
    if case is not None:
        facts = await case_facts(
            turn.session,
            case,
            tenant_id=turn.tenant_id,
            user_id=turn.user_id,
            coordinator=turn.is_coordinator,
            on=turn.today,
        )
    decision = case_policy(facts, route.access)
    if not decision.allowed:
        if case_id is not None and (facts is None or not facts.on_team):
            log.warning("refused card press %s for case id %s by %s", route.verb, case_id, turn.user_id)
        await _refuse(
            turn,
            route,
            decision,
            "case",
            case_id=case.id if case else None,
            asked_id=case_id,
            asked_code=code,
            from_card=case_id is not None,
        )
        return None
    turn.case, turn.facts = case, facts
    result = await nxt()
    turn.audit("case", turn.case_audit or route.access.value, case_id=case.id if case else None)
    return result


async def _run_gate(turn: Turn, route: Route, nxt: Next) -> Any:
    run_id = _text(turn.data.get("run_id"))
    if run_id is not None:
        run = await get_run(turn.session, turn.tenant_id, run_id)
    elif route.from_chat:
        run = await running_run(turn.session, turn.tenant_id, turn.conversation_id)
        if run is None:  # nothing running in this chat: the flow says so (or stays quiet for Teams)
            return await nxt()
    else:
        run = None
    facts = None
    if run is not None:
        # an individnivå part names its case in the press; a case meeting's case is the run's own
        pressed_case = None if run.case_id else _text(turn.data.get("case_id"))
        facts = await run_facts(
            turn.session,
            run,
            tenant_id=turn.tenant_id,
            user_id=turn.user_id,
            coordinator=turn.is_coordinator,
            conversation_id=turn.conversation_id,
            on=turn.today,
            pressed_case_id=pressed_case if route.access is Access.WRITE else None,
            teams_event=_from_teams_event(turn),
        )
    decision = run_policy(facts, route.access)
    turn.run, turn.facts = run, facts
    if not decision.allowed:
        detail: dict[str, Any] = {"run_id": run.id if run else (run_id or "")[:40]}
        if run is not None and facts is not None and facts.case is not None:
            detail["case_id"] = facts.case_id
        await _refuse(turn, route, decision, "agenda", **detail)
        return None
    result = await nxt()
    case_id = facts.case_id if facts is not None and facts.case is not None else None
    turn.audit("agenda", route.access.value, case_id=case_id, run_id=run.id if run else None)
    return result


async def _meeting_gate(turn: Turn, route: Route, nxt: Next) -> Any:
    if route.from_chat:
        if turn.conversation_kind != "groupChat":
            return await nxt()  # the flow says where it works
        meeting = await meeting_by_chat(turn.session, turn.tenant_id, turn.conversation_id)
        if meeting is None:
            # no booked meeting behind this chat: only a coordinator may start one here, explicitly
            if turn.is_coordinator:
                return await nxt()
            decision = Decision(False, key="agenda.needs_booked_meeting", reason="no_booked_meeting")
            await _refuse(turn, route, decision, "agenda")
            return None
    else:
        meeting_id = _text(turn.data.get("meeting_id"))
        meeting = await meeting_by_id(turn.session, turn.tenant_id, meeting_id) if meeting_id else None
    facts = None
    if meeting is not None:
        facts = await meeting_facts(
            turn.session,
            meeting,
            tenant_id=turn.tenant_id,
            user_id=turn.user_id,
            coordinator=turn.is_coordinator,
        )
    decision = meeting_policy(facts, route.access)
    if not decision.allowed:
        asked = None if route.from_chat else _text(turn.data.get("meeting_id"))
        await _refuse(
            turn, route, decision, "meeting", case_id=meeting.case_id if meeting else None, asked_id=asked
        )
        return None
    turn.meeting, turn.facts = meeting, facts
    result = await nxt()
    assert meeting is not None
    turn.audit("meeting", route.access.value, case_id=meeting.case_id, meeting_id=meeting.id)
    return result


async def _action_gate(turn: Turn, route: Route, nxt: Next) -> Any:
    action_id = _text(turn.data.get("action_id"))
    action = await turn.session.get(ActionItem, action_id) if action_id else None
    if action is None or action.tenant_id != turn.tenant_id:
        turn.say("reminders.action_gone")
        return None
    case = await find_case(turn.session, turn.tenant_id, case_id=action.case_id) if action.case_id else None
    facts = await action_facts(
        turn.session,
        action,
        tenant_id=turn.tenant_id,
        user_id=turn.user_id,
        coordinator=turn.is_coordinator,
        on=turn.today,
    )
    decision = action_policy(facts, route.access)
    if not decision.allowed:
        entity = "action_item" if decision.reason == "not_responsible" else "case"
        if entity == "case":
            log.warning("refused press on action %s by %s", action.id, turn.user_id)
        await _refuse(
            turn,
            route,
            decision,
            entity,
            case_id=case.id if case else None,
            asked_id=_text(turn.data.get("case_id")),
            action_id=action.id,
            from_card=True,
        )
        return None
    turn.case, turn.action, turn.facts = case, action, facts
    result = await nxt()
    turn.audit(
        "case", turn.case_audit or route.access.value, case_id=case.id if case else None, action_id=action.id
    )
    return result


async def _document_gate(turn: Turn, route: Route, nxt: Next) -> Any:
    run_id = _text(turn.data.get("run_id")) or ""
    run = await get_run(turn.session, turn.tenant_id, run_id) if run_id else None
    facts = None
    if run is not None:
        facts = await run_facts(
            turn.session,
            run,
            tenant_id=turn.tenant_id,
            user_id=turn.user_id,
            coordinator=turn.is_coordinator,
            conversation_id=run.conversation_id,  # the document is asked for from anywhere
            on=turn.today,
        )
    decision = document_policy(turn.is_coordinator, facts, route.access)
    if not decision.allowed:
        await _refuse(turn, route, decision, "handlingsplan", run_id=run_id[:40])
        return None
    turn.run, turn.facts = run, facts
    return await nxt()  # what was delivered is recorded where it is delivered (bot/protokoll.py)


GATES: dict[Resource, Callable[[Turn, Route, Next], Awaitable[Any]]] = {
    Resource.CASE: _case_gate,
    Resource.AGENDA_RUN: _run_gate,
    Resource.MEETING: _meeting_gate,
    Resource.ACTION_ITEM: _action_gate,
    Resource.DOCUMENT: _document_gate,
}


@registry.use
async def access_gate(turn: Turn, route: Route, nxt: Next) -> Any:
    """The one gate: resolve the declared resource, ask its policy, refuse + audit, or run + audit.
    Listing routes (``access="list"``) decide per row through the same policy in the handler; creating
    routes (``access="create"``) have nothing to resolve yet."""
    if route.resource is Resource.NONE or route.access in (Access.LIST, Access.CREATE):
        return await nxt()
    gate = GATES.get(route.resource)
    if gate is None:  # a reminder is acted on through its action item; nothing else is registered
        raise LookupError(f"no gate for resource {route.resource} of {route.verb}")
    return await gate(turn, route, nxt)


def may(turn: Turn, access: Access | str) -> bool:
    """Ask the same policy again for another access to the resource the gate resolved (the agenda's
    decision step needs the chair; the facts are already loaded)."""
    facts = turn.facts
    if turn.run is not None and facts is not None:
        return run_policy(facts, Access(access)).allowed
    if turn.case is not None:
        return case_policy(facts, Access(access)).allowed
    return False
