"""A restarted PostgreSQL costs no user a failed turn (the pool checks connections by using them)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.conftest import SOCIAL
from tests.harness import activities as acts
from tests.harness.bot_runner import card_text

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def drop_connections(database_url: str) -> int:
    """What a PostgreSQL restart does to the bot's pooled connections: every one of them closed."""
    admin = await asyncpg.connect(database_url.replace("+asyncpg", ""), timeout=5)
    try:
        return await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()


async def test_messages_after_the_database_dropped_every_connection_are_answered(bot, database_url):
    users = [acts.User(f"aad-reconnect-{i}", f"Användare {i}") for i in range(4)]
    # warm the pool: several connections at once, all of them to be dropped
    await asyncio.gather(*(bot.say(u, acts.personal(u), "hjälp") for u in users))
    assert await drop_connections(database_url) >= 1

    replies = await asyncio.gather(*(bot.say(u, acts.personal(u), "hjälp") for u in users))
    for reply in replies:
        assert reply.status == 200
        assert "SSPF – vad jag kan hjälpa till med" in card_text(reply.card)
    again = await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    assert "SSPF – vad jag kan hjälpa till med" in card_text(again.card)


async def test_health_check_stays_ok_after_the_database_dropped_its_connections(bot, database_url):
    await bot.say(SOCIAL, acts.personal(SOCIAL), "hjälp")
    await drop_connections(database_url)
    assert await bot.services.db.ping()
