"""Choose the calendar backend: Microsoft Graph when configured, the local .ics calendar otherwise.

Why one function: the bot's composition root and the tests get a backend the same way, and the decision
(`settings.configured`, or an explicit credential/base URL for tests) lives in one place.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from graph.calendar import CalendarBackend
from graph.local_calendar import LocalCalendar
from graph.settings import GLOBAL_GRAPH_URL, GraphSettings

if TYPE_CHECKING:
    from azure.core.credentials_async import AsyncTokenCredential

    from graph.client import RetryOptions


def calendar_backend(
    settings: GraphSettings | None = None,
    credential: AsyncTokenCredential | None = None,
    base_url: str | None = None,
    *,
    ics_directory: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
    retry: RetryOptions | None = None,
) -> CalendarBackend:
    """``GraphCalendar`` when ``settings.configured`` (or a credential is given), else ``LocalCalendar``.

    ``credential``/``base_url`` let tests point the real SDK at the local Graph server. ``ics_directory``
    defaults to ``$SSPF_ICS_DIR`` or ``./var/ics``.
    """
    settings = settings or GraphSettings.from_env()
    if settings.configured or credential is not None:
        from graph.client import build_graph_client
        from graph.graph_calendar import GraphCalendar

        client = build_graph_client(
            settings, credential=credential, base_url=base_url, timeout=timeout, retry=retry
        )
        url = (base_url or settings.base_url).rstrip("/")
        return GraphCalendar(
            client,
            organizer_id=settings.organizer_id,
            teams_app_catalog_id=settings.teams_app_catalog_id,
            bind_base_url=url if url.startswith("https://") else GLOBAL_GRAPH_URL,
        )
    directory = ics_directory or os.environ.get("SSPF_ICS_DIR") or "./var/ics"
    return LocalCalendar(directory, organizer_id=settings.organizer_id)
