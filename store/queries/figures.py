"""The queries behind the steering group's figures: counts per tenant, nothing that names a child."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ActionItem, Meeting, OutcomeTally, SspfCase
from store.queries import dialect_insert


@dataclass(frozen=True)
class RawFigures:
    cases_by_status: dict[str, int]
    open_by_track: dict[str, int]
    days_signal_to_first_meeting: list[int]
    actions_open: int
    actions_overdue: int
    actions_closed: int
    actions_done_on_time: int
    followups_booked: int
    outcomes: dict[str, dict[str, int]]  # indicator → answer → closed cases (all years)


async def raw_figures(session: AsyncSession, tenant_id: str, today: date) -> RawFigures:
    by_status = dict(
        (
            await session.execute(
                select(SspfCase.status, func.count())
                .where(SspfCase.tenant_id == tenant_id)
                .group_by(SspfCase.status)
            )
        ).all()
    )
    by_track = dict(
        (
            await session.execute(
                select(SspfCase.track, func.count())
                .where(SspfCase.tenant_id == tenant_id, SspfCase.status == "open")
                .group_by(SspfCase.track)
            )
        ).all()
    )
    first_meetings = (
        await session.execute(
            select(SspfCase.signal_on, func.min(Meeting.start_at))
            .join(Meeting, Meeting.case_id == SspfCase.id)
            .where(
                SspfCase.tenant_id == tenant_id,
                SspfCase.signal_on.is_not(None),
                Meeting.status.in_(("booked", "cancel_pending")),
                Meeting.kind == "individuell",
            )
            .group_by(SspfCase.id, SspfCase.signal_on)
        )
    ).all()
    days = [max(0, (first.date() - signal).days) for signal, first in first_meetings if first is not None]
    actions = (
        await session.execute(
            select(ActionItem.status, ActionItem.due_on, ActionItem.closed_at).where(
                ActionItem.tenant_id == tenant_id
            )
        )
    ).all()
    open_ = [a for a in actions if a.status in ("open", "in_progress")]
    closed = [a for a in actions if a.status in ("done", "not_done")]
    on_time = [a for a in closed if a.status == "done" and a.closed_at and a.closed_at.date() <= a.due_on]
    followups = await session.scalar(
        select(func.count())
        .select_from(Meeting)
        .where(Meeting.tenant_id == tenant_id, Meeting.kind == "uppfoljning", Meeting.status == "booked")
    )
    return RawFigures(
        cases_by_status=by_status,
        open_by_track=by_track,
        days_signal_to_first_meeting=days,
        actions_open=len(open_),
        actions_overdue=sum(1 for a in open_ if a.due_on < today),
        actions_closed=len(closed),
        actions_done_on_time=len(on_time),
        followups_booked=int(followups or 0),
        outcomes=await outcome_counts(session, tenant_id),
    )


async def add_outcomes(session: AsyncSession, tenant_id: str, year: int, answers: Mapping[str, str]) -> None:
    """Count one closed case's answers (indicator → answer): one more case per answer, nothing else kept."""
    if not answers:
        return
    stmt = dialect_insert(session, OutcomeTally).values(
        [
            {"tenant_id": tenant_id, "year": year, "indicator": indicator, "answer": answer, "cases": 1}
            for indicator, answer in answers.items()
        ]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "year", "indicator", "answer"],
        set_={"cases": OutcomeTally.cases + 1},
    )
    await session.execute(stmt)


async def outcome_counts(session: AsyncSession, tenant_id: str) -> dict[str, dict[str, int]]:
    rows = await session.execute(
        select(OutcomeTally.indicator, OutcomeTally.answer, func.sum(OutcomeTally.cases))
        .where(OutcomeTally.tenant_id == tenant_id)
        .group_by(OutcomeTally.indicator, OutcomeTally.answer)
    )
    counts: dict[str, dict[str, int]] = {}
    for indicator, answer, cases in rows.all():
        counts.setdefault(indicator, {})[answer] = int(cases or 0)
    return counts
