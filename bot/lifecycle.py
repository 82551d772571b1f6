"""Start and stop hooks for the background parts of a bot process (reminders, housekeeping, Graph).

A module of its own so that flows can register hooks without importing the HTTP app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.services import Services

Hook = Callable[["Services"], Awaitable[None]]
STARTUP_HOOKS: list[Hook] = []
SHUTDOWN_HOOKS: list[Hook] = []
