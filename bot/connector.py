"""Outbound calls to the Bot Connector (the Teams side) over one shared aiohttp session.

Stock botbuilder builds two msrest clients per incoming activity and posts through ``requests`` in a
thread pool (~65 replies/s here); it also does not retry 429 and swallows proactive failures. This
client keeps one connection pool, retries what Teams says to retry (429 honouring Retry-After, 412,
502, 503, 504; jittered exponential backoff) and reports every failure to the caller, so a reminder
is marked sent only when the connector answered 2xx.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.wire import dumps, loads

log = logging.getLogger(__name__)

RETRYABLE = frozenset({412, 429, 502, 503, 504})


class ConnectorError(Exception):
    """The connector refused or kept failing; ``status`` tells whether to give up (403/404) or not."""

    def __init__(self, status: int, body: str, url: str) -> None:
        super().__init__(f"connector answered {status} for {url}: {body[:300]}")
        self.status = status
        self.body = body

    @property
    def permanent(self) -> bool:
        """403/404: the app was removed or the user/conversation is gone; retrying will not help."""
        return self.status in (400, 401, 403, 404, 410, 413)


@dataclass
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_delay) + random.uniform(0, 0.1)
        backoff = min(self.base_delay * 2**attempt, self.max_delay)
        return random.uniform(backoff / 2, backoff)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class ConnectorClient:
    """Bot Framework v3 conversations API: send, reply, update, delete, create conversation."""

    def __init__(
        self,
        token_provider: Callable[[], Awaitable[str | None]],
        *,
        retry: RetryPolicy | None = None,
        timeout: float = 15.0,
    ) -> None:
        self._token = token_provider
        self._retry = retry or RetryPolicy()
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=200, ttl_dns_cache=300),
                json_serialize=dumps,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def request(self, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        token = await self._token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        attempt = 0
        while True:
            try:
                async with self.session.request(method, url, json=body, headers=headers) as resp:
                    text = await resp.text()
                    if resp.status < 300:
                        return _loads(text) if text else {}
                    if resp.status not in RETRYABLE or attempt + 1 >= self._retry.attempts:
                        raise ConnectorError(resp.status, text, url)
                    wait = self._retry.delay(attempt, _retry_after(resp.headers))
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                if attempt + 1 >= self._retry.attempts:
                    raise ConnectorError(599, repr(exc), url) from exc
                wait = self._retry.delay(attempt, None)
            attempt += 1
            log.info("connector %s %s: retry %d in %.2fs", method, url, attempt, wait)
            await asyncio.sleep(wait)

    # --- the v3 conversations API --------------------------------------------------------------

    @staticmethod
    def _conv_url(service_url: str, conversation_id: str) -> str:
        return f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}"

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> str | None:
        base = self._conv_url(service_url, conversation_id)
        reply_to = activity.get("replyToId")
        url = f"{base}/activities/{quote(reply_to, safe='')}" if reply_to else f"{base}/activities"
        return (await self.request("POST", url, activity)).get("id")

    async def update(self, service_url: str, conversation_id: str, activity_id: str, activity: dict) -> None:
        url = f"{self._conv_url(service_url, conversation_id)}/activities/{quote(activity_id, safe='')}"
        await self.request("PUT", url, activity)

    async def delete(self, service_url: str, conversation_id: str, activity_id: str) -> None:
        url = f"{self._conv_url(service_url, conversation_id)}/activities/{quote(activity_id, safe='')}"
        await self.request("DELETE", url)

    async def create_conversation(self, service_url: str, parameters: dict[str, Any]) -> dict[str, Any]:
        return await self.request("POST", f"{service_url.rstrip('/')}/v3/conversations", parameters)


def _loads(text: str) -> dict[str, Any]:
    try:
        data = loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
