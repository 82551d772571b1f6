"""Scenario (4) in Microsoft's Teams emulator: a reminder reaches the person responsible for an action in
their 1:1 chat when the (test-controlled) clock reaches it; they press Klar; nothing else follows.

Nothing is seeded: the case, team, guardians and consent come from the case flows, the actions from the
handlingsplan step of a meeting run from its chat. Time moves by writing the bot's fake clock file.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.worktime import working_days_after
from tests.e2e import case_journey as steps
from tests.e2e.case_journey import GUARDIANS, Journey
from tests.e2e.chat_meeting import start_from_chat
from tests.e2e.playground import COORDINATOR, POLICE, PRINCIPAL, SOCIAL, Playground

TEAM = ((PRINCIPAL, "skola"), (SOCIAL, "socialtjanst"), (POLICE, "polis"))
HOMEWORK = "Läxhjälp tisdagar och torsdagar"
PARENT_SUPPORT = "Föräldrastöd via familjebehandlare"


@pytest.fixture(scope="module")
def journey(pg: Playground) -> Journey:
    run = Journey()
    for user, _ in TEAM:
        run.personal_chats[user] = pg.open_personal_chat(user)
    steps.register_case(pg, run)
    for user, agency in TEAM:
        steps.add_professional(pg, run, user, agency, email=user.email)
    for number, guardian in enumerate(GUARDIANS, start=1):
        steps.add_guardian(pg, run, guardian, number)
    steps.record_consent(pg, run, 1)
    steps.record_consent(pg, run, 2)
    return run


def test_4_actions_from_the_meeting(pg: Playground, journey: Journey) -> None:
    due = working_days_after(date.today(), 15)
    meeting = start_from_chat(pg, "individuell", journey.case_id)
    meeting.press(COORDINATOR, "agenda.entry", {"confirm": True})
    meeting.press(COORDINATOR, "agenda.next")
    meeting.press(COORDINATOR, "agenda.next")
    meeting.press(COORDINATOR, "agenda.next")
    meeting.press(
        PRINCIPAL,
        "agenda.action_add",
        {
            "a_kind": "laxlasning",
            "a_text": HOMEWORK,
            "a_agency": "skola",
            "a_responsible": PRINCIPAL.aad,
            "a_due_on": due.isoformat(),
        },
    )
    meeting.press(
        SOCIAL,
        "agenda.action_add",
        {
            "a_kind": "stod_vardnadshavare",
            "a_text": PARENT_SUPPORT,
            "a_agency": "socialtjanst",
            "a_responsible": SOCIAL.aad,
            "a_due_on": (due + timedelta(days=7)).isoformat(),
        },
    )
    protokoll = meeting.end()
    assert HOMEWORK in protokoll.visible_text and PARENT_SUPPORT in protokoll.visible_text
