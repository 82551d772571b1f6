"""Facts about an incoming Teams activity that botbuilder's models get wrong or hide."""

from __future__ import annotations

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


def meeting_id(activity: Activity) -> str | None:
    meeting = channel_data(activity).get("meeting") or {}
    return meeting.get("id") if isinstance(meeting, dict) else None


def card_action(activity: Activity) -> tuple[str | None, dict[str, Any]]:
    """The verb and data of a card press, for Action.Submit (message) and Action.Execute (invoke)."""
    value = activity.value if isinstance(activity.value, dict) else {}
    if activity.type == "invoke" and activity.name == "adaptiveCard/action":
        action = value.get("action") or {}
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        verb = action.get("verb") or data.get("verb")
        return (verb if isinstance(verb, str) else None), data
    verb = value.get("verb")
    return (verb if isinstance(verb, str) else None), value
