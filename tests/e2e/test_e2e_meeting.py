"""Scenario (3) in Microsoft's Teams emulator: the meeting starts (meetingStart), the agenda runs in the
group chat with inputs from three agencies, the handlingsplan gets two actions, the meeting ends
(meetingEnd) with a protokoll.

The case, its team and consent, and the booked meeting linked to this chat are seeded in the database:
the Playground has no meetings, so a booked meeting cannot be linked to its chat through the UI.
"""

from __future__ import annotations

from tests.e2e import scenarios
from tests.e2e.playground import COORDINATOR, GROUP_CHAT, POLICE, PRINCIPAL, SOCIAL, Playground
from tests.e2e.scenarios import CASE_CODE, CHILD_INITIALS, GUARDIANS, HOMEWORK, INPUTS, T
from tests.e2e.stack import Stack
from tests.harness.bot_runner import card_text


def test_individual_meeting_from_start_to_protokoll(stack: Stack, pg: Playground) -> None:
    scenarios.seed_case_with_meeting_chat(stack.database_path)
    run = scenarios.run_individual_meeting(pg)

    first = card_text(run.agenda_versions[0])
    assert T("agenda.case_line", code=CASE_CODE) in first
    assert T("agenda.progress", n=1, m=5) in first

    # the card in the chat (what its history keeps) never carries the notes or action texts: they are in
    # each entitled person's own view (issue 12 §3)
    for version in run.agenda_versions:
        for secret in (*INPUTS.values(), HOMEWORK):
            assert secret not in card_text(version), f"{secret!r} on the card in the chat"
    after_inputs = next(
        card_text(c) for c in run.viewer_cards if all(text in card_text(c) for text in INPUTS.values())
    )
    assert T("agenda.progress", n=2, m=5) in after_inputs

    # the handlingsplan in the presser's own view: both actions, with who is responsible
    plan = next(card_text(c) for c in reversed(run.viewer_cards) if HOMEWORK in card_text(c))
    assert "Sam Socialsekreterare" in plan and "Rita Rektor" in plan

    # the protokoll in the chat is neutral; its content is in the chair's own view of it
    assert run.protokoll is not None and run.protokoll_view is not None
    for secret in (*INPUTS.values(), HOMEWORK):
        assert secret not in run.protokoll.visible_text
    protokoll = card_text(run.protokoll_view)
    for needle in [
        T("agenda.case_line", code=CASE_CODE),
        PRINCIPAL.name,
        SOCIAL.name,
        POLICE.name,
        *INPUTS.values(),
        HOMEWORK,
    ]:
        assert needle in protokoll, needle
    assert T("agenda.ended_line") in card_text(run.agenda_versions[-1])

    # the group chat never shows the child or the guardians: case code only
    for message in pg.messages:
        if message.is_in(GROUP_CHAT):
            for secret in (CHILD_INITIALS, *GUARDIANS):
                assert secret not in message.visible_text, f"{secret!r} posted in the group chat"

    # the meeting ending again (the chair's command after Teams' event) posts nothing new
    mark = pg.mark()
    pg.say(COORDINATOR, GROUP_CHAT, "avsluta mötet")
    later = pg.quiet(2.0, since=mark)
    assert not [m for m in later if m.kind == "create" and m.cards and CASE_CODE in m.visible_text]
