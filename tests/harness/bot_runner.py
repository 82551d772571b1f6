"""The real bot app on a loopback port, and a client that talks to it the way Teams does."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import SERVICES, create_app
from bot.config import Settings
from bot.connector import RetryPolicy
from bot.http_guard import server_options
from bot.services import Services
from tests.harness import activities as acts
from tests.harness.connector import LoopbackConnector, Sent


@dataclass
class Reply:
    status: int
    body: Any
    sent: list[Sent] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.sent if s.text]

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [c for s in self.sent for c in s.cards]

    @property
    def card(self) -> dict[str, Any]:
        """The one card the user sees: the invoke answer, or the last card sent or updated."""
        if isinstance(self.body, dict) and self.body.get("type") == "application/vnd.microsoft.card.adaptive":
            return self.body["value"]
        assert self.cards, f"no card in reply: texts={self.texts} body={self.body}"
        return self.cards[-1]

    @property
    def invoke_text(self) -> str:
        return self.body.get("value") if isinstance(self.body, dict) else ""


class RunningBot:
    def __init__(
        self, settings: Settings, connector: LoopbackConnector, *, extras: dict[str, Any] | None = None
    ) -> None:
        self.settings = settings
        self.connector = connector
        self.extras = dict(extras or {})  # put into Services.extras before start (e.g. a calendar backend)
        self.app: web.Application | None = None
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.http: aiohttp.ClientSession | None = None

    @property
    def services(self) -> Services:
        assert self.app is not None
        return self.app[SERVICES]

    async def start(self) -> RunningBot:
        services = Services.build(
            self.settings, retry=RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.2)
        )
        services.extras.update(self.extras)
        self.app = create_app(self.settings, services)
        self.runner = web.AppRunner(self.app, access_log=None, **server_options(self.app))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self.http = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        await self._seal_shared_posts()
        if self.http is not None:
            await self.http.close()
        if self.runner is not None:
            await self.runner.cleanup()

    async def _seal_shared_posts(self) -> None:
        """What this test's world held of case content, for the end-of-suite check of shared chats."""
        if self.app is None:
            return
        from tests.harness.case_content import harvest
        from tests.harness.connector import current_test, seal_shared_posts

        try:
            seal_shared_posts(current_test(), await harvest(self.services.db))
        except Exception:  # a test that broke its own database: nothing to read
            pass

    async def restart(self) -> RunningBot:
        """A new process in all but name: fresh services and caches, the same database."""
        await self.stop()
        return await self.start()

    # --- talking to it ---------------------------------------------------------------------------

    async def post(
        self,
        activity: dict[str, Any] | bytes | str,
        *,
        headers: dict[str, str] | None = None,
        path: str = "/api/messages",
    ) -> tuple[int, Any]:
        assert self.http is not None
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if isinstance(activity, dict | list):
            import json

            data: bytes | str = json.dumps(activity)
        else:
            data = activity
        async with self.http.post(self.url + path, data=data, headers=hdrs) as resp:
            text = await resp.text()
            try:
                body = await resp.json(content_type=None) if text else None
            except ValueError:
                body = text
            return resp.status, body

    async def send(self, activity: dict[str, Any]) -> Reply:
        before = len(self.connector.sent)
        status, body = await self.post(activity)
        return Reply(status, body, self.connector.sent[before:])

    async def say(self, user: acts.User, conv: acts.Conversation, text: str, **kw: Any) -> Reply:
        return await self.send(acts.message(text, user, conv, self.connector.url, **kw))

    async def press(
        self,
        user: acts.User,
        conv: acts.Conversation,
        action: dict[str, Any],
        inputs: dict[str, Any] | None = None,
        *,
        reply_to_id: str | None = None,
    ) -> Reply:
        """Press a card action as Teams would: Action.Submit → message with value (the card's inputs
        merged with the action's data); Action.Execute → adaptiveCard/action invoke."""
        data = {**(inputs or {}), **action.get("data", {})}
        if action["type"] == "Action.Execute":
            return await self.send(
                acts.execute(action["verb"], data, user, conv, self.connector.url, reply_to_id=reply_to_id)
            )
        return await self.send(acts.submit(data, user, conv, self.connector.url, reply_to_id=reply_to_id))


def nodes(card: Any) -> Iterator[dict[str, Any]]:
    """Every element, action and input of a card, wherever it sits (depth first, in order)."""
    if isinstance(card, dict):
        yield card
        for value in card.values():
            yield from nodes(value)
    elif isinstance(card, list):
        for value in card:
            yield from nodes(value)


def all_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button on a card."""
    return [node for node in nodes(card) if str(node.get("type", "")).startswith("Action.")]


def find_action(card: dict[str, Any], title: str | None = None, verb: str | None = None) -> dict[str, Any]:
    """The action a user would press, by its visible title or its verb, anywhere in the card."""
    found = all_actions(card)
    for action in found:
        action_verb = action.get("verb") or (action.get("data") or {}).get("verb")
        if (title is None or action.get("title") == title) and (verb is None or action_verb == verb):
            return action
    titles = [a.get("title") for a in found]
    raise AssertionError(f"no action title={title!r} verb={verb!r}; card has {titles}")


def card_text(card: dict[str, Any]) -> str:
    """All text a user can read on a card (text blocks, facts, labels, choices, button titles)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value", "label", "placeholder", "altText"):
                if isinstance(node.get(key), str):
                    parts.append(node[key])
            for value in node.values():
                if isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return "\n".join(parts)


def fact_value(card: dict[str, Any], title: str) -> str:
    """The value a FactSet shows beside ``title``, anywhere in the card."""
    for node in nodes(card):
        for fact in node.get("facts", []):
            if fact["title"] == title:
                return fact["value"]
    raise AssertionError(f"no fact {title!r}")


def input_values(card: dict[str, Any]) -> dict[str, Any]:
    """The values a card's inputs currently hold (what the user would see pre-filled)."""
    return {
        node["id"]: node.get("value")
        for node in nodes(card)
        if str(node.get("type", "")).startswith("Input.") and "id" in node
    }


def local_settings(database_url: str, **overrides: Any) -> Settings:
    # Reminder wake-ups off: a test drives the dispatcher itself (``run_once(now=...)``), so no
    # background run on the real clock sends a card into another test's conversation.
    base = Settings(database_url=database_url, coordinators=(("*", "aad-coordinator"),), reminders=False)
    return dataclasses.replace(base, **overrides)
