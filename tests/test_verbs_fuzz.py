"""Every registered verb, pressed with arbitrary card values by anyone from anywhere: never a 500, never
"Något gick fel". An attacker's tool kept in the suite (Hypothesis).

A forged or clumsy press must get a clear answer: a Swedish message saying what is wrong, or a refusal.
"Något gick fel hos mig" means a handler crashed on input it should have checked; a 5xx means Teams
would show an error and retry.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.i18n import Translator
from bot.registry import registry
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot
from tests.harness.world import MEETING_CHAT, build_world

CRASHED = Translator("sv")("error.unexpected")
# Field names the bot's cards and handlers use (and a few they don't), so values land where code reads.
FIELDS = (
    "action_id action_version agencies agency birth_year case_code case_id comment_field concerns date "
    "decision due_on filed_at follow_up_on guardian_id guest_emails guests initials item kind meeting_type "
    "next_on op others reason responsible run_id school_area signal_on signal_source signed_on slot_end "
    "slot_start status step_key team text track until valid_until version who withdrawn_on entry comment "
    "aad_id member_name member_email contact_name contact_email contact_phone start duration participants"
).split()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "a" * 5000, "2026-02-30", "25:61", "null", "[]", "SSPF-2026-001"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
card_data = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), values, max_size=6)
# Mostly people and places where the handler runs (the middleware refuses the rest early).
who = st.sampled_from([COORDINATOR, COORDINATOR, COORDINATOR, PRINCIPAL, POLICE, OUTSIDER])
where = st.sampled_from(["personal", "personal", "meeting", "group"])
how = st.sampled_from(["Action.Submit", "Action.Execute"])


def _conversation(user: acts.User, kind: str) -> acts.Conversation:
    return {"personal": acts.personal(user), "meeting": MEETING_CHAT, "group": acts.group_chat()}[kind]


@pytest.fixture
async def world(sqlite_bot: RunningBot) -> tuple[RunningBot, str]:
    return sqlite_bot, await build_world(sqlite_bot)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,  # the same examples in CI and here: a failure is reproducible, not a flake
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    verb=st.sampled_from(sorted(registry.routes)),
    data=card_data,
    user=who,
    kind=where,
    action=how,
    real_case=st.booleans(),
)
async def test_any_press_of_any_verb_gets_a_clear_answer(world, verb, data, user, kind, action, real_case):
    bot, case_id = world
    payload: dict[str, Any] = {**data, "verb": verb, "nonce": uuid.uuid4().hex}
    if real_case:
        payload["case_id"] = case_id
    conv = _conversation(user, kind)
    reply = await bot.press(user, conv, {"type": action, "verb": verb, "data": payload})
    assert reply.status < 500, (verb, reply.status, reply.body)
    said = " ".join([*reply.texts, reply.invoke_text if isinstance(reply.invoke_text, str) else ""])
    assert CRASHED not in said, (verb, payload)
