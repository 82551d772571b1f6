"""Logging for operations: plain text (the default, for ``make run``) or one JSON object per line
(``SSPF_LOG_FORMAT=json``, for Azure Monitor / Container Apps log collection), at ``SSPF_LOG_LEVEL``.

Every line carries the correlation id of the turn or background job it belongs to: the HTTP request
handler (``bot/app.py``) and each background loop (reminder dispatcher, reply sweep, housekeeping,
booking repair) open a :func:`correlation` scope; asyncio tasks started inside inherit it.

Privacy: the data is about children at risk. No log line may hold case content or a personnummer.
Code logs ids, counts, verbs and exception classes, never payloads. As a second line of defence the
formatters here replace anything that looks like a personnummer with ``[personnummer]``, third-party
loggers that print request bodies or SQL parameters are held at WARNING whatever the level, and the
engine hides SQL parameters in its exception messages (``store/db.py``). ``tests/test_zz_log_privacy.py``
scans every record the whole test-suite emits.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import sys
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any, TextIO

from bot.config import ConfigError
from domain.personnummer import contains_personnummer

CORRELATION_ID: ContextVar[str | None] = ContextVar("sspf_correlation_id", default=None)
JOB: ContextVar[str | None] = ContextVar("sspf_job", default=None)

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s%(cid)s: %(message)s"

# Third-party loggers that would print SQL with its parameters, request URLs with query strings, token
# exchanges or every scheduler wake-up: never below WARNING, whatever SSPF_LOG_LEVEL says.
QUIET_LOGGERS = (
    "sqlalchemy",  # at INFO/DEBUG: every statement with its parameters (case content)
    "aiosqlite",  # at DEBUG: every call with its arguments
    "asyncpg",
    "apscheduler",  # every wake-up at INFO
    "httpx",  # every Graph request URL (with $filter values) at INFO
    "httpcore",
    "hpack",
    "urllib3",
    "msal",  # token requests at DEBUG
    "azure",  # azure-identity / azure-core HTTP logging policy
    "msrest",
    "botbuilder",
    "alembic.runtime.migration",  # "Context impl PostgresqlImpl" on every start; upgrades still WARN
)

# An activity id is used as the turn's correlation id (Teams' re-send of the same activity gets the same
# one) only when it looks like an id; anything else a caller put there gets a generated id instead.
_SAFE_ID = re.compile(r"[A-Za-z0-9:._|@#\-]{1,128}")


def new_correlation_id() -> str:
    return secrets.token_hex(8)


def safe_id(candidate: object) -> str:
    """``candidate`` if it is a plausible id with nothing personal in it, else a generated id."""
    if isinstance(candidate, str) and _SAFE_ID.fullmatch(candidate) and not contains_personnummer(candidate):
        return candidate
    return new_correlation_id()


@contextlib.contextmanager
def correlation(job: str, correlation_id: str | None = None) -> Iterator[str]:
    """Every log line inside (and in tasks started inside) carries this job name and id."""
    cid = correlation_id or new_correlation_id()
    t1 = CORRELATION_ID.set(cid)
    t2 = JOB.set(job)
    try:
        yield cid
    finally:
        JOB.reset(t2)
        CORRELATION_ID.reset(t1)


def redact(text: str) -> str:
    """Mask whole lines that hold something shaped like a personnummer (the pattern is fuzzy, so the
    line is masked rather than the match guessed at)."""
    if not text or not contains_personnummer(text):
        return text
    return "\n".join(_redact_line(line) for line in text.split("\n"))


_EXCEPTION_LINE = re.compile(r"^(\s*[A-Za-z_][\w.]*):\s")  # "ValueError: …" keeps its class


def _redact_line(line: str) -> str:
    if not contains_personnummer(line):
        return line
    head = _EXCEPTION_LINE.match(line)
    return f"{head.group(1) + ': ' if head else ''}[removed: looked like a personnummer]"


def _trace_ids() -> tuple[str | None, str | None]:
    try:
        from opentelemetry import trace
    except ImportError:  # pragma: no cover - opentelemetry-api is a dependency
        return None, None
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


class PlainFormatter(logging.Formatter):
    """``time LEVEL logger [job id]: message`` with personnummer-shaped lines masked."""

    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        cid = CORRELATION_ID.get()
        record.cid = f" [{JOB.get() or 'job'} {cid}]" if cid else ""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, ``correlation_id``,
    ``job``, ``trace_id``/``span_id`` (when a span is active: Application Insights' operation id),
    ``exception`` (the traceback, masked like the message)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        cid = CORRELATION_ID.get()
        if cid:
            entry["correlation_id"] = cid
            entry["job"] = JOB.get()
        trace_id, span_id = _trace_ids()
        if trace_id:
            entry["trace_id"], entry["span_id"] = trace_id, span_id
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def parse_level(env: Mapping[str, str]) -> int:
    raw = (env.get("SSPF_LOG_LEVEL") or "INFO").strip().upper()
    if raw not in LEVELS:
        raise ConfigError(f"SSPF_LOG_LEVEL must be one of {', '.join(LEVELS)}, got {raw[:20]!r}")
    return logging.getLevelName(raw)


def parse_format(env: Mapping[str, str]) -> str:
    raw = (env.get("SSPF_LOG_FORMAT") or "text").strip().lower()
    if raw == "plain":
        raw = "text"
    if raw not in FORMATS:
        raise ConfigError(f"SSPF_LOG_FORMAT must be 'text' or 'json', got {raw[:20]!r}")
    return raw


def apply_levels(level: int) -> None:
    """The root at ``level``; the third-party loggers above never below WARNING."""
    logging.getLogger().setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def make_formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else PlainFormatter()


def configure(env: Mapping[str, str], stream: TextIO | None = None) -> logging.Handler:
    """Set up the root logger from ``SSPF_LOG_FORMAT`` and ``SSPF_LOG_LEVEL`` (raises ConfigError)."""
    level = parse_level(env)
    fmt = parse_format(env)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(make_formatter(fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_sspf", False):
            root.removeHandler(old)
    handler._sspf = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    apply_levels(level)
    logging.captureWarnings(True)
    return handler
