"""No personnummer through any door: every card the bot shows, every field on it, every verb, every command.

An attacker's tool kept in the suite. The test seeds a case with its team, consent, a meeting with its
chat and an action, then walks the bot the way a user clicks: every command, every card that comes
back, every button on it. Each button is pressed once with every text field holding a personnummer
(each press a different spelling people type or paste), once with a forged extra field holding one,
and once cleanly to reach the next cards. Verbs the walk did not reach are pressed with forged data.
Then it looks everywhere the number could have gone: every reply and card (echo), every row of every
table (stored), the local calendar files (sent onward to attendees), and every log line.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.i18n import Translator
from bot.registry import registry
from domain.personnummer import contains_personnummer
from store.models import Base
from tests.conftest import COORDINATOR, PRINCIPAL
from tests.harness import activities as acts
from tests.harness.bot_runner import Reply, RunningBot, all_actions, input_values, nodes
from tests.harness.personnummer_corpus import FALSE_POSITIVES, PERSONNUMMER_FORMS
from tests.harness.world import CODE, CONVERSATIONS, MEETING_CHAT, build_world

# One child's number (made up, date-shaped: 2008-11-24) in the spellings people type or paste.
SPELLINGS = [
    "081124-3986",
    "20081124-3986",
    "081124 3986",
    "0811243986",
    "200811243986",
    "08 11 24-3986",
    "081124\u20113986",
    "\uff10\uff18\uff11\uff11\uff12\uff14\uff0d\uff13\uff19\uff18\uff16",
    "081124\u200b-3986",
    "081124.3986",
    "081124/3986",
    "08.11.24-3986",
    "2008-11-24-3986",
    "081124\n3986",
    "Eleven 081124-3986 har varit frånvarande",
    "081124\u00a0-\u00a03986",
]
# The same digits with at most a few separators between them, after Unicode normalisation.
_DIGITS = "0811243986"
LEAK = re.compile(r"\D{0,3}".join(_DIGITS))
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
MAX_PRESSES = 700
SV = Translator("sv")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [str(value)] if value is not None else []


def leaked(value: Any) -> str | None:
    """The text that holds our number in any spelling, or anything personnummer-shaped, or None."""
    for text in _strings(value):
        plain = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
        if LEAK.search(plain) or contains_personnummer(text):
            return text
    return None


class Walk:
    def __init__(self, bot: RunningBot) -> None:
        self.bot = bot
        self.spelling = 0
        self.presses = 0
        self.verbs_tried: set[str] = set()
        self.seen: set[tuple[str, frozenset[str]]] = set()
        self.queue: deque[tuple[acts.User, acts.Conversation, dict[str, Any], str | None]] = deque()
        self.leaks: list[str] = []

    def pnr(self) -> str:
        """Our one child's number in its spellings, then, in turn, every form of the shared corpus."""
        self.spelling += 1
        pool = SPELLINGS if self.spelling % 2 else PERSONNUMMER_FORMS
        return pool[(self.spelling // 2) % len(pool)]

    def check(self, what: str, reply: Reply) -> None:
        for sent in reply.sent:
            hit = leaked(sent.body)
            if hit is not None:
                self.leaks.append(f"{what}: echoed {hit!r}")
        hit = leaked(reply.body)
        if hit is not None:
            self.leaks.append(f"{what}: echoed in the invoke answer {hit!r}")

    def collect(self, user: acts.User, conv: acts.Conversation, reply: Reply) -> None:
        for sent in reply.sent:
            for card in sent.cards:
                target = next(
                    (c for c in CONVERSATIONS if c.id == sent.conversation_id), conv
                )  # a card posted into another chat is pressed there
                self.queue.append((user, target, card, sent.activity_id))
        if (
            isinstance(reply.body, dict)
            and reply.body.get("type") == "application/vnd.microsoft.card.adaptive"
        ):
            self.queue.append((user, conv, reply.body["value"], None))

    async def say(self, user: acts.User, conv: acts.Conversation, text: str) -> Reply:
        reply = await self.bot.say(user, conv, text)
        assert reply.status < 500, (text, reply.status)
        return reply

    async def press(
        self,
        user: acts.User,
        conv: acts.Conversation,
        action: dict[str, Any],
        inputs: dict[str, Any],
        reply_to: str | None,
    ) -> Reply:
        self.presses += 1
        verb = action.get("verb") or action.get("data", {}).get("verb")
        self.verbs_tried.add(verb)
        reply = await self.bot.press(user, conv, action, inputs, reply_to_id=reply_to)
        assert reply.status < 500, (verb, reply.status)
        return reply

    async def run(self) -> None:
        while self.queue and self.presses < MAX_PRESSES:
            user, conv, card, reply_to = self.queue.popleft()
            actions = [a for a in all_actions(card) if a.get("verb") or a.get("data", {}).get("verb")]
            signature = (conv.kind, frozenset(a.get("verb") or a["data"]["verb"] for a in actions))
            if signature in self.seen:
                continue
            self.seen.add(signature)
            values = {k: v for k, v in input_values(card).items() if v is not None}
            text_fields = [
                n["id"] for n in nodes(card) if n.get("type") == "Input.Text" and isinstance(n.get("id"), str)
            ]
            for action in actions:
                verb = action.get("verb") or action["data"]["verb"]
                fresh = {**action, "data": {**action.get("data", {}), "nonce": uuid.uuid4().hex}}
                for field in [*text_fields, "kommentar"]:
                    reply = await self.press(user, conv, fresh, {**values, field: self.pnr()}, reply_to)
                    self.check(f"{verb} with a personnummer in {field!r}", reply)
                    fresh = {**fresh, "data": {**fresh["data"], "nonce": uuid.uuid4().hex}}
                reply = await self.press(user, conv, action, values, reply_to)
                self.check(f"{verb} pressed cleanly", reply)
                self.collect(user, conv, reply)


@pytest.fixture
async def world(bot: RunningBot) -> RunningBot:
    await build_world(bot)
    return bot


async def _scan_database(bot: RunningBot) -> list[str]:
    found = []
    async with bot.services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).all():
                hit = leaked([json.dumps(v, default=str, ensure_ascii=False) for v in row])
                if hit is not None:
                    found.append(f"table {table.name}: {hit[:120]!r}")
    return found


async def test_no_personnummer_is_echoed_stored_sent_or_logged(world: RunningBot, caplog, tmp_path: Path):
    bot = world
    walk = Walk(bot)
    caplog.set_level("INFO")
    commands = [
        (COORDINATOR, acts.personal(COORDINATOR), phrase)
        for phrase in (
            "hjälp",
            "nytt ärende",
            "mina ärenden",
            f"ärende {CODE}",
            f"teamet {CODE}",
            f"samtycke {CODE}",
            "boka möte",
            "mina åtgärder",
            "statistik",
            "språk",
            f"vem har läst {CODE}",
            f"återkalla samtycke {CODE}",
            f"avsluta ärende {CODE}",
        )
    ] + [
        (PRINCIPAL, acts.personal(PRINCIPAL), "mina åtgärder"),
        (COORDINATOR, MEETING_CHAT, "starta mötet"),
    ]
    for user, conv, text in commands:
        reply = await walk.say(user, conv, text)
        walk.collect(user, conv, reply)
    await walk.run()
    walked = set(walk.verbs_tried)

    # Every command with a personnummer after it, and a personnummer written as a chat message.
    for route in registry.routes.values():
        for phrase in route.phrases[:1]:
            conv = (
                MEETING_CHAT
                if route.verb.startswith(("meeting.start", "meeting.end"))
                else acts.personal(COORDINATOR)
            )
            reply = await walk.say(COORDINATOR, conv, f"{phrase} {walk.pnr()}")
            walk.check(f"command {phrase!r} with a personnummer", reply)
    for conv in (acts.personal(COORDINATOR), MEETING_CHAT):
        reply = await walk.say(COORDINATOR, conv, f"Gäller {walk.pnr()}, se mejl")
        walk.check(f"a chat message in {conv.kind}", reply)
        if "Teams sparar chatten" not in " ".join(reply.texts):  # told to delete it from the chat
            walk.leaks.append(f"a chat message in {conv.kind}: not told to delete it")

    # Verbs the walk did not reach: pressed with forged data, as an attacker would.
    async with bot.services.db.session() as session:
        case_id = (await session.execute(select(Base.metadata.tables["sspf_case"].c.id))).scalar()
    for verb in sorted(set(registry.routes) - walk.verbs_tried):
        for conv in (acts.personal(COORDINATOR), MEETING_CHAT):
            data = {"verb": verb, "nonce": uuid.uuid4().hex, "case_id": case_id, "kommentar": walk.pnr()}
            reply = await walk.press(COORDINATOR, conv, {"type": "Action.Submit", "data": data}, {}, None)
            walk.check(f"forged {verb}", reply)

    walk.leaks += await _scan_database(bot)
    for path in Path(bot.settings.ics_dir).rglob("*"):  # noqa: ASYNC240 (a test, after the bot)
        if path.is_file() and leaked(path.read_text(errors="replace")):
            walk.leaks.append(f"calendar file {path.name}")
    for record in caplog.records:
        hit = leaked(record.getMessage())
        if hit is not None:
            walk.leaks.append(f"log line {record.name}: {hit[:120]!r}")

    assert walk.leaks == [], "\n".join(walk.leaks[:40])
    # The walk must really have gone through the product, or it proves nothing.
    assert walk.presses > 100, (walk.presses, " ".join(sorted(walked)))
    assert set(registry.routes) <= walk.verbs_tried
    reached = {"case.create", "team.add_member", "consent.record", "meeting.confirm", "agenda.entry"}
    assert reached <= walk.verbs_tried, reached - walk.verbs_tried


async def test_what_case_work_writes_gets_through_the_door(world: RunningBot):
    """The false-positive corpus (phone numbers, dates, times, amounts, case codes, ids): typed into a
    card's free text, a chat command or a message, none of it is refused as a personnummer."""
    bot = world
    door = {
        SV("privacy.personnummer_door"),
        SV("privacy.personnummer_door_chat"),
        SV("privacy.personnummer_refused"),
    }
    refused = []
    for value in [v for v in FALSE_POSITIVES if v.strip()]:
        for reply in (
            await bot.say(COORDINATOR, acts.personal(COORDINATOR), f"Ring {value}"),
            await bot.press(
                COORDINATOR,
                acts.personal(COORDINATOR),
                {"type": "Action.Submit", "data": {"verb": "help", "nonce": uuid.uuid4().hex}},
                {"kommentar": value},
            ),
        ):
            said = " ".join([*reply.texts, *(json.dumps(c, ensure_ascii=False) for c in reply.cards)])
            if any(text in said for text in door):
                refused.append(value)
    assert refused == [], refused
