"""Turning an HTTP request into an Activity, or into a clear 4xx: never a 500 for client input.

Stock botbuilder answers a body that is not JSON, a JSON array or an activity without conversation
with 500. Here each gets the status a client can act on.

The body is read until its end (Content-Length or chunked), however it is cut into TCP segments: a
single ``content.read(n)`` returns only what has arrived so far, and a valid activity sent in several
pieces was refused as "not JSON" (Teams does not retry a 400, so the message was lost).

Content encodings: Bot Framework does not compress requests. ``gzip`` and ``deflate`` are accepted
(aiohttp decodes them in bounded steps, and the size limit counts the decoded bytes, so a
decompression bomb gets 413); any other encoding gets 415. A body that does not decode gets 400.

Ids: the transport fields the bot stores (conversation, sender, tenant, activity ids) must be text that
fits their database columns and holds no control character (PostgreSQL refuses NUL in text); otherwise
400 here, instead of a turn that fails half-way with "Något gick fel".
"""

from __future__ import annotations

import asyncio
import re
import zlib
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError

from bot.wire import dumps, from_json, loads

NEEDS_CONVERSATION = frozenset(
    {
        "message",
        "invoke",
        "conversationUpdate",
        "event",
        "messageReaction",
        "installationUpdate",
        "messageUpdate",
        "messageDelete",
    }
)
ACCEPTED_ENCODINGS = frozenset({"", "identity", "gzip", "deflate"})
BODY_TIMEOUT_S = 30.0  # a client that announces more than it sends gets 408, not a handler waiting forever

# Longest accepted id per field, no longer than the column it is stored in (store/models.py). Real Teams
# ids are far shorter: personal chats ``a:1…`` (~130), meeting chats ``19:meeting_<base64>@thread.v2``
# (~90), channel threads ``19:…@thread.tacv2;messageid=1700000000000`` (~80), users ``29:1…`` (~130),
# Entra object ids and tenant ids are GUIDs (36).
CONVERSATION_ID_MAX = 400  # conversation_ref.conversation_id, agenda_run.conversation_id
ACTIVITY_ID_MAX = 400  # agenda_run.card_activity_id (replyToId)
USER_ID_MAX = 200  # agenda_attendee.teams_user_id (from.id)
AAD_ID_MAX = 64  # every *_aad_id column
TENANT_ID_MAX = 64  # every tenant_id column


def bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=dumps({"error": reason}), content_type="application/json")


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The whole body, decoded if gzip/deflate, at most ``max_bytes`` (413 beyond; 400 if it does not
    decode; 408 if it does not arrive within BODY_TIMEOUT_S)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=request.content_length)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ACCEPTED_ENCODINGS:
        raise web.HTTPUnsupportedMediaType(
            text=dumps({"error": "unsupported Content-Encoding"}),
            content_type="application/json",
            headers={"Accept-Encoding": "gzip, deflate"},
        )
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            while chunk := await request.content.readany():
                size += len(chunk)
                if size > max_bytes:
                    raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=size)
                chunks.append(chunk)
    except TimeoutError:
        raise web.HTTPRequestTimeout(text=dumps({"error": "body not received in time"})) from None
    except (web.RequestPayloadError, HttpProcessingError):  # broken chunked framing
        raise bad_request("body could not be read") from None
    raw = b"".join(chunks)
    if encoding in ("gzip", "deflate") and request.app.get(DECODES_ITSELF, False):
        return _decompressed(raw, encoding, max_bytes)
    return raw


def _decompressed(raw: bytes, encoding: str, max_bytes: int) -> bytes:
    """gzip or deflate (zlib-wrapped, or raw as some clients send it), at most ``max_bytes`` decoded.

    Done here rather than by aiohttp (``SERVER_OPTIONS``): aiohttp's decoder on a chunked body that does
    not decode left the request waiting until the body timeout instead of failing it.
    """
    for wbits in (16 + zlib.MAX_WBITS,) if encoding == "gzip" else (zlib.MAX_WBITS, -zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(raw, max_bytes + 1)
        except zlib.error:
            continue
        if len(out) > max_bytes or inflater.unconsumed_tail:
            raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=max_bytes + 1)
        if not inflater.eof:
            break  # cut short: not a whole stream
        return out
    raise bad_request("body could not be decoded")


DECODES_ITSELF = web.AppKey("decodes_itself", bool)


def server_options(app: web.Application) -> dict[str, Any]:
    """What the server runs with (``web.run_app(app, **server_options(app))``, the test harness alike):
    aiohttp leaves the body encoded and ``read_body`` decodes it, bounded. The app is marked so that
    ``read_body`` knows; an app run without these options gets bodies aiohttp decoded, as before."""
    app[DECODES_ITSELF] = True
    return {"auto_decompress": False}


async def read_activity(request: web.Request, max_bytes: int) -> Activity:
    if request.content_length is not None and request.content_length > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=request.content_length)
    if "json" not in (request.content_type or ""):
        raise web.HTTPUnsupportedMediaType(text="application/json expected")
    raw = await read_body(request, max_bytes)
    try:
        body: Any = loads(raw)
    except ValueError:
        raise bad_request("body is not JSON") from None
    if not isinstance(body, dict):
        raise bad_request("activity must be a JSON object")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise bad_request("activity has no type")
    check_ids(body)
    if kind in NEEDS_CONVERSATION:
        conversation = body.get("conversation")
        if not isinstance(conversation, dict) or not conversation.get("id"):  # text, by check_ids
            raise bad_request("activity has no conversation id")
        sender = body.get("from")
        if not isinstance(sender, dict) or not sender.get("id"):
            raise bad_request("activity has no from.id")
        if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"].startswith(
            ("http://", "https://")
        ):
            raise bad_request("activity has no serviceUrl")
    if kind == "invoke" and (not isinstance(body.get("name"), str) or not body["name"]):
        raise bad_request("invoke has no name")  # which invoke it is decides the whole answer
    try:
        return from_json(Activity, body)
    except (DeserializationError, TypeError, ValueError, AttributeError):
        raise bad_request("activity does not match the Bot Framework schema") from None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# (path, longest, whether every step before the last must be an object when present). botbuilder takes
# any channelData, and a channelData or tenant that is not an object simply names no tenant.
_IDS: tuple[tuple[tuple[str, ...], int, bool], ...] = (
    (("id",), ACTIVITY_ID_MAX, True),
    (("replyToId",), ACTIVITY_ID_MAX, True),
    (("conversation", "id"), CONVERSATION_ID_MAX, True),
    (("conversation", "tenantId"), TENANT_ID_MAX, True),
    (("from", "id"), USER_ID_MAX, True),
    (("from", "aadObjectId"), AAD_ID_MAX, True),
    (("recipient", "id"), USER_ID_MAX, True),
    (("channelData", "tenant", "id"), TENANT_ID_MAX, False),
)


def _field(body: dict[str, Any], path: tuple[str, ...], strict: bool) -> Any:
    """The value at ``path``, or None when a step is missing."""
    node: Any = body
    for i, step in enumerate(path):
        if node is None:
            return None
        if not isinstance(node, dict):
            if strict:
                raise bad_request(f"{'.'.join(path[:i])} must be an object")
            return None
        node = node.get(step)
    return node


def check_ids(body: dict[str, Any]) -> None:
    """Every id the bot stores or keys on, when present, is text that fits its column, without control
    characters. (An empty optional id is taken as absent, as the handler does.)"""
    for path, longest, strict in _IDS:
        value = _field(body, path, strict)
        if value is None:
            continue
        name = ".".join(path)
        if not isinstance(value, str):
            raise bad_request(f"{name} must be text")
        if len(value) > longest:
            raise bad_request(f"{name} is longer than {longest} characters")
        if _CONTROL.search(value):
            raise bad_request(f"{name} holds a control character")
