"""The running agenda of a meeting chat: runs, per-author step entries, attendees.

Concurrency is settled in SQL, not in Python: a move is ``UPDATE … WHERE version = :v`` (two presses
of the same card move once), an entry is an upsert keyed by (run, step, agency, author) so two
people writing at once both keep their text, and at most one run per chat is running (a partial
unique index) so two starts at once give one run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import (
    AgendaAttendee,
    AgendaRun,
    CaseMember,
    Meeting,
    MeetingParticipant,
    SspfCase,
    StepEntry,
    new_id,
)
from store.queries import dialect_insert
from store.queries.consent import consent_decision, consent_decisions, consented_open_cases
from store.types import utcnow

# --- meetings and runs ----------------------------------------------------------------------------


async def get_meeting(session: AsyncSession, tenant_id: str, meeting_id: str) -> Meeting | None:
    return await session.scalar(
        select(Meeting).where(Meeting.tenant_id == tenant_id, Meeting.id == meeting_id)
    )


async def running_run(session: AsyncSession, tenant_id: str, conversation_id: str) -> AgendaRun | None:
    return await session.scalar(
        select(AgendaRun)
        .where(
            AgendaRun.tenant_id == tenant_id,
            AgendaRun.conversation_id == conversation_id,
            AgendaRun.state == "running",
        )
        .execution_options(populate_existing=True)
    )


async def latest_ended_run(
    session: AsyncSession, tenant_id: str, *, conversation_id: str | None = None, case_id: str | None = None
) -> AgendaRun | None:
    stmt = select(AgendaRun).where(AgendaRun.tenant_id == tenant_id, AgendaRun.state == "ended")
    if conversation_id is not None:
        stmt = stmt.where(AgendaRun.conversation_id == conversation_id)
    if case_id is not None:
        stmt = stmt.where(AgendaRun.case_id == case_id)
    return await session.scalar(stmt.order_by(AgendaRun.ended_at.desc()).limit(1))


async def get_run(session: AsyncSession, tenant_id: str, run_id: str) -> AgendaRun | None:
    """Fresh from the database (never a stale copy from the identity map)."""
    return await session.scalar(
        select(AgendaRun)
        .where(AgendaRun.tenant_id == tenant_id, AgendaRun.id == run_id)
        .execution_options(populate_existing=True)
    )


async def start_run(session: AsyncSession, **fields: Any) -> tuple[AgendaRun, bool]:
    """The chat's running agenda: a new one, or the one already running (created False)."""
    try:
        async with session.begin_nested():
            run = AgendaRun(**fields)
            session.add(run)
            await session.flush()
        return run, True
    except IntegrityError:
        existing = await running_run(session, fields["tenant_id"], fields["conversation_id"])
        if existing is None:  # pragma: no cover - the unique index said otherwise
            raise
        return existing, False


async def move_run(
    session: AsyncSession, run: AgendaRun, *, expected_version: int, step_index: int, ended: bool
) -> bool:
    """Compare-and-set: only the first press made from card version ``expected_version`` counts."""
    values: dict[str, Any] = {"step_index": step_index, "version": AgendaRun.version + 1}
    if ended:
        values |= {"state": "ended", "ended_at": utcnow()}
    result = await session.execute(
        update(AgendaRun)
        .where(AgendaRun.id == run.id, AgendaRun.version == expected_version, AgendaRun.state == "running")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(run)
    return result.rowcount == 1


async def set_card_activity(session: AsyncSession, run_id: str, activity_id: str | None) -> None:
    await session.execute(
        update(AgendaRun)
        .where(AgendaRun.id == run_id)
        .values(card_activity_id=activity_id)
        .execution_options(synchronize_session=False)
    )


# --- entries --------------------------------------------------------------------------------------


async def save_entry(
    session: AsyncSession,
    *,
    run_id: str,
    step_key: str,
    agency: str,
    author_aad_id: str,
    author_name: str,
    text: str,
) -> None:
    """One author's text for their agency at a step; empty text removes it."""
    if not text:
        await session.execute(
            delete(StepEntry).where(
                StepEntry.run_id == run_id,
                StepEntry.step_key == step_key,
                StepEntry.agency == agency,
                StepEntry.author_aad_id == author_aad_id,
            )
        )
        return
    now = utcnow()
    stmt = dialect_insert(session, StepEntry).values(
        id=new_id(),
        run_id=run_id,
        step_key=step_key,
        agency=agency,
        author_aad_id=author_aad_id,
        author_name=author_name,
        text=text,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[StepEntry.run_id, StepEntry.step_key, StepEntry.agency, StepEntry.author_aad_id],
        set_={"text": stmt.excluded.text, "author_name": stmt.excluded.author_name, "updated_at": now},
    )
    await session.execute(stmt)


async def entries_of_run(session: AsyncSession, run_id: str) -> Sequence[StepEntry]:
    return (
        await session.scalars(
            select(StepEntry)
            .where(StepEntry.run_id == run_id)
            .order_by(StepEntry.step_key, StepEntry.agency, StepEntry.updated_at, StepEntry.id)
            .execution_options(populate_existing=True)
        )
    ).all()


# --- attendees ------------------------------------------------------------------------------------


async def note_attendee(
    session: AsyncSession,
    *,
    run_id: str,
    aad_object_id: str,
    teams_user_id: str,
    display_name: str,
    agency: str | None = None,
) -> None:
    """Remember who took part (idempotent); a later known agency fills in an unknown one."""
    if not aad_object_id:
        return
    stmt = dialect_insert(session, AgendaAttendee).values(
        id=new_id(),
        run_id=run_id,
        aad_object_id=aad_object_id,
        teams_user_id=teams_user_id or aad_object_id,
        display_name=display_name or "",
        agency=agency,
        first_seen_at=utcnow(),
    )
    if agency:
        stmt = stmt.on_conflict_do_update(
            index_elements=[AgendaAttendee.run_id, AgendaAttendee.aad_object_id],
            set_={"agency": stmt.excluded.agency},
        )
    else:
        stmt = stmt.on_conflict_do_nothing()
    await session.execute(stmt)


async def attendees_of_run(session: AsyncSession, run_id: str) -> Sequence[AgendaAttendee]:
    return (
        await session.scalars(
            select(AgendaAttendee)
            .where(AgendaAttendee.run_id == run_id)
            .order_by(AgendaAttendee.first_seen_at, AgendaAttendee.id)
            .execution_options(populate_existing=True)
        )
    ).all()


# --- who is who: the case team, the meeting's invitees ----------------------------------------------


async def case_team(session: AsyncSession, case_id: str) -> Sequence[CaseMember]:
    return (
        await session.scalars(
            select(CaseMember)
            .where(CaseMember.case_id == case_id)
            .order_by(CaseMember.agency, CaseMember.display_name)
        )
    ).all()


async def meeting_people(session: AsyncSession, meeting_id: str) -> Sequence[MeetingParticipant]:
    return (
        await session.scalars(
            select(MeetingParticipant).where(
                MeetingParticipant.meeting_id == meeting_id, MeetingParticipant.external.is_(False)
            )
        )
    ).all()


async def is_meeting_member(session: AsyncSession, meeting_id: str, aad_id: str) -> bool:
    """Invited to the booked meeting as one of the agencies' people (guests by e-mail are not members):
    for a meeting without a case (arbetsgrupp, urval) that is what membership of the group means."""
    if not aad_id:
        return False
    found = await session.scalar(
        select(MeetingParticipant.id)
        .where(
            MeetingParticipant.meeting_id == meeting_id,
            MeetingParticipant.aad_object_id == aad_id,
            MeetingParticipant.external.is_(False),
        )
        .limit(1)
    )
    return found is not None


async def known_agency(session: AsyncSession, run: AgendaRun, aad_id: str) -> str | None:
    """The user's agency as the case team, the invitation or an earlier choice in this run says."""
    if run.case_id:
        found = await session.scalar(
            select(CaseMember.agency).where(
                CaseMember.case_id == run.case_id, CaseMember.aad_object_id == aad_id
            )
        )
        if found:
            return found
    if run.meeting_id:
        found = await session.scalar(
            select(MeetingParticipant.agency).where(
                MeetingParticipant.meeting_id == run.meeting_id, MeetingParticipant.aad_object_id == aad_id
            )
        )
        if found:
            return found
    return await session.scalar(
        select(AgendaAttendee.agency).where(
            AgendaAttendee.run_id == run.id, AgendaAttendee.aad_object_id == aad_id
        )
    )


# --- consent --------------------------------------------------------------------------------------


async def consent_allows(session: AsyncSession, case_id: str, agencies: Sequence[str], on: date) -> bool:
    return (await consent_decision(session, case_id, agencies, on)).allowed


CASES_PAGE = 8  # cases per page of an individnivå (each with its notes and a text field)


@dataclass(frozen=True)
class CasePage:
    """One page of the consented open cases: every case is on some page, none is left out."""

    cases: list[SspfCase]
    page: int  # 0-based, clamped to the last page
    pages: int
    total: int


async def consented_cases(
    session: AsyncSession, tenant_id: str, on: date, *, page: int = 0, size: int = CASES_PAGE
) -> CasePage:
    """Open cases whose guardians' consent is valid on ``on`` (the only ones an individnivå lists), a
    page at a time: four statements whatever the number of cases (``consented_open_cases`` + the page)."""
    rows = await consented_open_cases(session, tenant_id, on)
    pages = max(1, -(-len(rows) // size))
    page = min(max(0, page), pages - 1)
    ids = [cid for cid, _ in rows[page * size : (page + 1) * size]]
    found = (
        {c.id: c for c in await session.scalars(select(SspfCase).where(SspfCase.id.in_(ids)))} if ids else {}
    )
    return CasePage([found[i] for i in ids if i in found], page, pages, len(rows))


async def consented_case(session: AsyncSession, tenant_id: str, case_id: str, on: date) -> SspfCase | None:
    """The case if it is open in this tenant with a valid consent on ``on`` (one case, three statements)."""
    case = await session.scalar(
        select(SspfCase).where(
            SspfCase.tenant_id == tenant_id, SspfCase.id == case_id, SspfCase.status == "open"
        )
    )
    if case is None or not (await consent_decisions(session, [case.id], [], on))[case.id].allowed:
        return None
    return case


async def consented_codes(
    session: AsyncSession, tenant_id: str, case_ids: Iterable[str], on: date
) -> dict[str, str]:
    """Code per case among ``case_ids`` that is open in the tenant with a valid consent on ``on``."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return {}
    cases = (
        await session.execute(
            select(SspfCase.id, SspfCase.code).where(
                SspfCase.tenant_id == tenant_id, SspfCase.status == "open", SspfCase.id.in_(ids)
            )
        )
    ).all()
    decisions = await consent_decisions(session, [cid for cid, _ in cases], [], on)
    return {cid: code for cid, code in cases if decisions[cid].allowed}


async def cases_for_user(
    session: AsyncSession, tenant_id: str, aad_id: str, coordinator: bool, *, limit: int = 50
) -> Sequence[SspfCase]:
    """Open cases the user may run a meeting about: their team's, or every one for a coordinator."""
    stmt = select(SspfCase).where(SspfCase.tenant_id == tenant_id, SspfCase.status == "open")
    if not coordinator:
        stmt = stmt.where(
            SspfCase.id.in_(select(CaseMember.case_id).where(CaseMember.aad_object_id == aad_id))
        )
    return (await session.scalars(stmt.order_by(SspfCase.code).limit(limit))).all()


# --- who sees case content in their own view -------------------------------------------------------

# Why a viewer sees only the neutral card (catalog keys under ``agenda.view.``); None means: content.
NOT_PARTICIPANT = "not_participant"
NOT_ON_TEAM = "not_on_team"
AGENCY_NOT_COVERED = "agency_not_covered"
NO_CONSENT = "no_consent"


async def content_refusal(
    session: AsyncSession, case: SspfCase, aad_id: str, *, coordinator: bool, on: date
) -> str | None:
    """May ``aad_id`` see this case's content (initials, notes, action texts, comments...) on ``on``?

    The rule of issue 12 §2: a coordinator of the tenant; a member of the case team whose agency every
    guardian's valid consent covers; nobody else (withdrawal or expiry ends it at once). This is the one
    place the agenda, its views and the protokoll ask; it calls the existing access and consent queries
    until the shared access policy (``domain/access.py``) lands, and then only points at it.
    Returns None when allowed, else the reason (``NOT_ON_TEAM``, ``AGENCY_NOT_COVERED``, ``NO_CONSENT``)."""
    # one copy of the rule: domain.access.case_policy, over the facts store.queries.access loads
    from domain.access import Access, case_policy
    from store.queries.access import case_facts

    if coordinator:
        return None
    if not aad_id:
        return NOT_ON_TEAM
    facts = await case_facts(
        session, case, tenant_id=case.tenant_id, user_id=aad_id, coordinator=False, on=on
    )
    decision = case_policy(facts, Access.READ)
    if decision.allowed:
        return None
    return {"no_active_consent": NO_CONSENT, "consent_not_covering": AGENCY_NOT_COVERED}.get(
        decision.reason or "", NOT_ON_TEAM
    )


async def content_refusals(
    session: AsyncSession, cases: Sequence[SspfCase], aad_id: str, *, coordinator: bool, on: date
) -> dict[str, str | None]:
    """``content_refusal`` for many cases at once (a handful of statements for any number)."""
    from domain.access import Access, case_policy
    from store.queries.access import case_facts_many

    if coordinator:
        return {c.id: None for c in cases}
    if not aad_id:
        return {c.id: NOT_ON_TEAM for c in cases}
    facts = await case_facts_many(
        session,
        list(cases),
        tenant_id=cases[0].tenant_id if cases else "",
        user_id=aad_id,
        coordinator=False,
        on=on,
    )
    out: dict[str, str | None] = {}
    for c in cases:
        decision = case_policy(facts[c.id], Access.READ)
        out[c.id] = (
            None
            if decision.allowed
            else {"no_active_consent": NO_CONSENT, "consent_not_covering": AGENCY_NOT_COVERED}.get(
                decision.reason or "", NOT_ON_TEAM
            )
        )
    return out


async def is_participant(session: AsyncSession, meeting: Meeting | None, aad_id: str) -> bool:
    """Invited to the booked meeting (one of the agencies' people) or its organiser: chat members who
    are neither see only the neutral card, whatever else they may be."""
    if meeting is None or not aad_id:
        return False
    return meeting.organizer_aad_id == aad_id or await is_meeting_member(session, meeting.id, aad_id)
