"""Retention: a closed case disappears with everything about the child once its time is up."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bot.housekeeping import run_housekeeping
from store.models import AuditEvent, CaseContact, Consent, SspfCase
from store.types import utcnow


async def _case(session, code: str, *, closed_days_ago: int | None) -> SspfCase:
    case = SspfCase(
        tenant_id="t1",
        code=code,
        initials="AB",
        birth_year=2012,
        school_area="Norra skolan",
        signal_source="skola",
        concerns=["skolk"],
        track="individuell",
        created_by="aad-coordinator",
        status="closed" if closed_days_ago is not None else "open",
        closed_at=utcnow() - timedelta(days=closed_days_ago) if closed_days_ago is not None else None,
    )
    session.add(case)
    await session.flush()
    guardian = CaseContact(case_id=case.id, kind="guardian", name="Greta Förälder", added_by="x")
    session.add(guardian)
    await session.flush()
    session.add(
        Consent(
            case_id=case.id,
            guardian_id=guardian.id,
            signed_on=date(2025, 1, 1),
            agencies=["skola"],
            filed_at="Pärm 3",
            recorded_by="x",
        )
    )
    return case


async def test_closed_case_past_retention_is_deleted_with_its_people(bot):
    async with bot.services.db.transaction() as session:
        await _case(session, "SSPF-2025-001", closed_days_ago=400)
        await _case(session, "SSPF-2025-002", closed_days_ago=10)
        await _case(session, "SSPF-2025-003", closed_days_ago=None)
    deleted = await run_housekeeping(bot.services)
    assert deleted == ["SSPF-2025-001"]
    async with bot.services.db.session() as session:
        codes = set(await session.scalars(select(SspfCase.code)))
        assert codes == {"SSPF-2025-002", "SSPF-2025-003"}
        assert await session.scalar(select(func.count()).select_from(CaseContact)) == 2
        assert await session.scalar(select(func.count()).select_from(Consent)) == 2
        audit = (await session.scalars(select(AuditEvent).where(AuditEvent.verb == "retention.purge"))).all()
        assert [a.detail["code"] for a in audit] == ["SSPF-2025-001"]
    assert await run_housekeeping(bot.services) == []  # a second replica finds nothing more to do


async def test_audit_log_refuses_changes(bot):
    import pytest
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    async with bot.services.db.transaction() as session:
        session.add(AuditEvent(tenant_id="t1", actor_aad_id="a", entity="case", action="read"))
    for stmt in (update(AuditEvent).values(actor_aad_id="someone-else"), delete(AuditEvent)):
        with pytest.raises(DBAPIError, match="append-only"):
            async with bot.services.db.transaction() as session:
                await session.execute(stmt)
