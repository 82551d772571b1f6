"""Health probes: ``/livez`` (the process answers, no I/O) and ``/readyz`` (= ``/healthz``: this replica
can take a turn: the database takes a committed write, the signing keys are loaded, the reminder
dispatcher wakes up).

The failing write is real: a SQLite database on a tiny tmpfs that is then filled up (root only: it
mounts), and a PostgreSQL database switched to read-only transactions.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import app as bot_app
from store.models import IdempotencyKey
from tests.conftest import _pg_exec, _sqlite_template
from tests.harness.bot_runner import RunningBot, local_settings
from tests.harness.connector import LoopbackConnector

DETAIL = re.compile(r"^(failed: \w+|timed out|[a-z ,-]+)$")  # never a message, a URL or SQL


async def get(running: RunningBot, path: str) -> tuple[int, dict[str, Any]]:
    assert running.http is not None
    async with running.http.get(running.url + path) as resp:
        return resp.status, await resp.json()


async def test_livez_is_200_without_io(sqlite_bot, monkeypatch):
    async def no_database(*_: Any, **__: Any) -> None:
        raise AssertionError("/livez touched the database")

    monkeypatch.setattr(sqlite_bot.services.db, "transaction", no_database)
    monkeypatch.setattr(sqlite_bot.services.db, "ping", no_database)
    status, body = await get(sqlite_bot, "/livez")
    assert (status, body) == (200, {"status": "alive"})


async def test_readyz_lists_each_check_and_healthz_is_the_same(bot):
    status, body = await get(bot, "/readyz")
    assert status == 200
    assert body["status"] == "ok" and body["mode"] == "local"
    assert set(body["checks"]) == {"database", "signing_keys", "reminders"}
    assert all(check["ok"] is True for check in body["checks"].values())
    assert all(DETAIL.match(check["detail"]) for check in body["checks"].values())
    assert await get(bot, "/healthz") == (status, body)


async def test_readyz_really_commits_a_write(bot):
    async def rows() -> list[tuple[str, Any]]:
        async with bot.services.db.session() as session:
            found = await session.execute(
                select(IdempotencyKey.key, IdempotencyKey.created_at).where(
                    IdempotencyKey.key.like("ready:%")
                )
            )
            return [tuple(row) for row in found]

    assert await rows() == []
    await get(bot, "/readyz")
    [(key, first)] = await rows()
    assert key == bot_app.READY_KEY
    await asyncio.sleep(0.01)
    await get(bot, "/readyz")
    [(key, second)] = await rows()  # one row per process, refreshed
    assert second > first


# --- the database takes no write ---------------------------------------------------------------------


async def _run(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace").strip()


def _can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.fixture
async def full_disk_bot(
    sqlite_root: Path, connector: LoopbackConnector, tmp_path: Path
) -> AsyncIterator[tuple[RunningBot, Path]]:
    """The bot on a SQLite file in a 4 MB tmpfs of its own."""
    if not _can_mount():
        pytest.skip("needs root to mount a tiny tmpfs (the PostgreSQL read-only variant still runs)")
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    code, out = await _run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt))
    if code != 0:
        pytest.skip(f"cannot mount a tmpfs here: {out}")
    try:
        shutil.copy(await _sqlite_template(sqlite_root), mnt / "sspf.db")
        running = RunningBot(
            local_settings(f"sqlite+aiosqlite:///{mnt / 'sspf.db'}", ics_dir=str(tmp_path / "ics")), connector
        )
        await running.start()
        try:
            yield running, mnt
        finally:
            await running.stop()
    finally:
        await _run("umount", "-l", str(mnt))


def _fill(mnt: Path) -> Path:
    filler = mnt / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:  # ENOSPC: the disk is full
            pass
    return filler


async def test_full_disk_is_not_ready_but_alive(full_disk_bot):
    """Before: /healthz said ok (a ``SELECT 1`` reads) while every turn's write failed."""
    running, mnt = full_disk_bot
    assert (await get(running, "/readyz"))[0] == 200
    filler = _fill(mnt)
    status, body = await get(running, "/readyz")
    assert status == 503, body
    assert body["status"] == "not ready"
    assert body["checks"]["database"]["ok"] is False
    assert DETAIL.match(body["checks"]["database"]["detail"])
    assert (await get(running, "/healthz"))[0] == 503
    assert (await get(running, "/livez"))[0] == 200  # no restart for a full disk
    filler.unlink()
    assert (await get(running, "/readyz"))[0] == 200


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_read_only_postgresql_is_not_ready_but_alive(bot, database_url):
    db = database_url.rsplit("/", 1)[1]
    await _pg_exec(f'ALTER DATABASE "{db}" SET default_transaction_read_only = on')
    try:
        await bot.services.db.engine.dispose()  # new connections get the setting
        status, body = await get(bot, "/readyz")
        assert status == 503, body
        assert body["checks"]["database"] == {"ok": False, "detail": body["checks"]["database"]["detail"]}
        assert DETAIL.match(body["checks"]["database"]["detail"])
        assert "postgres" not in str(body) and "127.0.0.1" not in str(body)
        assert (await get(bot, "/livez"))[0] == 200
    finally:
        await _pg_exec(f'ALTER DATABASE "{db}" RESET default_transaction_read_only')
    await bot.services.db.engine.dispose()
    assert (await get(bot, "/readyz"))[0] == 200


# --- signing keys, reminder dispatcher, slow checks --------------------------------------------------


class _Validator:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def ready(self) -> Any:
        return self.answer

    async def close(self) -> None:
        pass


def _authenticated(running: RunningBot, validator: Any) -> None:
    services = running.services
    services.settings = dataclasses.replace(services.settings, app_id="aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    services.validator = validator


async def test_signing_keys_not_loaded_is_not_ready(sqlite_bot):
    local = sqlite_bot.services.settings
    _authenticated(sqlite_bot, _Validator(False))
    status, body = await get(sqlite_bot, "/readyz")
    assert status == 503
    assert body["mode"] == "authenticated"
    assert body["checks"]["signing_keys"] == {"ok": False, "detail": "not loaded"}
    sqlite_bot.services.validator.answer = True
    assert (await get(sqlite_bot, "/readyz"))[0] == 200
    sqlite_bot.services.settings = local


async def test_slow_check_is_cut_short(sqlite_bot, monkeypatch):
    monkeypatch.setattr(bot_app, "READY_CHECK_TIMEOUT_S", 0.3)

    async def hang() -> bool:
        await asyncio.sleep(30)
        return True

    local = sqlite_bot.services.settings
    validator = _Validator(None)
    validator.ready = hang  # type: ignore[method-assign]
    _authenticated(sqlite_bot, validator)
    started = time.monotonic()
    status, body = await get(sqlite_bot, "/readyz")
    assert time.monotonic() - started < 2
    assert status == 503
    assert body["checks"]["signing_keys"] == {"ok": False, "detail": "timed out"}
    assert body["checks"]["database"]["ok"] is True
    sqlite_bot.services.settings = local


@pytest.fixture
async def waking_bot(
    sqlite_url: str, connector: LoopbackConnector, tmp_path: Path
) -> AsyncIterator[RunningBot]:
    """Reminder wake-ups on, every 0.2 s (its own database: no other test's conversations)."""
    settings = local_settings(
        sqlite_url, ics_dir=str(tmp_path / "ics"), reminders=True, reminder_interval_s=0.2
    )
    running = RunningBot(settings, connector)
    await running.start()
    yield running
    await running.stop()


async def test_stalled_reminder_dispatcher_is_not_ready(waking_bot):
    from bot.reminders.dispatcher import dispatcher_of

    await asyncio.sleep(0.5)
    status, body = await get(waking_bot, "/readyz")
    assert status == 200, body
    assert body["checks"]["reminders"] == {"ok": True, "detail": "awake"}
    dispatcher = dispatcher_of(waking_bot.services)
    assert dispatcher is not None and dispatcher._scheduler is not None
    dispatcher._scheduler.pause()  # the scheduler stops firing: no wake-up any more
    await asyncio.sleep(0.8)  # more than 3 intervals
    status, body = await get(waking_bot, "/readyz")
    assert status == 503
    assert body["checks"]["reminders"] == {"ok": False, "detail": "no wake-up lately"}
    dispatcher._scheduler.resume()
    await asyncio.sleep(0.5)
    assert (await get(waking_bot, "/readyz"))[0] == 200
