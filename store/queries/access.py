"""The facts the access policies decide on (``domain/access.py``): the store loads, the domain decides.

Nothing here answers "may they?": each loader returns the plain facts about one resource and the
person asking (same tenant, coordinator, on the case's team with which agency, what the consent covers
today, invited to the meeting, responsible for the action).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access import ActionFacts, CaseFacts, MeetingFacts, RunFacts
from domain.agencies import Agency
from domain.choices import parse_choice
from domain.consent import covered_agencies
from store.models import (
    ActionItem,
    AgendaRun,
    CaseContact,
    CaseMember,
    Consent,
    Coordinator,
    Meeting,
    MeetingParticipant,
    SspfCase,
)
from store.queries.consent import rules, signers_of, to_record  # the one mapping of stored consent

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


async def case_facts_many(
    session: AsyncSession,
    cases: Sequence[SspfCase],
    *,
    tenant_id: str,
    user_id: str,
    coordinator: bool,
    on: date,
) -> dict[str, CaseFacts]:
    """The facts for each case (three queries, whatever the number of cases)."""
    ids = [c.id for c in cases]
    agency: dict[str, Agency | None] = {}
    names: dict[str, str] = {}
    on_team: set[str] = set()
    records: dict[str, list] = {cid: [] for cid in ids}
    contacts: dict[str, list[tuple[str, str]]] = {cid: [] for cid in ids}
    if ids and not coordinator:
        rows = await session.execute(
            select(CaseMember.case_id, CaseMember.agency, CaseMember.display_name).where(
                CaseMember.case_id.in_(ids), CaseMember.aad_object_id == user_id
            )
        )
        for case_id, value, name in rows:
            on_team.add(case_id)
            agency[case_id] = parse_choice(Agency, value)
            names[case_id] = name
    if ids and not coordinator:  # what the consent covers counts for a responsible person off the team too
        for consent in await session.scalars(
            select(Consent).where(Consent.case_id.in_(ids)).order_by(Consent.recorded_at, Consent.id)
        ):
            records[consent.case_id].append(to_record(consent))
        for case_id, contact_id, kind in await session.execute(
            select(CaseContact.case_id, CaseContact.id, CaseContact.kind)
            .where(CaseContact.case_id.in_(ids))
            .order_by(CaseContact.added_at, CaseContact.id)
        ):
            contacts[case_id].append((contact_id, kind))
    facts = {}
    for case in cases:
        covered = (
            covered_agencies(records[case.id], signers_of(case, contacts[case.id]), on, rules())
            if not coordinator
            else frozenset()
        )
        facts[case.id] = CaseFacts(
            code=case.code,
            same_tenant=case.tenant_id == tenant_id,
            coordinator=coordinator,
            on_team=coordinator is False and case.id in on_team,
            team_agency=agency.get(case.id),
            covered=covered,
            team_name=names.get(case.id),
        )
    return facts


async def case_facts(
    session: AsyncSession, case: SspfCase, *, tenant_id: str, user_id: str, coordinator: bool, on: date
) -> CaseFacts:
    facts = await case_facts_many(
        session, [case], tenant_id=tenant_id, user_id=user_id, coordinator=coordinator, on=on
    )
    return facts[case.id]


async def _meeting_member(session: AsyncSession, meeting_id: str, user_id: str) -> bool:
    """Organiser of, or invited to, the booked meeting as one of the agencies' people."""
    if not user_id:
        return False
    organiser = await session.scalar(select(Meeting.organizer_aad_id).where(Meeting.id == meeting_id))
    if organiser == user_id:
        return True
    found = await session.scalar(
        select(MeetingParticipant.id)
        .where(
            MeetingParticipant.meeting_id == meeting_id,
            MeetingParticipant.aad_object_id == user_id,
            MeetingParticipant.external.is_(False),
        )
        .limit(1)
    )
    return found is not None


async def run_facts(
    session: AsyncSession,
    run: AgendaRun,
    *,
    tenant_id: str,
    user_id: str,
    coordinator: bool,
    conversation_id: str,
    on: date,
    pressed_case_id: str | None = None,
    teams_event: bool = False,
) -> RunFacts:
    """``pressed_case_id``: the case an individnivå part of a group meeting is about (the run has none)."""
    case_id = run.case_id or pressed_case_id
    case = await find_case(session, tenant_id, case_id=case_id) if case_id else None
    return RunFacts(
        same_tenant=run.tenant_id == tenant_id,
        same_chat=run.conversation_id == conversation_id,
        coordinator=coordinator,
        designated_chair=bool(user_id) and user_id == run.chair_aad_id,
        case=(
            await case_facts(
                session, case, tenant_id=tenant_id, user_id=user_id, coordinator=coordinator, on=on
            )
            if case is not None
            else (_MISSING_CASE if case_id else None)
        ),
        meeting_member=bool(run.meeting_id) and await _meeting_member(session, run.meeting_id or "", user_id),
        case_id=case_id,
        teams_event=teams_event,
    )


# a run whose case is gone: nobody but a coordinator sees or writes anything about it
_MISSING_CASE = CaseFacts(
    code="", same_tenant=False, coordinator=False, on_team=False, team_agency=None, covered=frozenset()
)


async def meeting_facts(
    session: AsyncSession, meeting: Meeting, *, tenant_id: str, user_id: str, coordinator: bool
) -> MeetingFacts:
    on_team = False
    if meeting.case_id and not coordinator:
        on_team = bool(
            await session.scalar(
                select(
                    exists().where(CaseMember.case_id == meeting.case_id, CaseMember.aad_object_id == user_id)
                )
            )
        )
    return MeetingFacts(
        same_tenant=meeting.tenant_id == tenant_id,
        coordinator=coordinator,
        booked_by_me=meeting.created_by == user_id,
        participant=any(p.aad_object_id == user_id for p in meeting.participants),
        on_case_team=on_team,
    )


async def action_facts_many(
    session: AsyncSession,
    actions: Sequence[ActionItem],
    *,
    tenant_id: str,
    user_id: str,
    coordinator: bool,
    on: date,
) -> dict[str, ActionFacts]:
    """The facts for each action and the person asking (a handful of queries for any number)."""
    case_ids = sorted({a.case_id for a in actions if a.case_id})
    cases = list(await session.scalars(select(SspfCase).where(SspfCase.id.in_(case_ids)))) if case_ids else []
    by_case = await case_facts_many(
        session, cases, tenant_id=tenant_id, user_id=user_id, coordinator=coordinator, on=on
    )
    return {
        a.id: ActionFacts(
            same_tenant=a.tenant_id == tenant_id,
            responsible=a.responsible_aad_id == user_id,
            agency=parse_choice(Agency, a.agency or ""),
            case=by_case.get(a.case_id, _MISSING_CASE) if a.case_id else None,
        )
        for a in actions
    }


async def action_facts(
    session: AsyncSession,
    action: ActionItem,
    *,
    tenant_id: str,
    user_id: str,
    coordinator: bool,
    on: date,
) -> ActionFacts:
    facts = await action_facts_many(
        session, [action], tenant_id=tenant_id, user_id=user_id, coordinator=coordinator, on=on
    )
    return facts[action.id]
