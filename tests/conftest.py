"""Fixtures: a database per test (SQLite file and PostgreSQL), a loopback connector, the running bot.

PostgreSQL is the one at 127.0.0.1:5432 (database ``test``). Each test run migrates its own database
once and every test starts from it emptied, so tests never see each other's rows. Without PostgreSQL
the PostgreSQL variants skip with a visible reason, except under ``CI=true`` where that is a failure.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from store.db import make_engine
from store.migrate import migrate
from store.models import Base
from tests.harness import activities as acts
from tests.harness.bot_runner import RunningBot, local_settings
from tests.harness.connector import LoopbackConnector

PG_ADMIN_URL = os.environ.get("SSPF_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
_PG_DB = f"sspf_tpl_{os.getpid()}"
_state: dict[str, object] = {}

COORDINATOR = acts.User("aad-coordinator", "Kim Koordinator")
PRINCIPAL = acts.User("aad-principal", "Rita Rektor")
SOCIAL = acts.User("aad-social", "Sam Socialsekreterare")
POLICE = acts.User("aad-police", "Per Polis")
YOUTH_WORKER = acts.User("aad-youth", "Fia Fritidsledare")
OUTSIDER = acts.User("aad-outsider", "Olle Obehörig")


def _pg_url(db: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + db


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _pg_template() -> str:
    """Migrate once into this run's database; each test starts from it emptied."""
    if "pg" not in _state:
        try:
            await _pg_exec(f'DROP DATABASE IF EXISTS "{_PG_DB}"')
            await _pg_exec(f'CREATE DATABASE "{_PG_DB}"')
        except (OSError, Exception) as exc:  # connection refused, auth, missing server
            _state["pg"] = exc
            raise
        engine = make_engine(_pg_url(_PG_DB))
        await migrate(engine)
        await engine.dispose()
        _state["pg"] = _PG_DB
    if isinstance(_state["pg"], Exception):
        raise _state["pg"]  # type: ignore[misc]
    return _PG_DB


async def _sqlite_template(tmp_root: Path) -> Path:
    if "sqlite" not in _state:
        path = tmp_root / "template.db"
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await migrate(engine)
        await engine.dispose()
        _state["sqlite"] = path
    return _state["sqlite"]  # type: ignore[return-value]


@pytest.fixture(scope="session")
def sqlite_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqlite")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The check of every card sent during the run goes last, after the tests that sent them."""
    final = ("test_every_card_the_bot_sent_is_valid", "test_no_case_content_in_any_shared_chat_post")
    last = [item for item in items if item.name in final]
    items[:] = [item for item in items if item not in last] + last


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if isinstance(_state.get("pg"), str):
        try:
            asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{_PG_DB}" WITH (FORCE)'))
        except Exception:
            pass


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(
    request: pytest.FixtureRequest, sqlite_root: Path, tmp_path: Path
) -> AsyncIterator[str]:
    """A fresh, migrated database for one test, on each of the two engines we support."""
    if request.param == "sqlite":
        template = await _sqlite_template(sqlite_root)
        path = tmp_path / "sspf.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    try:
        template = await _pg_template()
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required under CI=true: {exc!r}")
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {exc!r}")
    await _pg_truncate_all(template)
    yield _pg_url(template)


async def _pg_truncate_all(db: str) -> None:
    """Empty every table (one statement; TRUNCATE fires no row triggers, so the append-only audit
    trigger stays in force for the application). Far faster than a database per test: CREATE
    DATABASE waits on fsync here."""
    import asyncpg

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    conn = await asyncpg.connect(_pg_url(db).replace("+asyncpg", ""), timeout=5)
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
async def sqlite_url(sqlite_root: Path, tmp_path: Path) -> str:
    """SQLite only: for tests about HTTP behaviour that no database engine can change."""
    template = await _sqlite_template(sqlite_root)
    path = tmp_path / "sspf.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def connector() -> AsyncIterator[LoopbackConnector]:
    conn = LoopbackConnector()
    await conn.start()
    yield conn
    await conn.stop()


@pytest.fixture
async def bot(database_url: str, connector: LoopbackConnector, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """The bot in local mode on both databases, with one coordinator configured."""
    running = RunningBot(local_settings(database_url, ics_dir=str(tmp_path / "ics")), connector)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def sqlite_bot(
    sqlite_url: str, connector: LoopbackConnector, tmp_path: Path
) -> AsyncIterator[RunningBot]:
    running = RunningBot(local_settings(sqlite_url, ics_dir=str(tmp_path / "ics")), connector)
    await running.start()
    yield running
    await running.stop()


# --- every log record of the whole suite, checked for case content (tests/test_zz_log_privacy.py) -------
# The root logger runs at DEBUG for the suite, as in production with SSPF_LOG_LEVEL=DEBUG (the same
# third-party loggers held at WARNING), so a record a test never looks at is still checked. Only the
# offending records are kept: where they were logged (logger, file:line, format string), not their text.


class _SuiteLogScan(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        from tests.harness.seed import CASE_CONTENT_MARKERS

        self.markers = CASE_CONTENT_MARKERS
        self.records = 0
        self.violations: list[dict[str, str]] = []
        self._plain = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        from domain.personnummer import contains_personnummer

        self.records += 1
        try:
            text = record.getMessage()
        except Exception:  # a broken format string is a bug too, but not this check's
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + self._plain.formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        found = [m for m in self.markers if m in text]
        if contains_personnummer(text):
            found.append("a personnummer")
        if found:
            self.violations.append(
                {
                    "test": os.environ.get("PYTEST_CURRENT_TEST", "(outside a test)"),
                    "logger": record.name,
                    "where": f"{record.pathname}:{record.lineno}",
                    "format": str(record.msg)[:200],
                    "found": ", ".join(
                        sorted({"a personnummer" if "personnummer" in f else "case content" for f in found})
                    ),
                }
            )


SUITE_LOG_SCAN = _SuiteLogScan()


def _install_suite_log_scan() -> None:
    from bot.logging_setup import apply_levels

    root = logging.getLogger()
    if SUITE_LOG_SCAN not in root.handlers:
        root.addHandler(SUITE_LOG_SCAN)
    apply_levels(logging.DEBUG)


_install_suite_log_scan()


class _LogScanGoesLast:
    """After the ordering above: the log scan runs after every test that logs."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        last = [item for item in items if item.name == "test_no_log_line_of_the_suite_holds_case_content"]
        items[:] = [item for item in items if item not in last] + last


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_LogScanGoesLast(), "sspf-log-scan-order")
