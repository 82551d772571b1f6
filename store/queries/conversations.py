"""Conversation references (for proactive messages) and the replay guard for incoming activities."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ConversationRef, IdempotencyKey
from store.queries import dialect_insert
from store.types import utcnow


async def save_reference(
    session: AsyncSession,
    *,
    conversation_id: str,
    tenant_id: str,
    kind: str,
    user_aad_id: str | None,
    reference: dict[str, Any],
) -> None:
    stmt = dialect_insert(session, ConversationRef).values(
        conversation_id=conversation_id,
        tenant_id=tenant_id,
        conversation_type=kind,
        user_aad_id=user_aad_id if kind == "personal" else None,
        reference=reference,
        updated_at=utcnow(),
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[ConversationRef.conversation_id],
        set_={
            "reference": stmt.excluded.reference,
            "updated_at": stmt.excluded.updated_at,
            "tenant_id": stmt.excluded.tenant_id,
        },
    )
    await session.execute(stmt)


async def personal_reference(session: AsyncSession, tenant_id: str, aad_id: str) -> dict[str, Any] | None:
    row = await session.scalar(
        select(ConversationRef.reference)
        .where(
            ConversationRef.tenant_id == tenant_id,
            ConversationRef.user_aad_id == aad_id,
            ConversationRef.conversation_type == "personal",
        )
        .order_by(ConversationRef.updated_at.desc())
        .limit(1)
    )
    return row


async def personal_references(
    session: AsyncSession, people: set[tuple[str, str]] | list[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The newest 1:1 reference of each (tenant, person), in one query (reminder runs send thousands)."""
    wanted = set(people)
    found: dict[tuple[str, str], dict[str, Any]] = {}
    if not wanted:
        return found
    rows = await session.execute(
        select(ConversationRef.tenant_id, ConversationRef.user_aad_id, ConversationRef.reference)
        .where(
            ConversationRef.user_aad_id.in_({aad for _, aad in wanted}),
            ConversationRef.conversation_type == "personal",
        )
        .order_by(ConversationRef.updated_at)
    )
    for tenant_id, aad, reference in rows:
        if (tenant_id, aad) in wanted:
            found[(tenant_id, aad)] = reference  # ordered oldest first: the newest wins
    return found


async def reference_for(session: AsyncSession, conversation_id: str) -> dict[str, Any] | None:
    return await session.scalar(
        select(ConversationRef.reference).where(ConversationRef.conversation_id == conversation_id)
    )


# The replay guard runs on every turn: one statement per dialect, built once, on the table.
_FIRST_TIME = {
    "postgresql": postgresql.insert(IdempotencyKey.__table__).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(IdempotencyKey.__table__).on_conflict_do_nothing(),
}


_KEY_MAX = IdempotencyKey.__table__.c.key.type.length  # 400
_KEY_KEEP = _KEY_MAX - 1 - 64  # a readable head, "#", the SHA-256 of the whole key


def stored_key(key: str) -> str:
    """``key`` as stored: unchanged when it fits the column, else its head and a hash of all of it.

    Cutting a long key to the column made distinct keys collide: with a long conversation id every
    activity in that conversation looked like a replay of the first and was dropped.
    """
    if len(key) <= _KEY_MAX:
        return key
    return f"{key[:_KEY_KEEP]}#{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


async def first_time(session: AsyncSession, key: str) -> bool:
    """True once per key: Teams re-sends an activity it got no answer to within 15 s."""
    stmt = _FIRST_TIME["postgresql" if session.bind.dialect.name == "postgresql" else "sqlite"]
    result = await session.execute(stmt, {"key": stored_key(key), "created_at": utcnow()})
    return result.rowcount == 1
