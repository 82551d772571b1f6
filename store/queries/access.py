"""Who may see which case: the queries behind the access middleware."""

from __future__ import annotations

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import CaseMember, Coordinator, SspfCase

_COORDINATORS = Coordinator.__table__.c
# Asked on every turn, so built once, on the table (no ORM compile step) and without an expanding IN
# (which SQLAlchemy re-renders on every execution).
_IS_COORDINATOR = select(
    exists().where(
        or_(_COORDINATORS.tenant_id == bindparam("tenant"), _COORDINATORS.tenant_id == "*"),
        _COORDINATORS.aad_object_id == bindparam("aad"),
    )
)


async def is_coordinator(session: AsyncSession, tenant_id: str, aad_id: str) -> bool:
    return bool(await session.scalar(_IS_COORDINATOR, {"tenant": tenant_id, "aad": aad_id}))


async def find_case(
    session: AsyncSession, tenant_id: str, *, case_id: str | None = None, code: str | None = None
) -> SspfCase | None:
    """A case of this tenant by id or code; another tenant's case is simply not found."""
    stmt = select(SspfCase).where(SspfCase.tenant_id == tenant_id)
    if case_id:
        stmt = stmt.where(SspfCase.id == case_id)
    elif code:
        stmt = stmt.where(SspfCase.code == code)
    else:
        return None
    return await session.scalar(stmt)


async def is_member(session: AsyncSession, case_id: str, aad_id: str) -> bool:
    stmt = select(exists().where(CaseMember.case_id == case_id, CaseMember.aad_object_id == aad_id))
    return bool(await session.scalar(stmt))


async def may_see(session: AsyncSession, case: SspfCase, aad_id: str, coordinator: bool) -> bool:
    return coordinator or await is_member(session, case.id, aad_id)
