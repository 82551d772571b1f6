"""Per-user preferences kept in botbuilder's ``UserState``, stored in our database.

Today that is one thing: the language a user chose with ``språk`` (``bot/dialogs/language.py``). It
lives where it always has: the ``language`` property of the user's state row (``bot_state``, key
``<channel>/users/<user id>``), saved through ``SqlStorage`` in the turn's own transaction, so the
choice survives a restart and is seen by every replica.

There are no multi-turn dialogs any more: every flow is a card (botbuilder-dialogs and its 13 packages
were dropped for the one language prompt they served). The class keeps its name and its place in
``Services`` (``services.dialogs``) so callers did not change.
"""

from __future__ import annotations

import time

from botbuilder.core import TurnContext, UserState

from bot.state_storage import SqlStorage
from store.db import Database

LANGUAGE_CACHE_SECONDS = 60.0


class DialogHost:
    def __init__(self, db: Database) -> None:
        self.storage = SqlStorage(db)
        self.user_state = UserState(self.storage)
        self.language = self.user_state.create_property("language")
        self._language_cache: dict[str, tuple[str | None, float]] = {}

    async def preferred_language(self, context: TurnContext, user_key: str) -> str | None:
        """The language the user chose with ``språk`` (cached briefly: read on every personal turn)."""
        cached = self._language_cache.get(user_key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        lang = await self.language.get(context, lambda: None)
        self._language_cache[user_key] = (lang, time.monotonic() + LANGUAGE_CACHE_SECONDS)
        return lang

    async def set_language(self, context: TurnContext, user_key: str, lang: str) -> None:
        """Store the choice in the turn's transaction (committed with the turn, like everything else)."""
        await self.language.set(context, lang)
        await self.user_state.save_changes(context)
        self._language_cache[user_key] = (lang, time.monotonic() + LANGUAGE_CACHE_SECONDS)
