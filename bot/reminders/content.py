"""What a reminder card says, read fresh from the database at the moment it is sent or redrawn.

A reminder row carries only ids and dates; the case code, the action's text and its current state
are read here. Before sending, a reminder whose reason has gone (action finished or moved, case
closed or paused, consent withdrawn, meeting cancelled, follow-up meeting booked) is reported stale
and cancelled instead of sent: the last line of defence if a flow forgot to re-plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.access import action_content_allowed
from domain.reminders import ReminderKind
from domain.worktime import to_local
from store.models import ActionItem, CaseMember, Meeting, MeetingParticipant, Reminder, SspfCase
from store.queries.access import action_facts_many, is_coordinator
from store.queries.reminders import (
    LIVE_MEETING_STATUSES,
    OPEN_ACTION_STATUSES,
    UNDELIVERABLE_NOTICE,
    consent_withdrawn,
    consent_withdrawn_many,
    follow_up_meeting_booked,
)

ACTION_KINDS = frozenset(
    {ReminderKind.DUE_SOON.value, ReminderKind.OVERDUE.value, ReminderKind.ESCALATION.value}
)
DIGEST_CASES_MAX = 15
DIGEST_ACTIONS_PER_CASE = 4


@dataclass(frozen=True)
class ActionView:
    id: str
    text: str
    due_on: date
    status: str
    status_comment: str | None
    responsible_aad_id: str
    responsible_name: str
    follow_up_on: date | None
    kind: str = "annan"

    @property
    def active(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES


@dataclass(frozen=True)
class DigestCase:
    case_id: str
    code: str
    open_count: int
    overdue_count: int
    actions: list[tuple[ActionView, bool]]  # (action, overdue), overdue first


@dataclass
class ReminderItem:
    """One entry of a reminder card: a headline (catalog key + parameters) and what to act on."""

    reminder_id: str
    kind: str
    case_id: str | None
    case_code: str | None
    key: str
    params: dict[str, str] = field(default_factory=dict)
    action: ActionView | None = None
    digest: list[DigestCase] | None = None
    digest_more: int = 0
    # the recipient may not see the action's text (domain.access): the card shows the case code and why
    withheld: bool = False


@dataclass
class Loaded:
    items: list[ReminderItem]
    stale: dict[str, str]  # reminder id -> why it is no longer worth sending


def _action_view(a: ActionItem) -> ActionView:
    return ActionView(
        a.id,
        a.text,
        a.due_on,
        a.status,
        a.status_comment,
        a.responsible_aad_id,
        a.responsible_name,
        a.follow_up_on,
        a.kind,
    )


class _Cache:
    """Per-load memo: a card of twenty items about three cases reads each case once."""

    def __init__(self, session: AsyncSession, today: date) -> None:
        self.session, self.today = session, today
        self.cases: dict[str, SspfCase | None] = {}
        self.withdrawn: dict[str, bool] = {}
        self.booked: dict[str, bool] = {}

    async def prefetch(self, case_ids: set[str]) -> None:
        """Every case of a batch and its consents in two queries, not two per reminder."""
        wanted = [cid for cid in case_ids if cid and cid not in self.cases]
        if not wanted:
            return
        found = await self.session.scalars(select(SspfCase).where(SspfCase.id.in_(wanted)))
        by_id = {c.id: c for c in found}
        for cid in wanted:
            self.cases[cid] = by_id.get(cid)
        self.withdrawn.update(await consent_withdrawn_many(self.session, wanted, self.today))

    async def case(self, case_id: str | None) -> SspfCase | None:
        if not case_id:
            return None
        if case_id not in self.cases:
            self.cases[case_id] = await self.session.get(SspfCase, case_id)
        return self.cases[case_id]

    async def stopped(self, case_id: str | None) -> str | None:
        """Why nothing individual may be sent about the case (closed, paused, consent withdrawn)."""
        if not case_id:
            return None
        case = await self.case(case_id)
        if case is None:
            return "case gone"
        if case.status != "open":
            return f"case {case.status}"
        if case_id not in self.withdrawn:
            self.withdrawn[case_id] = await consent_withdrawn(self.session, case_id, self.today)
        return "consent withdrawn" if self.withdrawn[case_id] else None

    async def follow_up_booked(self, case_id: str) -> bool:
        if case_id not in self.booked:
            self.booked[case_id] = await follow_up_meeting_booked(self.session, case_id, self.today)
        return self.booked[case_id]


async def load_items(
    session: AsyncSession, rows: Sequence[Reminder], now: datetime, *, for_delivery: bool = True
) -> Loaded:
    """Items to show for ``rows``; with ``for_delivery`` the ones no longer worth sending are stale."""
    today = to_local(now).date()
    cache = _Cache(session, today)
    await cache.prefetch({r.case_id for r in rows if r.case_id})
    action_ids = [r.subject_id for r in rows if r.kind in ACTION_KINDS and r.subject_id]
    actions: dict[str, ActionItem] = {}
    if action_ids:
        found = await session.scalars(select(ActionItem).where(ActionItem.id.in_(action_ids)))
        actions = {a.id: a for a in found}
    items: list[ReminderItem] = []
    stale: dict[str, str] = {}
    for row in rows:
        payload = row.payload or {}
        case = await cache.case(row.case_id)
        code = case.code if case is not None else None
        item = ReminderItem(row.id, row.kind, row.case_id, code, f"reminder.{row.kind}")
        why: str | None = None
        if row.kind in ACTION_KINDS:
            action = actions.get(row.subject_id or "")
            if action is None:
                why = "action gone"
            else:
                item.action = _action_view(action)
                planned_due = payload.get("due_on") or action.due_on.isoformat()
                item.params = {
                    "case_code": code or "",
                    "due_on": planned_due,
                    "responsible": action.responsible_name,
                }
                if not item.action.active:
                    why = f"action {action.status}"
                elif planned_due != action.due_on.isoformat():
                    why = "due date moved"
                elif row.kind == ReminderKind.DUE_SOON.value and action.due_on < today:
                    why = "overtaken by the overdue reminder"
                else:
                    why = await cache.stopped(row.case_id)
        elif row.kind == ReminderKind.FOLLOW_UP_NEARING.value:
            follow_up_on = payload.get("follow_up_on", "")
            item.params = {"case_code": code or "", "follow_up_on": follow_up_on}
            why = await cache.stopped(row.case_id)
            if why is None and row.case_id and await cache.follow_up_booked(row.case_id):
                why = "follow-up meeting booked"
        elif row.kind == ReminderKind.MEETING_PREPARATION.value:
            meeting = await session.get(Meeting, row.subject_id) if row.subject_id else None
            if meeting is None or meeting.status not in LIVE_MEETING_STATUSES:
                why = "meeting cancelled"
            elif meeting.start_at <= now:
                why = "meeting already started"
            else:
                item.params = {"meeting_on": _local_text(meeting.start_at)}
                why = await cache.stopped(row.case_id)
        elif row.kind == ReminderKind.SELECTION_MEETING.value:
            item.params = {"meeting_on": payload.get("meeting_on", "")}
        elif row.kind == ReminderKind.EVALUATION.value:
            item.params = {"evaluation_on": payload.get("evaluation_on", "")}
        elif row.kind == ReminderKind.WEEKLY_DIGEST.value:
            cases, more = await digest(session, row.tenant_id, today)
            item.digest, item.digest_more = cases, more
            item.params = {
                "open_count": str(sum(c.open_count for c in cases)),
                "overdue_count": str(sum(c.overdue_count for c in cases)),
            }
            if not cases:
                why = "nothing open"
        elif row.kind == UNDELIVERABLE_NOTICE:
            item.key = "reminders.undeliverable"
            item.params = {
                "person": payload.get("person_name") or "",
                "cases": _codes(payload.get("case_codes") or []),
            }
        else:
            why = f"unknown kind {row.kind}"
        if why is not None and for_delivery:
            stale[row.id] = why
            continue
        items.append(item)
    await _withhold(session, {r.id: r for r in rows}, items, actions, today)
    return Loaded(items, stale)


async def _withhold(
    session: AsyncSession,
    rows: dict[str, Reminder],
    items: list[ReminderItem],
    actions: dict[str, ActionItem],
    today: date,
) -> None:
    """Case content only for whom the access policy allows it, read at the moment the card is made:
    an action's text and comment for its recipient while the consent covers them
    (``domain.access.action_content_allowed``), a digest's action texts for coordinators."""
    by_recipient: dict[tuple[str, str], list[ReminderItem]] = {}
    for item in items:
        if item.action is not None or item.digest:
            row = rows[item.reminder_id]
            by_recipient.setdefault((row.tenant_id, row.recipient_aad_id), []).append(item)
    for (tenant_id, aad_id), mine in by_recipient.items():
        coordinator = await is_coordinator(session, tenant_id, aad_id)
        pressed = [actions[i.action.id] for i in mine if i.action is not None and i.action.id in actions]
        facts = await action_facts_many(
            session, pressed, tenant_id=tenant_id, user_id=aad_id, coordinator=coordinator, on=today
        )
        for item in mine:
            if item.action is not None:
                allowed = item.action.id in facts and action_content_allowed(facts[item.action.id])
                if not allowed:
                    item.withheld = True
                    item.action = replace(item.action, text="", status_comment=None)
            elif item.digest and not coordinator:
                item.withheld = True
                item.digest = [
                    replace(
                        c, actions=[(replace(a, text="", status_comment=None), late) for a, late in c.actions]
                    )
                    for c in item.digest
                ]


NOTICE_CODES = 40  # case codes named in the undeliverable notice; the rest are counted (the card stays small)


def _codes(codes: list[str]) -> str:
    if not codes:
        return "–"
    shown = ", ".join(codes[:NOTICE_CODES])
    return shown if len(codes) <= NOTICE_CODES else f"{shown} (+{len(codes) - NOTICE_CODES})"


def _local_text(instant: datetime) -> str:
    return to_local(instant).strftime("%Y-%m-%d %H:%M")


async def digest(session: AsyncSession, tenant_id: str, today: date) -> tuple[list[DigestCase], int]:
    """Open actions per open case of the tenant, cases with overdue actions first (paused cases left out)."""
    rows = (
        await session.execute(
            select(ActionItem, SspfCase.code)
            .join(SspfCase, SspfCase.id == ActionItem.case_id)
            .where(
                ActionItem.tenant_id == tenant_id,
                ActionItem.status.in_(OPEN_ACTION_STATUSES),
                SspfCase.status == "open",
            )
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    ).all()
    by_case: dict[str, tuple[str, list[ActionView]]] = {}
    for action, code in rows:
        by_case.setdefault(action.case_id, (code, []))[1].append(_action_view(action))
    cases: list[DigestCase] = []
    withdrawn = await consent_withdrawn_many(session, list(by_case), today)  # one query for every case
    for case_id, (code, views) in by_case.items():
        if withdrawn[case_id]:
            continue
        flagged = sorted(((v, v.due_on < today) for v in views), key=lambda p: (not p[1], p[0].due_on))
        overdue = sum(1 for _, late in flagged if late)
        cases.append(DigestCase(case_id, code, len(views), overdue, flagged[:DIGEST_ACTIONS_PER_CASE]))
    cases.sort(key=lambda c: (c.overdue_count == 0, c.actions[0][0].due_on, c.code))
    return cases[:DIGEST_CASES_MAX], max(0, len(cases) - DIGEST_CASES_MAX)


async def person_name(session: AsyncSession, aad_id: str) -> str | None:
    """How a coordinator knows the person: the name they were given on a case, action or meeting."""
    for stmt in (
        select(CaseMember.display_name).where(CaseMember.aad_object_id == aad_id).limit(1),
        select(ActionItem.responsible_name).where(ActionItem.responsible_aad_id == aad_id).limit(1),
        select(MeetingParticipant.display_name).where(MeetingParticipant.aad_object_id == aad_id).limit(1),
    ):
        name = await session.scalar(stmt)
        if name:
            return name
    return None
