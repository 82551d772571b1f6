"""Apply Alembic migrations at start-up (and from ``python -m store.migrate``).

Several replicas may start at once: on PostgreSQL an advisory lock makes one of them migrate while
the others wait, so no two processes run the same DDL.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import make_engine, normalize_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x55F0B07  # arbitrary, constant: "SSPF bot" migrations
_REVISION = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


def alembic_config() -> Config:
    from alembic.config import Config  # alembic (75 ms of imports) only when migrating

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    """The newest migration's id, read from the files without importing Alembic; None when the history
    is not one plain line (a merge, or a revision written in a way this does not read): then Alembic
    decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((name, value) for name, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        revision, parent = found.get("revision", ""), found.get("down_revision", "")
        if not re.fullmatch(r"[\"'][\w.-]+[\"']", revision):
            return None
        revisions.add(revision[1:-1])
        if parent != "None":
            if not re.fullmatch(r"[\"'][\w.-]+[\"']", parent):
                return None
            parents.add(parent[1:-1])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def _at_head(engine: AsyncEngine) -> bool:
    """The database is already at the newest migration: start-up need not load Alembic at all."""
    head = head_revision()
    if head is None:
        return False
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
    except Exception:  # no table yet (a new database): migrate
        return False
    return list(versions) == [head]


async def migrate(engine: AsyncEngine) -> None:
    if await _at_head(engine):
        return
    from alembic import command

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
