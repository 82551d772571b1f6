"""Rows for reminder tests, written directly with SQLAlchemy (cases, actions, meetings belong to other flows).

async with bot.services.db.transaction() as s:
    case = await seed_case(s, "SSPF-2027-001", members=[(SOCIAL, "socialtjanst")])
    action = await seed_action(s, case, SOCIAL, date(2027, 3, 11))
    await replan_for_action(s, action, now=NOW)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from store.models import (
    ActionItem,
    CaseContact,
    CaseMember,
    Consent,
    ConversationRef,
    Meeting,
    MeetingParticipant,
    SspfCase,
)
from tests.harness import activities as acts


async def seed_case(
    session: AsyncSession,
    code: str,
    *,
    members: Sequence[tuple[acts.User, str]] = (),
    tenant: str = acts.TENANT,
    status: str = "open",
    track: str = "individuell",
) -> SspfCase:
    case = SspfCase(
        tenant_id=tenant,
        code=code,
        initials="XY",
        birth_year=2013,
        school_area="Norra skolområdet",
        signal_source="skola",
        concerns=["skolk"],
        track=track,
        status=status,
        created_by="aad-coordinator",
    )
    session.add(case)
    await session.flush()
    for user, agency in members:
        session.add(
            CaseMember(
                case_id=case.id,
                aad_object_id=user.aad,
                display_name=user.name,
                agency=agency,
                added_by="aad-coordinator",
            )
        )
    await session.flush()
    return case


async def seed_consent(session: AsyncSession, case: SspfCase, signed_on: date) -> Consent:
    guardian = CaseContact(case_id=case.id, kind="guardian", name="Vårdnadshavare Ett", added_by="x")
    session.add(guardian)
    await session.flush()
    consent = Consent(
        case_id=case.id,
        guardian_id=guardian.id,
        signed_on=signed_on,
        agencies=["skola", "socialtjanst", "polis", "fritid"],
        filed_at="Diarium 2027/12",
        recorded_by="aad-coordinator",
    )
    session.add(consent)
    await session.flush()
    return consent


async def seed_action(
    session: AsyncSession,
    case: SspfCase,
    responsible: acts.User,
    due_on: date,
    *,
    text: str = "Läxläsning två gånger i veckan",
    agency: str = "skola",
    follow_up_on: date | None = None,
    status: str = "open",
) -> ActionItem:
    action = ActionItem(
        tenant_id=case.tenant_id,
        case_id=case.id,
        kind="annan",
        text=text,
        agency=agency,
        responsible_aad_id=responsible.aad,
        responsible_name=responsible.name,
        due_on=due_on,
        follow_up_on=follow_up_on,
        status=status,
        created_by="aad-coordinator",
    )
    session.add(action)
    await session.flush()
    return action


async def seed_meeting(
    session: AsyncSession,
    start_at: datetime,
    *,
    kind: str = "arbetsgrupp",
    case: SspfCase | None = None,
    participants: Sequence[tuple[acts.User, str]] = (),
    tenant: str = acts.TENANT,
    status: str = "booked",
) -> Meeting:
    meeting = Meeting(
        tenant_id=tenant,
        case_id=case.id if case else None,
        kind=kind,
        subject="SSPF arbetsgrupp" if kind == "arbetsgrupp" else "SSPF uppföljning",
        start_at=start_at,
        end_at=start_at + timedelta(hours=1),
        organizer_aad_id="aad-coordinator",
        status=status,
        backend="local",
        idempotency_key=f"seed-{start_at.isoformat()}-{kind}-{case.id if case else ''}",
        transaction_id="seed",
        created_by="aad-coordinator",
    )
    session.add(meeting)
    await session.flush()
    for user, agency in participants:
        session.add(
            MeetingParticipant(
                meeting_id=meeting.id, aad_object_id=user.aad, display_name=user.name, agency=agency
            )
        )
    await session.flush()
    return meeting


async def seed_reference(session: AsyncSession, user: acts.User, service_url: str) -> None:
    """The 1:1 chat the bot would have remembered had ``user`` written to it."""
    conv = acts.personal(user)
    session.add(
        ConversationRef(
            conversation_id=conv.id,
            tenant_id=user.tenant,
            conversation_type="personal",
            user_aad_id=user.aad,
            reference={
                "bot": acts.BOT,
                "user": user.account(),
                "conversation": conv.account(),
                "channelId": "msteams",
                "serviceUrl": service_url,
            },
        )
    )
    await session.flush()
