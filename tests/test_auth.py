"""Authenticated mode: only the Bot Framework, signing for this bot, gets in; everything else is 401.

A local OpenID/JWKS server and a local token endpoint stand in for login.botframework.com and
login.microsoftonline.com, so the real validation code runs with real RSA signatures.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, card_text, local_settings

APP_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
ISSUER = "https://api.botframework.com"


class IdentityServer:
    """OpenID metadata + JWKS + a client-credentials token endpoint on loopback.

    A test can replace either document (``openid_doc``, ``jwks_doc``: any JSON value), make the key
    endpoints fail (``fail_status``) or never answer (``hang``; released at teardown).
    """

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.token_requests = 0
        self.key_requests = 0  # OpenID metadata requests (one per key refresh)
        self.openid_doc: Any = None
        self.jwks_doc: Any = None
        self.fail_status: int | None = None
        self.hang = False
        self.release = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.url = ""

    def jwk(self, key: Any = None, kid: str | None = None) -> dict[str, Any]:
        public = (key or self.key).public_key()
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": kid or self.kid, "use": "sig", "alg": "RS256"}

    async def _key_endpoint(self) -> web.Response | None:
        if self.hang:
            await self.release.wait()
            return web.Response(status=503)
        if self.fail_status is not None:
            return web.Response(status=self.fail_status)
        return None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/openid", self._openid)
        app.router.add_get("/jwks", self._jwks)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    async def _openid(self, _: web.Request) -> web.Response:
        self.key_requests += 1
        if (answer := await self._key_endpoint()) is not None:
            return answer
        if self.openid_doc is not None:
            return web.Response(text=json.dumps(self.openid_doc), content_type="application/json")
        return web.json_response({"issuer": ISSUER, "jwks_uri": self.url + "/jwks"})

    async def _jwks(self, _: web.Request) -> web.Response:
        if (answer := await self._key_endpoint()) is not None:
            return answer
        if self.jwks_doc is not None:
            return web.Response(text=json.dumps(self.jwks_doc), content_type="application/json")
        return web.json_response({"keys": [self.jwk()]})

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        self.token_requests += 1
        assert form["client_id"] == APP_ID and form["grant_type"] == "client_credentials"
        return web.json_response({"access_token": "outbound-token", "expires_in": 3600})

    def token(self, *, service_url: str, kid: str | None = None, **overrides: Any) -> str:
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": APP_ID,
            "exp": int(time.time()) + 600,
            "nbf": int(time.time()) - 10,
            "serviceurl": service_url,
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        # Signed as raw JSON, so claims PyJWT would refuse to encode (an ``iss`` list) can be sent too.
        payload = json.dumps(claims).encode()
        kid = self.kid if kid is None else kid
        return jwt.api_jws.encode(payload, self.key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def identity() -> AsyncIterator[IdentityServer]:
    server = IdentityServer()
    await server.start()
    yield server
    server.release.set()
    assert server.runner is not None
    await server.runner.cleanup()


def auth_settings(sqlite_url: str, identity: IdentityServer, **overrides: Any):
    """Authenticated mode against the local identity server; the loopback connector is an allowed
    service-URL host (in production only the Bot Framework's hosts are)."""
    settings: dict[str, Any] = {
        "app_id": APP_ID,
        "app_password": "secret",
        "openid_metadata_url": identity.url + "/openid",
        "token_authority": identity.url,
        "allowed_service_url_hosts": ("127.0.0.1",),
        "key_fetch_timeout_s": 0.5,
    }
    return local_settings(sqlite_url, **{**settings, **overrides})


@pytest.fixture
async def auth_bot(sqlite_url, connector, identity) -> AsyncIterator[RunningBot]:
    running = RunningBot(auth_settings(sqlite_url, identity), connector)
    await running.start()
    yield running
    await running.stop()


def _hello(bot: RunningBot) -> dict[str, Any]:
    return acts.message("hjälp", SOCIAL, acts.personal(SOCIAL), bot.connector.url)


async def test_signed_request_is_answered_with_the_bots_own_token(auth_bot, identity):
    token = identity.token(service_url=auth_bot.connector.url)
    for _ in range(3):
        status, _ = await auth_bot.post(_hello(auth_bot), headers={"Authorization": f"Bearer {token}"})
        assert status == 200
    assert len(auth_bot.connector.messages()) == 3
    assert "SSPF" in card_text(auth_bot.connector.messages()[0].cards[0])
    assert set(auth_bot.connector.auth_headers) == {"Bearer outbound-token"}
    assert identity.token_requests == 1  # cached across turns, not fetched per turn


async def test_no_authorization_header_is_401(auth_bot):
    status, _ = await auth_bot.post(_hello(auth_bot))
    assert status == 401
    assert auth_bot.connector.sent == []


@pytest.mark.parametrize(
    "make_header",
    [
        lambda idn, url: "Bearer not.a.jwt",
        lambda idn, url: "Basic dXNlcjpwYXNz",
        lambda idn, url: "Bearer " + idn.token(service_url=url, iss=None),
        lambda idn, url: "Bearer " + idn.token(service_url=url, iss="https://evil.example"),
        lambda idn, url: "Bearer " + idn.token(service_url=url, aud="another-bot"),
        lambda idn, url: "Bearer " + idn.token(service_url=url, exp=int(time.time()) - 3600),
        lambda idn, url: "Bearer " + idn.token(service_url=url, kid="unknown-kid"),
        lambda idn, url: "Bearer " + idn.token(service_url="https://other-service.example"),
        lambda idn, url: "Bearer " + idn.token(service_url=None),
        lambda idn, url: "Bearer " + idn.token(service_url=12345),
        lambda idn, url: "Bearer " + idn.token(service_url=[url]),
        lambda idn, url: "Bearer " + idn.token(service_url=""),
        lambda idn, url: "Bearer " + idn.token(service_url=url + "/elsewhere"),
        lambda idn, url: "Bearer " + idn.token(service_url=url.replace("127.0.0.1:", "127.0.0.1:1")),
        lambda idn, url: "Bearer " + idn.token(service_url=url.replace("http://", "https://")),
        lambda idn, url: "Bearer " + _unsigned(idn, url),
        lambda idn, url: "Bearer " + _hs256_with_public_key(idn, url),
        lambda idn, url: "Bearer " + idn.token(service_url=url, aud=[APP_ID]),
        lambda idn, url: "Bearer " + idn.token(service_url=url, aud=None),
        lambda idn, url: "Bearer " + idn.token(service_url=url, nbf=int(time.time()) + 3600),
        lambda idn, url: "Bearer " + idn.token(service_url=url, exp="tomorrow"),
        lambda idn, url: "Bearer " + idn.token(service_url=url, exp=[int(time.time()) + 600]),
        lambda idn, url: "Bearer " + idn.token(service_url=url, exp=None),
        lambda idn, url: "Bearer " + idn.token(service_url=url, iss=[ISSUER]),
        lambda idn, url: "Bearer " + idn.token(service_url=url, kid=""),
    ],
    ids=[
        "garbage",
        "basic",
        "no-iss",
        "wrong-iss",
        "wrong-aud",
        "expired",
        "unknown-kid",
        "other-service-url",
        "no-serviceurl",
        "serviceurl-int",
        "serviceurl-list",
        "serviceurl-empty",
        "serviceurl-other-path",
        "serviceurl-other-port",
        "serviceurl-other-scheme",
        "alg-none",
        "hs256-public-key-as-secret",
        "aud-list",
        "no-aud",
        "nbf-future",
        "exp-string",
        "exp-list",
        "no-exp",
        "iss-list",
        "empty-kid",
    ],
)
async def test_bad_tokens_are_401_never_500(auth_bot, identity, make_header):
    status, _ = await auth_bot.post(
        _hello(auth_bot), headers={"Authorization": make_header(identity, auth_bot.connector.url)}
    )
    assert status == 401
    assert auth_bot.connector.sent == []


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(url: str) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": APP_ID, "exp": now + 600, "nbf": now - 10, "serviceurl": url}


def _unsigned(idn: IdentityServer, url: str) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": idn.kid}).encode())
    return f"{header}.{_b64(json.dumps(_claims(url)).encode())}."


def _hs256_with_public_key(idn: IdentityServer, url: str) -> str:
    """The classic algorithm-confusion forgery: HMAC keyed with the server's own public key."""
    public_pem = idn.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": idn.kid}).encode())
    body = _b64(json.dumps(_claims(url)).encode())
    signature = hmac.new(public_pem, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


async def test_serviceurl_claim_is_compared_normalised(auth_bot, identity):
    """Host case, default port and a trailing slash do not matter; the claim still has to name it."""
    url = auth_bot.connector.url  # http://127.0.0.1:<port>
    token = identity.token(service_url=url.replace("http://", "HTTP://") + "/")
    activity = _hello(auth_bot)
    status, _ = await auth_bot.post(activity, headers={"Authorization": f"Bearer {token}"})
    assert status == 200
    assert len(auth_bot.connector.messages()) == 1


async def test_token_signed_by_another_key_is_401(auth_bot, identity):
    other = IdentityServer()
    token = jwt.encode(
        {"iss": ISSUER, "aud": APP_ID, "exp": int(time.time()) + 600},
        other.key,
        algorithm="RS256",
        headers={"kid": identity.kid},
    )
    status, _ = await auth_bot.post(_hello(auth_bot), headers={"Authorization": f"Bearer {token}"})
    assert status == 401


async def test_healthz_says_authenticated(auth_bot):
    assert auth_bot.http is not None
    async with auth_bot.http.get(auth_bot.url + "/healthz") as resp:
        assert (await resp.json())["mode"] == "authenticated"


# --- signing-key infrastructure: bad documents, hanging endpoints, the last good key set -------------


@pytest.fixture
async def start_bot(sqlite_url, connector, identity):
    """Start an authenticated bot after the test has set up the identity server the way it wants."""
    started: list[RunningBot] = []

    async def start(**overrides: Any) -> RunningBot:
        running = RunningBot(auth_settings(sqlite_url, identity, **overrides), connector)
        await running.start()
        started.append(running)
        return running

    yield start
    identity.release.set()
    for running in started:
        await running.stop()


async def _post_signed(bot: RunningBot, identity: IdentityServer, **token: Any) -> tuple[int, float]:
    header = f"Bearer {identity.token(service_url=bot.connector.url, **token)}"
    began = time.monotonic()
    status, _ = await bot.post(_hello(bot), headers={"Authorization": header})
    return status, time.monotonic() - began


async def test_a_signing_key_pyjwt_cannot_load_is_skipped_not_fatal(start_bot, identity):
    identity.jwks_doc = {
        "keys": [
            {"kty": "RSA", "kid": "broken-n", "n": "!!!not base64!!!", "e": "AQAB"},
            {"kty": "RSA", "kid": "no-exponent", "n": identity.jwk()["n"]},
            {"kty": "EC", "kid": "not-rsa", "crv": "P-256", "x": "xx", "y": "yy"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {**identity.jwk(), "kid": 17},
            "not an object",
            None,
            identity.jwk(),
        ]
    }
    bot = await start_bot()
    status, _ = await _post_signed(bot, identity)
    assert status == 200
    assert bot.services.validator.ready()
    status, _ = await _post_signed(bot, identity, kid="hmac")  # the skipped HMAC key is no way in
    assert status == 401


@pytest.mark.parametrize(
    ("openid_doc", "jwks_doc", "fail_status"),
    [
        (None, {"keys": 5}, None),
        (None, {"keys": {"kid": "test-key-1"}}, None),
        (None, {"keys": "abc"}, None),
        (None, {"keys": []}, None),
        (None, {"keys": [None, 3, "x"]}, None),
        (None, [], None),
        (None, "keys", None),
        ({"issuer": ISSUER, "jwks_uri": 5}, None, None),
        ({"issuer": ISSUER, "jwks_uri": ["http://127.0.0.1/jwks"]}, None, None),
        ({"issuer": ISSUER}, None, None),
        ([], None, None),
        ("metadata", None, None),
        (None, None, 500),
        (None, None, 404),
    ],
    ids=[
        "keys-int",
        "keys-object",
        "keys-string",
        "keys-empty",
        "keys-not-objects",
        "jwks-list",
        "jwks-string",
        "jwks_uri-int",
        "jwks_uri-list",
        "no-jwks_uri",
        "metadata-list",
        "metadata-string",
        "http-500",
        "http-404",
    ],
)
async def test_broken_key_documents_are_401_never_500(start_bot, identity, openid_doc, jwks_doc, fail_status):
    identity.openid_doc, identity.jwks_doc, identity.fail_status = openid_doc, jwks_doc, fail_status
    bot = await start_bot()
    status, _ = await _post_signed(bot, identity)
    assert status == 401
    assert bot.connector.sent == []
    assert not bot.services.validator.ready()


async def test_a_hanging_key_endpoint_does_not_queue_requests(start_bot, identity):
    """No key set yet and the endpoint never answers: every request is a 401 within the fetch timeout
    (0.5 s here), all of them sharing one fetch instead of each waiting its own behind a lock."""
    identity.hang = True
    bot = await start_bot()
    results = await asyncio.gather(*(_post_signed(bot, identity) for _ in range(8)))
    assert [status for status, _ in results] == [401] * 8
    assert max(took for _, took in results) < 1.5
    assert identity.key_requests == 1  # single flight; a failed fetch is not retried at once
    assert not bot.services.validator.ready()


async def test_requests_with_a_cached_key_do_not_wait_for_a_hanging_refresh(start_bot, identity):
    bot = await start_bot(key_cache_s=0.3)
    status, _ = await _post_signed(bot, identity)
    assert status == 200 and bot.services.validator.ready()
    identity.hang = True
    await asyncio.sleep(0.4)  # the key set is now older than the cache limit
    assert not bot.services.validator.ready()  # not ready (and a refresh is now under way)...
    results = await asyncio.gather(*(_post_signed(bot, identity) for _ in range(5)))
    assert [status for status, _ in results] == [200] * 5  # ...but the last good set still checks tokens
    assert max(took for _, took in results) < 0.4  # none waited for the hanging refresh (0.5 s)
    status, took = await _post_signed(bot, identity, kid="rolled-over-key")
    assert status == 401 and took < 1.5  # a key we do not have: waits at most the timeout
    assert identity.key_requests == 2  # the start, and one refresh shared by all of the above


async def test_the_last_good_key_set_is_kept_while_refreshes_fail(start_bot, identity):
    bot = await start_bot(key_cache_s=0.2)
    assert (await _post_signed(bot, identity))[0] == 200
    identity.fail_status = 503
    bot.services.validator.retry_after_failure = 0.0
    for _ in range(3):
        await asyncio.sleep(0.25)
        assert (await _post_signed(bot, identity))[0] == 200
    assert identity.key_requests >= 2  # refreshes were tried and failed


async def test_keys_load_once_the_endpoint_recovers(start_bot, identity):
    identity.fail_status = 503
    bot = await start_bot()
    assert (await _post_signed(bot, identity))[0] == 401
    bot.services.validator.retry_after_failure = 0.05
    identity.fail_status = None
    await asyncio.sleep(0.1)
    assert (await _post_signed(bot, identity))[0] == 200
    assert bot.services.validator.ready()


async def test_readyz_is_503_until_the_signing_keys_load(start_bot, identity):
    identity.hang = True
    bot = await start_bot()
    assert bot.http is not None
    async with bot.http.get(bot.url + "/readyz") as resp:
        assert resp.status == 503
    identity.hang = False
    bot.services.validator.retry_after_failure = 0.0
    deadline = time.monotonic() + 3
    status = 503
    while status != 200 and time.monotonic() < deadline:  # ready() starts the refresh, never waits for it
        await asyncio.sleep(0.1)
        async with bot.http.get(bot.url + "/readyz") as resp:
            status = resp.status
    assert status == 200


async def test_ready_is_true_in_local_mode_and_cheap(sqlite_url):
    from bot.auth import TokenValidator

    validator = TokenValidator(local_settings(sqlite_url))
    assert validator.ready() is True
    authenticated = TokenValidator(dataclasses.replace(local_settings(sqlite_url), app_id=APP_ID))
    assert authenticated.ready() is False  # no keys loaded (and no event loop task needed to say so)
    await authenticated.close()


# --- the outbound token: managed identity -----------------------------------------------------------


class ManagedIdentityServer:
    """IMDS and the App Service identity endpoint, on loopback (tests never call 169.254.169.254)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/metadata/identity/oauth2/token", self._imds)
        app.router.add_get("/msi/token", self._app_service)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]

    def _record(self, request: web.Request) -> None:
        self.requests.append((request.path, dict(request.query), dict(request.headers)))

    async def _imds(self, request: web.Request) -> web.Response:
        self._record(request)
        if request.headers.get("Metadata") != "true":
            return web.json_response({"error": "invalid_request"}, status=400)
        return web.json_response({"access_token": "imds-token", "expires_in": "3599", "token_type": "Bearer"})

    async def _app_service(self, request: web.Request) -> web.Response:
        self._record(request)
        if request.headers.get("X-IDENTITY-HEADER") != "identity-secret":
            return web.json_response({"error": "unauthorized"}, status=401)
        expires_on = str(int(time.time()) + 3600)
        return web.json_response({"access_token": "app-service-token", "expires_on": expires_on})


@pytest.fixture
async def msi() -> AsyncIterator[ManagedIdentityServer]:
    server = ManagedIdentityServer()
    await server.start()
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


async def test_user_assigned_msi_gets_its_token_from_imds(sqlite_url, connector, identity, msi):
    settings = auth_settings(
        sqlite_url,
        identity,
        app_password="",
        app_type="UserAssignedMSI",
        msi_endpoint=msi.url + "/metadata/identity/oauth2/token",
    )
    bot = RunningBot(settings, connector)
    await bot.start()
    try:
        for _ in range(2):
            status, _ = await _post_signed(bot, identity)
            assert status == 200
    finally:
        await bot.stop()
    assert set(connector.auth_headers) == {"Bearer imds-token"}
    assert identity.token_requests == 0  # no client-credentials request: it has no secret
    assert len(msi.requests) == 1  # cached across turns
    path, query, headers = msi.requests[0]
    assert path == "/metadata/identity/oauth2/token"
    assert query == {
        "api-version": "2018-02-01",
        "resource": "https://api.botframework.com",
        "client_id": APP_ID,
    }
    assert headers["Metadata"] == "true"


async def test_user_assigned_msi_uses_the_app_service_identity_endpoint(sqlite_url, identity, msi):
    from bot.auth import AppTokenProvider

    settings = auth_settings(
        sqlite_url,
        identity,
        app_type="UserAssignedMSI",
        msi_endpoint=msi.url + "/metadata/identity/oauth2/token",
        identity_endpoint=msi.url + "/msi/token",
        identity_header="identity-secret",
    )
    provider = AppTokenProvider(settings)
    try:
        assert await provider() == "app-service-token"
        assert await provider() == "app-service-token"
    finally:
        await provider.close()
    assert [path for path, _, _ in msi.requests] == ["/msi/token"]
    _, query, headers = msi.requests[0]
    assert query["api-version"] == "2019-08-01" and query["client_id"] == APP_ID
    assert headers["X-IDENTITY-HEADER"] == "identity-secret"


def test_an_unknown_app_type_fails_at_start(sqlite_url, identity):
    from bot.auth import AppTokenProvider

    with pytest.raises(ValueError, match="MicrosoftAppType"):
        AppTokenProvider(auth_settings(sqlite_url, identity, app_type="UserAssignedMsi2"))
