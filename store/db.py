"""Engine and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)
T = TypeVar("T")
SQLITE_WRITER_WAIT = 30.0  # seconds, as SQLite's own busy_timeout below
_holds_writer: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sspf_holds_sqlite_writer", default=False
)


# libpq's URL parameters that asyncpg takes under another name (SQLAlchemy passes the query string to
# asyncpg.connect as keyword arguments, and asyncpg has no ``sslmode``: Azure's connection strings have it).
_LIBPQ_TO_ASYNCPG = {"sslmode": "ssl", "connect_timeout": "timeout"}
_LIBPQ_ONLY = ("application_name", "fallback_application_name", "client_encoding")  # dropped
_LIBPQ_FILES = {"sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _asyncpg_query(url: str) -> str:
    base, sep, query = url.partition("?")
    if not sep:
        return url
    pairs = []
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in _LIBPQ_ONLY:
            continue
        if name in _LIBPQ_FILES:
            raise ValueError(
                f"DATABASE_URL: {name} is not understood by asyncpg; set the environment variable "
                f"{_LIBPQ_FILES[name]} instead"
            )
        name = _LIBPQ_TO_ASYNCPG.get(name, name)
        if name == "ssl":
            value = value.strip().lower()
            value = {"true": "require", "1": "require", "false": "disable", "0": "disable"}.get(value, value)
            if value not in SSL_MODES:
                raise ValueError(f"DATABASE_URL: sslmode/ssl must be one of {', '.join(SSL_MODES)}")
        if any(name == seen for seen, _ in pairs):
            continue  # ?sslmode=require&ssl=require: the first wins
        pairs.append((name, value))
    return base + ("?" + urlencode(pairs) if pairs else "")


def normalize_url(url: str) -> str:
    """Accept the URLs people paste (``postgresql://``, ``postgres://``, ``sqlite:///``, Azure's
    ``?sslmode=require``) and pick the async driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://") :]
    if url.startswith("postgresql+asyncpg://"):
        return _asyncpg_query(url)
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


def is_sqlite(url: str) -> bool:
    return normalize_url(url).startswith("sqlite")


DEFAULT_POOL_SIZE = 20

# Entra (Azure AD) authentication for Azure Database for PostgreSQL Flexible Server: the password is
# an access token for this scope, fetched for each new connection (the credential caches it).
ENTRA_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"
PasswordProvider = Callable[[], Awaitable[str]]


def entra_enabled(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("SSPF_PG_ENTRA", "").strip().lower() in ("1", "on", "true", "yes")


def entra_password(credential: Any = None) -> PasswordProvider:
    """A password callable for asyncpg: an Entra access token from ``credential`` (default:
    azure-identity's ``DefaultAzureCredential``: the managed identity named by ``AZURE_CLIENT_ID`` in
    Azure, the developer's ``az login`` elsewhere). The token itself is never logged."""
    if credential is None:
        from azure.identity.aio import DefaultAzureCredential

        credential = DefaultAzureCredential()

    async def password() -> str:
        token = await credential.get_token(ENTRA_SCOPE)
        return token.token

    password.credential = credential  # type: ignore[attr-defined]
    return password


def make_engine(
    url: str, *, pool_size: int = DEFAULT_POOL_SIZE, password: PasswordProvider | None = None
) -> AsyncEngine:
    """``password``: a callable giving each new PostgreSQL connection its password (Entra tokens);
    with ``SSPF_PG_ENTRA=1`` and none given, :func:`entra_password` is used."""
    url = normalize_url(url)
    # SQL parameters are case content: never in an exception message (and so never in a log line).
    common: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **common)

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
    if password is None and entra_enabled():
        password = entra_password()
    connect_args: dict[str, Any] = {"password": password} if password is not None else {}
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=10,
        pool_timeout=30,
        pool_recycle=3600,
        connect_args=connect_args,
        **common,
    )


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
