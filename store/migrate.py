"""Apply Alembic migrations at start-up (and from ``python -m store.migrate``).

Several replicas may start at once: on PostgreSQL an advisory lock makes one of them migrate while
the others wait, so no two processes run the same DDL.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import make_engine, normalize_url

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x55F0B07  # arbitrary, constant: "SSPF bot" migrations


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


async def migrate(engine: AsyncEngine) -> None:
    cfg = alembic_config()

    def _upgrade(sync_conn) -> None:
        cfg.attributes["connection"] = sync_conn
        command.upgrade(cfg, "head")

    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
        try:
            await conn.run_sync(_upgrade)
            await conn.commit()
        finally:
            if engine.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                await conn.commit()


async def _main(url: str) -> None:
    engine = make_engine(normalize_url(url))
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    from bot.config import default_database_url

    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATABASE_URL") or default_database_url()
    asyncio.run(_main(url))
