"""The access policies of ``domain/access.py``: pure rules, one copy each (issue 12 §1, §2)."""

from __future__ import annotations

from domain.access import (
    Access,
    ActionFacts,
    CaseFacts,
    MeetingFacts,
    RunFacts,
    action_content_allowed,
    action_policy,
    case_content_allowed,
    case_policy,
    document_policy,
    group_cases_visible,
    meeting_policy,
    reminder_content_allowed,
    run_policy,
)
from domain.agencies import Agency

COVERED = frozenset({Agency.SKOLA, Agency.SOCIALTJANST})


def case(**kw) -> CaseFacts:
    base = dict(
        code="SSPF-2026-001",
        same_tenant=True,
        coordinator=False,
        on_team=True,
        team_agency=Agency.SKOLA,
        covered=COVERED,
    )
    return CaseFacts(**{**base, **kw})


def test_case_content_coordinator_covered_member_and_nobody_else():
    assert case_content_allowed(case(coordinator=True, on_team=False, team_agency=None, covered=frozenset()))
    assert case_content_allowed(case())
    assert not case_content_allowed(case(team_agency=Agency.POLIS))  # on the team, not in the consent
    assert not case_content_allowed(case(on_team=False, team_agency=None))  # in the chat, not on the team
    assert not case_content_allowed(case(covered=frozenset()))  # withdrawn or expired: at once
    assert not case_content_allowed(case(coordinator=True, same_tenant=False))  # another tenant


def test_case_policy_refusals_say_only_what_the_person_may_know():
    assert case_policy(case(), Access.READ).allowed
    assert case_policy(case(), Access.WRITE).allowed
    police = case_policy(case(team_agency=Agency.POLIS), Access.READ)
    assert (police.allowed, police.key, police.params) == (
        False,
        "access.consent_not_covering",
        {"code": "SSPF-2026-001", "agency": "polis"},
    )
    assert case_policy(case(covered=frozenset()), Access.READ).key == "access.no_consent"
    outsider = case_policy(case(on_team=False, team_agency=None), Access.READ)
    assert (outsider.key, outsider.params, outsider.reason) == ("access.case_unavailable", {}, "not_on_team")
    assert case_policy(None, Access.READ).key == "access.case_unavailable"
    assert (
        case_policy(case(same_tenant=False, coordinator=True), Access.READ).key == "access.case_unavailable"
    )


def run(**kw) -> RunFacts:
    base = dict(
        same_tenant=True,
        same_chat=True,
        coordinator=False,
        designated_chair=False,
        case=case(),
        meeting_member=False,
    )
    return RunFacts(**{**base, **kw})


def test_run_policy_chat_write_and_chair():
    assert run_policy(run(same_chat=False), Access.READ).key == "agenda.run_unknown"
    assert run_policy(None, Access.READ).key == "agenda.run_unknown"
    assert run_policy(run(), Access.WRITE).allowed
    assert not run_policy(run(case=case(team_agency=Agency.POLIS)), Access.WRITE).allowed
    assert not run_policy(run(), Access.CHAIR).allowed
    assert run_policy(run(designated_chair=True), Access.CHAIR).allowed
    # the organiser chairs only while entitled: consent no longer covering them ends it
    assert not run_policy(run(designated_chair=True, case=case(covered=frozenset())), Access.CHAIR).allowed
    assert run_policy(run(coordinator=True, case=None), Access.CHAIR).allowed
    assert run_policy(run(teams_event=True), Access.CHAIR).allowed  # Teams ended the meeting
    group = run(case=None, meeting_member=True)
    assert run_policy(group, Access.READ).content and group_cases_visible(group)
    assert not group_cases_visible(run(case=None))


def test_meeting_policy():
    base = dict(
        same_tenant=True, coordinator=False, booked_by_me=False, participant=False, on_case_team=False
    )
    assert not meeting_policy(MeetingFacts(**base), Access.READ).allowed
    for who in ("coordinator", "booked_by_me", "participant", "on_case_team"):
        assert meeting_policy(MeetingFacts(**{**base, who: True}), Access.READ).allowed
    assert not meeting_policy(
        MeetingFacts(**{**base, "coordinator": True, "same_tenant": False}), Access.READ
    ).allowed


def test_action_policy_responsible_within_the_consent():
    mine = ActionFacts(same_tenant=True, responsible=True, agency=Agency.SKOLA, case=case())
    assert action_content_allowed(mine) and action_policy(mine, Access.WRITE).allowed
    # a responsible person off the team (a meeting participant) sees their action while its agency is covered
    off_team = ActionFacts(True, True, Agency.SOCIALTJANST, case(on_team=False, team_agency=None))
    assert action_content_allowed(off_team)
    police = ActionFacts(True, True, Agency.POLIS, case(team_agency=Agency.POLIS))
    assert not action_content_allowed(police)
    assert action_policy(police, Access.WRITE).key == "access.consent_not_covering"
    colleague = ActionFacts(True, False, Agency.SKOLA, case())
    assert action_policy(colleague, Access.READ).allowed
    assert action_policy(colleague, Access.WRITE).key == "reminders.not_responsible"
    stranger = ActionFacts(True, False, Agency.SKOLA, case(on_team=False, team_agency=None))
    assert action_policy(stranger, Access.WRITE).key == "access.case_unavailable"
    assert action_policy(None, Access.WRITE).key == "reminders.action_gone"
    assert not reminder_content_allowed(recipient=False, action=mine, case=None)
    assert reminder_content_allowed(recipient=True, action=mine, case=None)


def test_document_only_through_the_coordinator():
    assert document_policy(True, run(), Access.READ).allowed
    assert document_policy(False, run(), Access.READ).key == "access.coordinator_only"
    assert not document_policy(True, None, Access.READ).allowed
