"""One registry keyed by verb: every text command and every card action reaches its handler here.

Every verb declares the resource it acts on and the access it needs (``resource="case",
access="read"``; ``resource="none"`` for help, language and the like), plus ``coordinator=True``,
``personal=True``. The middleware chain (``bot/middleware.py``) enforces it once, for all of them: the
gate resolves the resource from the activity, asks the resource's policy in ``domain/access.py``,
refuses and audits ``denied``, or lets the handler run and audits the read/write. No handler repeats
the tenant scope, the access check or the access audit record. A verb registered without a declaration
fails at import; a card press runs once per nonce unless the route says why not (``because=``).
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.turn import Turn
from domain.access import Access, Resource
from domain.case_code import parse_case_code
from domain.text import normalize_command

SUGGEST_CUTOFF = 0.8  # how alike a typed command must be to a known one to be offered ("nytt ärnde")

Handler = Callable[[Turn], Awaitable[Any]]
Next = Callable[[], Awaitable[Any]]
Middleware = Callable[[Turn, "Route", Next], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    verb: str
    handler: Handler
    resource: Resource  # what the verb acts on; the gate resolves it and asks its policy
    access: Access  # what the verb needs of it (read/write/chair/list; none for Resource.NONE)
    phrases: tuple[str, ...] = ()
    coordinator: bool = False  # only a tenant's coordinators
    personal: bool = False  # only in the 1:1 chat (case details never in group chats)
    idempotent: bool = True  # a card press with a nonce runs once
    from_chat: bool = False  # the resource is the chat's (its booked meeting, its running agenda)
    because: str = ""  # why a route is not once-per-press (required with idempotent=False)
    # The handler itself shows a refused personnummer under the field it was typed in (a form re-rendered
    # with the other entries kept). Every other route is refused whole by the door middleware. Either way
    # nothing holding a personnummer is stored, echoed or sent on: tests/test_personnummer_doors.py.
    screens_personnummer: bool = False
    help_key: str | None = None  # catalog key of the line in the help card
    label: str = ""  # the first command as written at registration ("nytt ärende"), for the help card
    bare_case_code: bool = False  # a message that is only a case code runs this verb (the case card)


@dataclass
class Registry:
    routes: dict[str, Route] = field(default_factory=dict)
    middleware: list[Middleware] = field(default_factory=list)
    _phrases: list[tuple[str, Route]] = field(default_factory=list)
    _written: dict[str, str] = field(default_factory=dict)  # normalized phrase → as registered

    def verb(self, verb: str, *phrases: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register ``handler`` for a card verb and, optionally, the text commands that start it."""

        def register(handler: Handler) -> Handler:
            if verb in self.routes:
                raise ValueError(f"verb {verb!r} registered twice")
            normalized = tuple(dict.fromkeys(normalize_command(p) for p in phrases))
            if "" in normalized:
                raise ValueError(f"verb {verb!r}: a command phrase normalizes to nothing")
            route = Route(
                verb=verb,
                handler=handler,
                phrases=normalized,
                label=phrases[0] if phrases else "",
                **_declared(verb, options),
            )
            self.routes[verb] = route
            self._phrases.extend((p, route) for p in normalized)
            for phrase in phrases:
                self._written.setdefault(normalize_command(phrase), phrase)
            self._phrases.sort(key=lambda item: len(item[0]), reverse=True)
            return handler

        return register

    def use(self, middleware: Middleware) -> Middleware:
        self.middleware.append(middleware)
        return middleware

    def match_text(self, text: str) -> tuple[Route, str] | None:
        """Longest command phrase that starts the text wins; the rest are the arguments."""
        normalized = normalize_command(text)
        for phrase, route in self._phrases:
            if normalized == phrase or normalized.startswith(phrase + " "):
                return route, normalized[len(phrase) :].strip()
        code = parse_case_code(normalized)
        if code is not None:  # "SSPF-2026-014" alone: open it (the gate decides whether it may)
            for route in self.routes.values():
                if route.bare_case_code:
                    return route, code
        return None

    def suggest(self, text: str, allowed: Callable[[Route], bool]) -> tuple[Route, str, str] | None:
        """The command nearest to a text no command matched ("nytt ärnde" → "nytt ärende"): the route,
        the phrase as registered, the rest of the text; None when nothing is alike enough."""
        words = normalize_command(text).split()
        best: tuple[float, Route, str, str] | None = None
        for phrase, route in self._phrases:
            if not allowed(route):
                continue
            n = len(phrase.split())
            head = " ".join(words[:n])
            if len(head) < 3:
                continue
            ratio = difflib.SequenceMatcher(None, head, phrase).ratio()
            if ratio >= SUGGEST_CUTOFF and (best is None or ratio > best[0]):
                best = (ratio, route, self._written.get(phrase, phrase), " ".join(words[n:]))
        return best[1:] if best else None

    async def dispatch(self, turn: Turn, route: Route) -> Any:
        chain = list(self.middleware)

        async def call(index: int) -> Any:
            if index == len(chain):
                return await route.handler(turn)
            return await chain[index](turn, route, lambda: call(index + 1))

        return await call(0)


def _declared(verb: str, options: dict[str, Any]) -> dict[str, Any]:
    """The route's options with its resource and access checked: nothing is registered undeclared."""
    options = dict(options)
    if "resource" not in options:
        raise ValueError(
            f"verb {verb!r}: declare resource= (case, meeting, agenda_run, action_item, …, none)"
        )
    resource = Resource(options.pop("resource"))
    access = Access(options.pop("access", Access.NONE))
    if (resource is Resource.NONE) != (access is Access.NONE):
        raise ValueError(
            f"verb {verb!r}: resource {resource} needs an access (read/write/…), none needs none"
        )
    if access is Access.LIST and resource not in (Resource.CASE, Resource.ACTION_ITEM):
        raise ValueError(f"verb {verb!r}: only cases and action items are listed")
    if options.get("idempotent", True) is False and not str(options.get("because", "")).strip():
        raise ValueError(f"verb {verb!r}: idempotent=False needs because='why a press may run twice'")
    return {**options, "resource": resource, "access": access}


registry = Registry()
