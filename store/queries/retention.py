"""Retention: a closed case is deleted, with everything about the child, after the retention period.

SSPF data is kept only as long as it is needed (GDPR art. 5(1)(e)). Deleting the case row removes its
team, contacts, consents, meetings, agenda runs, actions and reminders through the foreign keys'
cascades. The audit log keeps its rows (they hold ids and codes, no personal details) as evidence of
who accessed what; the deletion itself is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEvent, SspfCase


async def purge_closed_cases(session: AsyncSession, *, now: datetime, retention_days: int) -> list[str]:
    """Delete cases closed more than ``retention_days`` ago; return the codes deleted."""
    cutoff = now - timedelta(days=retention_days)
    rows = (
        await session.execute(
            select(SspfCase.id, SspfCase.tenant_id, SspfCase.code).where(
                SspfCase.status == "closed", SspfCase.closed_at.is_not(None), SspfCase.closed_at < cutoff
            )
        )
    ).all()
    for case_id, tenant_id, code in rows:
        session.add(
            AuditEvent(
                tenant_id=tenant_id,
                actor_aad_id="system:retention",
                case_id=case_id,
                entity="case",
                action="delete",
                verb="retention.purge",
                detail={"code": code, "retention_days": retention_days},
            )
        )
    if rows:
        await session.execute(delete(SspfCase).where(SspfCase.id.in_([r[0] for r in rows])))
    return [r[2] for r in rows]


async def purge_idempotency_keys(session: AsyncSession, *, now: datetime, keep_days: int = 7) -> int:
    """Replay and double-click guards matter for minutes (Teams re-sends within 15 s); keep a week."""
    from store.models import IdempotencyKey

    result = await session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < now - timedelta(days=keep_days))
    )
    return result.rowcount or 0
