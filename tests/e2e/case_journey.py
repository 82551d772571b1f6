"""A case from registration to withdrawal, as the coordinator does it in the Playground's 1:1 chat.

Every step presses the buttons a user would press on the card the bot last showed (an Action.Submit
card is edited in place, so "the case card" moves from message to message) and returns what the user
saw. Nothing is seeded: the case, its team, the guardians, consent and meetings all come from the flows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.i18n import translator
from domain.worktime import working_days_after
from tests.case_steps import choice_value
from tests.e2e.playground import COORDINATOR, PERSONAL, BotMessage, PgConversation, PgUser, Playground
from tests.harness.bot_runner import card_text, input_values

T = translator("en-US")  # the Playground sends every activity as en-US
CODE = re.compile(r"SSPF-\d{4}-\d{3}")

CASE_INPUTS = {
    "initials": "Z.Q.",
    "birth_year": "2013",
    "school_area": "Ekbackeskolan",
    "signal_source": "skola",
    "concerns": "skolk,droger",
    "track": "individuell",
}
GUARDIANS = (
    {"name": "Greta Vårdnadshavarsson", "email": "greta.v@example.se", "phone": "070-111 22 33"},
    {"name": "Gustav Föräldersson", "email": "gustav.f@example.se", "phone": "+46 70 444 55 66"},
)
CONSENT_AGENCIES = "skola,socialtjanst,polis"
CONSENT_FILED_AT = "Diarium SOC 2026/123"


@dataclass
class Journey:
    """What the coordinator has built so far (shared by the scenarios of one module, in order)."""

    code: str = ""
    case_id: str = ""
    case_card: BotMessage | None = None  # the message that now shows the case card
    personal_chats: dict[PgUser, PgConversation] = field(default_factory=dict)
    meeting_card: BotMessage | None = None
    ics: Path | None = None


def latest(pg: Playground, message_id: str) -> BotMessage:
    """The message as the user now sees it: its last version (posted, or edited in place)."""
    versions = [m for m in pg.messages if m.message_id == message_id]
    assert versions, f"no message {message_id}"
    return versions[-1]


def wait_card_edit(pg: Playground, message: BotMessage, needle: str, *, since: int, what: str) -> BotMessage:
    """The pressed card, edited in place into one showing ``needle``."""
    return pg.wait_for(
        lambda m: m.message_id == message.message_id and m.kind == "update" and needle in m.visible_text,
        since=since,
        what=what,
    )


def press(
    pg: Playground,
    message: BotMessage,
    title: str,
    inputs: dict[str, Any] | None = None,
    user: PgUser = COORDINATOR,
    conversation: PgConversation = PERSONAL,
) -> int:
    """Press the button titled ``title`` on the message as it is now; returns the mark before the press."""
    mark = pg.mark()
    current = latest(pg, message.message_id)
    pg.press(user, conversation, current, current.action(title), inputs)
    return mark


def say(pg: Playground, text: str, conversation: PgConversation = PERSONAL) -> int:
    mark = pg.mark()
    pg.say(COORDINATOR, conversation, text)
    return mark


def new_card(
    pg: Playground, needle: str, *, since: int, conversation: PgConversation = PERSONAL
) -> BotMessage:
    return pg.wait_for(
        lambda m: m.kind == "create" and m.is_in(conversation) and bool(m.cards) and needle in m.visible_text,
        since=since,
        what=f"a new card showing {needle!r}",
    )


# --- (1) register the case, the team, the guardians, consent -------------------------------------------


def register_case(pg: Playground, journey: Journey) -> BotMessage:
    """``nytt ärende`` → the form → Spara: the form turns into the case card; the code is announced."""
    mark = say(pg, "nytt ärende")
    form = new_card(pg, T("case_form.title"), since=mark)
    inputs = {**input_values(form.card), **CASE_INPUTS, "signal_on": date.today().isoformat()}
    mark = press(pg, form, T("case_form.save"), inputs)
    announced = pg.wait_for(
        lambda m: m.is_in(PERSONAL) and bool(CODE.search(m.text)), since=mark, what="the new case code"
    )
    match = CODE.search(announced.text)
    assert match is not None
    journey.code = match.group(0)
    assert announced.text == T("case.created", code=journey.code)
    journey.case_card = wait_card_edit(
        pg, form, T("case_card.title", code=journey.code), since=mark, what="the case card"
    )
    journey.case_id = journey.case_card.action(T("case_card.add_team"))["data"]["case_id"]
    return journey.case_card


def _team_form(pg: Playground, journey: Journey) -> BotMessage:
    assert journey.case_card is not None
    mark = press(pg, journey.case_card, T("case_card.add_team"))
    return new_card(pg, T("team_form.title", code=journey.code), since=mark)


def add_professional(
    pg: Playground, journey: Journey, user: PgUser, agency: str, *, email: str | None = None
) -> BotMessage:
    """Case card → Lägg till i teamet → typed Entra id and name (no directory locally) → the case card."""
    form = _team_form(pg, journey)
    inputs = {"agency": agency, "aad_id": user.aad, "member_name": user.name}
    if email is not None:
        inputs["member_email"] = email
    mark = press(pg, form, T("team_form.add_member"), inputs)
    pg.wait_text(
        T("team.member_added", name=user.name, agency=T(f"agency.{agency}"), code=journey.code),
        PERSONAL,
        since=mark,
    )
    journey.case_card = wait_card_edit(
        pg, form, T("case_card.title", code=journey.code), since=mark, what="the case card after a member"
    )
    return journey.case_card


def add_guardian(pg: Playground, journey: Journey, guardian: dict[str, str], number: int) -> BotMessage:
    form = _team_form(pg, journey)
    inputs = {
        "contact_kind": "guardian",
        "contact_name": guardian["name"],
        "contact_email": guardian["email"],
        "contact_phone": guardian["phone"],
    }
    mark = press(pg, form, T("team_form.add_contact"), inputs)
    label = T("case_card.guardian", number=number)
    pg.wait_text(T("team.contact_added", label=label, code=journey.code), PERSONAL, since=mark)
    journey.case_card = wait_card_edit(
        pg, form, T("case_card.title", code=journey.code), since=mark, what="the case card after a guardian"
    )
    return journey.case_card


def record_consent(pg: Playground, journey: Journey, number: int) -> BotMessage:
    """``samtycke SSPF-…`` → pick Vårdnadshavare N, the agencies, where the paper is kept → Spara."""
    mark = say(pg, f"samtycke {journey.code}")
    form = new_card(pg, T("consent_form.title", code=journey.code), since=mark)
    guardian_id = choice_value(form.card, "guardian_id", T("case_card.guardian", number=number))
    inputs = {
        **input_values(form.card),
        "guardian_id": guardian_id,
        "custodians": "2",  # the child has two custodians: both must consent
        "signed_on": date.today().isoformat(),
        "agencies": CONSENT_AGENCIES,
        "filed_at": CONSENT_FILED_AT,
        "valid_until": "",
    }
    mark = press(pg, form, T("consent_form.save"), inputs)
    pg.wait_text(T("consent.recorded", guardian=number, code=journey.code), PERSONAL, since=mark)
    journey.case_card = wait_card_edit(
        pg, form, T("case_card.title", code=journey.code), since=mark, what="the case card after consent"
    )
    return journey.case_card


# --- (2) book the individual meeting ---------------------------------------------------------------------


def meeting_day() -> date:
    """A Swedish working day about a week ahead (never a weekend or a holiday)."""
    return working_days_after(date.today(), 5)


def open_booking_form(pg: Playground, journey: Journey) -> BotMessage:
    """The case card's Boka möte button: the form with the case and its team already filled in."""
    assert journey.case_card is not None
    mark = press(pg, journey.case_card, T("case_card.book_meeting"))
    return new_card(pg, T("booking.form.title"), since=mark)


def book(
    pg: Playground, form: BotMessage, day: date, start: str, end: str, **inputs: Any
) -> tuple[dict[str, Any], BotMessage]:
    """Fill in date and time (and whatever else) and press Boka; returns what was sent and the edited card."""
    values = {k: v for k, v in input_values(latest(pg, form.message_id).card).items() if v is not None}
    values.update({"date": day.isoformat(), "start": start, "end": end, **inputs})
    mark = press(pg, form, T("booking.action.book"), values)
    edited = pg.wait_for(
        lambda m: m.message_id == form.message_id and m.kind == "update",
        since=mark,
        what="the booking form answered in place",
    )
    return values, edited


def guardian_choice(form: BotMessage, number: int) -> str:
    return choice_value(form.card, "guests", T("booking.role.guardian", number=number))


def card_words(message: BotMessage) -> str:
    return card_text(message.card)
