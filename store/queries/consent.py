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
from domain.consent import (
    ConsentDecision,
    ConsentRecord,
    ConsentRules,
    Coverage,
    Party,
    Signers,
    check_consent,
    consent_ends_on,
    covered_agencies,
    covers,
    requirement,
)
from domain.refusal import Refusal
from store.models import CaseContact, CaseMember, Consent, SspfCase
from store.queries.cases import contacts_of, members_of
from store.types import utcnow

GUARDIAN = "guardian"
YOUTH = "youth"

_rules = ConsentRules()


def set_rules(rules: ConsentRules) -> None:
    """The municipality's ages (``bot.config.Settings``), set once at start-up."""
    global _rules
    _rules = rules


def rules() -> ConsentRules:
    return _rules


def to_party(value: object) -> Party | None:
    if not isinstance(value, dict) or not value.get("name"):
        return None
    return Party(str(value.get("kind") or "annan"), str(value["name"]), str(value.get("role") or ""))


def to_record(consent: Consent) -> ConsentRecord:
    return ConsentRecord(
        guardian_id=consent.guardian_id,
        signed_on=consent.signed_on,
        agencies=frozenset(a for a in (parse_choice(Agency, str(x)) for x in consent.agencies) if a),
        filed_at=consent.filed_at,
        valid_until=consent.valid_until,
        withdrawn_on=consent.withdrawn_on,
        parties=tuple(p for p in (to_party(x) for x in (consent.parties or [])) if p),
    )


def signers_of(case: SspfCase, contacts: Iterable[tuple[str, str]]) -> Signers:
    """``contacts``: (id, kind) in the order they were added."""
    contacts = list(contacts)
    guardians = tuple(cid for cid, kind in contacts if kind == GUARDIAN)
    youth = next((cid for cid, kind in contacts if kind == YOUTH), None)
    return Signers(guardians, youth, case.custodians, case.birth_year)


async def consents_of(session: AsyncSession, case_id: str) -> list[Consent]:
    rows = await session.scalars(
        select(Consent).where(Consent.case_id == case_id).order_by(Consent.recorded_at, Consent.id)
    )
    return list(rows)


async def guardian_ids(session: AsyncSession, case_id: str) -> list[str]:
    return [c.id for c in await contacts_of(session, case_id, GUARDIAN)]


async def _records(session: AsyncSession, case_id: str) -> tuple[list[ConsentRecord], Signers]:
    case = await session.get(SspfCase, case_id)
    contacts = await contacts_of(session, case_id)
    signers = (
        signers_of(case, ((c.id, c.kind) for c in contacts)) if case is not None else Signers((), None, 0)
    )
    return [to_record(c) for c in await consents_of(session, case_id)], signers


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

    Every custodian (as many as the coordinator recorded) and, by age, the young person must have a
    valid written consent on that day covering every agency (``domain.consent``); ``must_pause`` is set
    on a withdrawal. Agencies are ``Agency`` values ("skola", …).
    """
    records, signers = await _records(session, case_id)
    return check_consent(records, signers, _agencies(agencies), on, _rules)


async def consent_decisions(
    session: AsyncSession, case_ids: Iterable[str], agencies: Iterable[str | Agency], on: date
) -> dict[str, ConsentDecision]:
    """``consent_decision`` for many cases in two queries (their consents, their guardians), whatever
    their number; the decision per case is still ``domain.consent.check_consent``."""
    ids = list(dict.fromkeys(case_ids))
    if not ids:
        return {}
    consents = await session.scalars(
        select(Consent).where(Consent.case_id.in_(ids)).order_by(Consent.recorded_at, Consent.id)
    )
    guardians = await session.execute(
        select(CaseContact.case_id, CaseContact.id, CaseContact.kind)
        .where(CaseContact.case_id.in_(ids))
        .order_by(CaseContact.added_at, CaseContact.id)
    )
    cases = await session.scalars(select(SspfCase).where(SspfCase.id.in_(ids)))
    return _decide(ids, consents, guardians, _agencies(agencies), on, cases)


def _decide(
    ids: Iterable[str],
    consents: Iterable[Consent],
    contacts: Iterable[tuple[str, str, str]],
    agencies: list[Agency],
    on: date,
    cases: Iterable[SspfCase],
) -> dict[str, ConsentDecision]:
    """Per case: its consents, its contacts (id, kind) and its custodians/birth year (``signers_of``)."""
    records: dict[str, list[ConsentRecord]] = {cid: [] for cid in ids}
    who: dict[str, list[tuple[str, str]]] = {cid: [] for cid in records}
    for consent in consents:
        if consent.case_id in records:
            records[consent.case_id].append(to_record(consent))
    for case_id, contact_id, kind in contacts:
        if case_id in who:
            who[case_id].append((contact_id, kind))
    by_id = {c.id: c for c in cases}
    return {
        cid: check_consent(
            records[cid],
            signers_of(by_id[cid], who[cid]) if cid in by_id else Signers((), None, 0),
            agencies,
            on,
            _rules,
        )
        for cid in records
    }


async def consented_open_cases(session: AsyncSession, tenant_id: str, on: date) -> list[tuple[str, str]]:
    """(id, code) of every open case of the tenant whose guardians' consent is valid on ``on``, by code.

    Three statements at most, however many cases the tenant has: the candidates (open cases with a
    consent on file), their consents and their guardians; the decision per case is the domain's."""
    has_consent = select(Consent.case_id).where(Consent.case_id == SspfCase.id).exists()
    candidates = (
        await session.execute(
            select(SspfCase.id, SspfCase.code)
            .where(SspfCase.tenant_id == tenant_id, SspfCase.status == "open", has_consent)
            .order_by(SspfCase.code)
        )
    ).all()
    if not candidates:
        return []
    in_tenant = select(SspfCase.id).where(SspfCase.tenant_id == tenant_id, SspfCase.status == "open")
    consents = await session.scalars(
        select(Consent).where(Consent.case_id.in_(in_tenant)).order_by(Consent.recorded_at, Consent.id)
    )
    guardians = await session.execute(
        select(CaseContact.case_id, CaseContact.id, CaseContact.kind)
        .where(CaseContact.case_id.in_(in_tenant))
        .order_by(CaseContact.added_at, CaseContact.id)
    )
    cases = await session.scalars(select(SspfCase).where(SspfCase.id.in_([cid for cid, _ in candidates])))
    decisions = _decide([cid for cid, _ in candidates], consents, guardians, [], on, cases)
    return [(cid, code) for cid, code in candidates if decisions[cid].allowed]


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


async def agencies_covered(session: AsyncSession, case_id: str, on: date) -> Coverage:
    """What a complete consent covers on ``on`` (agencies, ``.others``); empty when not complete."""
    records, signers = await _records(session, case_id)
    return covered_agencies(records, signers, on, _rules)


@dataclass(frozen=True)
class ConsentStatus:
    """What the case card says about consent."""

    decision: ConsentDecision
    coverage: Coverage
    custodians: int | None
    guardians_registered: int
    guardians_consented: int
    youth_required: bool
    youth_consented: bool
    adult: bool
    ends_on: date | None


async def consent_status(session: AsyncSession, case: SspfCase, on: date) -> ConsentStatus:
    records, signers = await _records(session, case.id)
    need = requirement(signers, on, _rules)
    valid = {r.guardian_id for r in records if r.is_valid_on(on)}
    return ConsentStatus(
        decision=check_consent(records, signers, [], on, _rules),
        coverage=covered_agencies(records, signers, on, _rules),
        custodians=signers.custodians,
        guardians_registered=len(signers.guardian_ids),
        guardians_consented=sum(1 for g in signers.guardian_ids if g in valid),
        youth_required=need.youth,
        youth_consented=bool(signers.youth_id) and signers.youth_id in valid,
        adult=need.adult,
        ends_on=consent_ends_on(records, signers, on, _rules),
    )


async def party_covered(
    session: AsyncSession, case_id: str, agency: str | Agency, display_name: str | None, on: date
) -> bool | None:
    """May a professional of ``agency`` (named ``display_name``) be on this case's team?

    None while no consent has been recorded at all (the team is being put together to ask the family
    for it; nobody sees content meanwhile); otherwise whether the complete consent names them."""
    records, signers = await _records(session, case_id)
    if not records:
        return None
    parsed = agency if isinstance(agency, Agency) else parse_choice(Agency, str(agency))
    return covers(covered_agencies(records, signers, on, _rules), parsed, display_name)


@dataclass(frozen=True)
class MeetingTeam:
    """The case's professionals split by the consent: only ``allowed`` may be invited to its meetings."""

    allowed: list[CaseMember]
    excluded: list[CaseMember]
    decision: ConsentDecision


async def meeting_team(session: AsyncSession, case_id: str, on: date) -> MeetingTeam:
    """For the booking flow: an agency outside the consent cannot be added to the case's meetings."""
    records, signers = await _records(session, case_id)
    covered = covered_agencies(records, signers, on, _rules)
    members = await members_of(session, case_id)
    allowed = [m for m in members if covers(covered, parse_choice(Agency, m.agency), m.display_name)]
    excluded = [m for m in members if m not in allowed]
    decision = check_consent(records, signers, _agencies({m.agency for m in members}), on, _rules)
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
    parties: Iterable[Party] = (),
) -> Consent:
    consent = Consent(
        case_id=case.id,
        guardian_id=guardian.id,
        signed_on=signed_on,
        agencies=sorted(a.value for a in agencies),
        parties=[{"kind": p.kind, "name": p.name, "role": p.role} for p in parties],
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
