"""A person's language outside their own turn: for what the bot writes to them unasked.

``språk`` stores the choice in the person's user state (``bot/dialog_host.py``: botbuilder's key
``<channel>/users/<Teams user id>``), read in their own turns through the turn context. Reminders, the
weekly digest and notices about a colleague's action have no turn of the recipient's: here the
recipient's stored 1:1 conversation reference gives that key (its ``user`` is the person), so their
choice is found by their Entra id. Without a choice, the locale Teams last reported in that chat
decides, then the bot's default, as in their own turns.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LANGUAGES, Translator, translator
from bot.state_storage import decode
from store.models import BotState
from store.queries.conversations import personal_reference

log = logging.getLogger(__name__)
K = TypeVar("K", bound=Hashable)


def state_key(reference: Mapping[str, Any] | None) -> str | None:
    """The user-state key botbuilder's ``UserState`` uses for the person a 1:1 reference points at."""
    if not reference:
        return None
    user = reference.get("user") or {}
    user_id = user.get("id") if isinstance(user, Mapping) else None
    return f"{reference.get('channelId') or 'msteams'}/users/{user_id}" if user_id else None


async def chosen_languages(
    session: AsyncSession, references: Mapping[K, dict[str, Any] | None]
) -> dict[K, str]:
    """The ``språk`` choice of each person whose 1:1 reference is given (one query for a batch)."""
    keys = {k: key for k, ref in references.items() if (key := state_key(ref))}
    if not keys:
        return {}
    rows = await session.execute(
        select(BotState.key, BotState.data).where(BotState.key.in_(set(keys.values())))
    )
    by_key: dict[str, str] = {}
    for key, data in rows:
        try:
            state = decode(data)
        except ValueError:
            log.warning("unreadable user state ignored")
            continue
        lang = state.get("language") if isinstance(state, dict) else None
        if lang in LANGUAGES:
            by_key[key] = lang
    return {k: by_key[key] for k, key in keys.items() if key in by_key}


def recipient_translator(
    chosen: str | None, reference: Mapping[str, Any] | None, default_locale: str
) -> Translator:
    """The person's choice, else the locale Teams reported in their chat, else the bot's default."""
    if chosen in LANGUAGES:
        return Translator(chosen)
    return translator(reference.get("locale") if reference else None, default_locale)


async def translator_for(
    session: AsyncSession, tenant_id: str, aad_id: str, default_locale: str
) -> Translator:
    """One person's translator, by Entra id (notices: ``Turn.notify``, rendered when delivered)."""
    reference = await personal_reference(session, tenant_id, aad_id)
    chosen = (await chosen_languages(session, {aad_id: reference})).get(aad_id)
    return recipient_translator(chosen, reference, default_locale)
