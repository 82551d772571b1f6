"""Multi-turn dialogs (botbuilder-dialogs) with their state in our database.

Registry commands always win over an active dialog (``hjälp`` mid-dialog still helps); text that is no
command continues the dialog the user is in, in their 1:1 chat. State is per conversation and saved
through ``SqlStorage`` in the turn's transaction, so a user keeps their place across a restart or
when the next message lands on another replica.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.dialogs import Dialog, DialogSet, DialogTurnStatus

from bot.state_storage import SqlStorage
from store.db import Database

LANGUAGE_CACHE_SECONDS = 60.0
DialogFactory = Callable[["DialogHost"], Dialog]
DIALOGS: list[DialogFactory] = []  # flows in bot/dialogs/ append their dialog's factory


def dialog(factory: DialogFactory) -> DialogFactory:
    DIALOGS.append(factory)
    return factory


class DialogHost:
    def __init__(self, db: Database) -> None:
        self.storage = SqlStorage(db)
        self.conversation_state = ConversationState(self.storage)
        self.user_state = UserState(self.storage)
        self.dialog_state = self.conversation_state.create_property("DialogState")
        self.language = self.user_state.create_property("language")
        self.dialogs = DialogSet(self.dialog_state)
        self._language_cache: dict[str, tuple[str | None, float]] = {}
        for factory in DIALOGS:
            self.dialogs.add(factory(self))

    async def _save(self, context: TurnContext) -> None:
        await self.conversation_state.save_changes(context)
        await self.user_state.save_changes(context)

    async def begin(self, context: TurnContext, dialog_id: str) -> None:
        dc = await self.dialogs.create_context(context)
        await dc.cancel_all_dialogs()
        await dc.begin_dialog(dialog_id)
        await self._save(context)

    async def is_active(self, context: TurnContext) -> bool:
        """Whether the user is in a dialog (a typed answer then belongs to it, not to the commands)."""
        return (await self.dialogs.create_context(context)).active_dialog is not None

    async def continue_active(self, context: TurnContext) -> bool:
        """Continue the user's dialog if they are in one; False when there is none."""
        dc = await self.dialogs.create_context(context)
        if dc.active_dialog is None:
            return False
        result = await dc.continue_dialog()
        await self._save(context)
        return result.status != DialogTurnStatus.Empty

    async def cancel(self, context: TurnContext) -> bool:
        dc = await self.dialogs.create_context(context)
        had = dc.active_dialog is not None
        await dc.cancel_all_dialogs()
        await self._save(context)
        return had

    async def preferred_language(self, context: TurnContext, user_key: str) -> str | None:
        """The language the user chose with ``språk`` (cached briefly: read on every personal turn)."""
        cached = self._language_cache.get(user_key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        lang = await self.language.get(context, lambda: None)
        self._language_cache[user_key] = (lang, time.monotonic() + LANGUAGE_CACHE_SECONDS)
        return lang

    async def set_language(self, context: TurnContext, user_key: str, lang: str) -> None:
        await self.language.set(context, lang)
        self._language_cache[user_key] = (lang, time.monotonic() + LANGUAGE_CACHE_SECONDS)
