"""The bot's bearer token goes only to the Bot Framework's service-URL hosts.

A signed activity (or a stored conversation reference) names the serviceUrl the bot answers to; in
authenticated mode a host outside ``Settings.allowed_service_url_hosts`` (``SSPF_SERVICE_URL_HOSTS``)
gets nothing at all: no request, so no token. The loopback connector on 127.0.0.1 stands in for such
a host whenever the test leaves 127.0.0.1 off the list.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

from bot.config import SERVICE_URL_HOSTS, Settings
from bot.connector import ConnectorClient, ServiceUrlRefused, host_allowed
from bot.proactive import send_payload_to_reference
from tests.conftest import SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, local_settings
from tests.test_auth import APP_ID, IdentityServer, auth_settings


@pytest.fixture
async def identity() -> AsyncIterator[IdentityServer]:
    server = IdentityServer()
    await server.start()
    yield server
    assert server.runner is not None
    await server.runner.cleanup()


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://smba.trafficmanager.net/emea/", True),
        ("https://smba.trafficmanager.net/teams/", True),
        ("https://SMBA.TrafficManager.net/amer", True),
        ("https://smba.trafficmanager.net.:443/emea/", True),
        ("https://eu.smba.trafficmanager.net/emea/", True),
        ("https://webchat.botframework.com/", True),
        ("https://directline.botframework.com/v3", True),
        ("https://evilsmba.trafficmanager.net/emea/", False),
        ("https://smba.trafficmanager.net.evil.example/emea/", False),
        ("https://trafficmanager.net/", False),
        ("https://botframework.com/", False),  # only subdomains of *.botframework.com
        ("https://evilbotframework.com/", False),
        ("https://botframework.com.evil.example/", False),
        ("http://smba.trafficmanager.net/emea/", False),  # never plain http to a real host
        ("https://smba.trafficmanager.net@evil.example/", False),
        ("https://evil.example\\@smba.trafficmanager.net/", False),
        ("https://evil.example/smba.trafficmanager.net", False),
        ("https://127.0.0.1:3978/", False),
        ("ftp://smba.trafficmanager.net/", False),
        ("/v3/conversations", False),
    ],
)
def test_default_hosts(url, allowed):
    try:
        parsed = URL(url)
    except ValueError:
        assert not allowed
        return
    assert host_allowed(parsed, SERVICE_URL_HOSTS) is allowed


def test_configured_hosts_match_on_dot_boundaries_only():
    hosts = ("smba.infra.gcc.teams.microsoft.com", "*.botframework.us", "127.0.0.1", "*", "")
    assert host_allowed(URL("https://smba.infra.gcc.teams.microsoft.com/gcc/"), hosts)
    assert host_allowed(URL("https://x.botframework.us/"), hosts)
    assert host_allowed(URL("http://127.0.0.1:4000/"), hosts)  # loopback may be plain http
    assert not host_allowed(URL("https://botframework.us/"), hosts)
    assert not host_allowed(URL("https://evilsmba.infra.gcc.teams.microsoft.com/"), hosts)
    assert not host_allowed(URL("https://anything.example/"), hosts)  # a bare "*" allows nothing
    assert not host_allowed(URL("http://127.0.0.2/"), hosts)


def test_hosts_from_the_environment():
    assert Settings.from_env({}).allowed_service_url_hosts == SERVICE_URL_HOSTS
    assert Settings.from_env({"SSPF_SERVICE_URL_HOSTS": " "}).allowed_service_url_hosts == SERVICE_URL_HOSTS
    env = {"SSPF_SERVICE_URL_HOSTS": "smba.infra.gov.teams.microsoft.us, *.botframework.azure.us"}
    assert Settings.from_env(env).allowed_service_url_hosts == (
        "smba.infra.gov.teams.microsoft.us",
        "*.botframework.azure.us",
    )


async def test_authenticated_bot_sends_nothing_to_a_host_off_the_list(
    sqlite_url, connector, identity, caplog
):
    """A validly signed activity whose serviceUrl is not a Bot Framework host: the turn runs, but its
    reply (and the bot's token) go nowhere, and the refusal is logged without the message."""
    settings = auth_settings(sqlite_url, identity, allowed_service_url_hosts=SERVICE_URL_HOSTS)
    bot = RunningBot(settings, connector)
    await bot.start()
    try:
        activity = acts.message("hjälp", SOCIAL, acts.personal(SOCIAL), connector.url)
        token = identity.token(service_url=connector.url)
        with caplog.at_level(logging.INFO):
            status, _ = await bot.post(activity, headers={"Authorization": f"Bearer {token}"})
        assert status < 500
    finally:
        await bot.stop()
    assert connector.auth_headers == []  # no request arrived at all, with or without a token
    assert connector.sent == [] and not connector.status_counts
    assert identity.token_requests == 0  # the token was not even fetched
    refusals = [r for r in caplog.records if "not an allowed Bot Framework host" in r.getMessage()]
    assert refusals and all(r.levelno == logging.WARNING for r in refusals)
    assert "127.0.0.1" in refusals[0].getMessage()
    for record in caplog.records:  # no message content anywhere in the log
        message = record.getMessage()
        assert "hjälp" not in message and "AdaptiveCard" not in message and "attachments" not in message


async def test_proactive_send_to_a_host_off_the_list_is_undeliverable(sqlite_url, connector, identity):
    settings = auth_settings(sqlite_url, identity, allowed_service_url_hosts=("smba.trafficmanager.net",))
    bot = RunningBot(settings, connector)
    await bot.start()
    try:
        reference: dict[str, Any] = {
            "serviceUrl": connector.url,
            "channelId": "msteams",
            "bot": {"id": APP_ID},
            "user": {"id": "29:user"},
            "conversation": {"id": "a:conversation", "conversationType": "personal"},
        }
        delivery = await send_payload_to_reference(bot.services, reference, {"type": "message", "text": "x"})
    finally:
        await bot.stop()
    assert delivery.status == "undeliverable"  # permanent: the dispatcher will not retry it
    assert connector.auth_headers == [] and connector.sent == []


async def test_the_host_check_runs_before_any_token_is_fetched():
    calls: list[int] = []

    async def token() -> str:
        calls.append(1)
        return "secret-token"

    client = ConnectorClient(token, allowed_hosts=SERVICE_URL_HOSTS)
    try:
        with pytest.raises(ServiceUrlRefused) as refused:
            await client.send("https://evilsmba.trafficmanager.net/emea/", "a:1", {"text": "x"})
    finally:
        await client.close()
    assert refused.value.permanent and calls == []


async def test_a_token_is_never_sent_by_a_client_without_a_host_list(connector):
    """``allowed_hosts=None`` is for local mode, whose provider sends no token: with a token, refuse."""

    async def token() -> str:
        return "secret-token"

    client = ConnectorClient(token, allowed_hosts=None)
    try:
        with pytest.raises(ServiceUrlRefused):
            await client.send(connector.url, "a:1", {"type": "message", "text": "x"})
    finally:
        await client.close()
    assert connector.auth_headers == []


async def test_local_mode_sends_no_token_to_any_host(sqlite_url, connector):
    bot = RunningBot(local_settings(sqlite_url, allowed_service_url_hosts=()), connector)
    await bot.start()
    try:
        reply = await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    finally:
        await bot.stop()
    assert reply.status == 200 and reply.sent
    assert connector.auth_headers and set(connector.auth_headers) == {None}
