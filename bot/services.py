"""The long-lived parts of one bot process, built once at start and shared by every turn."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.adapter import FastAdapter
from bot.auth import AppTokenProvider, TokenValidator
from bot.config import Settings
from bot.connector import ConnectorClient, RetryPolicy
from bot.dialog_host import DialogHost
from bot.replies import ReplyDelivery
from domain.consent_rules import ConsentRules
from store.db import Database
from store.migrate import migrate
from store.models import Coordinator
from store.queries.consent import set_rules

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    connector: ConnectorClient
    adapter: FastAdapter
    validator: TokenValidator
    token_provider: AppTokenProvider
    dialogs: DialogHost
    extras: dict[str, Any] = field(default_factory=dict)
    replies: ReplyDelivery = field(init=False)  # replies owed after commit (bot/replies.py)

    def __post_init__(self) -> None:
        self.replies = ReplyDelivery(self)

    @classmethod
    def build(cls, settings: Settings, *, retry: RetryPolicy | None = None) -> Services:
        db = Database(settings.database_url, pool_size=settings.db_pool_size)
        tokens = AppTokenProvider(settings)
        # The bot's token goes only to the Bot Framework's hosts; local mode sends none, so any host.
        hosts = None if settings.local_mode else settings.allowed_service_url_hosts
        connector = ConnectorClient(tokens, retry=retry, allowed_hosts=hosts)
        adapter = FastAdapter(connector, app_id=settings.app_id)
        return cls(settings, db, connector, adapter, TokenValidator(settings), tokens, DialogHost(db))

    async def start(self) -> None:
        set_rules(
            ConsentRules(
                target_age_min=self.settings.target_age_min,
                target_age_max=self.settings.target_age_max,
                youth_from_age=self.settings.youth_consent_age,
                adult_age=self.settings.adult_age,
            )
        )
        await migrate(self.db.engine)
        await self.seed_coordinators()
        if self.settings.local_mode:
            log.warning(
                "LOCAL MODE: no MicrosoftAppId set; requests are not authenticated and replies carry no "
                "token. Use this only with the Agents Playground or tests, never on a network."
            )
        else:
            log.info("authenticated mode for app id %s", self.settings.app_id)
            self.validator.warm()  # load the signing keys in the background (readiness waits for them)

    async def seed_coordinators(self) -> None:
        """Coordinators named in ``SSPF_COORDINATORS`` exist in the table (others may be added there)."""
        async with self.db.transaction() as session:
            for tenant, aad in self.settings.coordinators:
                found = await session.scalar(
                    select(Coordinator).where(
                        Coordinator.tenant_id == tenant, Coordinator.aad_object_id == aad
                    )
                )
                if found is None:
                    session.add(Coordinator(tenant_id=tenant, aad_object_id=aad))

    async def stop(self) -> None:
        await self.connector.close()
        await self.validator.close()
        await self.token_provider.close()
        await self.db.dispose()
