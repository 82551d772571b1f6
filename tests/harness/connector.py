"""A Bot Connector on loopback: records what the bot sends, and can answer 429/5xx/403 on demand.

It speaks the v3 conversations API the bot uses (send, reply, update, delete, create conversation)
and can enforce Teams' per-conversation rate limit, so tests and benchmarks see what Teams would do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.cards.budget import oversized_cards

SENT_CARDS: dict[str, dict[str, Any]] = {}  # every distinct card any test's bot sent (checked at the end)


# --- what shared chats keep (issue 12 §3), checked at the end of the suite:
# tests/test_shared_chats_keep_no_case_content.py


@dataclass
class SharedPost:
    """An activity the bot posted (POST) or updated (PUT) in a group chat, meeting chat or channel: what
    that chat's history keeps for every member. ``test`` is the test that made the bot send it."""

    test: str
    method: str
    conversation_id: str
    body: dict[str, Any]
    content: frozenset[str] = frozenset()  # the case content that test's world held (filled at its end)


SHARED_POSTS: list[SharedPost] = []


def current_test() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" ", 1)[0]


def is_shared_conversation(conversation_id: str, body: dict[str, Any]) -> bool:
    """Not a 1:1 chat: Teams' group chats, meeting chats and channels ("19:…" threads, conversationType
    groupChat/channel, isGroup); personal chats are "a:…"."""
    conversation = body.get("conversation") or {}
    kind = conversation.get("conversationType")
    if kind in ("groupChat", "channel") or conversation.get("isGroup"):
        return True
    if kind == "personal":
        return False
    return conversation_id.startswith("19:")


def seal_shared_posts(test: str, content: set[str] | frozenset[str]) -> None:
    """Attach the case content one test's world held to the shared posts that test made the bot send."""
    frozen = frozenset(content)
    for post in SHARED_POSTS:
        if post.test == test and not post.content:
            post.content = frozen


@dataclass
class Fault:
    status: int
    times: int = 1
    retry_after: float | None = None
    conversation: str | None = None


@dataclass
class Sent:
    method: str
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return self.body.get("text") or ""

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


def _too_big(body: dict[str, Any]) -> web.Response | None:
    """Teams refuses a message that is too large with 413 MessageSizeTooBig; here at our 28 KB card budget,
    so a test that makes the bot send a card over it sees what a user would: the card never arrives."""
    if oversized_cards(body):
        return web.json_response(
            {"error": {"code": "MessageSizeTooBig", "message": "Message size too large"}}, status=413
        )
    return None


class LoopbackConnector:
    def __init__(
        self, *, per_conversation_per_second: int | None = None, per_tenant_per_second: int | None = None
    ) -> None:
        self.sent: list[Sent] = []
        self.faults: deque[Fault] = deque()
        self.status_counts: dict[int, int] = defaultdict(int)
        self.rate = per_conversation_per_second
        self.tenant_rate = per_tenant_per_second  # Teams: 50 requests/s per app per tenant (off by default)
        self._windows: dict[str, deque[float]] = defaultdict(deque)
        self._tenant_windows: dict[str, deque[float]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.auth_headers: list[str | None] = []
        self.uploads: dict[str, bytes] = {}

    # --- control ---------------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        conversation: str | None = None,
    ) -> None:
        self.faults.append(Fault(status, times, retry_after, conversation))

    def clear(self) -> None:
        self.sent.clear()
        self.status_counts.clear()

    def messages(self, conversation_id: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.method == "POST" and (conversation_id is None or s.conversation_id == conversation_id)
        ]

    def updates(self, conversation_id: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.method == "PUT" and (conversation_id is None or s.conversation_id == conversation_id)
        ]

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Sent]:
        """Wait until at least ``count`` activities were received in total."""
        if len(self.sent) >= count:
            return self.sent
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((count, fut))
        await asyncio.wait_for(fut, timeout)
        return self.sent

    # --- server ----------------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application()
        base = "/v3/conversations/{conversation_id}/activities"
        app.router.add_post(base, self._send)
        app.router.add_post(base + "/{activity_id}", self._send)
        app.router.add_put(base + "/{activity_id}", self._update)
        app.router.add_delete(base + "/{activity_id}", self._delete)
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_put("/upload/{name}", self._upload)  # stands in for a OneDrive upload session
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @staticmethod
    def _throttled(window: deque[float], limit: int) -> web.Response | None:
        now = time.monotonic()
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= limit:
            retry = max(0.05, 1.0 - (now - window[0]))
            return web.json_response(
                {"error": {"code": "Throttled"}}, status=429, headers={"Retry-After": f"{retry:.2f}"}
            )
        window.append(now)
        return None

    @staticmethod
    def _tenant_of(body: dict[str, Any]) -> str:
        conversation = body.get("conversation") or {}
        tenant = (body.get("channelData") or {}).get("tenant") or {}
        return conversation.get("tenantId") or tenant.get("id") or "unknown"

    def _fault_for(self, conversation_id: str, tenant_id: str | None = None) -> web.Response | None:
        if self.faults:
            fault = self.faults[0]
            if fault.conversation in (None, conversation_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.popleft()
                headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                return web.json_response(
                    {"error": {"code": "Injected"}}, status=fault.status, headers=headers
                )
        if self.tenant_rate and tenant_id is not None:
            throttled = self._throttled(self._tenant_windows[tenant_id], self.tenant_rate)
            if throttled is not None:
                return throttled
        if self.rate:
            return self._throttled(self._windows[conversation_id], self.rate)
        return None

    def _record(self, sent: Sent, status: int) -> None:
        self.status_counts[status] += 1
        for card in sent.cards:
            SENT_CARDS.setdefault(json.dumps(card, sort_keys=True, ensure_ascii=False), card)
        if (
            status < 300
            and sent.method in ("POST", "PUT")
            and is_shared_conversation(sent.conversation_id, sent.body)
        ):
            SHARED_POSTS.append(SharedPost(current_test(), sent.method, sent.conversation_id, sent.body))
        if status < 300:
            self.sent.append(sent)
            for count, fut in list(self._waiters):
                if len(self.sent) >= count and not fut.done():
                    fut.set_result(None)
                    self._waiters.remove((count, fut))

    async def _send(self, request: web.Request) -> web.Response:
        conv = request.match_info["conversation_id"]
        self.auth_headers.append(request.headers.get("Authorization"))
        body = await request.json()
        fault = self._fault_for(conv, self._tenant_of(body)) or _too_big(body)
        if fault is not None:
            self.status_counts[fault.status] += 1
            return fault
        new_id = f"msg-{next(self._ids)}"
        self._record(Sent("POST", conv, new_id, body), 201)
        return web.json_response({"id": new_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        conv = request.match_info["conversation_id"]
        body = await request.json()
        fault = self._fault_for(conv, self._tenant_of(body)) or _too_big(body)
        if fault is not None:
            self.status_counts[fault.status] += 1
            return fault
        self._record(Sent("PUT", conv, request.match_info["activity_id"], body), 200)
        return web.json_response({"id": request.match_info["activity_id"]})

    async def _delete(self, request: web.Request) -> web.Response:
        conv = request.match_info["conversation_id"]
        self._record(Sent("DELETE", conv, request.match_info["activity_id"], {}), 200)
        return web.Response(status=200)

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        expected = f"bytes 0-{len(data) - 1}/{len(data)}"
        if request.headers.get("Content-Range") != expected:
            return web.json_response({"error": "bad Content-Range"}, status=400)
        self.uploads[request.match_info["name"]] = data
        return web.json_response({"id": "drive-item", "name": request.match_info["name"]}, status=201)

    async def _create(self, request: web.Request) -> web.Response:
        body = await request.json()
        member = (body.get("members") or [{}])[0].get("id", "user")
        conv = f"a:personal-{member}"
        self._record(Sent("CREATE", conv, None, body), 201)
        return web.json_response({"id": conv}, status=201)
