"""A client's malformed request gets a 4xx it can act on, never a 500 (stock botbuilder gives 500)."""

from __future__ import annotations

import asyncio
import copy
import gzip
import json
import zlib

import pytest

from tests.conftest import COORDINATOR
from tests.harness import activities as acts


async def test_body_that_is_not_json_is_400(sqlite_bot):
    status, body = await sqlite_bot.post(b"{not json")
    assert status == 400
    assert body["error"] == "body is not JSON"


async def test_json_array_is_400(sqlite_bot):
    status, _ = await sqlite_bot.post([{"type": "message"}])  # type: ignore[arg-type]
    assert status == 400


async def test_activity_without_conversation_is_400(sqlite_bot):
    activity = acts.message("hjälp", COORDINATOR, acts.personal(COORDINATOR), sqlite_bot.connector.url)
    del activity["conversation"]
    status, body = await sqlite_bot.post(activity)
    assert status == 400
    assert "conversation" in body["error"]
    assert sqlite_bot.connector.sent == []


async def test_activity_without_type_is_400(sqlite_bot):
    status, _ = await sqlite_bot.post({"text": "hej"})
    assert status == 400


async def test_wrong_field_types_are_400(sqlite_bot):
    activity = acts.message("hjälp", COORDINATOR, acts.personal(COORDINATOR), sqlite_bot.connector.url)
    activity["timestamp"] = {"not": "a date"}
    status, _ = await sqlite_bot.post(activity)
    assert status == 400


async def test_oversize_body_is_413(sqlite_bot):
    activity = acts.message("x" * 400_000, COORDINATOR, acts.personal(COORDINATOR), sqlite_bot.connector.url)
    status, _ = await sqlite_bot.post(activity)
    assert status == 413
    assert sqlite_bot.connector.sent == []


async def test_not_json_content_type_is_415(sqlite_bot):
    status, _ = await sqlite_bot.post("hello", headers={"Content-Type": "text/plain"})
    assert status == 415


async def test_unknown_activity_type_is_accepted_and_ignored(sqlite_bot):
    activity = acts.base("somethingNew", COORDINATOR, acts.personal(COORDINATOR), sqlite_bot.connector.url)
    status, _ = await sqlite_bot.post(activity)
    assert status == 200
    assert sqlite_bot.connector.sent == []


async def test_healthz_reports_database(sqlite_bot):
    assert sqlite_bot.http is not None
    async with sqlite_bot.http.get(sqlite_bot.url + "/healthz") as resp:
        body = await resp.json()
    assert resp.status == 200  # /healthz is /readyz under its older name (tests/test_health.py)
    assert body["status"] == "ok" and body["mode"] == "local"
    assert body["checks"]["database"]["ok"] is True


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"42",
        b'"text"',
        json.dumps({"type": 5}).encode(),
        b'{"type": "message", "text": NaN}',  # not JSON, though Python's json accepts it
        b"[" * 100_000 + b"]" * 100_000,  # nesting that overflowed Python's json parser's stack
        b'{"type": "message", "text": "\\ud800"}',  # a lone surrogate cannot be encoded again
        b"\xff\xfe{}",  # not UTF-8
    ],
    ids=["empty", "null", "number", "string", "type-not-text", "nan", "deep", "surrogate", "not-utf8"],
)
async def test_odd_bodies_are_4xx(sqlite_bot, raw):
    status, _ = await sqlite_bot.post(raw)
    assert 400 <= status < 500


# --- the body arrives in pieces: read until its end ---------------------------------------------------


async def raw_post(
    url: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    piece: int = 0,
    pause: float = 0.0,
    chunked: bool = False,
    path: str = "/api/messages",
) -> tuple[int, bytes]:
    """POST over a bare socket, the body cut into ``piece``-byte TCP writes ``pause`` seconds apart (or
    as ``Transfer-Encoding: chunked`` frames of that size). Returns the status and the response body."""
    host, port = url.removeprefix("http://").split(":")
    hdrs = {"Host": f"{host}:{port}", "Content-Type": "application/json", "Connection": "close"}
    hdrs.update(headers or {})
    pieces = [body[i : i + piece] for i in range(0, len(body), piece)] if piece else [body]
    if chunked:
        hdrs["Transfer-Encoding"] = "chunked"
        pieces = [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p] + [b"0\r\n\r\n"]
    else:
        hdrs.setdefault("Content-Length", str(len(body)))
    head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items()) + "\r\n"
    reader, writer = await asyncio.open_connection(host, int(port))
    received = bytearray()

    async def collect() -> None:  # reads while we write: the server may answer early and close
        try:
            while chunk := await reader.read(65536):
                received.extend(chunk)
        except ConnectionError:
            pass

    collecting = asyncio.ensure_future(collect())
    try:
        writer.write(head.encode("latin-1"))
        await writer.drain()
        for p in pieces:
            writer.write(p)
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
    except ConnectionError:
        pass  # answered (4xx) before the whole body was sent, and closed
    try:
        await asyncio.wait_for(collecting, 30)
    finally:
        writer.close()
    answer = bytes(received)
    assert answer, "the server closed the connection without an answer"
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def padded_help(bot, size: int = 3000) -> tuple[dict, bytes]:
    """A valid ``hjälp`` message of about ``size`` bytes (an extra field, which the bot ignores)."""
    activity = acts.message("hjälp", COORDINATOR, acts.personal(COORDINATOR), bot.connector.url)
    raw = json.dumps(activity).encode()
    activity["x-padding"] = "x" * max(0, size - len(raw) - 16)
    return activity, json.dumps(activity).encode()


def answered(bot, activity: dict) -> bool:
    return any(
        s.activity_id == activity["id"] or s.body.get("replyToId") == activity["id"]
        for s in bot.connector.sent
    )


@pytest.mark.parametrize(
    ("piece", "pause", "chunked"),
    [(1460, 0.0002, False), (100, 0.001, False), (1460, 0.0002, True), (7, 0.0005, True)],
    ids=["mss-paced", "small-paced", "chunked-mss", "chunked-tiny"],
)
async def test_body_sent_in_pieces_is_read_to_its_end(sqlite_bot, piece, pause, chunked):
    """A valid 3 KB activity in many TCP writes was refused 400 "body is not JSON" (Teams does not
    retry a 400: the message was lost). Chunked bodies have no Content-Length at all."""
    activity, body = padded_help(sqlite_bot)
    assert len(body) >= 3000
    status, text = await raw_post(sqlite_bot.url, body, piece=piece, pause=pause, chunked=chunked)
    assert status == 200, text
    assert answered(sqlite_bot, activity), "the bot did not answer"


async def test_large_bodies_unpaced_are_all_read(sqlite_bot):
    for size in (20_000, 40_000, 60_000):
        activity, body = padded_help(sqlite_bot, size)
        status, text = await raw_post(sqlite_bot.url, body, piece=4096)
        assert status == 200, (size, text)
        assert answered(sqlite_bot, activity)


async def test_body_larger_than_limit_without_length_is_413(sqlite_bot):
    _, body = padded_help(sqlite_bot, sqlite_bot.settings.max_body_bytes + 10)
    status, _ = await raw_post(sqlite_bot.url, body, piece=16_384, chunked=True)
    assert status == 413
    assert sqlite_bot.connector.sent == []


async def test_body_that_never_ends_is_408(sqlite_bot, monkeypatch):
    import bot.http_guard

    monkeypatch.setattr(bot.http_guard, "BODY_TIMEOUT_S", 0.3)
    _, body = padded_help(sqlite_bot)
    status, _ = await raw_post(sqlite_bot.url, body[:100], headers={"Content-Length": str(len(body))})
    assert status == 408


async def test_broken_chunked_framing_is_400(sqlite_bot):
    _, body = padded_help(sqlite_bot, 500)
    host_port = sqlite_bot.url.removeprefix("http://")
    reader, writer = await asyncio.open_connection(*host_port.split(":"))
    head = (
        f"POST /api/messages HTTP/1.1\r\nHost: {host_port}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode() + b"10\r\n" + body[:40] + b"\r\nzz\r\n")  # 0x10 announced, 40 sent
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    assert 400 <= int(answer.split()[1]) < 500


# --- Content-Encoding: Bot Framework never compresses; gzip/deflate accepted, the rest 415 -------------


@pytest.mark.parametrize("chunked", [False, True])
@pytest.mark.parametrize("encoding", ["deflate", "gzip"])
async def test_body_that_does_not_decode_is_400(sqlite_bot, encoding, chunked):
    """Chunked and not decodable: aiohttp's own decoder left this waiting for the 30 s body timeout."""
    status, text = await asyncio.wait_for(
        raw_post(
            sqlite_bot.url,
            b"garbage, not compressed" * 3,
            headers={"Content-Encoding": encoding},
            piece=10,
            chunked=chunked,
        ),
        10,
    )
    assert status == 400, text


@pytest.mark.parametrize("encoding", ["deflate", "gzip"])
async def test_a_compressed_body_over_the_limit_once_decoded_is_413(sqlite_bot, encoding):
    _, body = padded_help(sqlite_bot, 500)
    bomb = b" " * 400_000 + body  # valid JSON once decoded, but far over the 256 KB limit
    packed = zlib.compress(bomb) if encoding == "deflate" else gzip.compress(bomb)
    status, _ = await raw_post(sqlite_bot.url, packed, headers={"Content-Encoding": encoding}, chunked=True)
    assert status == 413


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, gzip", "x-unknown"])
async def test_other_encodings_are_refused_with_4xx(sqlite_bot, encoding):
    _, body = padded_help(sqlite_bot, 500)
    status, _ = await raw_post(sqlite_bot.url, body, headers={"Content-Encoding": encoding})
    assert status in (400, 415)  # br/zstd: aiohttp itself refuses (no decoder installed) with 400
    assert sqlite_bot.connector.sent == []


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compressed_activity_is_accepted(sqlite_bot, encoding):
    activity, body = padded_help(sqlite_bot, 3000)
    packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    status, text = await raw_post(sqlite_bot.url, packed, headers={"Content-Encoding": encoding}, piece=50)
    assert status == 200, text
    assert answered(sqlite_bot, activity)


async def test_decompression_bomb_stops_at_the_limit(sqlite_bot):
    """50 MB of spaces in 50 KB of gzip: the limit counts decoded bytes, the answer is 413, and the bot
    keeps answering."""
    bomb = gzip.compress(b'{"type": "message", "text": "' + b" " * 50_000_000 + b'"}', 9)
    assert len(bomb) < sqlite_bot.settings.max_body_bytes
    status, _ = await raw_post(sqlite_bot.url, bomb, headers={"Content-Encoding": "gzip"})
    assert status == 413
    reply = await sqlite_bot.say(COORDINATOR, acts.personal(COORDINATOR), "hjälp")
    assert reply.status == 200 and reply.sent


# --- transport ids: text that fits its column, no control characters ---------------------------------


def _set(activity: dict, path: str, value) -> dict:
    activity = copy.deepcopy(activity)  # the builders share some dicts (the bot's account)
    *parents, last = path.split(".")
    node = activity
    for step in parents:
        node = node.setdefault(step, {})
    if value is _DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return activity


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("from", _DELETE),
        ("from", None),
        ("from", "29:someone"),
        ("from.id", _DELETE),
        ("from.id", 5),
        ("from.id", ""),
        ("from.id", {"id": "x"}),
        ("from.id", "29:x\x00y"),
        ("from.id", "29:" + "1" * 250),
        ("from.aadObjectId", 7),
        ("from.aadObjectId", "a" * 65),
        ("from.aadObjectId", "aad\x00"),
        ("channelData.tenant.id", 5),
        ("channelData.tenant.id", ["t"]),
        ("channelData.tenant.id", "t\x00"),
        ("channelData.tenant.id", "t" * 65),
        ("conversation.tenantId", 1.5),
        ("conversation.id", ""),
        ("conversation.id", 19),
        ("conversation.id", "a:x\x00"),
        ("conversation.id", "19:" + "m" * 417 + "@thread.v2"),  # 430 characters
        ("id", "1700000000000\x00"),
        ("id", "9" * 401),
        ("id", 1700000000000),
        ("replyToId", "r" * 401),
        ("recipient.id", 28),
        ("conversation.id", "a:line\nbreak"),
    ],
)
async def test_transport_garbage_is_400_not_a_failed_turn(sqlite_bot, path, value):
    activity = acts.message("hjälp", COORDINATOR, acts.personal(COORDINATOR), sqlite_bot.connector.url)
    status, body = await sqlite_bot.post(_set(activity, path, value))
    assert status == 400, body
    assert sqlite_bot.connector.sent == []  # no "Något gick fel" either


REAL_IDS = {
    "meeting": "19:meeting_MjdhNjM4YzUtYzExZi00OTFkLTkzZTAtNTVlNmZmMDhkNGU2@thread.v2",
    "channel-thread": "19:a1b2c3d4e5f60718293a4b5c6d7e8f90@thread.tacv2;messageid=1732871456789",
    "group": "19:0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9_9f8e7d6c-5b4a-3928-1706-f5e4d3c2b1a0@unq.gbl.spaces",
    "personal": "a:1" + "Xq9_-Zt3" * 17 + "Kp",
}


@pytest.mark.parametrize("kind", list(REAL_IDS))
async def test_real_teams_ids_are_accepted(sqlite_bot, kind):
    conv = acts.Conversation(id=REAL_IDS[kind], kind="personal")
    user = acts.User(COORDINATOR.aad, COORDINATOR.name)
    activity = acts.message("hjälp", user, conv, sqlite_bot.connector.url)
    activity["from"]["id"] = "29:1" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_" * 4  # 155 characters
    activity["id"] = "1732871456789"
    status, body = await sqlite_bot.post(activity)
    assert status == 200, body
    assert answered(sqlite_bot, activity)


async def test_long_conversation_ids_do_not_make_later_activities_replays(bot):
    """The replay key ``act:{conversation}:{activity}`` was cut to its column (400): with a 390-character
    conversation id, every activity after the first looked like a replay and was dropped."""
    conv = acts.Conversation(id="19:" + "c" * 377 + "@thread.v2", kind="personal")
    assert len(conv.id) == 390
    for n in (1, 2, 3):
        activity = acts.message("hjälp", COORDINATOR, conv, bot.connector.url)
        activity["id"] = f"173287145678{n}"
        status, _ = await bot.post(activity)
        assert status == 200
        assert answered(bot, activity), f"activity {n} was taken for a replay"
    again = await bot.send(activity)  # a real replay is still dropped
    assert again.status == 200 and again.sent == []


def test_id_limits_fit_their_columns():
    from bot import http_guard as g
    from store import models as m

    def width(column) -> int:
        return column.type.length

    assert g.CONVERSATION_ID_MAX <= width(m.ConversationRef.__table__.c.conversation_id)
    assert g.CONVERSATION_ID_MAX <= width(m.AgendaRun.__table__.c.conversation_id)
    assert g.ACTIVITY_ID_MAX <= width(m.AgendaRun.__table__.c.card_activity_id)
    assert g.USER_ID_MAX <= width(m.AgendaAttendee.__table__.c.teams_user_id)
    assert g.AAD_ID_MAX <= width(m.CaseMember.__table__.c.aad_object_id)
    assert g.TENANT_ID_MAX <= width(m.SspfCase.__table__.c.tenant_id)


@pytest.mark.parametrize("name", [None, "", 5, {"x": 1}])
async def test_invoke_without_a_name_is_400(sqlite_bot, name):
    """Which invoke it is decides the whole answer; without a name the stock adapter answered 501."""
    activity = acts.execute("help", {}, COORDINATOR, acts.personal(COORDINATOR), sqlite_bot.connector.url)
    activity["name"] = name
    status, _ = await sqlite_bot.post(activity)
    assert status == 400
