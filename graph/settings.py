"""Graph configuration read from the environment.

Why a dataclass and not globals: tests build settings explicitly, and ``configured`` decides between the
real Graph backend and the local stand-in calendar in one place (``graph.factory``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

GLOBAL_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_BASE_URL = GLOBAL_GRAPH_URL


@dataclass(frozen=True, slots=True)
class GraphSettings:
    """App-only Graph credentials and the few ids the bot needs for scheduling and installs."""

    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    base_url: str = DEFAULT_BASE_URL
    organizer_id: str | None = None
    teams_app_catalog_id: str | None = None
    timeout_seconds: float = 30.0

    @property
    def configured(self) -> bool:
        """All three credentials are present; otherwise the local calendar is used."""
        return bool(self.tenant_id and self.client_id and self.client_secret)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> GraphSettings:
        """Read ``GRAPH_*`` variables; the tenant falls back to the bot's ``MicrosoftAppTenantId``."""
        e = os.environ if env is None else env

        def get(name: str) -> str:
            return (e.get(name) or "").strip()

        timeout = get("GRAPH_TIMEOUT_SECONDS")
        return cls(
            tenant_id=get("GRAPH_TENANT_ID") or get("MicrosoftAppTenantId"),
            client_id=get("GRAPH_CLIENT_ID"),
            client_secret=get("GRAPH_CLIENT_SECRET"),
            base_url=(get("GRAPH_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"),
            organizer_id=get("GRAPH_ORGANIZER_ID") or None,
            teams_app_catalog_id=get("TEAMS_APP_CATALOG_ID") or None,
            timeout_seconds=float(timeout) if timeout else 30.0,
        )

    def __repr__(self) -> str:  # never print the secret in logs
        return (
            f"GraphSettings(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, "
            f"client_secret={'***' if self.client_secret else ''!r}, base_url={self.base_url!r}, "
            f"organizer_id={self.organizer_id!r}, teams_app_catalog_id={self.teams_app_catalog_id!r})"
        )
