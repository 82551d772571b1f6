"""What the booking card needs to know about cases: which the user may book for, the team, the guests.

Guardians and the youth are returned with their role and number only for display ("Vårdnadshavare 1");
their names never leave this module towards a card.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import CaseContact, CaseMember, SspfCase


@dataclass(frozen=True)
class TeamMember:
    aad_id: str
    name: str
    email: str | None
    agency: str


@dataclass(frozen=True)
class Guest:
    """A guardian or the youth, by role: ``kind`` guardian|youth, ``number`` 1-based among guardians."""

    contact_id: str
    kind: str
    number: int
    email: str | None


RECENT_CASES = 10  # how many cases the booking card offers to pick from; any other is typed by its code


def _bookable(tenant_id: str, user_id: str, coordinator: bool):
    """Open (not closed) cases the user may see: all of the tenant's for a coordinator, else their own."""
    stmt = select(SspfCase).where(SspfCase.tenant_id == tenant_id, SspfCase.status != "closed")
    if not coordinator:
        stmt = stmt.where(
            SspfCase.id.in_(select(CaseMember.case_id).where(CaseMember.aad_object_id == user_id))
        )
    return stmt


async def bookable_cases(
    session: AsyncSession, tenant_id: str, user_id: str, coordinator: bool, limit: int = RECENT_CASES
) -> list[SspfCase]:
    """The ``limit`` most recently changed bookable cases (one bounded statement, whatever the tenant's
    size): the booking card's short list; every other case is reached by typing its code."""
    stmt = _bookable(tenant_id, user_id, coordinator)
    stmt = stmt.order_by(SspfCase.updated_at.desc(), SspfCase.code.desc()).limit(limit)
    return list(await session.scalars(stmt))


async def bookable_case(
    session: AsyncSession, tenant_id: str, user_id: str, coordinator: bool, case_id: str
) -> SspfCase | None:
    """The one case, if the user may book for it (open, and theirs unless they coordinate)."""
    return await session.scalar(_bookable(tenant_id, user_id, coordinator).where(SspfCase.id == case_id))


async def case_team(session: AsyncSession, case_id: str) -> list[TeamMember]:
    rows = await session.scalars(
        select(CaseMember).where(CaseMember.case_id == case_id).order_by(CaseMember.added_at, CaseMember.id)
    )
    return [TeamMember(r.aad_object_id, r.display_name, r.email, r.agency) for r in rows]


async def case_guests(session: AsyncSession, case_id: str) -> list[Guest]:
    rows = await session.scalars(
        select(CaseContact)
        .where(CaseContact.case_id == case_id)
        .order_by(CaseContact.added_at, CaseContact.id)
    )
    out: list[Guest] = []
    guardians = 0
    for r in rows:
        if r.kind == "guardian":
            guardians += 1
            out.append(Guest(r.id, "guardian", guardians, r.email))
        elif r.kind == "youth":
            out.append(Guest(r.id, "youth", 1, r.email))
    return out


async def known_professional(session: AsyncSession, tenant_id: str, aad_id: str) -> TeamMember | None:
    """A professional the bot already knows from some case team of this tenant (name, e-mail, agency)."""
    row = await session.scalar(
        select(CaseMember)
        .join(SspfCase, SspfCase.id == CaseMember.case_id)
        .where(SspfCase.tenant_id == tenant_id, CaseMember.aad_object_id == aad_id)
        .order_by(CaseMember.added_at.desc())
        .limit(1)
    )
    return TeamMember(row.aad_object_id, row.display_name, row.email, row.agency) if row else None
