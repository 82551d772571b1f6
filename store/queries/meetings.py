"""Meeting rows: looked up by idempotency key (double clicks), by chat id (the agenda), by state (repair).

Status moves pending → booked → (cancel_pending →) cancelled; ``failed`` when Graph refused for good
(403, unknown organiser). A row is written *before* Graph is called, so a crash or a timeout between the two
leaves a ``pending`` row that ``bot.booking_service.reconcile_pending_meetings`` completes with the same
``transaction_id`` — Graph then returns the event it already made instead of a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from store.models import Meeting
from store.types import utcnow

OPEN_STATES = ("pending", "booked")


async def meeting_by_key(session: AsyncSession, tenant_id: str, idempotency_key: str) -> Meeting | None:
    return await session.scalar(
        select(Meeting)
        .options(selectinload(Meeting.participants))
        .where(Meeting.tenant_id == tenant_id, Meeting.idempotency_key == idempotency_key)
    )


async def meeting_by_id(session: AsyncSession, tenant_id: str | None, meeting_id: str) -> Meeting | None:
    """``tenant_id`` None only for background repair jobs that work across tenants."""
    stmt = select(Meeting).options(selectinload(Meeting.participants)).where(Meeting.id == meeting_id)
    if tenant_id is not None:
        stmt = stmt.where(Meeting.tenant_id == tenant_id)
    return await session.scalar(stmt)


async def meeting_by_chat(session: AsyncSession, tenant_id: str, chat_id: str) -> Meeting | None:
    """The booked meeting whose Teams meeting chat is ``chat_id`` (the latest, if a series reuses the chat).

    The agenda flow runs only where this finds a row (or where a coordinator starts it explicitly): the
    chat id is recorded by the booking (``bot.booking_service``), never taken from what a user sends."""
    return await session.scalar(
        select(Meeting)
        .options(selectinload(Meeting.participants))
        .where(Meeting.tenant_id == tenant_id, Meeting.chat_id == chat_id, Meeting.status == "booked")
        .order_by(Meeting.start_at.desc())
        .limit(1)
    )


async def meetings_for_case(session: AsyncSession, case_id: str, *, upcoming_from: datetime | None = None):
    stmt = select(Meeting).where(Meeting.case_id == case_id, Meeting.status.in_(OPEN_STATES))
    if upcoming_from is not None:
        stmt = stmt.where(Meeting.end_at >= upcoming_from)
    return list(await session.scalars(stmt.order_by(Meeting.start_at)))


async def stale_pending_ids(session: AsyncSession, older_than: timedelta) -> Sequence[str]:
    """Pending rows nobody is working on any more (a booking in flight is younger than ``older_than``)."""
    cutoff = utcnow() - older_than
    return list(
        await session.scalars(
            select(Meeting.id)
            .where(Meeting.status == "pending", Meeting.updated_at <= cutoff)
            .order_by(Meeting.created_at)
        )
    )


async def cancel_pending_ids(session: AsyncSession) -> Sequence[str]:
    return list(
        await session.scalars(
            select(Meeting.id).where(Meeting.status == "cancel_pending").order_by(Meeting.created_at)
        )
    )


async def mark_case_meetings_cancel_pending(session: AsyncSession, case_id: str) -> int:
    """Consent withdrawn: every not-yet-ended meeting of the case is to be cancelled in the calendar.

    Call in the withdrawal's own transaction, then (after commit)
    ``bot.booking_service.cancel_pending_meetings``.
    Pending rows are included: their create may have reached Graph before it timed out.
    """
    result = await session.execute(
        update(Meeting)
        .where(
            Meeting.case_id == case_id,
            Meeting.status.in_(OPEN_STATES),
            Meeting.end_at >= utcnow(),
        )
        .values(status="cancel_pending", updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)
