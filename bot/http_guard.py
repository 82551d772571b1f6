"""Turning an HTTP request into an Activity, or into a clear 4xx: never a 500 for client input.

Stock botbuilder answers a body that is not JSON, a JSON array or an activity without conversation
with 500. Here each gets the status a client can act on.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
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


def bad_request(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=dumps({"error": reason}), content_type="application/json")


async def read_activity(request: web.Request, max_bytes: int) -> Activity:
    if request.content_length is not None and request.content_length > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=request.content_length)
    if "json" not in (request.content_type or ""):
        raise web.HTTPUnsupportedMediaType(text="application/json expected")
    raw = await request.content.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=len(raw))
    try:
        body: Any = loads(raw)
    except ValueError:
        raise bad_request("body is not JSON") from None
    if not isinstance(body, dict):
        raise bad_request("activity must be a JSON object")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise bad_request("activity has no type")
    if kind in NEEDS_CONVERSATION:
        conversation = body.get("conversation")
        if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
            raise bad_request("activity has no conversation id")
        if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"].startswith(
            ("http://", "https://")
        ):
            raise bad_request("activity has no serviceUrl")
    try:
        return from_json(Activity, body)
    except (DeserializationError, TypeError, ValueError, AttributeError):
        raise bad_request("activity does not match the Bot Framework schema") from None
