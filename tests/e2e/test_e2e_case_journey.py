"""Scenarios (1), (2) and (5) in Microsoft's Teams emulator, in order on one bot: the coordinator registers
a case with its team, the guardians and their consent; books the individual SSPF meeting (no Graph: the
local calendar); then the family withdraws consent and everything stops.

Nothing is seeded: every row comes from the flows, driven by the buttons on the cards the bot showed.
The professionals have installed the app (their 1:1 chats exist) so the bot can tell them things.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e import case_journey as steps
from tests.e2e.case_journey import GUARDIANS, Journey, T
from tests.e2e.playground import COORDINATOR, PERSONAL, POLICE, PRINCIPAL, SOCIAL, Playground
from tests.e2e.stack import Stack

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TEAM = ((PRINCIPAL, "skola"), (SOCIAL, "socialtjanst"), (POLICE, "polis"))
EMAILS = {
    PRINCIPAL: PRINCIPAL.email,
    SOCIAL: SOCIAL.email,
    POLICE: POLICE.email,
}


@pytest.fixture(scope="module")
def journey(pg: Playground) -> Journey:
    run = Journey()
    for user, _ in TEAM:
        run.personal_chats[user] = pg.open_personal_chat(user)
    return run


def unfolded(path: Path) -> str:
    """The .ics text with RFC 5545 line folding undone."""
    return path.read_bytes().decode().replace("\r\n ", "")


def test_1_coordinator_registers_a_case_with_team_guardians_and_consent(
    pg: Playground, journey: Journey
) -> None:
    start = pg.mark()
    card = steps.register_case(pg, journey)
    assert re.fullmatch(rf"SSPF-{date.today().year}-\d{{3}}", journey.code)
    text = steps.card_words(card)
    assert T("case_card.title", code=journey.code) in text
    assert T("case_card.consent_missing", who=T("consent.who_custodians_unknown")) in text
    assert T("case_card.team_empty") in text

    for user, agency in TEAM:
        steps.add_professional(pg, journey, user, agency, email=EMAILS[user])
    for number, guardian in enumerate(GUARDIANS, start=1):
        steps.add_guardian(pg, journey, guardian, number)
    text = steps.card_words(steps.latest(pg, journey.case_card.message_id))
    for user, agency in TEAM:
        assert T("case_card.member", name=user.name, agency=T(f"agency.{agency}")) in text
        # each of them is told in their own 1:1 chat, by case code only
        chat = journey.personal_chats[user]
        told = [m.text for m in pg.since(start) if m.is_in(chat)]
        assert told == [T("notice.added_to_team", code=journey.code)]
    assert T("case_card.guardian", number=1) in text and T("case_card.guardian", number=2) in text
    for guardian in GUARDIANS:  # names and contact details never reach Teams
        for secret in guardian.values():
            assert secret not in text

    # the coordinator records that the child has two custodians: one consent is not enough
    card = steps.record_consent(pg, journey, 1)
    one_of_two = T("consent.who_guardians", consented=1, custodians=2, missing=1)
    assert T("case_card.consent_missing", who=one_of_two) in steps.card_words(card)
    card = steps.record_consent(pg, journey, 2)
    agencies = ", ".join(T(f"agency.{a}") for a in ("skola", "socialtjanst", "polis"))
    both = T("consent.who_guardians", consented=2, custodians=2, missing=0)
    assert T("case_card.consent_ok", who=both, agencies=agencies) in steps.card_words(card)


def test_2_coordinator_books_the_individual_meeting_locally(
    pg: Playground, journey: Journey, stack: Stack
) -> None:
    assert journey.case_card is not None, "scenario 1 must run first"
    form = steps.open_booking_form(pg, journey)
    text = steps.card_words(form)
    for user, agency in TEAM:  # the case's team is on the form, as a whole (issue 16), already switched on
        assert T("booking.team_member", name=user.name, agency=T(f"agency.{agency}")) in text
    assert steps.input_values(form.card)["team"] == "all"
    assert T("booking.field.team_all", count=len(TEAM)) in text
    for guardian in GUARDIANS:  # guardians are offered by role, never by name
        assert guardian["name"] not in text and guardian["email"] not in text

    day = steps.meeting_day()
    sent, card = steps.book(pg, form, day, "09:00", "10:00", guests=steps.guardian_choice(form, 1))
    text = steps.card_words(card)
    journey.meeting_card = card

    # the time as a Swede reads it (Europe/Stockholm), the case code, who is invited, and the plain truth
    when = T(
        "booking.when",
        weekday=T("booking.weekdays").split(",")[day.weekday()],
        day=day.day,
        month=T("booking.months").split(",")[day.month - 1],
        year=day.year,
        start="09:00",
        end="10:00",
    )
    assert when in text
    assert journey.code in text
    for user, _ in TEAM:
        assert user.name in text
    assert T("booking.role.guardian", number=1) in text
    assert T("booking.local.no_invitation") in text
    assert T("booking.status.booked") in text
    for guardian in GUARDIANS:
        assert guardian["name"] not in text and guardian["email"] not in text
    # no join button for a meeting that does not exist in Teams
    assert all(a.get("type") != "Action.OpenUrl" for a in card.card.get("actions", []))

    # the calendar file, in the bot's SSPF_ICS_DIR, with everyone invited; the card says it was written
    # for the coordinator, never where on the server (issue 17 item 11)
    ics_dir = (stack.workdir / "ics").resolve()
    assert T("booking.local.ics_written") in text and str(ics_dir) not in text
    [ics] = list(ics_dir.glob("*.ics"))
    journey.ics = ics
    content = unfolded(ics)
    assert "METHOD:REQUEST" in content and "STATUS:CONFIRMED" in content
    start_utc = datetime(day.year, day.month, day.day, 9, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    assert f"DTSTART:{start_utc:%Y%m%dT%H%M%SZ}" in content
    # a private event with a neutral subject: other calendar readers learn nothing about the case
    assert "CLASS:PRIVATE" in content and "SUMMARY:SSPF-möte" in content
    assert journey.code not in content
    for user, _ in TEAM:
        assert f"mailto:{EMAILS[user]}" in content
    assert f"mailto:{GUARDIANS[0]['email']}" in content
    assert GUARDIANS[1]["email"] not in content  # only the guardian the coordinator ticked
    for guardian in GUARDIANS:  # the invitation names neither the case nor the family
        assert guardian["name"] not in content
    assert steps.CASE_INPUTS["initials"] not in content

    # a double click: Boka pressed again on the form as it was (same card, same nonce) books nothing new
    mark = pg.mark()
    pg.press(COORDINATOR, PERSONAL, form, form.action(T("booking.action.book")), sent)
    again = pg.wait_for(
        lambda m: m.message_id == form.message_id and T("booking.local.no_invitation") in m.visible_text,
        since=mark,
        what="the same meeting card after the second press",
    )
    assert when in steps.card_words(again)
    assert sorted(p.name for p in ics_dir.glob("*.ics")) == [ics.name]


def test_5_withdrawal_stops_everything_and_tells_the_team_by_code_only(
    pg: Playground, journey: Journey, stack: Stack
) -> None:
    assert journey.ics is not None, "scenarios 1 and 2 must run first"
    mark = steps.say(pg, f"återkalla samtycke {journey.code}")
    form = steps.new_card(pg, T("withdraw_form.title", code=journey.code), since=mark)
    mark = steps.press(pg, form, T("withdraw_form.confirm"), steps.input_values(form.card))
    done = pg.wait_text(T("withdraw.done", code=journey.code, meetings=1, reminders=0), PERSONAL, since=mark)
    case_card = steps.wait_card_edit(
        pg, form, T("case_card.status_paused"), since=mark, what="the case card, paused"
    )
    assert done.kind == "create"
    words = steps.card_words(case_card)
    assert T("case_card.status_paused") in words  # one status line (issue 17 item 6)
    assert T("case_card.withdraw") not in words and T("case_card.book_meeting") not in words

    # each professional is told in their own 1:1 chat, by case code only
    notice = T("notice.consent_withdrawn", code=journey.code)
    for user, _ in TEAM:
        chat = journey.personal_chats[user]
        told = pg.wait_for(
            lambda m, c=chat: m.is_in(c) and notice in m.text, since=mark, what=f"{user.name} told"
        )
        assert told.text == notice and not told.cards
    secrets = [steps.CASE_INPUTS["initials"], steps.CASE_INPUTS["school_area"]]
    secrets += [v for g in GUARDIANS for v in g.values()]
    for message in pg.since(mark):
        if not message.is_in(PERSONAL):
            for secret in secrets:
                assert secret not in message.visible_text

    # the booked meeting is cancelled in the calendar right after the withdrawal
    deadline = time.monotonic() + 10
    while "METHOD:CANCEL" not in unfolded(journey.ics) and time.monotonic() < deadline:
        time.sleep(0.2)
    content = unfolded(journey.ics)
    assert "METHOD:CANCEL" in content and "STATUS:CANCELLED" in content
    # ... and the coordinator's meeting card says so when opened again
    assert journey.meeting_card is not None
    shown = steps.press(pg, journey.meeting_card, T("booking.action.responses"))
    steps.wait_card_edit(
        pg, journey.meeting_card, T("booking.status.cancelled"), since=shown, what="the meeting, cancelled"
    )

    # a new booking for the case is refused, with the reason, before any form opens
    asked = steps.say(pg, f"boka möte {journey.code}")
    pg.wait_text(T("booking.error.case_paused_form", code=journey.code), PERSONAL, since=asked)
    assert sorted(p.name for p in (stack.workdir / "ics").glob("*.ics")) == [journey.ics.name]

    # and nothing more reaches the team
    later = pg.quiet(2.0, since=mark)
    for user, _ in TEAM:
        chat = journey.personal_chats[user]
        assert [m.text for m in later if m.is_in(chat)] == [notice]
