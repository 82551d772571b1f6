"""INTERIM consent check for booking, until the shared ``store.queries.consent.consent_decision`` lands.

Why a separate, clearly named module: the cases/consent flow (issue 3) owns how consent rows are read;
booking only needs the decision. This function has the same signature as the shared API so switching is a
one-line import change in ``bot/dialogs/booking.py`` — delete this file then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.agencies import Agency
from domain.consent import ConsentDecision, ConsentRecord, check_consent
from store.models import CaseContact, Consent


async def interim_consent_decision(
    session: AsyncSession, case_id: str, agencies: Iterable[Agency | str], on: date
) -> ConsentDecision:
    """``domain.consent.check_consent`` over the case's guardians (``case_contact.kind == 'guardian'``)
    and its ``consent`` rows, for the agencies taking part, on the meeting's date."""
    guardian_ids = list(
        await session.scalars(
            select(CaseContact.id)
            .where(CaseContact.case_id == case_id, CaseContact.kind == "guardian")
            .order_by(CaseContact.added_at, CaseContact.id)
        )
    )
    rows = await session.scalars(select(Consent).where(Consent.case_id == case_id))
    records = []
    for row in rows:
        covered = frozenset(Agency(a) for a in row.agencies or [] if a in Agency._value2member_map_)
        records.append(
            ConsentRecord(
                guardian_id=row.guardian_id,
                signed_on=row.signed_on,
                agencies=covered,
                filed_at=row.filed_at,
                valid_until=row.valid_until,
                withdrawn_on=row.withdrawn_on,
            )
        )
    return check_consent(records, guardian_ids, [Agency(a) for a in agencies], on)
