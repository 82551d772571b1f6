"""Facts about an incoming Teams activity that botbuilder's models get wrong or hide."""

from __future__ import annotations

import hashlib
from typing import Any

from botbuilder.schema import Activity

LOCAL_TENANT = "local"


def channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    return data if isinstance(data, dict) else {}


def tenant_id(activity: Activity) -> str | None:
    """``conversation.tenant_id`` is None on real Teams payloads: the tenant sits in channelData."""
    tenant = channel_data(activity).get("tenant") or {}
    tid = tenant.get("id") if isinstance(tenant, dict) else None
    if not tid and activity.conversation is not None:
        tid = activity.conversation.tenant_id
    return tid or None


def conversation_kind(activity: Activity) -> str:
    """personal | groupChat | channel (Teams' own words)."""
    conv = activity.conversation
    kind = getattr(conv, "conversation_type", None) if conv else None
    if kind in ("personal", "groupChat", "channel"):
        return kind
    if conv is not None and conv.is_group:
        return "groupChat"
    return "personal"


def user_aad_id(activity: Activity) -> str | None:
    sender = activity.from_property
    if sender is None:
        return None
    return sender.aad_object_id or None


def anonymous_id(channel_id: str) -> str:
    """Someone without an Entra object id (an anonymous meeting guest, a local test client): a stable id
    that fits the 64-character ``*_aad_id`` columns (Teams' own ids run to about 130 characters) and can
    never equal a real object id, so such a person is on no team and no coordinator."""
    if not channel_id or len(channel_id) <= 64:
        return channel_id
    return "anon:" + hashlib.sha256(channel_id.encode("utf-8", "surrogatepass")).hexdigest()[:59]


def meeting_id(activity: Activity) -> str | None:
    meeting = channel_data(activity).get("meeting") or {}
    return meeting.get("id") if isinstance(meeting, dict) else None


NOT_A_VERB = ""  # a press of the wrong shape: no route has it, so the handler answers "card.unknown_action"


def card_action(activity: Activity) -> tuple[str | None, dict[str, Any]]:
    """The verb and data of a card press, for Action.Submit (message) and Action.Execute (invoke).

    None for a message that is not a card press (no ``value``, or a value without ``verb``: typed
    text). A press of the wrong shape gets ``NOT_A_VERB`` and empty data, never an exception: a
    ``value``, ``action`` or ``data`` that is not an object (a string, list, number), or a verb that is
    not text. Teams never sends these for our cards; whoever does is told the button is unknown."""
    value = activity.value
    if activity.type == "invoke" and activity.name == "adaptiveCard/action":
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict):
            return NOT_A_VERB, {}
        data = action.get("data")
        data = {} if data is None else data
        if not isinstance(data, dict):
            return NOT_A_VERB, {}
        verb = action.get("verb") or data.get("verb")
        return (verb if isinstance(verb, str) else NOT_A_VERB), data
    if value is None:
        return None, {}
    if not isinstance(value, dict):
        return NOT_A_VERB, {}
    if "verb" not in value:
        return None, value
    verb = value["verb"]
    return (verb if isinstance(verb, str) else NOT_A_VERB), value
