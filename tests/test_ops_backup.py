"""docs/OPERATIONS.md's backup and restore, done: ``pg_dump -Fc`` of a database the bot wrote to,
``pg_restore`` into a new database, and the bot started on the copy answers from it (the case, its
audit trail, the append-only trigger). Needs PostgreSQL's client programs; without them the test skips
with the reason, except under ``CI=true`` (.ci/run installs postgresql-client when pg_dump is missing)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from store.models import AuditEvent
from tests.conftest import COORDINATOR, PG_ADMIN_URL, _pg_exec, _pg_url
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, card_text, local_settings
from tests.harness.connector import LoopbackConnector
from tests.harness.seed import seed_case

CODE = "SSPF-2026-042"


def _tools() -> dict[str, str]:
    found = {name: shutil.which(name) for name in ("pg_dump", "pg_restore")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (Debian: apt-get install postgresql-client)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"under CI=true the backup round trip must run: {reason}")
        pytest.skip(reason)
    return found  # type: ignore[return-value]


def _connection_args() -> tuple[list[str], dict[str, str]]:
    parts = urlsplit(PG_ADMIN_URL.replace("+asyncpg", ""))
    args = [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return args, env


async def test_dump_restore_into_a_new_database_and_the_bot_answers_from_it(tmp_path: Path):
    tools = _tools()
    source, target = f"sspf_backup_src_{os.getpid()}", f"sspf_backup_dst_{os.getpid()}"
    try:
        for db in (source, target):
            await _pg_exec(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await _pg_exec(f'CREATE DATABASE "{source}"')
        await _pg_exec(f'CREATE DATABASE "{target}"')
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required under CI=true: {exc!r}")
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {exc!r}")
    try:
        # 1. the bot on the source database: a case its coordinator reads (an audit row)
        connector = LoopbackConnector()
        await connector.start()
        bot = RunningBot(local_settings(_pg_url(source), ics_dir=str(tmp_path / "ics")), connector)
        await bot.start()
        try:
            async with bot.services.db.transaction() as session:
                await seed_case(
                    session, acts.TENANT, CODE, members=[(COORDINATOR.aad, COORDINATOR.name, "skola")]
                )
            before = await bot.say(COORDINATOR, acts.personal(COORDINATOR), f"ärende {CODE}")
            assert CODE in card_text(before.card)
            async with bot.services.db.session() as session:
                audited = await session.scalar(select(func.count()).select_from(AuditEvent))
            assert audited >= 1
        finally:
            await bot.stop()

        # 2. what docs/OPERATIONS.md tells the operator to run
        args, env = _connection_args()
        dump = tmp_path / "sspf.dump"
        await asyncio.to_thread(
            subprocess.run,
            [tools["pg_dump"], *args, "-Fc", "-d", source, "-f", str(dump)],
            env=env,
            check=True,
            timeout=120,
        )
        await asyncio.to_thread(
            subprocess.run,
            [tools["pg_restore"], *args, "--no-owner", "--exit-on-error", "-d", target, str(dump)],
            env=env,
            check=True,
            timeout=120,
        )

        # 3. the bot started on the restored copy (migrations at start find it at head) answers from it
        bot = RunningBot(local_settings(_pg_url(target), ics_dir=str(tmp_path / "ics2")), connector)
        await bot.start()
        try:
            after = await bot.say(COORDINATOR, acts.personal(COORDINATOR), f"ärende {CODE}")
            assert CODE in card_text(after.card)
            async with bot.services.db.session() as session:
                assert await session.scalar(select(func.count()).select_from(AuditEvent)) > audited
            # the audit trail stays append-only in the copy: the trigger came along
            with pytest.raises(Exception, match="append-only"):
                async with bot.services.db.transaction() as session:
                    await session.execute(text("UPDATE audit_event SET actor_aad_id = 'x'"))
        finally:
            await bot.stop()
            await connector.stop()
    finally:
        for db in (source, target):
            await _pg_exec(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
