"""Periodic clean-up in every replica: retention of closed cases, expiry of replay guards.

Both deletions are idempotent, so two replicas running them at the same time do no harm.
"""

from __future__ import annotations

import asyncio
import logging

from bot import telemetry
from bot.lifecycle import run_in_background
from bot.logging_setup import correlation
from bot.services import Services
from store.queries.retention import purge_closed_cases, purge_idempotency_keys
from store.types import utcnow

log = logging.getLogger(__name__)
TASK_KEY = "housekeeping_task"


async def run_housekeeping(services: Services) -> list[str]:
    async with services.db.transaction() as session:
        now = utcnow()
        codes = await purge_closed_cases(session, now=now, retention_days=services.settings.retention_days)
        keys = await purge_idempotency_keys(session, now=now)
    if codes or keys:
        log.info(
            "housekeeping: deleted %d closed case(s) past retention, %d old replay keys", len(codes), keys
        )
    return codes


async def _loop(services: Services) -> None:
    while True:
        with correlation("housekeeping"), telemetry.span("housekeeping"):
            try:
                await run_housekeeping(services)
            except Exception:
                log.exception("housekeeping failed; will try again")
        await asyncio.sleep(services.settings.housekeeping_hours * 3600)


run_in_background(TASK_KEY, _loop, lambda services: services.settings.housekeeping_hours > 0)
