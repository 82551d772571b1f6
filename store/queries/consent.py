"""The consent gate over stored consents: the API other flows (booking, agenda, actions) call.

    decision = await consent_decision(session, case_id, {"skola", "polis"}, on=meeting_day)
    decision = await individual_work_decision(session, case, {"skola", "polis"}, on=meeting_day)
    team = await meeting_team(session, case_id, on=meeting_day)   # who may be invited, who may not

``consent_decision`` answers the consent question alone (``domain.consent.check_consent`` over this
case's guardians and consents); ``individual_work_decision`` also refuses for a paused or closed case,
which is what a booking or an individual-level note must ask. Refusals are ``domain.refusal.Refusal``
rendered by ``bot.refusals.refusal_text``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.agencies import Agency, CaseStatus
from domain.choices import parse_choice
from domain.consent import ConsentDecision, ConsentRecord, check_consent, covered_agencies
from domain.refusal import Refusal
from store.models import CaseContact, CaseMember, Consent, SspfCase
from store.queries.cases import contacts_of, members_of
from store.types import utcnow

GUARDIAN = "guardian"
YOUTH = "youth"


def to_record(consent: Consent) -> ConsentRecord:
    return ConsentRecord(
        guardian_id=consent.guardian_id,
        signed_on=consent.signed_on,
        agencies=frozenset(a for a in (parse_choice(Agency, str(x)) for x in consent.agencies) if a),
        filed_at=consent.filed_at,
        valid_until=consent.valid_until,
        withdrawn_on=consent.withdrawn_on,
    )


async def consents_of(session: AsyncSession, case_id: str) -> list[Consent]:
    rows = await session.scalars(
        select(Consent).where(Consent.case_id == case_id).order_by(Consent.recorded_at, Consent.id)
    )
    return list(rows)


async def guardian_ids(session: AsyncSession, case_id: str) -> list[str]:
    return [c.id for c in await contacts_of(session, case_id, GUARDIAN)]


async def _records(session: AsyncSession, case_id: str) -> tuple[list[ConsentRecord], list[str]]:
    return [to_record(c) for c in await consents_of(session, case_id)], await guardian_ids(session, case_id)


def _agencies(values: Iterable[str | Agency]) -> list[Agency]:
    result = []
    for value in values:
        agency = value if isinstance(value, Agency) else parse_choice(Agency, str(value))
        if agency is None:
            raise ValueError(f"unknown agency {value!r}")
        result.append(agency)
    return result


async def consent_decision(
    session: AsyncSession, case_id: str, agencies: Iterable[str | Agency], on: date
) -> ConsentDecision:
    """May individual-level work involving ``agencies`` happen on ``on``, as far as consent goes?

    Every registered guardian must have a valid written consent on that day covering every agency;
    ``must_pause`` is set when a guardian has withdrawn. Agencies are ``Agency`` values ("skola", …).
    """
    records, guardians = await _records(session, case_id)
    return check_consent(records, guardians, _agencies(agencies), on)


async def individual_work_decision(
    session: AsyncSession, case: SspfCase, agencies: Iterable[str | Agency], on: date
) -> ConsentDecision:
    """The gate for booking an individual meeting or recording an individual-level note or action:
    the case must be open, and consent must cover every agency on that day."""
    decision = await consent_decision(session, case.id, agencies, on)
    status_refusals: list[Refusal] = []
    if case.status == CaseStatus.CLOSED.value:
        status_refusals.append(Refusal("case.is_closed", {"code": case.code}))
    elif case.status == CaseStatus.PAUSED.value:
        status_refusals.append(Refusal("case.is_paused", {"code": case.code}))
    if not status_refusals:
        return decision
    refusals = status_refusals + [r for r in decision.refusals if r.key != "consent.withdrawn"]
    return ConsentDecision(False, refusals, must_pause=decision.must_pause)


async def agencies_covered(session: AsyncSession, case_id: str, on: date) -> frozenset[Agency]:
    """Agencies every guardian's valid consent covers on ``on`` (empty without guardians)."""
    records, guardians = await _records(session, case_id)
    return covered_agencies(records, guardians, on)


@dataclass(frozen=True)
class MeetingTeam:
    """The case's professionals split by the consent: only ``allowed`` may be invited to its meetings."""

    allowed: list[CaseMember]
    excluded: list[CaseMember]
    decision: ConsentDecision


async def meeting_team(session: AsyncSession, case_id: str, on: date) -> MeetingTeam:
    """For the booking flow: an agency outside the consent cannot be added to the case's meetings."""
    records, guardians = await _records(session, case_id)
    covered = covered_agencies(records, guardians, on)
    members = await members_of(session, case_id)
    allowed = [m for m in members if parse_choice(Agency, m.agency) in covered]
    excluded = [m for m in members if m not in allowed]
    decision = check_consent(records, guardians, _agencies({m.agency for m in members}), on)
    return MeetingTeam(allowed, excluded, decision)


async def may_join_meetings(session: AsyncSession, case_id: str, agency: str | Agency, on: date) -> bool:
    """Whether a professional of ``agency`` may be invited to this case's meetings on ``on``."""
    return (await consent_decision(session, case_id, {agency}, on)).allowed


# --- writes ----------------------------------------------------------------------------------------


async def record_consent(
    session: AsyncSession,
    case: SspfCase,
    guardian: CaseContact,
    *,
    signed_on: date,
    agencies: Iterable[Agency],
    filed_at: str,
    valid_until: date | None,
    recorded_by: str,
) -> Consent:
    consent = Consent(
        case_id=case.id,
        guardian_id=guardian.id,
        signed_on=signed_on,
        agencies=sorted(a.value for a in agencies),
        filed_at=filed_at,
        valid_until=valid_until,
        recorded_by=recorded_by,
    )
    session.add(consent)
    await session.flush()
    return consent


async def active_consents(
    session: AsyncSession, case_id: str, guardian_id: str | None = None
) -> list[Consent]:
    """Consents not yet withdrawn (of one guardian, or of all)."""
    stmt = select(Consent).where(Consent.case_id == case_id, Consent.withdrawn_on.is_(None))
    if guardian_id is not None:
        stmt = stmt.where(Consent.guardian_id == guardian_id)
    return list(await session.scalars(stmt.order_by(Consent.recorded_at, Consent.id)))


async def withdraw_consents(session: AsyncSession, consents: Iterable[Consent], *, on: date, by: str) -> int:
    """Record the withdrawal on each consent (date, by whom, when recorded); returns how many."""
    count = 0
    now = utcnow()
    for consent in consents:
        consent.withdrawn_on = on
        consent.withdrawn_by = by
        consent.withdrawn_at = now
        count += 1
    await session.flush()
    return count
