"""Database settings an Azure deployment needs (store/db.py): Azure's ``?sslmode=require`` URLs, Entra
token authentication for Azure Database for PostgreSQL, and SQL parameters (case content) kept out of
exception messages and so out of every log line."""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from store import db as store_db
from store.db import ENTRA_SCOPE, entra_password, make_engine, normalize_url
from tests.conftest import PG_ADMIN_URL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://bot%40x:p%2Fw@srv.postgres.database.azure.com:5432/sspf?sslmode=require",
            "postgresql+asyncpg://bot%40x:p%2Fw@srv.postgres.database.azure.com:5432/sspf?ssl=require",
        ),
        ("postgres://u@h/db?sslmode=verify-full", "postgresql+asyncpg://u@h/db?ssl=verify-full"),
        ("postgresql://u@h/db?ssl=true", "postgresql+asyncpg://u@h/db?ssl=require"),
        (
            "postgresql://u@h/db?connect_timeout=10&application_name=x",
            "postgresql+asyncpg://u@h/db?timeout=10",
        ),
        ("postgresql+asyncpg://u@h/db?sslmode=disable", "postgresql+asyncpg://u@h/db?ssl=disable"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
    ],
)
def test_urls_people_paste(url, expected):
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u@h/db?sslmode=sometimes", "sslmode/ssl must be one of"),
        ("postgresql://u@h/db?sslrootcert=/etc/ca.pem", "PGSSLROOTCERT"),
    ],
)
def test_urls_asyncpg_cannot_use_are_clear_errors(url, message):
    with pytest.raises(ValueError, match=message):
        normalize_url(url)


async def _local_pg_or_skip() -> None:
    import asyncpg

    try:
        conn = await asyncpg.connect(PG_ADMIN_URL.replace("+asyncpg", ""), timeout=5)
    except Exception as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is required under CI=true: {exc!r}")
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432: {exc!r}")
    await conn.close()


@pytest.mark.parametrize("mode", ["disable", "prefer", "allow"])
async def test_sslmode_urls_connect_with_asyncpg(mode):
    """Before: ``TypeError: connect() got an unexpected keyword argument 'sslmode'``."""
    await _local_pg_or_skip()
    base = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    engine = make_engine(f"{base}?sslmode={mode}")
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


async def test_sslmode_require_is_an_ssl_demand_not_a_type_error():
    """The local server has no TLS: ``require`` must fail as a refused TLS upgrade, as libpq would."""
    await _local_pg_or_skip()
    base = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    engine = make_engine(f"{base}?sslmode=require")
    try:
        with pytest.raises(Exception) as caught:
            async with engine.connect() as conn:
                if await conn.scalar(text("SHOW ssl")) == "on":  # a server with TLS: then it works
                    return
        assert not isinstance(caught.value, TypeError)
        assert "ssl" in repr(caught.value).lower()
    finally:
        await engine.dispose()


# --- Entra token authentication --------------------------------------------------------------------------


class FakeCredential:
    """Stands in for azure-identity's credential: hands out a token and remembers the scopes asked."""

    def __init__(self, *args, **kwargs) -> None:
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs):
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken(f"entra-token-{len(self.scopes)}", 4102444800)

    async def close(self) -> None:
        pass


class PasswordCatcher:
    """A PostgreSQL server on loopback that asks for a cleartext password, keeps it and refuses the
    login: what asyncpg sends as the password, on the wire."""

    def __init__(self) -> None:
        self.passwords: list[str] = []
        self.users: list[str] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (length,) = struct.unpack("!i", await reader.readexactly(4))
                body = await reader.readexactly(length - 4)
                (code,) = struct.unpack("!i", body[:4])
                if code == 80877103:  # SSLRequest: no TLS here
                    writer.write(b"N")
                    continue
                params = body[4:].split(b"\0")
                self.users.append(
                    dict(zip(params[::2], params[1::2], strict=False)).get(b"user", b"").decode()
                )
                break
            writer.write(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            await writer.drain()
            kind = await reader.readexactly(1)
            (length,) = struct.unpack("!i", await reader.readexactly(4))
            payload = await reader.readexactly(length - 4)
            if kind == b"p":
                self.passwords.append(payload.rstrip(b"\0").decode())
            fields = b"SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed\0\0"
            writer.write(b"E" + struct.pack("!i", len(fields) + 4) + fields)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> PasswordCatcher:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.fixture
async def catcher() -> AsyncIterator[PasswordCatcher]:
    async with PasswordCatcher() as server:
        yield server


async def _try_connect(url: str, **kw) -> Exception:
    engine = make_engine(url, **kw)
    try:
        async with engine.connect():
            pass
    except Exception as exc:
        return exc
    finally:
        await engine.dispose()
    raise AssertionError("the catcher never lets anyone in")


async def test_entra_token_is_the_password_asyncpg_sends(catcher):
    credential = FakeCredential()
    url = f"postgresql://sspf-bot-identity@127.0.0.1:{catcher.port}/sspf?sslmode=disable"
    error = await _try_connect(url, password=entra_password(credential))
    assert "password authentication failed" in str(error)
    assert catcher.users == ["sspf-bot-identity"]
    assert catcher.passwords == ["entra-token-1"]
    assert credential.scopes == [(ENTRA_SCOPE,)]
    # each new connection asks the credential (which caches and renews the token itself)
    await _try_connect(url, password=entra_password(credential))
    assert catcher.passwords[-1] == "entra-token-2"


async def test_sspf_pg_entra_turns_it_on(catcher, monkeypatch):
    import azure.identity.aio

    made: list[FakeCredential] = []

    def default_credential(*args, **kwargs):
        made.append(FakeCredential())
        return made[-1]

    monkeypatch.setattr(azure.identity.aio, "DefaultAzureCredential", default_credential)
    url = f"postgresql://sspf-bot-identity@127.0.0.1:{catcher.port}/sspf?sslmode=disable"
    monkeypatch.delenv("SSPF_PG_ENTRA", raising=False)
    await _try_connect(url)
    assert catcher.passwords == [""] and not made  # off: the URL's (absent) password
    monkeypatch.setenv("SSPF_PG_ENTRA", "1")
    await _try_connect(url + "&")
    assert len(made) == 1 and catcher.passwords[-1] == "entra-token-1"


async def test_entra_password_against_the_local_server():
    """The plumbing end to end on the real server (trust auth here: it takes any password)."""
    await _local_pg_or_skip()
    credential = FakeCredential()
    engine = make_engine(PG_ADMIN_URL, password=entra_password(credential))
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
    assert credential.scopes == [(ENTRA_SCOPE,)]


def test_entra_switch_values():
    assert store_db.entra_enabled({"SSPF_PG_ENTRA": "1"})
    assert store_db.entra_enabled({"SSPF_PG_ENTRA": "on"})
    assert not store_db.entra_enabled({"SSPF_PG_ENTRA": "0"})
    assert not store_db.entra_enabled({})


# --- SQL parameters never in an error message ------------------------------------------------------------


async def test_sql_parameters_stay_out_of_error_messages(database_url):
    marker = "Vera Vårdnadshavare 19121212-1212"
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TEMPORARY TABLE leak_probe (v VARCHAR(100) PRIMARY KEY)"))
            await conn.execute(text("INSERT INTO leak_probe VALUES (:v)"), {"v": marker})
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(text("INSERT INTO leak_probe VALUES (:v)"), {"v": marker})
    finally:
        await engine.dispose()
    message = str(caught.value)
    assert "hidden due to hide_parameters" in message
    assert "Vera" not in message and "19121212" not in message.replace("Key (v)=", "")
