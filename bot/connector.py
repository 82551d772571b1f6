"""Outbound calls to the Bot Connector (the Teams side) over one shared aiohttp session.

Stock botbuilder builds two msrest clients per incoming activity and posts through ``requests`` in a
thread pool (~65 replies/s here); it also does not retry 429 and swallows proactive failures. This
client keeps one connection pool, retries what Teams says to retry (429 honouring Retry-After, 412,
502, 503, 504; jittered exponential backoff) and reports every failure to the caller, so a reminder
is marked sent only when the connector answered 2xx.

The bot's bearer token goes only to Bot Framework hosts (``Settings.allowed_service_url_hosts``,
``SSPF_SERVICE_URL_HOSTS``): a serviceUrl anywhere else is refused before anything is sent
(``ServiceUrlRefused``, a permanent ``ConnectorError``). Only a client built without a host list (local
mode, whose token provider sends no token) talks to any host.
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
from yarl import URL

from bot import telemetry
from bot.config import SERVICE_URL_HOSTS
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


class ServiceUrlRefused(ConnectorError):
    """The serviceUrl's host is not a Bot Framework host we trust with our token: nothing was sent."""

    def __init__(self, host: str) -> None:
        Exception.__init__(
            self, f"serviceUrl host {host!r} is not an allowed Bot Framework host; nothing sent"
        )
        self.status = 0
        self.body = ""
        self.host = host

    @property
    def permanent(self) -> bool:
        return True


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def _pattern_matches(host: str, pattern: str) -> bool:
    pattern = pattern.strip().lower().rstrip(".")
    if pattern.startswith("*."):  # subdomains only
        suffix = pattern[1:]
        return len(suffix) > 1 and host.endswith(suffix) and len(host) > len(suffix)
    if not pattern or "*" in pattern:
        return False  # no bare or inner wildcards: "*" must never mean "any host"
    return host == pattern or host.endswith("." + pattern)


def host_allowed(url: URL, patterns: tuple[str, ...] | list[str]) -> bool:
    """True when ``url`` is https (or http on loopback) to a host matching one of ``patterns``.

    A pattern matches that host and its subdomains on a dot boundary (``smba.trafficmanager.net`` does
    not match ``evilsmba.trafficmanager.net``); ``*.example.com`` matches only subdomains.
    """
    host = (url.host or "").lower().rstrip(".")
    if not host or not url.is_absolute():
        return False
    if url.scheme != "https" and not (url.scheme == "http" and host in LOOPBACK_HOSTS):
        return False
    return any(_pattern_matches(host, p) for p in patterns)


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
        allowed_hosts: tuple[str, ...] | None = SERVICE_URL_HOSTS,
    ) -> None:
        """``allowed_hosts=None``: any host (local mode only: a token is then never sent)."""
        self._token = token_provider
        self._allowed_hosts = allowed_hosts
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

    def _target(self, url: str) -> URL:
        """The URL to call, parsed once (the same object is handed to aiohttp), host checked."""
        try:
            target = URL(url)
            host = target.host or ""
        except (ValueError, TypeError):
            target, host = None, "?"
        if self._allowed_hosts is None and target is not None:
            return target
        if target is None or not host_allowed(target, self._allowed_hosts or ()):
            log.warning(
                "refused to send to serviceUrl host %r: not an allowed Bot Framework host "
                "(SSPF_SERVICE_URL_HOSTS); nothing was sent",
                host,
            )
            raise ServiceUrlRefused(host)
        return target

    async def request(self, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        target = self._target(url)
        try:
            token = await self._token()
        except Exception as exc:  # token endpoint down or refusing: transient for the caller, like a 5xx
            raise ConnectorError(599, f"could not get the bot's token: {exc!r}", str(target)) from exc
        if token and self._allowed_hosts is None:  # a token with no host list: never send it blindly
            log.warning("refused to send the bot's token without a service-URL host list")
            raise ServiceUrlRefused(target.host or "?")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        attempt = 0
        while True:
            try:
                async with self.session.request(
                    method, target, json=body, headers=headers, allow_redirects=False
                ) as resp:
                    text = await resp.text()
                    if resp.status < 300:
                        return _loads(text) if text else {}
                    if resp.status == 429:
                        telemetry.connector_throttled()
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
