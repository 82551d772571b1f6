"""Bot Framework tokens: checking the ones Teams sends us, fetching the one we send back.

botbuilder's own validation fetches OpenID metadata with blocking ``requests`` and no timeout,
acquires a fresh outbound token every turn, and answers a token without ``iss`` or with an unknown
``kid`` with 500. Here:

- every token problem is an ``AuthError`` (HTTP 401), and so is a key-infrastructure problem while no
  good key set was ever loaded (logged); nothing in a token or a key document can cause a 500;
- only RS256 is accepted, ``aud`` must be this bot's app id (a string), ``exp``/``iss``/``aud`` are
  required, and the ``serviceurl`` claim is REQUIRED and must name the activity's ``serviceUrl``
  (compared as scheme + host + port + path, host case-insensitive, trailing slash ignored), so a token
  cannot steer our replies (and our own bearer token) to a URL of the sender's choosing;
- signing keys are fetched with a short total timeout (``Settings.key_fetch_timeout_s``), keys that
  cannot be loaded are skipped one by one, and the last good key set stays in use while a refresh
  fails. Refreshes are single-flight: requests whose key is in the cached set never wait for one, the
  others wait at most the timeout;
- the outbound token is cached until shortly before it expires (client secret, or managed identity for
  ``MicrosoftAppType=UserAssignedMSI``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import jwt

from bot.config import Settings

log = logging.getLogger(__name__)

KEY_REFRESH_MIN_INTERVAL = 300  # an unknown kid triggers at most one refresh per this many seconds
KEY_RETRY_AFTER_FAILURE = 10  # with no usable key set: wait this long between failed fetches
LEEWAY_SECONDS = 300
DEFAULT_ISSUER = "https://api.botframework.com"
ALGORITHM = "RS256"


class AuthError(Exception):
    """The request is not from the Bot Framework for this bot: answer 401, reveal nothing more."""


@dataclass
class _Keys:
    issuer: str
    keys: dict[str, jwt.PyJWK]
    fetched_at: float  # time.monotonic()


def normalize_service_url(url: Any) -> tuple[str, str, int, str, str] | None:
    """``(scheme, host, port, path, query)`` with the host lower-cased and the trailing slash dropped;
    ``None`` for anything that is not an absolute http(s) URL."""
    if not isinstance(url, str) or not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host or parts.username is not None:
        return None
    if port is None:
        port = 443 if scheme == "https" else 80
    return scheme, host, port, parts.path.rstrip("/"), parts.query


def _parse_keys(meta: Any, jwks: Any) -> _Keys:
    """The usable RS256 keys of a JWKS document; a key PyJWT cannot load is skipped, not fatal."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise ValueError("JWKS document has no list of keys")
    keys: dict[str, jwt.PyJWK] = {}
    skipped = 0
    for raw in jwks["keys"]:
        try:
            if not isinstance(raw, dict) or not isinstance(raw.get("kid"), str):
                raise ValueError("key without kid")
            if raw.get("kty") != "RSA" or raw.get("alg", ALGORITHM) != ALGORITHM:
                raise ValueError("not an RS256 key")
            if raw.get("use", "sig") != "sig":
                raise ValueError("not a signing key")
            keys[raw["kid"]] = jwt.PyJWK(raw, algorithm=ALGORITHM)
        except Exception:  # any key PyJWT (or cryptography) cannot load is skipped
            skipped += 1
    if skipped:
        log.warning("skipped %d unusable signing key(s) in the Bot Framework JWKS", skipped)
    if not keys:
        raise ValueError("JWKS document holds no usable RS256 key")
    issuer = meta.get("issuer") if isinstance(meta, dict) else None
    return _Keys(
        issuer=issuer if isinstance(issuer, str) and issuer else DEFAULT_ISSUER,
        keys=keys,
        fetched_at=time.monotonic(),
    )


class TokenValidator:
    def __init__(self, settings: Settings, http: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._http = http
        self._keys: _Keys | None = None
        self._refresh: asyncio.Task[bool] | None = None
        self._last_attempt = -float("inf")  # monotonic time of the last fetch started
        self._last_failed = False  # did the last fetch fail? then wait retry_after_failure before the next
        self._timeout = max(0.05, float(settings.key_fetch_timeout_s))
        self._cache_s = float(settings.key_cache_s)
        self.retry_after_failure = KEY_RETRY_AFTER_FAILURE  # tests shorten it
        self.unknown_kid_interval = KEY_REFRESH_MIN_INTERVAL

    # --- keys ----------------------------------------------------------------------------------------

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        return self._http

    async def close(self) -> None:
        if self._refresh is not None and not self._refresh.done():
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh
        if self._http is not None:
            await self._http.close()

    async def _get_json(self, url: Any) -> Any:
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError("key document URL is not an http(s) URL")
        async with self._session().get(url, allow_redirects=False) as resp:
            resp.raise_for_status()
            return await resp.json(content_type=None)

    async def _fetch_keys(self) -> _Keys:
        async with asyncio.timeout(self._timeout):  # both documents together, however slowly they trickle
            meta = await self._get_json(self._settings.openid_metadata_url)
            if not isinstance(meta, dict):
                raise ValueError("OpenID metadata is not a JSON object")
            jwks = await self._get_json(meta.get("jwks_uri"))
        return _parse_keys(meta, jwks)

    async def _do_refresh(self) -> bool:
        try:
            keys = await self._fetch_keys()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # network, HTTP status, JSON, wrong types: all the same here
            kept = "keeping the last good key set" if self._keys else "no key set loaded: requests get 401"
            log.warning("could not refresh Bot Framework signing keys (%s): %r", kept, exc)
            self._last_failed = True
            return False
        self._keys = keys
        self._last_failed = False
        log.info("loaded %d Bot Framework signing key(s)", len(keys.keys))
        return True

    def _start_refresh(self, min_interval: float) -> asyncio.Task[bool] | None:
        """The refresh in flight, or a new one if the last attempt is at least ``min_interval`` old."""
        if self._refresh is not None and not self._refresh.done():
            return self._refresh
        now = time.monotonic()
        if now - self._last_attempt < min_interval:
            return None
        self._last_attempt = now
        self._refresh = asyncio.get_running_loop().create_task(self._do_refresh())
        return self._refresh

    async def _wait_refresh(self, task: asyncio.Task[bool] | None) -> None:
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), self._timeout)
        except TimeoutError:
            log.warning("Bot Framework signing key refresh still running after %.1fs", self._timeout)

    def _retry_interval(self) -> float:
        return self.retry_after_failure if self._last_failed else 0.0

    def _fresh(self, keys: _Keys | None) -> bool:
        return keys is not None and time.monotonic() - keys.fetched_at <= self._cache_s

    def warm(self) -> None:
        """Start loading the signing keys in the background (at start, so ``ready()`` turns True)."""
        if not self._settings.local_mode:
            self._start_refresh(0)

    def ready(self) -> bool:
        """Can this replica check tokens? Local mode: always. Otherwise a key set is loaded and not older
        than the cache limit. Cheap and non-blocking; when not ready it starts a background refresh."""
        if self._settings.local_mode:
            return True
        if self._fresh(self._keys):
            return True
        try:
            self._start_refresh(self._retry_interval())
        except RuntimeError:  # no running event loop: just answer
            pass
        return False

    async def _key_for(self, kid: str) -> tuple[jwt.PyJWK, str]:
        keys = self._keys
        if keys is not None and kid in keys.keys:
            if not self._fresh(keys):  # stale: use it now, refresh behind our back
                self._start_refresh(self._retry_interval())
            return keys.keys[kid], keys.issuer
        if keys is None or not self._fresh(keys):
            await self._wait_refresh(self._start_refresh(self._retry_interval()))
        else:  # a kid we do not know: maybe the keys rolled over; ask again at most every few minutes
            await self._wait_refresh(self._start_refresh(self.unknown_kid_interval))
        keys = self._keys
        if keys is None:
            raise AuthError("signing keys unavailable")
        key = keys.keys.get(kid)
        if key is None:
            raise AuthError("unknown signing key")
        return key, keys.issuer

    # --- tokens --------------------------------------------------------------------------------------

    async def validate(self, authorization: str | None, service_url: str | None) -> dict[str, Any]:
        if not isinstance(authorization, str) or not authorization.startswith("Bearer "):
            raise AuthError("missing bearer token")
        token = authorization[len("Bearer ") :].strip()
        try:
            header = jwt.get_unverified_header(token)
        except Exception as exc:  # garbage of any kind
            raise AuthError("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise AuthError("token not signed with RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token without key id")
        expected_url = normalize_service_url(service_url)
        if expected_url is None:
            raise AuthError("activity without a valid serviceUrl")
        key, issuer = await self._key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self._settings.app_id,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"], "strict_aud": True},
            )
        except Exception as exc:  # PyJWTError, or anything odd inside a claim
            raise AuthError(f"invalid token: {type(exc).__name__}") from exc
        if not isinstance(claims, dict):
            raise AuthError("token claims are not an object")
        claimed = claims.get("serviceurl", claims.get("serviceUrl"))
        if not isinstance(claimed, str):
            raise AuthError("token without serviceurl claim")
        if normalize_service_url(claimed) != expected_url:
            raise AuthError("token issued for another service URL")
        return claims


class AppTokenProvider:
    """The bot's own token for calls to the connector; ``None`` in local mode (nothing to send).

    ``MultiTenant``/``SingleTenant``: client credentials at ``token_authority``. ``UserAssignedMSI``: the
    managed identity endpoint (``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER`` on App Service / Container
    Apps, otherwise IMDS at ``Settings.msi_endpoint``) for the identity whose client id is the app id.
    """

    APP_TYPES = ("multitenant", "singletenant", "userassignedmsi")

    def __init__(self, settings: Settings, http: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._http = http
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()
        self._app_type = (settings.app_type or "MultiTenant").strip().lower()
        if not settings.local_mode and self._app_type not in self.APP_TYPES:
            raise ValueError(
                f"MicrosoftAppType {settings.app_type!r} is not MultiTenant, SingleTenant or UserAssignedMSI"
            )

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

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._http

    async def _refresh(self) -> None:
        if self._app_type == "userassignedmsi":
            body, status = await self._managed_identity()
        else:
            body, status = await self._client_credentials()
        token = body.get("access_token") if isinstance(body, dict) else None
        if status >= 300 or not isinstance(token, str) or not token:
            error = body.get("error") if isinstance(body, dict) else None
            raise AuthError(f"token endpoint answered {status}: {error if isinstance(error, str) else ''}")
        self._token = token
        self._expires = _expiry(body)

    async def _client_credentials(self) -> tuple[Any, int]:
        s = self._settings
        single = self._app_type == "singletenant" and s.app_tenant_id
        tenant = s.app_tenant_id if single else "botframework.com"
        form = {
            "grant_type": "client_credentials",
            "client_id": s.app_id,
            "client_secret": s.app_password,
            "scope": s.outbound_scope,
        }
        url = f"{s.token_authority}/{tenant}/oauth2/v2.0/token"
        async with self._client().post(url, data=form) as resp:
            return await _json_or_none(resp), resp.status

    async def _managed_identity(self) -> tuple[Any, int]:
        s = self._settings
        resource = s.outbound_scope.removesuffix("/.default")
        if s.identity_endpoint and s.identity_header:  # App Service / Container Apps
            base, version = s.identity_endpoint, "2019-08-01"
            headers = {"X-IDENTITY-HEADER": s.identity_header}
        else:  # Azure Instance Metadata Service (VMs, AKS)
            base, version = s.msi_endpoint, "2018-02-01"
            headers = {"Metadata": "true"}
        query = urlencode({"api-version": version, "resource": resource, "client_id": s.app_id})
        url = f"{base}{'&' if '?' in base else '?'}{query}"
        async with self._client().get(url, headers=headers, allow_redirects=False) as resp:
            return await _json_or_none(resp), resp.status

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()


async def _json_or_none(resp: aiohttp.ClientResponse) -> Any:
    try:
        return await resp.json(content_type=None)
    except ValueError:
        return None


def _expiry(body: dict[str, Any]) -> float:
    """When the token expires (epoch seconds): ``expires_in`` (may be a string, as IMDS sends it), else
    ``expires_on``, else an hour."""
    now = time.time()
    try:
        return now + float(body["expires_in"])
    except (KeyError, TypeError, ValueError):
        pass
    try:
        return float(body["expires_on"])
    except (KeyError, TypeError, ValueError):
        return now + 3600
