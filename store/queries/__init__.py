"""Queries per entity. Shared here: the one piece of SQL that differs between the two databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT that takes ``on_conflict_do_…`` (an upsert), in the session's own dialect."""
    return (postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert)(model)
