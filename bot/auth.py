"""Bot Framework tokens: checking the ones Teams sends us, fetching the one we send back.

botbuilder's own validation fetches OpenID metadata with blocking ``requests`` and no timeout,
acquires a fresh outbound token every turn, and answers a token without ``iss`` or with an unknown
``kid`` with 500. Here validation is async with cached signing keys, every failure is an
``AuthError`` (HTTP 401), and the outbound token is cached until shortly before it expires.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import jwt

from bot.config import Settings

log = logging.getLogger(__name__)

KEY_CACHE_SECONDS = 24 * 3600
KEY_REFRESH_MIN_INTERVAL = 300
LEEWAY_SECONDS = 300


class AuthError(Exception):
    """The request is not from the Bot Framework for this bot: answer 401, reveal nothing more."""


@dataclass
class _Keys:
    issuer: str
    keys: dict[str, jwt.PyJWK]
    fetched_at: float


class TokenValidator:
    def __init__(self, settings: Settings, http: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._http = http
        self._keys: _Keys | None = None
        self._lock = asyncio.Lock()

    async def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def _fetch_keys(self) -> _Keys:
        http = await self._session()
        async with http.get(self._settings.openid_metadata_url) as resp:
            resp.raise_for_status()
            meta = await resp.json(content_type=None)
        async with http.get(meta["jwks_uri"]) as resp:
            resp.raise_for_status()
            jwks = await resp.json(content_type=None)
        keys = {}
        for raw in jwks.get("keys", []):
            try:
                keys[raw["kid"]] = jwt.PyJWK(raw)
            except (KeyError, jwt.PyJWKError):
                continue
        return _Keys(
            issuer=meta.get("issuer", "https://api.botframework.com"), keys=keys, fetched_at=time.time()
        )

    async def _key_for(self, kid: str) -> tuple[jwt.PyJWK, str]:
        async with self._lock:
            now = time.time()
            stale = self._keys is None or now - self._keys.fetched_at > KEY_CACHE_SECONDS
            unknown = self._keys is not None and kid not in self._keys.keys
            if stale or (unknown and now - self._keys.fetched_at > KEY_REFRESH_MIN_INTERVAL):
                try:
                    self._keys = await self._fetch_keys()
                except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as exc:
                    log.warning("could not fetch Bot Framework signing keys: %r", exc)
                    if self._keys is None:
                        raise AuthError("signing keys unavailable") from exc
            assert self._keys is not None
            key = self._keys.keys.get(kid)
            if key is None:
                raise AuthError("unknown signing key")
            return key, self._keys.issuer

    async def validate(self, authorization: str | None, service_url: str | None) -> dict[str, Any]:
        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("missing bearer token")
        token = authorization[len("Bearer ") :].strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthError("malformed token") from exc
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise AuthError("token without key id")
        key, issuer = await self._key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self._settings.app_id,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        claimed_url = claims.get("serviceurl") or claims.get("serviceUrl")
        if claimed_url and service_url and claimed_url.rstrip("/") != service_url.rstrip("/"):
            raise AuthError("token issued for another service URL")
        return claims


class AppTokenProvider:
    """The bot's own token for calls to the connector; ``None`` in local mode (nothing to send)."""

    def __init__(self, settings: Settings, http: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._http = http
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def __call__(self) -> str | None:
        if self._settings.local_mode:
            return None
        if self._token and time.time() < self._expires - 300:
            return self._token
        async with self._lock:
            if self._token and time.time() < self._expires - 300:
                return self._token
            await self._refresh()
            return self._token

    async def _refresh(self) -> None:
        s = self._settings
        tenant = s.app_tenant_id if s.app_type == "SingleTenant" and s.app_tenant_id else "botframework.com"
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        form = {
            "grant_type": "client_credentials",
            "client_id": s.app_id,
            "client_secret": s.app_password,
            "scope": s.outbound_scope,
        }
        async with self._http.post(f"{s.token_authority}/{tenant}/oauth2/v2.0/token", data=form) as resp:
            body = await resp.json(content_type=None)
            if resp.status >= 300 or "access_token" not in body:
                raise AuthError(f"token endpoint answered {resp.status}: {body.get('error')}")
        self._token = body["access_token"]
        self._expires = time.time() + float(body.get("expires_in", 3600))

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
