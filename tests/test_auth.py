"""Authenticated mode: only the Bot Framework, signing for this bot, gets in; everything else is 401.

A local OpenID/JWKS server and a local token endpoint stand in for login.botframework.com and
login.microsoftonline.com, so the real validation code runs with real RSA signatures.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, card_text, local_settings

APP_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
ISSUER = "https://api.botframework.com"


class IdentityServer:
    """OpenID metadata + JWKS + a client-credentials token endpoint on loopback."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "test-key-1"
        self.token_requests = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

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
        return web.json_response({"issuer": ISSUER, "jwks_uri": self.url + "/jwks"})

    async def _jwks(self, _: web.Request) -> web.Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return web.json_response({"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]})

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
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": kid or self.kid})


@pytest.fixture
async def identity() -> AsyncIterator[IdentityServer]:
    server = IdentityServer()
    await server.start()
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


@pytest.fixture
async def auth_bot(sqlite_url, connector, identity) -> AsyncIterator[RunningBot]:
    settings = local_settings(
        sqlite_url,
        app_id=APP_ID,
        app_password="secret",
        openid_metadata_url=identity.url + "/openid",
        token_authority=identity.url,
    )
    running = RunningBot(settings, connector)
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
    ],
)
async def test_bad_tokens_are_401_never_500(auth_bot, identity, make_header):
    status, _ = await auth_bot.post(
        _hello(auth_bot), headers={"Authorization": make_header(identity, auth_bot.connector.url)}
    )
    assert status == 401
    assert auth_bot.connector.sent == []


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
