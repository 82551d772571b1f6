"""Action items (the handlingsplan): the one place they are created and their status changed.

Reminders follow actions, so every create, status change or removal ends in ``action_changed``:
the hook where reminder (re)planning plugs in. If ``store.queries.reminders`` provides
``replan_for_action(session, action)`` it is called in the same transaction; until then the hook
does nothing.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ActionItem, AgendaRun
from store.types import utcnow

log = logging.getLogger(__name__)
OPEN_STATUSES = ("open", "in_progress")


async def action_changed(session: AsyncSession, action: ActionItem) -> None:
    """Hook after an action was created, changed or removed (``action.status == "removed"``).

    Reminder planning fills this in: ``store.queries.reminders.replan_for_action(session, action)``
    runs in the caller's transaction when that module exists, so a reminder never outlives its action.
    """
    try:
        reminders = importlib.import_module("store.queries.reminders")
    except ModuleNotFoundError:
        return
    replan = getattr(reminders, "replan_for_action", None)
    if replan is not None:
        await replan(session, action)


async def create_action(
    session: AsyncSession,
    *,
    tenant_id: str,
    case_id: str | None,
    run_id: str | None,
    kind: str,
    text: str,
    agency: str,
    responsible_aad_id: str,
    responsible_name: str,
    due_on: date,
    follow_up_on: date | None,
    created_by: str,
) -> ActionItem:
    item = ActionItem(
        tenant_id=tenant_id,
        case_id=case_id,
        run_id=run_id,
        kind=kind,
        text=text,
        agency=agency,
        responsible_aad_id=responsible_aad_id,
        responsible_name=responsible_name,
        due_on=due_on,
        follow_up_on=follow_up_on,
        created_by=created_by,
    )
    session.add(item)
    await session.flush()
    await action_changed(session, item)
    return item


CLOSED_STATUSES = ("done", "not_done")


def closed_at_for(status: str, now: datetime) -> datetime | None:
    """When an action counts as closed (klar / ej genomförd): the steering group's on-time figure."""
    return now if status in CLOSED_STATUSES else None


async def set_action_status(
    session: AsyncSession, action: ActionItem, status: str, comment: str | None, *, expected_version: int
) -> bool:
    """Compare-and-set on ``version``: False when someone changed the action since the card was built."""
    result = await session.execute(
        update(ActionItem)
        .where(ActionItem.id == action.id, ActionItem.version == expected_version)
        .values(
            status=status,
            status_comment=comment or None,
            version=ActionItem.version + 1,
            updated_at=utcnow(),
            closed_at=closed_at_for(status, utcnow()),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    await session.refresh(action)
    await action_changed(session, action)
    return True


async def remove_action(session: AsyncSession, action: ActionItem) -> None:
    """Undo an action added by mistake during the meeting it was agreed in."""
    action.status = "removed"
    await action_changed(session, action)
    await session.delete(action)
    await session.flush()


async def get_action(session: AsyncSession, tenant_id: str, action_id: str) -> ActionItem | None:
    return await session.scalar(
        select(ActionItem).where(ActionItem.tenant_id == tenant_id, ActionItem.id == action_id)
    )


async def actions_of_run(session: AsyncSession, run_id: str) -> Sequence[ActionItem]:
    return (
        await session.scalars(
            select(ActionItem)
            .where(ActionItem.run_id == run_id)
            .order_by(ActionItem.created_at, ActionItem.id)
        )
    ).all()


async def actions_of_case(session: AsyncSession, tenant_id: str, case_id: str) -> Sequence[ActionItem]:
    return (
        await session.scalars(
            select(ActionItem)
            .where(ActionItem.tenant_id == tenant_id, ActionItem.case_id == case_id)
            .order_by(ActionItem.due_on, ActionItem.created_at)
        )
    ).all()


async def actions_to_review(
    session: AsyncSession, run: AgendaRun, *, limit: int = 25
) -> Sequence[ActionItem]:
    """Actions agreed at earlier meetings that are still open or in progress, plus those reviewed in
    this meeting (so a status just set stays on the card): the case's, or for a meeting without a case
    (arbetsgrupp) those of earlier agendas in the same chat."""
    stmt = select(ActionItem).where(ActionItem.tenant_id == run.tenant_id)
    reviewed_here = ActionItem.updated_at >= run.started_at
    earlier = (ActionItem.run_id.is_(None)) | (ActionItem.run_id != run.id)
    if run.case_id:
        stmt = stmt.where(ActionItem.case_id == run.case_id)
    else:
        earlier_runs = select(AgendaRun.id).where(
            AgendaRun.tenant_id == run.tenant_id,
            AgendaRun.conversation_id == run.conversation_id,
            AgendaRun.id != run.id,
        )
        stmt = stmt.where(ActionItem.case_id.is_(None), ActionItem.run_id.in_(earlier_runs))
    stmt = stmt.where(earlier, ActionItem.status.in_(OPEN_STATUSES) | reviewed_here)
    return (await session.scalars(stmt.order_by(ActionItem.due_on, ActionItem.id).limit(limit))).all()


MY_ACTIONS_PAGE = 20  # actions per page of ``mina åtgärder``


async def open_actions_for(
    session: AsyncSession, tenant_id: str, aad_id: str, *, page: int = 0, size: int = MY_ACTIONS_PAGE
) -> tuple[list[tuple[ActionItem, str]], int]:
    """One page of the open actions someone is responsible for, with their case codes, soonest due
    first, and how many there are in all (two statements, whatever the number)."""
    from sqlalchemy import func

    from store.models import SspfCase

    mine = (
        select(ActionItem, SspfCase.code)
        .join(SspfCase, SspfCase.id == ActionItem.case_id)
        .where(
            ActionItem.tenant_id == tenant_id,
            ActionItem.responsible_aad_id == aad_id,
            ActionItem.status.in_(("open", "in_progress")),
            SspfCase.status == "open",
        )
    )
    total = await session.scalar(select(func.count()).select_from(mine.subquery())) or 0
    rows = await session.execute(
        mine.order_by(ActionItem.due_on, ActionItem.created_at, ActionItem.id)
        .offset(max(0, page) * size)
        .limit(size)
    )
    return [(action, code) for action, code in rows.all()], total
