"""The booking form asks what the chosen type of meeting needs, and stays small at any size
(issue 17 item 11, issue 16).

``boka möte`` first asks the type (and the case, for an individual meeting or follow-up: one of the most
recent few, or typed by its code); the form that follows shows that type's fields only. The case's team
comes as a whole ("Hela teamet i ärendet"), resolved on the server, not one entry per person."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from bot.cards.budget import CARD_LIMIT_BYTES
from store.models import Meeting
from tests.booking_support import TEAM, assert_cards_valid, meeting_day, open_form, press
from tests.conftest import COORDINATOR, OUTSIDER
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text, find_action, input_values, nodes
from tests.harness.seed_booking import seed_case


def _input(card: dict, id_: str) -> dict | None:
    return next((el for el in nodes(card) if isinstance(el, dict) and el.get("id") == id_), None)


def _ids(card: dict) -> set[str]:
    return {
        el["id"] for el in nodes(card) if isinstance(el, dict) and el.get("type", "").startswith("Input.")
    }


def _titles(card: dict) -> list[str]:
    return [el["title"] for el in nodes(card) if isinstance(el, dict) and el.get("type") == "Action.Submit"]


async def _cases(bot, n: int) -> list:
    return [
        await seed_case(
            bot.services.db,
            code=f"SSPF-2026-{i:03d}",
            members=TEAM,
            consent_agencies=["skola", "socialtjanst"],
        )
        for i in range(1, n + 1)
    ]


async def test_boka_mote_asks_the_type_first_with_a_short_case_list_and_a_code_field(bot):
    await _cases(bot, 15)
    first = await open_form(bot)
    text = card_text(first)
    # the type, the case (the ten most recently changed, or typed): nothing of any one type's form yet
    assert _ids(first) == {"kind", "case_id", "case_code"}
    cases = _input(first, "case_id")
    listed = [c["title"] for c in cases["choices"]]
    assert listed == [f"SSPF-2026-{i:03d}" for i in range(15, 5, -1)]
    assert "… eller skriv ärendekoden" in text
    assert "Sista möte i serien" not in text and "Hämta ärendets team" not in text
    assert _titles(first) == ["Fortsätt"]
    assert_cards_valid([first])


async def test_a_case_outside_the_short_list_is_reached_by_typing_its_code(bot):
    await _cases(bot, 12)
    form = await open_form(bot, kind="individuell", case_code="sspf-2026-001")
    text = card_text(form)
    assert "Individuellt SSPF-möte – SSPF-2026-001" in text
    assert "Hela teamet i ärendet (2 personer)" in text and input_values(form)["team"] == "all"
    # an individual meeting: no series end, no reload button, no type or case field to contradict it
    assert "Sista möte i serien" not in text and "Hämta ärendets team" not in text
    assert "until" not in _ids(form) and "kind" not in _ids(form) and "case_id" not in _ids(form)
    booked = await press(bot, form, "Boka", date=meeting_day().isoformat(), start="09:00", end="10:00")
    assert "Individuellt SSPF-möte – SSPF-2026-001" in card_text(booked.card)
    # Byt typ eller ärende: back to the first step, the type kept
    back = await bot.press(
        COORDINATOR, acts.personal(COORDINATOR), find_action(form, "Byt typ eller ärende"), {}
    )
    assert _ids(back.card) == {"kind", "case_id", "case_code"}
    assert _input(back.card, "kind")["value"] == "individuell"
    assert_cards_valid([form, booked.card, back.card])


async def test_a_case_meeting_without_a_case_or_with_an_unknown_code_asks_again(bot):
    await _cases(bot, 1)
    missing = await open_form(bot, kind="uppfoljning")
    assert "Välj ett ärende eller skriv ärendekoden." in card_text(missing)
    assert _input(missing, "kind")["value"] == "uppfoljning"
    unknown = await press(bot, missing, "Fortsätt", kind="uppfoljning", case_code="SSPF-2026-999")
    assert "Ärendet finns inte, eller så har du inte behörighet" in card_text(unknown.card)
    assert input_values(unknown.card)["case_code"] == "SSPF-2026-999"  # what was typed is kept
    assert_cards_valid([missing, unknown.card])


async def test_someone_outside_the_team_typing_the_code_is_refused(bot):
    await _cases(bot, 1)
    first = await open_form(bot, user=OUTSIDER)
    assert _input(first, "case_id") is None  # no case of theirs: nothing to list, only the code field
    reply = await press(bot, first, "Fortsätt", user=OUTSIDER, kind="individuell", case_code="SSPF-2026-001")
    assert "Ärendet finns inte, eller så har du inte behörighet" in " ".join(reply.texts)
    assert reply.cards == [] or "Hela teamet" not in card_text(reply.card)


async def test_a_group_meeting_form_asks_only_what_a_group_meeting_needs(bot):
    await _cases(bot, 1)
    group = await open_form(bot, kind="arbetsgrupp")
    text = card_text(group)
    assert "Arbetsgrupp" in text and "SSPF-2026-001" not in text
    # no case: no team switch, no guardians, no agency for case meetings; a series: its last date
    assert {"team", "guests", "others_agency", "case_id"}.isdisjoint(_ids(group))
    assert "Sista möte i serien (valfritt; mötet upprepas var 2:e vecka)" in text
    steering = await open_form(bot, kind="styrgrupp")
    assert "until" not in _ids(steering) and "Sista möte" not in card_text(steering)  # booked one by one
    assert_cards_valid([group, steering])


async def test_the_whole_team_is_invited_however_large_and_the_card_stays_small(bot):
    members = [
        (
            acts.User(f"aad-member-{i:02d}", f"Medlem {i:02d}"),
            ("skola", "socialtjanst")[i % 2],
            f"m{i}@kommun.example",
        )
        for i in range(30)
    ]
    case = await seed_case(bot.services.db, members=members, consent_agencies=["skola", "socialtjanst"])
    form = await open_form(bot, text=f"boka möte {case.code}")
    text = card_text(form)
    assert "Hela teamet i ärendet (30 personer)" in text and "och 24 till" in text
    assert "Medlem 00 (Skola)" in text and "Medlem 29" not in text  # the first names, the rest counted
    assert input_values(form)["team"] == "all"
    assert len(json.dumps(form).encode()) < 6_000 < CARD_LIMIT_BYTES
    booked = await press(bot, form, "Boka", date=meeting_day().isoformat(), start="09:00", end="10:00")
    assert "Bokat" in card_text(booked.card) and "Medlem 29" in card_text(booked.card)
    async with bot.services.db.session() as s:
        [row] = list(await s.scalars(select(Meeting)))
    ics = (
        (Path(bot.settings.ics_dir) / f"{row.graph_event_id}.ics").read_bytes().decode().replace("\r\n ", "")
    )
    assert all(f"mailto:m{i}@kommun.example" in ics for i in range(30))
    assert_cards_valid([form, booked.card])
