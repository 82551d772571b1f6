"""Senders and values that real Teams produces but that broke a turn ("Något gick fel") on PostgreSQL.

- An anonymous meeting guest has no Entra object id; their Teams id is about 130 characters and went into
  64-character ``*_aad_id`` columns.
- A NUL character inside typed text: PostgreSQL refuses U+0000 in text columns.
- Two card presses whose nonces share their first 400 characters were one press to the replay guard.
"""

from __future__ import annotations

from bot.i18n import Translator
from tests.conftest import COORDINATOR
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, find_action
from tests.harness.world import MEETING_CHAT, build_world

CRASHED = Translator("sv")("error.unexpected")


def _said(reply) -> str:
    return " ".join([*reply.texts, reply.invoke_text if isinstance(reply.invoke_text, str) else ""])


async def test_an_anonymous_meeting_guest_gets_answers_not_errors(bot: RunningBot):
    await build_world(bot)
    guest_id = "29:" + "A" * 128  # the shape of an anonymous guest's id: no aadObjectId
    activity = acts.message("hjälp", COORDINATOR, MEETING_CHAT, bot.connector.url)
    activity["from"] = {"id": guest_id, "name": "Gäst (extern)"}
    status, _ = await bot.post(activity)
    assert status == 200
    start = acts.message("starta mötet", COORDINATOR, MEETING_CHAT, bot.connector.url)
    start["from"] = {"id": guest_id, "name": "Gäst (extern)"}
    reply = await bot.send(start)
    assert reply.status == 200
    assert CRASHED not in _said(reply)
    assert reply.texts or reply.cards  # told something: a refusal, not silence or an error


async def test_a_nul_in_typed_text_is_dropped_not_a_crash(bot: RunningBot):
    conv = acts.personal(COORDINATOR)
    form = await bot.say(COORDINATOR, conv, "nytt ärende")
    reply = await bot.press(
        COORDINATOR,
        conv,
        find_action(form.card, "Spara"),
        {
            "initials": "Z.\x00Q.",
            "birth_year": "2013",
            "school_area": "Ekbacke\x00skolan",
            "signal_source": "skola",
            "concerns": "skolk",
            "track": "individuell",
            "signal_on": "2026-11-02",
        },
    )
    assert reply.status == 200
    assert CRASHED not in _said(reply)
    assert any("SSPF-" in t for t in reply.texts), reply.texts  # registered


async def test_long_nonces_that_share_a_prefix_are_two_presses(bot: RunningBot):
    conv = acts.personal(COORDINATOR)
    prefix = "n" * 420
    first = await bot.press(
        COORDINATOR, conv, {"type": "Action.Submit", "data": {"verb": "help", "nonce": prefix + "1"}}
    )
    second = await bot.press(
        COORDINATOR, conv, {"type": "Action.Submit", "data": {"verb": "help", "nonce": prefix + "2"}}
    )
    already = Translator("sv")("card.already_handled")
    assert already not in _said(first) and already not in _said(second)
    again = await bot.press(
        COORDINATOR, conv, {"type": "Action.Submit", "data": {"verb": "help", "nonce": prefix + "2"}}
    )
    assert already in _said(again)  # and a real double click is still caught
