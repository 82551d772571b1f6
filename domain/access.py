"""Who may do what to which resource: one pure policy per resource type, one copy each.

The gate (``bot/middleware.py`` ``access_gate``) resolves the resource a verb declares, the store
loads the facts about the person asking (``store/queries/access.py``), and these functions decide.
Nothing here reads a database or knows Teams: the facts are plain values, so every rule is tested on
its own (``tests/domain/test_access.py``).

Case content is anything about the child: initials, birth year, school, concerns, lägesbild and notes,
action texts, comments, outcomes. It may be shown to a coordinator of the tenant, and to a member of
the case team whose party a complete consent covers (every custodian's and, by age, the young person's
valid consent names it, OSL 10 and 12 kap.; ``domain.consent``); nobody else. Withdrawal or expiry
ends it at once (the facts are loaded for today). The
case code, the meeting type, step titles and progress are not case content.

i18n keys emitted (``Decision.key``):
    access.case_unavailable           the refusal that reveals nothing (not found, other tenant, not on team)
    access.consent_not_covering       (code, agency)  on the team, but the consent does not cover the agency
    access.no_consent                 (code)          on the team, but there is no active consent at all
    agenda.run_unknown                the press names no running agenda of this chat
    agenda.only_coordinator           not the chair
    booking.error.meeting_unavailable
    reminders.action_gone
    reminders.not_responsible
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.agencies import Agency
from domain.agenda import can_chair
from domain.consent import covers


class Resource(StrEnum):
    """What a verb acts on; ``NONE`` for verbs about nobody's data (help, language, a new case form)."""

    NONE = "none"
    CASE = "case"
    MEETING = "meeting"
    AGENDA_RUN = "agenda_run"
    ACTION_ITEM = "action_item"
    REMINDER = "reminder"
    DOCUMENT = "document"


class Access(StrEnum):
    """What a verb needs of its resource. ``CREATE`` makes a new one (nothing to resolve yet); ``LIST``
    lists only what the person may see (each row decided by the resource's policy in the handler);
    ``CHAIR`` moves an agenda."""

    NONE = "none"
    CREATE = "create"  # makes a new one; what it is about is chosen in its form and checked there
    LIST = "list"
    READ = "read"
    WRITE = "write"
    CHAIR = "chair"


@dataclass(frozen=True)
class Decision:
    """The answer of a policy. ``allowed`` with ``content`` False never happens for READ/WRITE: whoever
    may not see case content is refused. ``key``/``params`` are the Swedish refusal; ``reason`` goes
    in the ``denied`` audit row."""

    allowed: bool
    content: bool = False
    key: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


def _deny(reason: str, key: str, **params: Any) -> Decision:
    return Decision(False, False, key, params, reason)


ALLOW = Decision(True, True)
UNAVAILABLE = "access.case_unavailable"


# --- case -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFacts:
    """What the store knows about one case and the person asking, today."""

    code: str
    same_tenant: bool
    coordinator: bool
    on_team: bool
    team_agency: Agency | None  # the person's agency on the case's team (None when not on it)
    covered: frozenset[Agency]  # what a complete consent covers today (``domain.consent.Coverage``)
    team_name: str | None = None  # their name on the team: an ``annan`` member must be a named party


def case_content_allowed(facts: CaseFacts) -> bool:
    """May this person see what the case says about the child?"""
    if not facts.same_tenant:
        return False
    if facts.coordinator:
        return True
    return facts.on_team and covers(facts.covered, facts.team_agency, facts.team_name)


def case_policy(facts: CaseFacts | None, access: Access) -> Decision:
    """Reading or writing a case is seeing its content: coordinators, covered team members, nobody else.

    Someone not on the team (or another tenant, or a case that does not exist) learns nothing, not
    even whether it exists. A team member whose agency the consent does not cover is told why, with
    the case code only."""
    if facts is None or not facts.same_tenant:
        return _deny("not_found", UNAVAILABLE)
    if facts.coordinator:
        return ALLOW
    if not facts.on_team:
        return _deny("not_on_team", UNAVAILABLE)
    if case_content_allowed(facts):
        return ALLOW
    return withheld(facts)


def withheld(facts: CaseFacts) -> Decision:
    """The sentence a team member without consent coverage gets instead of the case's content."""
    if not facts.covered:
        return _deny("no_active_consent", "access.no_consent", code=facts.code)
    agency = facts.team_agency.value if facts.team_agency else Agency.ANNAN.value
    return _deny("consent_not_covering", "access.consent_not_covering", code=facts.code, agency=agency)


# --- agenda run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunFacts:
    """A running (or ended) agenda, pressed from a chat, and the person pressing."""

    same_tenant: bool
    same_chat: bool  # the press came from the chat the agenda runs in
    coordinator: bool
    designated_chair: bool  # the booked meeting's organiser (or whoever started it)
    case: CaseFacts | None  # the run's case, or the one an individnivå press names (None: group meeting)
    meeting_member: bool  # organiser of, or invited to, the booked meeting behind the run
    case_id: str | None = None  # the id behind ``case``, for the audit row
    teams_event: bool = False  # Teams itself says the meeting ended (meetingEnd), not a person's press


def run_entitled(facts: RunFacts) -> bool:
    """Entitled to what the meeting is about: the case's content for a case meeting; for a meeting
    without a case (arbetsgrupp, urval, styrgrupp) the booked meeting's organiser or an invited person."""
    if facts.coordinator:
        return True
    if facts.case is not None:
        return case_content_allowed(facts.case)
    return facts.meeting_member


def run_policy(facts: RunFacts | None, access: Access) -> Decision:
    """READ follows the agenda (what it shows is decided per viewer: ``run_entitled``); WRITE adds a
    part, an action or a review about the run's case (its content: ``case_policy``); CHAIR moves it
    (``domain.agenda.can_chair``: a coordinator, or the designated chair while entitled)."""
    if facts is None or not facts.same_tenant or not facts.same_chat:
        return _deny("run_unknown", "agenda.run_unknown")
    if access is Access.CHAIR:
        if facts.teams_event:
            return ALLOW
        entitled = facts.designated_chair and run_entitled(facts)
        if can_chair(facts.coordinator, is_designated_chair=facts.designated_chair, entitled=entitled):
            return ALLOW
        return _deny("not_chair", "agenda.only_coordinator")
    if access is Access.WRITE and facts.case is not None:
        decision = case_policy(facts.case, Access.WRITE)
        return decision if not decision.allowed else ALLOW
    return Decision(True, run_entitled(facts))


def group_cases_visible(facts: RunFacts) -> bool:
    """The individnivå list of a group meeting names consented cases by code: coordinators and the
    booked meeting's invited participants only."""
    return facts.coordinator or facts.meeting_member


# --- meeting ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingFacts:
    same_tenant: bool
    coordinator: bool
    booked_by_me: bool
    participant: bool
    on_case_team: bool


def meeting_policy(facts: MeetingFacts | None, access: Access) -> Decision:
    """A booked meeting (time, participants, case code; no case content) is for coordinators, whoever
    booked it, its participants and the case's team."""
    if facts is None or not facts.same_tenant:
        return _deny("not_found", "booking.error.meeting_unavailable")
    if facts.coordinator or facts.booked_by_me or facts.participant or facts.on_case_team:
        return ALLOW
    return _deny("not_entitled", "booking.error.meeting_unavailable")


# --- action item ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionFacts:
    same_tenant: bool
    responsible: bool  # the person is the action's responsible
    agency: Agency | None  # the agency the action belongs to (its responsible's)
    case: CaseFacts | None  # the action's case


def action_content_allowed(facts: ActionFacts) -> bool:
    """The text of an action is case content. Its responsible person sees it while the consent covers
    the action's agency (they may be a meeting participant rather than on the team); everyone else as
    the case's policy says."""
    if not facts.same_tenant:
        return False
    if facts.case is None:
        return facts.responsible
    if case_content_allowed(facts.case):
        return True
    return facts.responsible and covers(facts.case.covered, facts.agency)


def action_policy(facts: ActionFacts | None, access: Access) -> Decision:
    """READ: as ``action_content_allowed``. WRITE (change status, postpone): the responsible person or
    a coordinator, within the consent; a covered team member who is not responsible is told so."""
    if facts is None or not facts.same_tenant:
        return _deny("not_found", "reminders.action_gone")
    case = facts.case
    if not action_content_allowed(facts):
        if case is not None and (case.on_team or facts.responsible):
            return withheld(case)
        return _deny("not_on_team", UNAVAILABLE)
    if access is Access.WRITE and not (facts.responsible or (case is not None and case.coordinator)):
        return _deny("not_responsible", "reminders.not_responsible")
    return ALLOW


# --- reminder ---------------------------------------------------------------------------------------


def reminder_content_allowed(*, recipient: bool, action: ActionFacts | None, case: CaseFacts | None) -> bool:
    """What a reminder shows beyond the case code and dates: only its recipient, and only the content
    the action's (or else the case's) policy lets them see."""
    if not recipient:
        return False
    if action is not None:
        return action_content_allowed(action)
    return case is None or case_content_allowed(case)


# --- document ---------------------------------------------------------------------------------------


def document_policy(coordinator: bool, facts: RunFacts | None, access: Access) -> Decision:
    """The handlingsplan document and the protokoll of an ended meeting: through the coordinator only."""
    if facts is None or not facts.same_tenant:
        return _deny("run_unknown", "agenda.run_unknown")
    if not coordinator:
        return _deny("not_coordinator", "access.coordinator_only")
    return ALLOW
