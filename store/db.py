"""Engine and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)
T = TypeVar("T")
SQLITE_WRITER_WAIT = 30.0  # seconds, as SQLite's own busy_timeout below
_holds_writer: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sspf_holds_sqlite_writer", default=False
)


def normalize_url(url: str) -> str:
    """Accept the URLs people paste (``postgresql://``, ``sqlite:///``) and pick the async driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


def is_sqlite(url: str) -> bool:
    return normalize_url(url).startswith("sqlite")


DEFAULT_POOL_SIZE = 20


def make_engine(url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> AsyncEngine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            # WAL lets readers proceed while one writer commits; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    # No pool_pre_ping: on asyncpg it is BEGIN, a query and ROLLBACK (three round trips) on every
    # checkout, paid by every turn. A connection that died in the pool (PostgreSQL restarted) fails
    # its first statement instead; SQLAlchemy then invalidates the whole pool, and ``opened`` below
    # runs that first statement again on a fresh connection, so no user's turn fails for it.
    # Overflow connections are opened for a burst and closed again at check-in; under steady load beyond
    # the pool that churn (TCP, authentication, a new backend) cost more CPU than the turns' queries
    # (pool 10 + overflow 20 before). A turn beyond pool + overflow waits for a connection.
    # Replicas × (pool_size + 10) must stay below the server's max_connections.
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_timeout=30, pool_recycle=3600)


class Database:
    """One engine and its session factory, shared by the whole process."""

    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url, pool_size=pool_size)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = asyncio.Lock() if self.url.startswith("sqlite") else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        if self._writer is None or _holds_writer.get():
            async with self.sessions() as session, session.begin():
                yield session
            return
        # SQLite has one writer at a time, and a writer that finds the lock taken polls it with
        # growing sleeps (busy_timeout): under concurrent turns that made p99 seconds long. Queueing
        # this process's transactions here instead hands the lock over as soon as it is free; SQLite's
        # own lock still guards against other processes. A transaction opened inside one that already
        # holds the lock (same task or a task it started) skips the queue and behaves as before.
        async with asyncio.timeout(SQLITE_WRITER_WAIT):
            await self._writer.acquire()
        token = _holds_writer.set(True)
        try:
            async with self.sessions() as session, session.begin():
                yield session
        finally:
            _holds_writer.reset(token)
            self._writer.release()

    @asynccontextmanager
    async def opened(
        self, first: Callable[[AsyncSession], Awaitable[T]]
    ) -> AsyncIterator[tuple[AsyncSession, T]]:
        """A transaction whose ``first`` statement ran on a live connection.

        If the pooled connection turns out dead, ``first`` fails before anything else happened in
        the transaction, so it is safe to run once more on a fresh one. The caller gets the session
        and what ``first`` returned; the transaction commits when the block ends, as ``transaction``.
        """
        for attempt in range(2):
            opened = False
            try:
                async with self.transaction() as session:
                    result = await first(session)
                    opened = True
                    yield session, result
                return
            except DBAPIError as exc:
                if opened or not exc.connection_invalidated or attempt == 1:
                    raise  # the caller's own failure, or the database is really gone
                log.warning("database connection was dropped; opening the transaction again")

    async def ping(self) -> bool:
        from sqlalchemy import text

        for _ in range(2):  # a connection that died in the pool fails once, then the pool is renewed
            try:
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
                return True
            except Exception:
                continue
        return False

    async def dispose(self) -> None:
        await self.engine.dispose()
