"""Rows a test needs before it can talk to the bot: cases with their team, guardians and consent,
meetings linked to a chat, earlier action items.

Written straight with SQLAlchemy so a flow's tests do not depend on another flow's commands (the
case and booking flows have their own tests). Keep these generic: every flow may reuse them.

    async with bot.services.db.transaction() as s:
        case = await seed_case(s, TENANT, "SSPF-2026-001",
                               members=[(PRINCIPAL.aad, PRINCIPAL.name, "skola")],
                               guardians=["Vera Vårdnadshavare"], consent_agencies=["skola", "polis"])
        await seed_meeting(s, TENANT, kind="individuell", chat_id=conv.id, case=case)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from store.models import (
    ActionItem,
    CaseContact,
    CaseMember,
    Consent,
    Meeting,
    MeetingParticipant,
    SspfCase,
    new_id,
)

SEEDER = "aad-seed"


async def seed_case(
    session: AsyncSession,
    tenant: str,
    code: str,
    *,
    members: Iterable[tuple[str, str, str]] = (),
    guardians: Sequence[str] = (),
    consent_agencies: Iterable[str] | None = None,
    consent_signed_on: date | None = None,
    consent_withdrawn_on: date | None = None,
    initials: str = "A.B.",
    birth_year: int = 2012,
    youth_name: str | None = None,
    track: str = "individuell",
    status: str = "open",
    custodians: int | None = None,
) -> SspfCase:
    """A case with its team ``members`` as (aad id, name, agency), ``guardians`` by name, and, when
    ``consent_agencies`` is given, one written consent per guardian covering those agencies.
    ``custodians`` (how many the child has) defaults to the number of guardians given."""
    case = SspfCase(
        id=new_id(),
        tenant_id=tenant,
        code=code,
        initials=initials,
        birth_year=birth_year,
        school_area="Norra skolan",
        signal_source="skola",
        concerns=["skolk"],
        track=track,
        status=status,
        custodians=custodians if custodians is not None else (len(guardians) or None),
        created_by=SEEDER,
    )
    session.add(case)
    for aad, name, agency in members:
        session.add(
            CaseMember(case_id=case.id, aad_object_id=aad, display_name=name, agency=agency, added_by=SEEDER)
        )
    if youth_name:
        session.add(CaseContact(case_id=case.id, kind="youth", name=youth_name, added_by=SEEDER))
    signed_on = consent_signed_on or (date.today() - timedelta(days=7))
    for name in guardians:
        guardian = CaseContact(id=new_id(), case_id=case.id, kind="guardian", name=name, added_by=SEEDER)
        session.add(guardian)
        if consent_agencies is not None:
            session.add(
                Consent(
                    case_id=case.id,
                    guardian_id=guardian.id,
                    signed_on=signed_on,
                    agencies=list(consent_agencies),
                    filed_at="Diarium 2026/123",
                    recorded_by=SEEDER,
                    withdrawn_on=consent_withdrawn_on,
                )
            )
    await session.flush()
    return case


async def seed_meeting(
    session: AsyncSession,
    tenant: str,
    *,
    kind: str,
    chat_id: str | None,
    case: SspfCase | None = None,
    organizer: str = "aad-coordinator",
    participants: Iterable[tuple[str, str, str | None]] = (),
    start_at: datetime | None = None,
    subject: str = "SSPF-möte",
    status: str = "booked",
) -> Meeting:
    """A booked meeting whose Teams chat is ``chat_id`` (how the agenda finds its case and type);
    ``participants`` as (aad id, name, agency)."""
    start = start_at or datetime.now(UTC).replace(microsecond=0)
    meeting = Meeting(
        id=new_id(),
        tenant_id=tenant,
        case_id=case.id if case else None,
        kind=kind,
        subject=subject,
        start_at=start,
        end_at=start + timedelta(hours=1),
        organizer_aad_id=organizer,
        status=status,
        backend="local",
        idempotency_key=new_id(),
        transaction_id=new_id(),
        chat_id=chat_id,
        created_by=organizer,
    )
    session.add(meeting)
    for aad, name, agency in participants:
        session.add(
            MeetingParticipant(meeting_id=meeting.id, aad_object_id=aad, display_name=name, agency=agency)
        )
    await session.flush()
    return meeting


async def seed_action(
    session: AsyncSession,
    tenant: str,
    *,
    case: SspfCase | None,
    text: str,
    agency: str,
    responsible: tuple[str, str],
    due_on: date | None = None,
    status: str = "open",
    kind: str = "annan",
    **extra: Any,
) -> ActionItem:
    """An action agreed at an earlier meeting (``responsible`` as (aad id, name))."""
    item = ActionItem(
        id=new_id(),
        tenant_id=tenant,
        case_id=case.id if case else None,
        kind=kind,
        text=text,
        agency=agency,
        responsible_aad_id=responsible[0],
        responsible_name=responsible[1],
        due_on=due_on or (date.today() + timedelta(days=14)),
        status=status,
        created_by=SEEDER,
        **extra,
    )
    session.add(item)
    await session.flush()
    return item


# Case content the suite feeds the bot (seeded above or typed in its flows): none of it may ever appear
# in a log line. tests/test_zz_log_privacy.py checks every record the whole suite emitted against these
# and against domain.personnummer.contains_personnummer. Add new markers here when a test uses new ones;
# keep them distinctive (a two-letter initial would match unrelated text).
CASE_CONTENT_MARKERS: tuple[str, ...] = (
    # guardians and youths (seed_booking.py, case_steps.py, test_agenda, test_team_consent)
    "Vera Vårdnadshavare",
    "Ville Vårdnadshavare",
    "Vera Vårdnadshavarsson",
    "Gunnar Vårdnadshavarsson",
    "Greta Vårdnadshavarsson",
    "Gustav Vårdnadshavarsson",
    "Gustav Föräldersson",
    "Utan Samtycke",
    "Kalle Barnsson",
    "Zelmer Quist",
    "zelmer.q@example.se",
    "greta.v@example.se",
    "Zlatan Q",
    "Quinn Z",
    # seeded case fields: initials with dots, school/area, where the consent paper is filed
    "A.B.",
    "Z.Q.",
    "Q.Z.",
    "K.B.",
    "Norra skolan",
    "Ekbackeskolan",
    "Diarium 2026/123",
    # notes and action texts typed in the agenda and action flows
    "Läxhjälp tisdagar på fritidsgården",
    "Läxhjälp t.ex. tisdagar",
    "Eleven vill ha läxhjälp",
    "Ring mig om eleven",
    "Jag vet något",
)
