"""Nothing personal in group chats or channels: every activity the bot sends there is scanned."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.case_steps import (
    BIRTH_YEAR,
    GUARDIAN_1,
    GUARDIAN_2,
    YOUTH,
    add_contact,
    case_inputs,
    open_case_with_team,
    record_consent,
)
from tests.conftest import COORDINATOR, OUTSIDER, POLICE, PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import find_action, input_values

RANDOM_IDS = (
    "nonce",
    "case_id",
)  # random identifiers, not personal data; left out so they cannot match by chance


def _scrub(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: ("…" if k in RANDOM_IDS else _scrub(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub(v) for v in node]
    return node


def secrets() -> list[str]:
    people = [GUARDIAN_1, GUARDIAN_2, YOUTH]
    found = [p[k] for p in people for k in ("name", "email", "phone")]
    found += [re.sub(r"\D", "", p["phone"]) for p in people]  # the phone written without spaces
    found += [p["name"].split()[0] for p in people]  # first names alone
    found += ["ZQ", "Z.Q.", BIRTH_YEAR, "Ekbackeskolan"]
    return found


async def test_nothing_personal_reaches_a_group_chat_or_channel(bot):
    group, channel, meeting = acts.group_chat(), acts.channel(), acts.meeting_chat()
    shared = {group.id, channel.id, meeting.id}

    code, case_id = await open_case_with_team(bot)
    await add_contact(bot, case_id, YOUTH, kind="youth")
    await record_consent(bot, code, "Vårdnadshavare 1", "skola,polis")
    await record_consent(bot, code, "Vårdnadshavare 2", "skola,polis")

    commands = [
        "hjälp",
        "nytt ärende",
        "mina ärenden",
        f"ärende {code}",
        f"samtycke {code}",
        f"återkalla samtycke {code}",
        f"avsluta ärende {code}",
        f"vem har läst {code}",
        f"lägg till i teamet {code}",
        "vad gäller för ZQ född 2013?",
    ]
    presses = [
        ("case.open", {}),
        ("team.form", {}),
        ("case.create", case_inputs()),
        (
            "team.add_contact",
            {
                "contact_kind": "guardian",
                "contact_name": GUARDIAN_1["name"],
                "contact_email": GUARDIAN_1["email"],
                "contact_phone": GUARDIAN_1["phone"],
            },
        ),
        (
            "consent.record",
            {"guardian_id": "x", "signed_on": "2026-01-01", "agencies": "skola", "filed_at": "Pärm"},
        ),
        ("consent.withdraw", {"who": "all"}),
        ("case.close", {"reason": "ovrigt"}),
        ("case.audit", {}),
    ]
    for conv in (group, channel, meeting):
        for user in (COORDINATOR, PRINCIPAL, POLICE, OUTSIDER):
            for command in commands:
                assert (await bot.say(user, conv, command)).status == 200
            for n, (verb, inputs) in enumerate(presses):
                action = {
                    "type": "Action.Submit",
                    "data": {"verb": verb, "case_id": case_id, "nonce": f"{conv.id}{n}"},
                }
                assert (await bot.press(user, conv, action, inputs)).status == 200

    # the withdrawal from the personal chat notifies the team (1:1 chats): still nothing leaks into groups
    ask = await bot.say(COORDINATOR, acts.personal(COORDINATOR), f"återkalla samtycke {code}")
    await bot.press(
        COORDINATOR,
        acts.personal(COORDINATOR),
        find_action(ask.card, "Återkalla samtycket"),
        input_values(ask.card),
    )

    to_groups = [s for s in bot.connector.sent if s.conversation_id in shared]
    assert len(to_groups) >= len(commands) * 12  # the bot did answer there
    assert any(code in json.dumps(s.body, ensure_ascii=False) for s in to_groups)  # the code is allowed
    for sent in to_groups:
        dumped = json.dumps(_scrub(sent.body), ensure_ascii=False)
        leaked = [s for s in secrets() if s in dumped]
        assert not leaked, f"{leaked} sent to {sent.conversation_id}: {dumped[:400]}"

    # the team's notices went to their personal chats and name the case by its code only
    for person in (PRINCIPAL, POLICE):
        notices = [m for m in bot.connector.messages(acts.personal(person).id) if "återkallats" in m.text]
        assert notices
        for notice in notices:
            assert code in notice.text and not [s for s in secrets() if s in notice.text]
