"""Reminder-test rows on top of ``tests/harness/seed.py`` (cases, actions, meetings belong to other flows).

Thin wrappers that take the test users (``tests.conftest``) instead of (aad id, name) tuples and a
1:1 conversation reference, which the generic seeds do not make.

    async with bot.services.db.transaction() as s:
        case = await seed_case(s, "SSPF-2027-001", members=[(SOCIAL, "socialtjanst")])
        action = await seed_action(s, case, SOCIAL, date(2027, 3, 11))
        await replan_for_action(s, action, now=NOW)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ActionItem, CaseContact, Consent, ConversationRef, Meeting, SspfCase
from tests.harness import activities as acts
from tests.harness import seed


async def seed_case(
    session: AsyncSession,
    code: str,
    *,
    members: Sequence[tuple[acts.User, str]] = (),
    tenant: str = acts.TENANT,
    status: str = "open",
    track: str = "individuell",
    consented: bool = True,
) -> SspfCase:
    """A case whose guardian consented to every member's agency (``consented``): actions exist only
    with consent, and reminders show their text only within it (issue 12 §2).
    Skola too: the default agency of ``seed_action``."""
    agencies = sorted({agency for _, agency in members} | {"skola"}) if consented else None
    return await seed.seed_case(
        session,
        tenant,
        code,
        members=[(user.aad, user.name, agency) for user, agency in members],
        guardians=["Vårdnadshavare Noll"] if consented else (),
        consent_agencies=agencies,
        initials="XY",
        birth_year=2013,
        track=track,
        status=status,
    )


async def seed_consent(session: AsyncSession, case: SspfCase, signed_on: date) -> Consent:
    """One guardian and their written consent (the generic seed makes them only with a new case)."""
    guardian = CaseContact(case_id=case.id, kind="guardian", name="Vårdnadshavare Ett", added_by=seed.SEEDER)
    session.add(guardian)
    case.custodians = case.custodians or 1
    await session.flush()
    consent = Consent(
        case_id=case.id,
        guardian_id=guardian.id,
        signed_on=signed_on,
        agencies=["skola", "socialtjanst", "polis", "fritid"],
        filed_at="Diarium 2027/12",
        recorded_by=seed.SEEDER,
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
    return await seed.seed_action(
        session,
        case.tenant_id,
        case=case,
        text=text,
        agency=agency,
        responsible=(responsible.aad, responsible.name),
        due_on=due_on,
        status=status,
        follow_up_on=follow_up_on,
    )


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
    return await seed.seed_meeting(
        session,
        tenant,
        kind=kind,
        chat_id=None,
        case=case,
        participants=[(user.aad, user.name, agency) for user, agency in participants],
        start_at=start_at,
        status=status,
    )


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
