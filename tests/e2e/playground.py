"""A client for Microsoft 365 Agents Playground, driven through the HTTP/websocket API its own web UI uses.

Why not our loopback connector: the Playground is Microsoft's Teams emulator. It builds the activities
(shapes, ids, replyToId, invoke bodies) and validates what the bot sends back (v3 connector API) the way
Microsoft wrote it, so a scenario here checks our assumptions against theirs.

What the Playground does and does not do (0.2.28, read from its bundle and seen here):
- A typed message is always from the configured *current user* (``from`` in the request is ignored), and
  in a group chat or channel it reaches the bot only when the bot is @mentioned. Other users' messages
  therefore go in as custom activities shaped like the Playground's own (``say`` does this for you).
- Card presses (``submit``, ``invoke``) may come from any configured user.
- Every locale it sends is ``en-US``: the bot answers from its English catalog here.
- The conversation websocket only shows chats the current user is in; messages the bot sends
  elsewhere (another user's 1:1 chat) are read from the log websocket, which records every connector
  request the bot makes.
- An ``adaptiveCard/action`` invoke answered with a card replaces the card in place without any websocket
  event: ``invoke`` records that answer as an update of the pressed message.
- Only the current user has a 1:1 chat, and its connector knows users by Teams id (``29:…``) only, while
  the bot opens 1:1 chats by Entra object id (as real Teams allows): ``open_personal_chat(user)`` gives
  another user their chat with the bot first, as installing the app does in Teams.

The client is synchronous (its asyncio loop runs in a background thread) so that module-scoped fixtures
and plain test functions can share one Playground.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from tests.harness.bot_runner import card_text, find_action

CARD = "application/vnd.microsoft.card.adaptive"
TENANT_ID = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
BOT_ID = "28:sspf-bot"
BOT_NAME = "SSPF"


# --- the tenant the Playground pretends to be -------------------------------------------------------


@dataclass(frozen=True)
class PgUser:
    id: str
    name: str
    aad: str
    email: str

    @property
    def given_name(self) -> str:
        return self.name.split()[0]

    @property
    def surname(self) -> str:
        return self.name.split()[-1]

    def account(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad}

    def yaml_entry(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "userPrincipleName": self.email,  # sic: the Playground's schema spells it so
            "aadObjectId": self.aad,
            "givenName": self.given_name,
            "surname": self.surname,
            "email": self.email,
        }


@dataclass(frozen=True)
class PgConversation:
    id: str
    kind: str  # personal | groupChat | channel
    name: str = ""
    team_id: str | None = None


COORDINATOR = PgUser(
    "29:coordinator",
    "Kim Koordinator",
    "0c000000-0000-4000-8000-0000000000c0",
    "kim.koordinator@kommun.example",
)
PRINCIPAL = PgUser(
    "29:principal", "Rita Rektor", "0c000000-0000-4000-8000-0000000000a1", "rita.rektor@skola.example"
)
SOCIAL = PgUser(
    "29:social",
    "Sam Socialsekreterare",
    "0c000000-0000-4000-8000-0000000000a2",
    "sam.socialsekreterare@kommun.example",
)
POLICE = PgUser("29:police", "Per Polis", "0c000000-0000-4000-8000-0000000000a3", "per.polis@polisen.example")
YOUTH_WORKER = PgUser(
    "29:youth",
    "Fia Fritidsledare",
    "0c000000-0000-4000-8000-0000000000a4",
    "fia.fritidsledare@kommun.example",
)
OUTSIDER = PgUser(
    "29:outsider", "Olle Obehörig", "0c000000-0000-4000-8000-0000000000a5", "olle.obehorig@kommun.example"
)
OTHER_USERS = (PRINCIPAL, SOCIAL, POLICE, YOUTH_WORKER, OUTSIDER)  # the schema wants exactly five
USERS = (COORDINATOR, *OTHER_USERS)

PERSONAL = PgConversation("a:personal-coordinator", "personal", "Personal Chat")
GROUP_CHAT = PgConversation("19:sspf-group@thread.v2", "groupChat", "SSPF Björkskolan")
TEAM = PgConversation("19:sspf-team@thread.tacv2", "channel", "General", team_id="19:sspf-team@thread.tacv2")
CASES_CHANNEL = PgConversation(
    "19:sspf-cases@thread.tacv2", "channel", "Ärenden", team_id="19:sspf-team@thread.tacv2"
)
TEAM_AAD_GROUP = "0c000000-0000-4000-8000-0000000000f1"


def playground_config() -> dict[str, Any]:
    """The ``.m365agentsplayground.yml`` content (schema 0.1.1, read from the package's bundled schema)."""
    return {
        "version": "0.1.1",
        "tenantId": TENANT_ID,
        "bot": {"id": BOT_ID, "name": BOT_NAME},
        "currentUser": COORDINATOR.yaml_entry(),
        "users": [u.yaml_entry() for u in OTHER_USERS],
        "personalChat": {"id": PERSONAL.id},
        "groupChat": {"id": GROUP_CHAT.id, "name": GROUP_CHAT.name},
        "team": {
            "id": TEAM.id,
            "name": "SSPF-teamet",
            "aadGroupId": TEAM_AAD_GROUP,
            "channels": [{"id": CASES_CHANNEL.id, "name": CASES_CHANNEL.name}],
        },
    }


def playground_yaml() -> str:
    """YAML is a superset of JSON: one JSON document per line keeps us free of a YAML dependency."""
    return "# written by tests/e2e/playground.py\n" + json.dumps(
        playground_config(), ensure_ascii=False, indent=2
    )


# --- what the bot posted ----------------------------------------------------------------------------


@dataclass
class BotMessage:
    """One message the bot posted or updated, as a Playground user would see it."""

    kind: str  # "create" | "update"
    conversation_id: str
    message_id: str
    text: str
    cards: list[dict[str, Any]]
    source: (
        str  # "ws" (conversation stream), "log" (connector log: chats the current user is not in), "invoke"
    )
    seq: int = 0
    received_at: float = field(default_factory=time.monotonic)

    @property
    def card(self) -> dict[str, Any]:
        assert self.cards, f"message {self.message_id} has no card: {self.text!r}"
        return self.cards[0]

    def is_in(self, conversation: PgConversation) -> bool:
        """In that chat, or in a reply thread of that channel (``<channel>;messageid=<post>``)."""
        return self.conversation_id.split(";")[0] == conversation.id

    @property
    def visible_text(self) -> str:
        """Everything readable: the message text plus all card text."""
        return "\n".join([self.text, *(card_text(c) for c in self.cards)])

    def action(self, title: str | None = None, verb: str | None = None) -> dict[str, Any]:
        return find_action(self.card, title=title, verb=verb)

    def __repr__(self) -> str:
        snippet = self.visible_text.replace("\n", " | ")[:160]
        return f"<{self.kind} {self.source} {self.conversation_id} #{self.message_id}: {snippet}>"


def _cards_of(attachments: Any) -> list[dict[str, Any]]:
    return [
        a["content"]
        for a in attachments or []
        if isinstance(a, dict) and a.get("contentType") == CARD and isinstance(a.get("content"), dict)
    ]


class PlaygroundError(AssertionError):
    pass


class Playground:
    """Drive one running Playground: users write, press buttons; every bot message is collected."""

    def __init__(self, base_url: str, *, diagnostics: Callable[[], str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.messages: list[BotMessage] = []
        self.problems: list[str] = []  # connector requests the Playground refused, turn errors it logged
        self._diagnostics = diagnostics or (lambda: "")
        self._seq = itertools.count(1)
        self._cond = threading.Condition()
        self._visible: set[str] = {PERSONAL.id, GROUP_CHAT.id, TEAM.id, CASES_CHANNEL.id}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="playground-client", daemon=True)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.service_url = ""

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self, timeout: float = 30) -> Playground:
        self._thread.start()
        self._run(self._start(), timeout)
        return self

    async def _start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        conv = await self._session.ws_connect(self.base_url + "/_ws_conversation/v1/conversations/stream")
        log = await self._session.ws_connect(self.base_url + "/_ws/log/stream")
        self._sockets = [conv, log]
        self._tasks = [
            asyncio.create_task(self._read(conv, self._on_conversation)),
            asyncio.create_task(self._read(log, self._on_log)),
        ]
        async with self._session.get(
            self.base_url + "/_internal/v1/customActivities/template",
            params={"conversationId": PERSONAL.id},
        ) as resp:
            template = await resp.json(content_type=None)
        self.service_url = template["serviceUrl"]

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self._run(self._close(), 10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    async def _close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        for task in self._tasks:
            task.cancel()
        if self._session is not None:
            await self._session.close()

    def _run(self, coro: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # --- reading ------------------------------------------------------------------------------------

    async def _read(
        self, ws: aiohttp.ClientWebSocketResponse, handle: Callable[[dict[str, Any]], None]
    ) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                handle(json.loads(msg.data))
            except Exception as exc:  # a reader must never die silently
                self.problems.append(f"could not read websocket frame: {exc!r}: {msg.data[:300]}")

    def _record(self, message: BotMessage) -> None:
        with self._cond:
            message.seq = next(self._seq)
            self.messages.append(message)
            self._cond.notify_all()

    def _on_conversation(self, frame: dict[str, Any]) -> None:
        action = frame.get("action")
        if action not in ("createMessage", "updateMessage"):
            return
        msg = frame.get("message") or {}
        if (msg.get("from") or {}).get("id") != BOT_ID:
            return  # what a user wrote, echoed back to the UI
        self._record(
            BotMessage(
                kind="create" if action == "createMessage" else "update",
                conversation_id=msg.get("postConversationId") or frame.get("actionConversationId", ""),
                message_id=str(msg.get("messageId", "")),
                text=msg.get("text") or "",
                cards=_cards_of(msg.get("attachments")),
                source="ws",
            )
        )

    def _on_log(self, frame: dict[str, Any]) -> None:
        item = frame.get("log") or {}
        if str(item.get("level", "")).lower() in ("warning", "error"):  # e.g. an API it does not support
            self.problems.append(f"Playground {item.get('level')}: {item.get('displayText')}")
        if item.get("from") != "User Application" or item.get("type") != "bot":
            return
        status = (item.get("response") or {}).get("statusCode", 0)
        body = (item.get("request") or {}).get("body") or {}
        if status >= 400:
            self.problems.append(
                f"Playground refused the bot's {item.get('activityName')} ({status}): "
                f"{json.dumps((item.get('response') or {}).get('body'))[:500]}"
            )
            return
        conversation_id = item.get("conversationId") or (body.get("conversation") or {}).get("id", "")
        if conversation_id.split(";")[0] in self._visible or body.get("type") != "message":
            return  # the conversation stream shows it
        self._record(
            BotMessage(
                kind="create" if item.get("activityName") == "message" else "update",
                conversation_id=conversation_id,
                message_id=str(item.get("messageId") or ""),
                text=body.get("text") or "",
                cards=_cards_of(body.get("attachments")),
                source="log",
            )
        )

    # --- waiting ------------------------------------------------------------------------------------

    def mark(self) -> int:
        """A position in the message list: ``wait_for(..., since=mark)`` looks only after it."""
        with self._cond:
            return len(self.messages)

    def since(self, mark: int) -> list[BotMessage]:
        with self._cond:
            return list(self.messages[mark:])

    def wait_for(
        self,
        predicate: Callable[[BotMessage], bool],
        timeout: float = 10,
        *,
        since: int = 0,
        what: str = "a matching bot message",
    ) -> BotMessage:
        """The first message after ``since`` that matches; fails with what did arrive after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            index = since
            while True:
                while index < len(self.messages):
                    if predicate(self.messages[index]):
                        return self.messages[index]
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            seen = "\n  ".join(repr(m) for m in self.messages[since:]) or "(nothing)"
        raise PlaygroundError(
            f"timed out after {timeout}s waiting for {what}.\nBot messages since mark:\n  {seen}\n"
            f"Problems: {self.problems}\n{self._diagnostics()}"
        )

    def wait_text(self, needle: str, conversation: PgConversation | None = None, **kw: Any) -> BotMessage:
        """The first message (text or card) containing ``needle``, optionally in one conversation."""
        return self.wait_for(
            lambda m: needle in m.visible_text and (conversation is None or m.is_in(conversation)),
            what=f"{needle!r}" + (f" in {conversation.id}" if conversation else ""),
            **kw,
        )

    def quiet(self, seconds: float = 1.5, *, since: int) -> list[BotMessage]:
        """Let the bot finish anything in flight; what it posted meanwhile (for 'nothing more was sent')."""
        time.sleep(seconds)
        return self.since(since)

    def cards_since(self, mark: int) -> list[dict[str, Any]]:
        return [c for m in self.since(mark) for c in m.cards]

    # --- users acting -------------------------------------------------------------------------------

    def say(self, user: PgUser, conversation: PgConversation, text: str) -> None:
        """``user`` writes ``text``. In group chats and channels the bot is @mentioned, as Teams needs."""
        mention = f"<at>{BOT_NAME}</at>"
        group = conversation.kind != "personal"
        if user == COORDINATOR:
            body: dict[str, Any] = {
                "from": {"id": user.id},
                "text": f"{mention} {text}" if group else text,
                "textFormat": "plain",
            }
            if group:
                body["mentions"] = [{"mentioned": {"id": BOT_ID}, "text": mention}]
            self._post(f"/_conversation/v1/conversations/{conversation.id}/messages", body)
            return
        activity = self.activity("message", user, conversation, text=f"{mention} {text}" if group else text)
        activity["textFormat"] = "plain"
        if group:
            activity["entities"] = [
                {"type": "mention", "mentioned": {"id": BOT_ID, "name": BOT_NAME}, "text": mention}
            ]
        self.custom_activity(activity)

    def submit(
        self, user: PgUser, conversation: PgConversation, reply_to_id: str, value: dict[str, Any]
    ) -> None:
        """``user`` presses an Action.Submit on the bot's message ``reply_to_id`` (inputs in ``value``)."""
        body = {
            "conversation": {"id": conversation.id},
            "from": {"id": user.id},
            "replyToId": reply_to_id,
            "value": value,
        }
        self._post("/_conversation/v1/submit", body)

    def invoke(
        self,
        user: PgUser,
        conversation: PgConversation,
        reply_to_id: str,
        verb: str,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        """``user`` presses an Action.Execute; returns the invoke answer and records a card answer as the
        in-place update of the pressed message (that is what the Playground shows)."""
        body = {
            "name": "adaptiveCard/action",
            "conversation": {"id": conversation.id},
            "from": {"id": user.id},
            "replyToId": reply_to_id,
            "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        }
        answer = self._post("/_conversation/v1/invoke", body)
        if isinstance(answer, dict) and answer.get("type") == CARD and isinstance(answer.get("value"), dict):
            self._record(
                BotMessage("update", conversation.id, reply_to_id, "", [answer["value"]], source="invoke")
            )
        return answer if isinstance(answer, dict) else {}

    def press(
        self,
        user: PgUser,
        conversation: PgConversation,
        message: BotMessage,
        action: dict[str, Any],
        inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Press ``action`` on ``message`` as Teams would: Submit → message with the inputs merged with the
        action's data; Execute → ``adaptiveCard/action`` invoke."""
        data = {**(inputs or {}), **(action.get("data") or {})}
        if action.get("type") == "Action.Execute":
            return self.invoke(user, conversation, message.message_id, action.get("verb", ""), data)
        self.submit(user, conversation, message.message_id, data)
        return {}

    def custom_activity(self, activity: dict[str, Any]) -> None:
        """Any activity, sent to the bot as is (the Playground answers 200 at once and forwards it)."""
        self._post("/_internal/v1/customActivities", activity)

    def install(self, conversation: PgConversation) -> None:
        """The current user adds the bot to ``conversation`` (installationUpdate + conversationUpdate)."""
        self._post(f"/_debug/conversation/{conversation.id}/installation", {})

    def open_personal_chat(self, user: PgUser) -> PgConversation:
        """``user`` installs the app for themselves: Teams opens their 1:1 chat with the bot and tells the
        bot (``conversationUpdate`` with the bot among ``membersAdded``), so the bot can write there later.

        The Playground configures a 1:1 chat for the current user only, and its connector knows users by
        their Teams id (``29:…``), not by Entra object id as real Teams also does: without this a notice to
        another user fails there with ``UserNotFound``. The chat is created through the Playground's own
        connector API (what Teams does on install); the bot's messages in it arrive on the log websocket.
        """
        body = {
            "isGroup": False,
            "bot": {"id": BOT_ID, "name": BOT_NAME},
            "members": [{"id": user.id}],
            "tenantId": TENANT_ID,
            "channelData": {"tenant": {"id": TENANT_ID}},
        }
        created = self._post_url(self.service_url.rstrip("/") + "/v3/conversations", body)
        chat = PgConversation(str(created["id"]), "personal", f"Personal chat of {user.name}")
        activity = self.activity("conversationUpdate", user, chat)
        activity["membersAdded"] = [{"id": BOT_ID, "name": BOT_NAME}]
        mark = self.mark()
        self.custom_activity(activity)
        self.wait_for(
            lambda m: m.is_in(chat), since=mark, what=f"the bot's welcome in {user.name}'s 1:1 chat"
        )
        return chat

    def meeting_event(self, name: str, user: PgUser, conversation: PgConversation, **value: Any) -> None:
        """``meetingStart`` / ``meetingEnd`` as Teams sends them to a meeting chat (the Playground has no
        meetings, so this goes in as a custom activity)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        payload = {
            "Id": value.pop("meeting_id", "MCMxOTptZWV0aW5n"),
            "MeetingType": "Scheduled",
            "JoinUrl": value.pop("join_url", "https://teams.microsoft.com/l/meetup-join/e2e"),
            "Title": value.pop("title", "SSPF"),
            ("StartTime" if name == "meetingStart" else "EndTime"): now,
            **value,
        }
        activity = self.activity("event", user, conversation, name=f"application/vnd.microsoft.{name}")
        activity["value"] = payload
        channel_data = activity["channelData"]
        channel_data["meeting"] = {"id": payload["Id"]}
        self.custom_activity(activity)

    def activity(self, kind: str, user: PgUser, conversation: PgConversation, **extra: Any) -> dict[str, Any]:
        """An activity shaped like the ones the Playground itself generates for ``conversation``."""
        now = datetime.now(UTC)
        conv: dict[str, Any] = {
            "id": conversation.id,
            "conversationType": conversation.kind,
            "tenantId": TENANT_ID,
        }
        if conversation.kind != "personal":
            conv["isGroup"] = True
        channel_data: dict[str, Any] = {"tenant": {"id": TENANT_ID}}
        if conversation.kind == "channel":
            channel_data["team"] = {"id": conversation.team_id}
            channel_data["channel"] = {"id": conversation.id}
        return {
            "type": kind,
            "id": str(uuid.uuid4()),
            "timestamp": now.isoformat().replace("+00:00", "Z"),
            "localTimestamp": now.isoformat(),
            "channelId": "msteams",
            "serviceUrl": self.service_url,
            "from": user.account(),
            "recipient": {"id": BOT_ID, "name": BOT_NAME},
            "conversation": conv,
            "channelData": channel_data,
            "locale": "en-US",
            **extra,
        }

    def config(self) -> dict[str, Any]:
        return self._run(self._request("GET", "/_internal/v1/config", None), 30)

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._run(self._request("POST", path, body), 60)

    def _post_url(self, url: str, body: dict[str, Any]) -> Any:
        return self._run(self._request("POST", url, body), 60)

    async def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        assert self._session is not None
        url = path if path.startswith("http") else self.base_url + path
        async with self._session.request(method, url, json=body) as resp:
            text = await resp.text()
            if resp.status >= 400:
                raise PlaygroundError(
                    f"{method} {path} → {resp.status}: {text[:1000]}\n{self._diagnostics()}"
                )
            if not text:
                return None
            try:
                return json.loads(text)
            except ValueError:
                return text
