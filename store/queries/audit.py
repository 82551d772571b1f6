"""Reading the audit log (writing goes through ``Turn.audit`` so it shares the turn's transaction).

The application only ever inserts into ``audit_event``; nothing here updates or deletes.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEvent, CaseMember, ConversationRef, Coordinator, SspfCase


async def case_trail(
    session: AsyncSession, tenant_id: str, case_id: str, *, limit: int = 50, offset: int = 0
) -> list[AuditEvent]:
    """One page of the events about one case of this tenant, newest first (``offset`` skips newer ones)."""
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id, AuditEvent.case_id == case_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows)


async def case_trail_size(session: AsyncSession, tenant_id: str, case_id: str) -> int:
    """How many events there are about one case (the audit card's "av 87")."""
    count = await session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.tenant_id == tenant_id, AuditEvent.case_id == case_id)
    )
    return int(count or 0)


async def display_names(session: AsyncSession, tenant_id: str, aad_ids: Iterable[str]) -> dict[str, str]:
    """Best-known name per Entra id: coordinator list, any case team of the tenant, the 1:1 chat reference."""
    wanted = set(aad_ids)
    names: dict[str, str] = {}
    if not wanted:
        return names
    refs = await session.execute(
        select(ConversationRef.user_aad_id, ConversationRef.reference).where(
            ConversationRef.tenant_id == tenant_id,
            ConversationRef.conversation_type == "personal",
            ConversationRef.user_aad_id.in_(wanted),
        )
    )
    for aad, reference in refs:
        name = ((reference or {}).get("user") or {}).get("name")
        if aad and name:
            names[aad] = name
    members = await session.execute(
        select(CaseMember.aad_object_id, CaseMember.display_name)
        .join(SspfCase, SspfCase.id == CaseMember.case_id)
        .where(SspfCase.tenant_id == tenant_id, CaseMember.aad_object_id.in_(wanted))
    )
    for aad, name in members:
        names.setdefault(aad, name)
    coordinators = await session.execute(
        select(Coordinator.aad_object_id, Coordinator.display_name).where(
            Coordinator.tenant_id.in_((tenant_id, "*")), Coordinator.aad_object_id.in_(wanted)
        )
    )
    for aad, name in coordinators:
        if name:
            names.setdefault(aad, name)
    return names
