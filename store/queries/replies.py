"""Replies owed after commit (``pending_reply``): stored in the turn, claimed when their lease ran out.

The process that wrote a row holds it for a lease of a few seconds and deletes it once the
connector took the message. A row whose lease ran out belongs to whoever claims it next: Teams'
re-send of the same activity, or any replica's sweep. Claiming sets a new lease in one committed
statement (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two replicas never claim the same row).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import PendingReply, new_id

# A row no process could deliver in a day is dropped: Teams shows nothing older in a useful way,
# and a reply held longer than that is data kept for no purpose.
MAX_AGE = timedelta(days=1)


def turn_key(key: str) -> str:
    """A fixed-length key for the turn a reply answers (ids from Teams can be hundreds of characters)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:64]


async def store_replies(
    session: AsyncSession,
    items: Sequence[tuple[str, str, dict[str, Any]]],
    *,
    now: datetime,
    lease: timedelta,
) -> list[str]:
    """Write replies (lane key, kind, payload) in order; returns their row ids in the same order.

    A lane is what must stay in order: one turn's replies in its own chat, or its notices to one person.
    """
    rows = [
        {
            "id": new_id(),
            "turn_key": turn_key(lane),
            "seq": seq,
            "kind": kind,
            "payload": payload,
            "lease_until": now + lease,
            "attempts": 0,
            "created_at": now,
        }
        for seq, (lane, kind, payload) in enumerate(items)
    ]
    if rows:
        await session.execute(insert(PendingReply), rows)
    return [row["id"] for row in rows]


async def delivered(session: AsyncSession, row_id: str) -> None:
    await session.execute(delete(PendingReply).where(PendingReply.id == row_id))


async def postpone_turn(session: AsyncSession, hashed_key: str, *, until: datetime) -> None:
    """Hand a turn's owed replies back for a later attempt, all together so they stay in order."""
    await session.execute(
        update(PendingReply)
        .where(PendingReply.turn_key == hashed_key)
        .values(lease_until=until, attempts=PendingReply.attempts + 1)
    )


async def claim_due(
    session: AsyncSession, *, now: datetime, lease: timedelta, limit: int, key: str | None = None
) -> list[PendingReply]:
    """Rows whose lease ran out (all, or one turn's), now leased to the caller; oldest turn first.

    Rows older than ``MAX_AGE`` are deleted here instead of claimed.
    """
    await session.execute(delete(PendingReply).where(PendingReply.created_at < now - MAX_AGE))
    due = select(PendingReply.id).where(PendingReply.lease_until <= now)
    if key is not None:
        due = due.where(PendingReply.turn_key == turn_key(key))
    ids = list(
        await session.scalars(
            due.order_by(PendingReply.created_at, PendingReply.turn_key, PendingReply.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    await session.execute(
        update(PendingReply).where(PendingReply.id.in_(ids)).values(lease_until=now + lease)
    )
    rows = await session.scalars(
        select(PendingReply)
        .where(PendingReply.id.in_(ids))
        .order_by(PendingReply.created_at, PendingReply.turn_key, PendingReply.seq)
    )
    return list(rows)
