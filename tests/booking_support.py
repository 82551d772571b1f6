"""Shared steps for the booking tests: the form, a future working day, card validation with the picker."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.worktime import working_days_after
from tests.conftest import COORDINATOR, POLICE, PRINCIPAL, SOCIAL, YOUTH_WORKER
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, find_action, input_values, nodes
from tests.harness.cards import assert_valid_cards

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TEAM = [
    (PRINCIPAL, "skola", "rita.rektor@kommun.example"),
    (SOCIAL, "socialtjanst", "sam.soc@kommun.example"),
]
POLICE_MEMBER = (POLICE, "polis", "per.polis@polisen.example")
YOUTH_MEMBER = (YOUTH_WORKER, "fritid", None)  # no e-mail stored: looked up in the directory


def meeting_day(offset: int = 5) -> date:
    """A Swedish working day a week or so ahead (never a weekend or holiday)."""
    return working_days_after(date.today(), offset)


def local(day: date, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=STOCKHOLM)


def people_picker_of(card: dict[str, Any]) -> dict[str, Any]:
    found = [
        el
        for el in nodes(card)
        if isinstance(el, dict) and el.get("type") == "Input.ChoiceSet" and "choices.data" in el
    ]
    assert len(found) == 1, "the booking form has exactly one people picker"
    return found[0]


def assert_cards_valid(cards: list[dict[str, Any]]) -> None:
    """Every booking card is valid Adaptive Card 1.5 (the harness accepts Teams' people picker)."""
    for card in cards:
        for el in nodes(card):
            if isinstance(el, dict) and "choices.data" in el:
                assert el["choices.data"] == {"type": "Data.Query", "dataset": "graph.microsoft.com/users"}
                assert el["isMultiSelect"] is True
    assert_valid_cards(cards)


async def open_form(
    bot: RunningBot, user=COORDINATOR, text: str = "boka möte", kind: str | None = None, **first: Any
) -> dict[str, Any]:
    """The booking form: ``boka möte SSPF-…`` opens the case's form at once; ``boka möte`` asks first for
    the type (and case): with ``kind`` given, that first step is answered (``first``: case_id/case_code)."""
    reply = await bot.say(user, acts.personal(user), text)
    assert reply.status == 200
    if kind is None:
        return reply.card
    chosen = await press(bot, reply.card, "Fortsätt", user=user, kind=kind, **first)
    assert chosen.status == 200
    return chosen.card


def form_inputs(card: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    values = {k: v for k, v in input_values(card).items() if v is not None}
    values.update({k: v for k, v in overrides.items()})
    return values


async def press(bot: RunningBot, card: dict[str, Any], title: str, user=COORDINATOR, **inputs: Any):
    return await bot.press(user, acts.personal(user), find_action(card, title), form_inputs(card, **inputs))
