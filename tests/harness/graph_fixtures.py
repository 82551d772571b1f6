"""pytest fixtures wiring the real msgraph-sdk to the local Graph server.

Use from a conftest: ``from tests.harness.graph_fixtures import graph_server, graph_backend  # noqa: F401``.
``graph_backend`` is a ``GraphCalendar`` whose SDK talks to ``graph_server`` with a stub credential and short
retry waits (base delay 0; the server's Retry-After values of 1 s are honoured as Graph's would be).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from azure.core.credentials import AccessToken

from graph.client import RetryOptions, close_graph_client
from graph.factory import calendar_backend
from graph.graph_calendar import GraphCalendar
from graph.settings import GraphSettings
from tests.harness.graph_server import DirectoryUser, GraphServer

ORGANIZER = DirectoryUser("org-0001", "Anna Samordnare", "anna.samordnare@kommun.example")
DEFAULT_USERS = [
    ORGANIZER,
    DirectoryUser("u-skola", "Sara Skola", "sara.skola@kommun.example"),
    DirectoryUser("u-soc", "Sven Socialsekreterare", "sven.soc@kommun.example"),
    DirectoryUser("u-fritid", "Frida Fritid", "frida.fritid@kommun.example"),
    DirectoryUser("u-polis", "Per Polis", "per.polis@polisen.example"),
]
TEAMS_APP_ID = "catalog-app-1"


class StubCredential:
    """An ``AsyncTokenCredential`` that hands out a fixed token without any network."""

    def __init__(self) -> None:
        self.calls = 0

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls += 1
        return AccessToken("stub-token-for-local-graph", 4_102_444_800)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> StubCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


def graph_test_settings(**overrides: Any) -> GraphSettings:
    values: dict[str, Any] = {
        "tenant_id": "tenant-0000",
        "client_id": "client-0000",
        "client_secret": "not-a-secret",
        "organizer_id": ORGANIZER.mail,
        "teams_app_catalog_id": TEAMS_APP_ID,
        "timeout_seconds": 5.0,
    }
    values.update(overrides)
    return GraphSettings(**values)


def make_graph_backend(server: GraphServer, *, timeout: float = 5.0, max_retries: int = 3) -> GraphCalendar:
    """A GraphCalendar on the real SDK, pointed at ``server`` (for tests that need special settings)."""
    backend = calendar_backend(
        graph_test_settings(timeout_seconds=timeout),
        credential=StubCredential(),
        base_url=server.base_url,
        retry=RetryOptions(max_retries=max_retries, base_delay=0.0),
    )
    assert isinstance(backend, GraphCalendar)
    return backend


@pytest.fixture
async def graph_server() -> AsyncIterator[GraphServer]:
    """A fresh in-memory Graph on 127.0.0.1:<random>, with a small municipal directory."""
    server = GraphServer(
        [DirectoryUser(u.id, u.display_name, u.mail) for u in DEFAULT_USERS], teams_app_id=TEAMS_APP_ID
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    assert_within_contract(server)


def assert_within_contract(server: GraphServer) -> None:
    """Fail the test if any request it made lies outside Microsoft's Graph v1.0 contract."""
    assert server.contract_violations == [], "requests outside Graph v1.0's contract:\n" + "\n".join(
        server.contract_violations
    )


@pytest.fixture
async def graph_backend(graph_server: GraphServer) -> AsyncIterator[GraphCalendar]:
    """The real msgraph-sdk GraphCalendar wired to ``graph_server`` with a stub credential."""
    backend = make_graph_backend(graph_server)
    try:
        yield backend
    finally:
        await close_graph_client(backend.client)
