"""The attacker's tools, kept in the suite: Hypothesis POSTs arbitrary bodies to ``/api/messages``.

Activity-shaped JSON with random values where the activity's fields should be, arbitrary JSON, random
bytes; random content types and content encodings (some really compressed); sizes around the body
limit; bodies cut into many TCP writes or sent chunked. The answer is never a 5xx, a body that passes
the guard never fails its turn on the transport fields (``from``, ids, tenant), and after each example
the bot still answers a valid message.

Deterministic (``derandomize=True``, no example database) and bounded: 150 examples, well under a
minute. The bot runs on its own event loop in a thread, so Hypothesis drives it from a plain test.
"""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import logging
import threading
import zlib
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import COORDINATOR, _sqlite_template
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, local_settings
from tests.harness.connector import LoopbackConnector
from tests.test_http_guard import raw_post

T = TypeVar("T")
LIMIT = 8 * 1024  # the fuzzed bot's max_body_bytes: "around the limit" stays cheap


@dataclass
class Served:
    bot: RunningBot
    run: Callable[[Coroutine[Any, Any, Any]], Any]
    turn_failures: list[str] = field(default_factory=list)


class _TurnFailures(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("turn failed"):
            self.sink.append(record.getMessage())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzzed-bot", daemon=True)
    thread.start()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    root: Path = tmp_path_factory.mktemp("fuzz")
    connector = LoopbackConnector()

    async def start() -> RunningBot:
        import shutil

        shutil.copy(await _sqlite_template(root), root / "sspf.db")
        await connector.start()
        settings_ = local_settings(
            f"sqlite+aiosqlite:///{root / 'sspf.db'}", ics_dir=str(root / "ics"), max_body_bytes=LIMIT
        )
        return await RunningBot(settings_, connector).start()

    running = run(start())
    result = Served(running, run)
    handler = _TurnFailures(result.turn_failures)
    logging.getLogger("bot.handler").addHandler(handler)
    try:
        yield result
    finally:
        logging.getLogger("bot.handler").removeHandler(handler)
        run(running.stop())
        run(connector.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


# --- what an attacker sends ----------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
# Where the activity's fields are: random values there (wrong types, wrong shapes, odd text).
PATHS = [
    "type",
    "id",
    "name",
    "text",
    "textFormat",
    "timestamp",
    "locale",
    "channelId",
    "replyToId",
    "deliveryMode",
    "conversation",
    "conversation.id",
    "conversation.conversationType",
    "conversation.isGroup",
    "conversation.tenantId",
    "from",
    "from.id",
    "from.name",
    "from.aadObjectId",
    "recipient",
    "recipient.id",
    "channelData",
    "channelData.tenant",
    "channelData.tenant.id",
    "channelData.meeting",
    "channelData.meeting.id",
    "channelData.team",
    "value",
    "value.verb",
    "value.action",
    "value.action.verb",
    "value.action.data",
    "entities",
    "attachments",
    "membersAdded",
    "membersRemoved",
    "serviceUrl",
]
KINDS = [
    "message",
    "invoke",
    "conversationUpdate",
    "event",
    "messageReaction",
    "installationUpdate",
    "messageUpdate",
    "typing",
    "somethingNew",
]
INVOKE_NAMES = ["adaptiveCard/action", "task/fetch", "fileConsent/invoke", "composeExtension/query", "x"]
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=24)
CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
) | HEADER_TEXT.map(lambda t: "application/json" + t)
ENCODINGS = st.sampled_from([None, None, "gzip", "deflate", "identity", "br", "zstd", "compress", "GZIP"])


def _put(activity: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = activity
    for step in parents:
        if not isinstance(node.get(step), dict):
            node[step] = {}
        node = node[step]
    node[last] = value


@st.composite
def activity_shaped(draw: st.DrawFn, service_url: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    conv = draw(
        st.sampled_from([acts.personal(COORDINATOR), acts.group_chat(), acts.channel(), acts.meeting_chat()])
    )
    activity = copy.deepcopy(acts.base(kind, COORDINATOR, conv, service_url))
    if kind == "message":
        activity["text"] = draw(st.sampled_from(["hjälp", "nytt ärende", "mina åtgärder", "statistik", ""]))
    if kind == "invoke":
        activity["name"] = draw(st.sampled_from(INVOKE_NAMES))
        activity["value"] = {"action": {"type": "Action.Execute", "verb": "help", "data": {}}}
    for path, value in draw(st.lists(st.tuples(st.sampled_from(PATHS), JSON), min_size=1, max_size=4)):
        _put(activity, path, value)
    url = activity.get("serviceUrl")
    if isinstance(url, str) and url.startswith(("http:", "https:")) and url != service_url:
        activity["serviceUrl"] = service_url  # replies go to the loopback connector, never elsewhere
    return activity


@st.composite
def bodies(draw: st.DrawFn, service_url: str) -> bytes:
    shape = draw(st.sampled_from(["activity", "activity", "activity", "json", "bytes"]))
    if shape == "bytes":
        return draw(st.binary(max_size=600))
    if shape == "json":
        raw = json.dumps(draw(JSON)).encode()
    else:
        activity = draw(activity_shaped(service_url))
        if draw(st.integers(0, 5)) == 0:  # right around the limit
            target = LIMIT + draw(st.integers(-3, 3))
            unpadded = len(json.dumps({**activity, "x-padding": ""}).encode())
            activity["x-padding"] = "x" * max(0, target - unpadded)
        raw = json.dumps(activity, ensure_ascii=draw(st.booleans())).encode()
    if draw(st.integers(0, 9)) == 0:  # cut short
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@dataclass
class Sending:
    body: bytes
    headers: dict[str, str]
    piece: int
    pause: float
    chunked: bool


@st.composite
def sendings(draw: st.DrawFn, service_url: str) -> Sending:
    body = draw(bodies(service_url))
    headers = {"Content-Type": draw(CONTENT_TYPES)}
    encoding = draw(ENCODINGS)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
        if draw(st.booleans()):
            if encoding.lower() == "gzip":
                body = gzip.compress(body)
            elif encoding == "deflate":
                body = zlib.compress(body)
    piece = draw(st.sampled_from([0, 0, 3, 100, 1460]))
    if piece == 3:
        body = body[:300]  # many tiny writes, on a short body
    pause = draw(st.sampled_from([0.0, 0.0002, 0.001])) if piece >= 100 else 0.0
    return Sending(body, headers, piece, pause, chunked=draw(st.booleans()))


# --- the property --------------------------------------------------------------------------------------


def test_no_body_gets_5xx_and_the_bot_keeps_answering(served: Served) -> None:
    bot = served.bot
    service_url = bot.connector.url

    async def check(sending: Sending) -> tuple[int, bytes, int, bool]:
        status, text = await raw_post(
            bot.url,
            sending.body,
            headers=sending.headers,
            piece=sending.piece,
            pause=sending.pause,
            chunked=sending.chunked,
        )
        valid = acts.message("hjälp", COORDINATOR, acts.personal(COORDINATOR), service_url)
        after, _ = await raw_post(bot.url, json.dumps(valid).encode())
        heard = any(s.body.get("replyToId") == valid["id"] for s in bot.connector.sent)
        return status, text, after, heard

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(sendings(service_url))
    def prop(sending: Sending) -> None:
        served.turn_failures.clear()
        status, text, after, heard = served.run(check(sending))
        # 501: a well-formed invoke the bot does not implement (task/fetch…), the Bot Framework convention
        assert status < 500 or status == 501, (status, text[:300])
        assert served.turn_failures == [], "a body the guard let through failed its turn"
        assert after == 200 and heard, "the bot stopped answering a valid message"

    prop()
