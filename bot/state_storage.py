"""botbuilder ``Storage`` on our own database, so dialog state survives restarts and replica changes.

Items are stored as JSON (``jsonpickle``'s format, which botbuilder itself uses for state). Reading
JSON back into objects must not let a tampered row instantiate arbitrary classes, so decoding accepts
only botbuilder's own types and plain data.

Inside a turn the storage writes through the turn's own transaction (see ``current_session``): a
second connection would wait on SQLite's write lock that the turn already holds.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jsonpickle
from botbuilder.core import Storage
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import Database
from store.models import BotState

current_session: contextvars.ContextVar[AsyncSession | None] = contextvars.ContextVar(
    "sspf_turn_session", default=None
)
_ALLOWED_PREFIXES = ("botbuilder.", "builtins.", "datetime.", "collections.", "decimal.", "uuid.")
_FORBIDDEN_TAGS = ("py/function", "py/repr", "py/newargs", "py/newargsex", "py/initargs", "py/mod")


class StateEtagConflict(KeyError):
    """Someone else saved this state since it was read (two replicas, one conversation)."""


def _check_safe(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _FORBIDDEN_TAGS:
                raise ValueError(f"refusing stored state with {key}")
            if key == "py/reduce" and not _is_enum_reduce(value):
                raise ValueError("refusing stored state with a reduce other than an enum value")
            if key in ("py/object", "py/type") and not str(value).startswith(_ALLOWED_PREFIXES):
                raise ValueError(f"refusing stored state of type {value}")
            _check_safe(value)
    elif isinstance(node, list):
        for value in node:
            _check_safe(value)


def _is_enum_reduce(value: Any) -> bool:
    """jsonpickle writes an Enum member as ``py/reduce: [{py/type: Cls}, {py/tuple: [value]}]``."""
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], dict)
        and set(value[0]) == {"py/type"}
        and isinstance(value[1], dict)
        and set(value[1]) == {"py/tuple"}
    )


def encode(item: Any) -> dict[str, Any]:
    return json.loads(jsonpickle.encode(item, unpicklable=True, make_refs=False))


def decode(data: dict[str, Any]) -> Any:
    _check_safe(data)
    return jsonpickle.decode(json.dumps(data), safe=True)


def _etag_of(item: Any) -> str | None:
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _set_etag(item: Any, etag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif hasattr(item, "e_tag"):
        item.e_tag = etag


class SqlStorage(Storage):
    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        session = current_session.get()
        if session is not None:
            yield session
            return
        async with self._db.transaction() as own:
            yield own

    async def read(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        async with self._session() as session:
            rows = (await session.execute(select(BotState).where(BotState.key.in_(keys)))).scalars().all()
        result: dict[str, Any] = {}
        for row in rows:
            item = decode(row.data)
            _set_etag(item, str(row.etag))
            result[row.key] = item
        return result

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise ValueError("changes are required when writing")
        async with self._session() as session:
            for key, item in changes.items():
                etag = _etag_of(item)
                data = encode(item)
                if isinstance(data, dict):
                    data.pop("e_tag", None)
                row = await session.get(BotState, key)
                if row is None:
                    session.add(BotState(key=key, data=data, etag=1))
                    await session.flush()
                    _set_etag(item, "1")
                    continue
                stmt = update(BotState).where(BotState.key == key)
                if etag not in (None, "", "*"):
                    stmt = stmt.where(BotState.etag == int(etag))
                result = await session.execute(
                    stmt.values(data=data, etag=BotState.etag + 1).execution_options(
                        synchronize_session=False
                    )
                )
                if result.rowcount != 1:
                    raise StateEtagConflict(f"state {key!r} was changed by another turn")
                await session.refresh(row)
                _set_etag(item, str(row.etag))

    async def delete(self, keys: list[str]) -> None:
        if not keys:
            return
        async with self._session() as session:
            await session.execute(delete(BotState).where(BotState.key.in_(keys)))
