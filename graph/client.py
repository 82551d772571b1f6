"""Build a msgraph-sdk ``GraphServiceClient`` with app-only auth, and warm the SDK up.

Why the long way round (httpx client → GraphClientFactory → GraphRequestAdapter) instead of
``GraphServiceClient(credentials=…)``: it is the only way to set the base URL (tests point the real SDK at
``http://127.0.0.1:PORT/v1.0``), the httpx timeout, and the RetryHandler options (tests need short waits).
The Azure token provider only sends tokens to ``allowed_hosts`` and accepts plain http only on localhost, so
the allowed host is always the base URL's host.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential
    from msgraph import GraphServiceClient

    from graph.settings import GraphSettings

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


@dataclass(frozen=True, slots=True)
class RetryOptions:
    """The SDK RetryHandler's knobs. ``base_delay`` is *added* to every backoff (kiota's ``max_delay``).

    A Retry-After > 0 from Graph overrides the backoff; Retry-After: 0 counts as absent; a wait of 180 s or
    more is not retried at all (we then raise GraphUnavailable with that retry_after).
    """

    max_retries: int = 3
    base_delay: float = 3.0


def build_graph_client(
    settings: GraphSettings | None = None,
    *,
    credential: AsyncTokenCredential | None = None,
    base_url: str | None = None,
    timeout: float | None = None,
    retry: RetryOptions | None = None,
) -> GraphServiceClient:
    """Return a ``GraphServiceClient`` for app-only calls.

    Without ``credential`` an azure-identity async ``ClientSecretCredential`` is made from ``settings``
    (the caller owns neither; close it with ``close_graph_client``). ``base_url`` overrides
    ``settings.base_url``; ``timeout`` (seconds) overrides ``settings.timeout_seconds``.
    """
    import httpx
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from kiota_http.middleware.options import RetryHandlerOption
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory

    url = (
        base_url or (settings.base_url if settings else None) or "https://graph.microsoft.com/v1.0"
    ).rstrip("/")
    if credential is None:
        if settings is None or not settings.configured:
            raise ValueError("Graph is not configured: GRAPH_TENANT_ID/CLIENT_ID/CLIENT_SECRET are required")
        from azure.identity.aio import ClientSecretCredential

        credential = ClientSecretCredential(settings.tenant_id, settings.client_id, settings.client_secret)
    host = urlparse(url).hostname or "graph.microsoft.com"
    auth = AzureIdentityAuthenticationProvider(credential, scopes=[GRAPH_SCOPE], allowed_hosts=[host])
    seconds = timeout if timeout is not None else (settings.timeout_seconds if settings else 30.0)
    retry = retry or RetryOptions()
    http = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(seconds))
    options = {
        RetryHandlerOption.get_key(): RetryHandlerOption(
            delay=retry.base_delay, max_retries=retry.max_retries
        )
    }
    http = GraphClientFactory.create_with_default_middleware(client=http, options=options)
    adapter = GraphRequestAdapter(auth, client=http)
    # httpx normalises base_url with a trailing slash; the SDK's templates are "{+baseurl}/users", so
    # without this every path would start with "//".
    adapter.base_url = url
    client = GraphServiceClient(request_adapter=adapter)
    client._sspf_credential = credential  # type: ignore[attr-defined]  # kept for close_graph_client
    return client


async def close_graph_client(client: GraphServiceClient, *, close_credential: bool = True) -> None:
    """Close the httpx client (and the credential we created) so no sockets leak at shutdown."""
    adapter = client.request_adapter
    http = getattr(adapter, "_http_client", None)
    if http is not None:
        await http.aclose()
    cred = getattr(client, "_sspf_credential", None)
    if close_credential and cred is not None and hasattr(cred, "close"):
        await cred.close()


def _import_sdk_modules() -> int:
    """Import and exercise what the first real request would import; returns the module count added.

    Deserialising representative payloads pulls in the lazily imported model modules too.
    """
    import sys

    before = len(sys.modules)
    import json

    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from kiota_serialization_json.json_serialization_writer_factory import JsonSerializationWriterFactory
    from msgraph import GraphServiceClient  # noqa: F401
    from msgraph.generated.chats.item.installed_apps.installed_apps_request_builder import (  # noqa: F401
        InstalledAppsRequestBuilder,
    )
    from msgraph.generated.models.event import Event
    from msgraph.generated.models.teams_app_installation import TeamsAppInstallation  # noqa: F401
    from msgraph.generated.models.user_collection_response import UserCollectionResponse
    from msgraph.generated.users.item.calendar.get_schedule.get_schedule_post_response import (
        GetSchedulePostResponse,
    )
    from msgraph.generated.users.item.events.item.cancel.cancel_post_request_body import (  # noqa: F401
        CancelPostRequestBody,
    )

    factory = JsonParseNodeFactory()
    samples = [
        (
            Event,
            {
                "id": "x",
                "subject": "s",
                "start": {"dateTime": "2025-01-01T00:00:00", "timeZone": "UTC"},
                "attendees": [{"emailAddress": {"address": "a@b"}, "status": {"response": "none"}}],
                "onlineMeeting": {"joinUrl": "https://x"},
                "recurrence": {"pattern": {"type": "weekly"}, "range": {"type": "noEnd"}},
                "body": {"contentType": "html", "content": ""},
            },
        ),
        (
            GetSchedulePostResponse,
            {
                "value": [
                    {
                        "scheduleId": "a",
                        "scheduleItems": [{"status": "busy"}],
                        "workingHours": {"timeZone": {"name": "UTC"}},
                    }
                ]
            },
        ),
        (UserCollectionResponse, {"value": [{"id": "1", "displayName": "d"}]}),
    ]
    for cls, payload in samples:
        node = factory.get_root_parse_node("application/json", json.dumps(payload).encode())
        obj = node.get_object_value(cls)
        writer = JsonSerializationWriterFactory().get_serialization_writer("application/json")
        writer.write_object_value(None, obj)
    return len(sys.modules) - before


async def warm_up() -> float:
    """Import the SDK in a worker thread at start-up; returns seconds spent.

    Why: the first Graph request imports ~1,250 modules and blocks the event loop 1–1.7 s, long enough to
    delay every other turn (Teams re-sends after 15 s). Done in a thread, the loop keeps serving.
    """
    started = time.perf_counter()
    try:
        added = await asyncio.to_thread(_import_sdk_modules)
    except Exception:  # warm-up is an optimisation: never fail start-up because of it
        log.exception("Graph SDK warm-up failed; the first request will be slow")
        return time.perf_counter() - started
    elapsed = time.perf_counter() - started
    log.info("Graph SDK warmed up: %d modules in %.2f s", added, elapsed)
    return elapsed
