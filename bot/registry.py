"""One registry keyed by verb: every text command and every card action reaches its handler here.

Handlers declare what they need (``case="read"``, ``coordinator=True``, ``personal=True``) and the
middleware chain (``bot/middleware.py``) enforces it once, for all of them: no handler repeats the
tenant scope, the access check or the audit record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.turn import Turn
from domain.text import normalize_command

Handler = Callable[[Turn], Awaitable[Any]]
Next = Callable[[], Awaitable[Any]]
Middleware = Callable[[Turn, "Route", Next], Awaitable[Any]]


@dataclass(frozen=True)
class Route:
    verb: str
    handler: Handler
    phrases: tuple[str, ...] = ()
    case: Literal["read", "write"] | None = None  # needs access to one case, audited as read/write
    coordinator: bool = False  # only a tenant's coordinators
    personal: bool = False  # only in the 1:1 chat (case details never in group chats)
    idempotent: bool = True  # a card press with a nonce runs once
    # The handler itself shows a refused personnummer under the field it was typed in (a form re-rendered
    # with the other entries kept). Every other route is refused whole by the door middleware. Either way
    # nothing holding a personnummer is stored, echoed or sent on: tests/test_personnummer_doors.py.
    screens_personnummer: bool = False
    help_key: str | None = None  # catalog key of the line in the help card
    label: str = ""  # the first command as written at registration ("nytt ärende"), for the help card


@dataclass
class Registry:
    routes: dict[str, Route] = field(default_factory=dict)
    middleware: list[Middleware] = field(default_factory=list)
    _phrases: list[tuple[str, Route]] = field(default_factory=list)

    def verb(self, verb: str, *phrases: str, **options: Any) -> Callable[[Handler], Handler]:
        """Register ``handler`` for a card verb and, optionally, the text commands that start it."""

        def register(handler: Handler) -> Handler:
            if verb in self.routes:
                raise ValueError(f"verb {verb!r} registered twice")
            normalized = tuple(dict.fromkeys(normalize_command(p) for p in phrases))
            if "" in normalized:
                raise ValueError(f"verb {verb!r}: a command phrase normalizes to nothing")
            route = Route(
                verb=verb, handler=handler, phrases=normalized, label=phrases[0] if phrases else "", **options
            )
            self.routes[verb] = route
            self._phrases.extend((p, route) for p in normalized)
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
        return None

    async def dispatch(self, turn: Turn, route: Route) -> Any:
        chain = list(self.middleware)

        async def call(index: int) -> Any:
            if index == len(chain):
                return await route.handler(turn)
            return await chain[index](turn, route, lambda: call(index + 1))

        return await call(0)


registry = Registry()
