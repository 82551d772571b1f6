"""A client's malformed request gets a 4xx it can act on, never a 500 (stock botbuilder gives 500)."""

from __future__ import annotations

import json

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
    assert resp.status == 200
    assert body == {"status": "ok", "database": True, "mode": "local"}


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
