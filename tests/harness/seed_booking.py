"""Rows the booking tests need, written straight into the database: a case, its team, guardians, consent.

Why not through the cases flow: booking must be testable on its own; the rows are exactly what the cases
flow stores (``store.models``), so a booking test sees the same data a real case would give it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from store.db import Database
from store.models import CaseContact, CaseMember, Consent, SspfCase
from tests.harness import activities as acts

GUARDIAN_NAMES = ("Greta Vårdnadshavarsson", "Gustav Vårdnadshavarsson")
CHILD_NAME = "Kalle Barnsson"


@dataclass
class SeededCase:
    id: str
    code: str
    guardian_ids: list[str] = field(default_factory=list)
    youth_id: str | None = None


async def seed_case(
    db: Database,
    *,
    code: str = "SSPF-2026-001",
    tenant: str = acts.TENANT,
    members: list[tuple[acts.User, str, str | None]] = (),
    guardian_emails: list[str | None] = ("greta@example.org",),
    youth_email: str | None = None,
    consent_agencies: list[str] | None = None,
    consent_withdrawn_on: date | None = None,
    status: str = "open",
) -> SeededCase:
    """A case with its team (user, agency, e-mail), guardians and, unless ``consent_agencies`` is None, one
    written consent per guardian covering those agencies."""
    today = date.today()
    async with db.transaction() as session:
        case = SspfCase(
            tenant_id=tenant,
            code=code,
            initials="K.B.",
            birth_year=2012,
            school_area="Norra skolan",
            signal_source="skola",
            concerns=["skolk"],
            track="individuell",
            status=status,
            custodians=len(guardian_emails) or None,  # every guardian seeded is a custodian (issue 15)
            created_by="aad-coordinator",
        )
        session.add(case)
        await session.flush()
        for user, agency, email in members:
            session.add(
                CaseMember(
                    case_id=case.id,
                    aad_object_id=user.aad,
                    display_name=user.name,
                    email=email,
                    agency=agency,
                    added_by="aad-coordinator",
                )
            )
        seeded = SeededCase(case.id, code)
        for n, email in enumerate(guardian_emails):
            contact = CaseContact(
                case_id=case.id, kind="guardian", name=GUARDIAN_NAMES[n % 2], email=email, added_by="x"
            )
            session.add(contact)
            await session.flush()
            seeded.guardian_ids.append(contact.id)
            if consent_agencies is not None:
                session.add(
                    Consent(
                        case_id=case.id,
                        guardian_id=contact.id,
                        signed_on=today - timedelta(days=10),
                        agencies=list(consent_agencies),
                        filed_at="Dnr 2026/123",
                        recorded_by="aad-coordinator",
                        withdrawn_on=consent_withdrawn_on,
                    )
                )
        if youth_email is not None:
            youth = CaseContact(
                case_id=case.id, kind="youth", name=CHILD_NAME, email=youth_email, added_by="x"
            )
            session.add(youth)
            await session.flush()
            seeded.youth_id = youth.id
    return seeded
