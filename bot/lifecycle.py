"""Start and stop hooks for the background parts of a bot process (reminders, housekeeping, Graph).

A module of its own so that flows can register hooks without importing the HTTP app.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.services import Services

Hook = Callable[["Services"], Awaitable[None]]
STARTUP_HOOKS: list[Hook] = []
SHUTDOWN_HOOKS: list[Hook] = []


def run_in_background(
    key: str, loop: Callable[[Services], Awaitable[None]], enabled: Callable[[Services], bool]
) -> None:
    """A loop that runs as a task from start-up (when ``enabled``) and is cancelled at shutdown; the task
    is kept in ``Services.extras[key]``. One owner for what the reply sweep and housekeeping each wrote."""

    async def start(services: Services) -> None:
        if enabled(services):
            services.extras[key] = asyncio.create_task(loop(services))

    async def stop(services: Services) -> None:
        task = services.extras.pop(key, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    STARTUP_HOOKS.append(start)
    SHUTDOWN_HOOKS.append(stop)
