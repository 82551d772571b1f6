"""Cases, their team and their external contacts: the queries behind the case flows.

Every function takes the tenant or an already tenant-checked case, so nothing here can reach
another tenant's rows. Codes come from the ``case_counter`` row, incremented in the creating
transaction, so two coordinators creating at the same moment never get the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.agencies import CaseStatus
from domain.case_code import format_case_code
from store.models import CaseContact, CaseCounter, CaseMember, Reminder, SspfCase, new_id
from store.queries import dialect_insert
from store.queries.meetings import mark_case_meetings_cancel_pending
from store.types import utcnow

ACTIVE_REMINDER_STATES = ("pending", "claimed")


async def next_case_code(session: AsyncSession, tenant_id: str, year: int) -> str:
    """Take the next number of the tenant's year in this transaction.

    One upsert that increments and returns: on PostgreSQL the row lock makes a concurrent creator wait
    for this transaction and then see the new number; SQLite serialises writers anyway. A rolled back
    turn rolls the number back too, so no gaps appear from failed saves.
    """
    stmt = dialect_insert(session, CaseCounter).values(tenant_id=tenant_id, year=year, last_seq=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[CaseCounter.tenant_id, CaseCounter.year],
        set_={"last_seq": CaseCounter.last_seq + 1},
    ).returning(CaseCounter.last_seq)
    seq = (await session.execute(stmt)).scalar_one()
    return format_case_code(year, seq)


async def create_case(
    session: AsyncSession,
    *,
    tenant_id: str,
    year: int,
    clean: dict[str, Any],
    signal_on: date | None,
    created_by: str,
) -> SspfCase:
    code = await next_case_code(session, tenant_id, year)
    case = SspfCase(
        tenant_id=tenant_id,
        code=code,
        initials=clean["initials"],
        birth_year=clean["birth_year"],
        school_area=clean["school_area"],
        signal_source=str(clean["signal_source"]),
        concerns=[str(c) for c in clean["concerns"]],
        track=str(clean["track"]),
        status=CaseStatus.OPEN.value,
        signal_on=signal_on,
        created_by=created_by,
    )
    session.add(case)
    await session.flush()
    return case


async def cases_visible_to(
    session: AsyncSession, tenant_id: str, aad_id: str, *, coordinator: bool, limit: int
) -> tuple[list[SspfCase], int]:
    """Cases a user may see (coordinator: all of the tenant's), open first, newest first; and the total."""
    where = [SspfCase.tenant_id == tenant_id]
    if not coordinator:
        mine = select(CaseMember.case_id).where(CaseMember.aad_object_id == aad_id)
        where.append(SspfCase.id.in_(mine))
    total = await session.scalar(select(func.count()).select_from(SspfCase).where(*where)) or 0
    order = sql_case(
        (SspfCase.status == CaseStatus.OPEN.value, 0),
        (SspfCase.status == CaseStatus.PAUSED.value, 1),
        else_=2,
    )
    rows = await session.scalars(
        select(SspfCase)
        .where(*where)
        .order_by(order, SspfCase.created_at.desc(), SspfCase.code.desc())
        .limit(limit)
    )
    return list(rows), int(total)


async def members_of(session: AsyncSession, case_id: str) -> list[CaseMember]:
    rows = await session.scalars(
        select(CaseMember).where(CaseMember.case_id == case_id).order_by(CaseMember.added_at, CaseMember.id)
    )
    return list(rows)


async def contacts_of(session: AsyncSession, case_id: str, kind: str | None = None) -> list[CaseContact]:
    """Guardians (and the youth) in the order they were added: "Vårdnadshavare 1" is the first one."""
    stmt = select(CaseContact).where(CaseContact.case_id == case_id)
    if kind is not None:
        stmt = stmt.where(CaseContact.kind == kind)
    rows = await session.scalars(stmt.order_by(CaseContact.added_at, CaseContact.id))
    return list(rows)


async def find_member(session: AsyncSession, case_id: str, aad_id: str) -> CaseMember | None:
    return await session.scalar(
        select(CaseMember).where(CaseMember.case_id == case_id, CaseMember.aad_object_id == aad_id)
    )


async def add_member(
    session: AsyncSession,
    case: SspfCase,
    *,
    aad_id: str,
    name: str,
    agency: str,
    added_by: str,
    email: str | None = None,
) -> CaseMember | None:
    """The new team member, or None when the person is already on the team, also when another turn
    added them a moment ago and has not committed yet: INSERT … ON CONFLICT DO NOTHING on
    (case_id, aad_object_id) waits for that turn on PostgreSQL and then inserts nothing, so two
    coordinators adding the same colleague at once never fail on the unique constraint."""
    stmt = (
        dialect_insert(session, CaseMember)
        .values(
            id=new_id(),
            case_id=case.id,
            aad_object_id=aad_id,
            display_name=name,
            email=email,
            agency=agency,
            added_by=added_by,
            added_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[CaseMember.case_id, CaseMember.aad_object_id])
        .returning(CaseMember.id)
    )
    member_id = await session.scalar(stmt)
    return None if member_id is None else await session.get(CaseMember, member_id)


async def add_contact(
    session: AsyncSession,
    case: SspfCase,
    *,
    kind: str,
    name: str,
    email: str | None,
    phone: str | None,
    added_by: str,
) -> CaseContact:
    contact = CaseContact(case_id=case.id, kind=kind, name=name, email=email, phone=phone, added_by=added_by)
    session.add(contact)
    await session.flush()
    return contact


@dataclass(frozen=True)
class Stopped:
    """What stopping a case's activity touched: shown to the coordinator as counts."""

    meetings_flagged: int
    reminders_cancelled: int


async def stop_case_activity(
    session: AsyncSession, case: SspfCase, *, now: datetime | None = None
) -> Stopped:
    """Flag upcoming meetings ``cancel_pending`` (the booking flow cancels them in Graph) and cancel
    pending reminders, in the caller's transaction: withdrawal and closing stop everything at once."""
    now = now or utcnow()
    meetings = await mark_case_meetings_cancel_pending(session, case.id)
    reminders = await session.execute(
        update(Reminder)
        .where(
            Reminder.tenant_id == case.tenant_id,
            Reminder.case_id == case.id,
            Reminder.state.in_(ACTIVE_REMINDER_STATES),
        )
        .values(state="cancelled", last_error="case stopped")
        .execution_options(synchronize_session=False)
    )
    return Stopped(meetings, reminders.rowcount or 0)


async def set_status(
    session: AsyncSession, case: SspfCase, status: CaseStatus, *, reason: str | None = None
) -> None:
    case.status = status.value
    if status is CaseStatus.CLOSED:
        case.closing_reason = reason
        case.closed_at = utcnow()
    await session.flush()


def member_ids(members: Sequence[CaseMember]) -> list[str]:
    return [m.aad_object_id for m in members]
