"""Teams-shaped activities for personal, group-chat, channel and meeting conversations.

Shapes follow what Teams sends (tenant in ``channelData.tenant.id``, the sender's ``aadObjectId``,
``conversationType``), so the bot is tested against the payloads it will really get.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any

TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
BOT = {"id": "28:sspf-bot", "name": "SSPF"}
_ids = itertools.count(1)


@dataclass(frozen=True)
class User:
    aad: str
    name: str
    tenant: str = TENANT

    @property
    def id(self) -> str:
        return f"29:{self.aad}"

    def account(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad}


@dataclass(frozen=True)
class Conversation:
    id: str
    kind: str  # personal | groupChat | channel
    tenant: str = TENANT
    meeting_id: str | None = None
    team_id: str | None = None

    def account(self) -> dict[str, Any]:
        conv: dict[str, Any] = {"id": self.id, "conversationType": self.kind, "tenantId": self.tenant}
        if self.kind != "personal":
            conv["isGroup"] = True
        return conv

    def channel_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tenant": {"id": self.tenant}}
        if self.meeting_id:
            data["meeting"] = {"id": self.meeting_id}
        if self.kind == "channel":
            data["team"] = {"id": self.team_id or "19:team@thread.skype"}
            data["channel"] = {"id": self.id.split(";")[0]}
        return data


def personal(user: User) -> Conversation:
    return Conversation(id=f"a:personal-{user.aad}", kind="personal", tenant=user.tenant)


def group_chat(name: str = "sspf-group", tenant: str = TENANT) -> Conversation:
    return Conversation(id=f"19:{name}@thread.v2", kind="groupChat", tenant=tenant)


def meeting_chat(name: str = "meeting", tenant: str = TENANT) -> Conversation:
    meeting = f"MCMxOTptZWV0aW5nXy{name}"
    return Conversation(
        id=f"19:meeting_{name}@thread.v2", kind="groupChat", tenant=tenant, meeting_id=meeting
    )


def channel(name: str = "general", tenant: str = TENANT) -> Conversation:
    return Conversation(id=f"19:{name}@thread.tacv2", kind="channel", tenant=tenant)


def base(
    kind: str, user: User, conv: Conversation, service_url: str, *, locale: str = "sv-SE", **extra: Any
) -> dict[str, Any]:
    return {
        "type": kind,
        "id": f"act-{next(_ids)}-{uuid.uuid4().hex[:6]}",
        "timestamp": "2026-11-25T09:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": user.account(),
        "recipient": BOT,
        "conversation": conv.account(),
        "channelData": conv.channel_data(),
        "locale": locale,
        **extra,
    }


def message(text: str, user: User, conv: Conversation, service_url: str, **kw: Any) -> dict[str, Any]:
    return base("message", user, conv, service_url, text=text, textFormat="plain", **kw)


def submit(
    value: dict[str, Any],
    user: User,
    conv: Conversation,
    service_url: str,
    *,
    reply_to_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """What Teams sends when Action.Submit is pressed: a message with ``value``, replying to the card."""
    act = base("message", user, conv, service_url, value=value, **kw)
    if reply_to_id:
        act["replyToId"] = reply_to_id
    return act


def execute(
    verb: str,
    data: dict[str, Any],
    user: User,
    conv: Conversation,
    service_url: str,
    *,
    reply_to_id: str | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """Action.Execute (Universal Actions): an ``adaptiveCard/action`` invoke."""
    act = base(
        "invoke",
        user,
        conv,
        service_url,
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        **kw,
    )
    if reply_to_id:
        act["replyToId"] = reply_to_id
    return act


def meeting_event(name: str, user: User, conv: Conversation, service_url: str) -> dict[str, Any]:
    """``application/vnd.microsoft.meetingStart`` / ``meetingEnd`` as Teams sends them to the chat."""
    value = {
        "Id": conv.meeting_id or "meeting",
        "MeetingType": "Scheduled",
        "JoinUrl": "https://teams.example/join",
        "Title": "SSPF",
        "StartTime": "2026-11-25T09:00:00Z",
        "EndTime": "2026-11-25T10:00:00Z",
    }
    return base("event", user, conv, service_url, name=f"application/vnd.microsoft.{name}", value=value)


def members_added(conv: Conversation, service_url: str, user: User, *, bot: bool = True) -> dict[str, Any]:
    added = [BOT] if bot else [user.account()]
    return base("conversationUpdate", user, conv, service_url, membersAdded=added)
