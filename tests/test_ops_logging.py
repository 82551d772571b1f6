"""Operations logging (bot/logging_setup.py): JSON lines on request, the level from the environment,
a correlation id on every line of a turn and of each background job, and personnummer masked even if
a line ever carried one."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot import logging_setup
from bot.config import ConfigError
from tests.conftest import COORDINATOR, SUITE_LOG_SCAN
from tests.harness import activities as acts


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure() changes the root logger: put back what the suite had (its scanner at DEBUG)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    logging_setup.apply_levels(level)
    assert SUITE_LOG_SCAN in root.handlers


class Contexts(logging.Handler):
    """Remembers, for each record, the correlation id and job in force when it was logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[tuple[str, str, str | None, str | None]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(
            (record.name, record.getMessage(), logging_setup.CORRELATION_ID.get(), logging_setup.JOB.get())
        )


@pytest.fixture
def contexts() -> Iterator[Contexts]:
    handler = Contexts()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def test_json_lines_carry_correlation_and_mask_personnummer(root_logging):
    out = io.StringIO()
    before = len(SUITE_LOG_SCAN.violations)
    logging_setup.configure({"SSPF_LOG_FORMAT": "json", "SSPF_LOG_LEVEL": "INFO"}, stream=out)
    log = logging.getLogger("bot.ops_test")
    log.debug("not at INFO")
    with logging_setup.correlation("turn", "act-1") as cid:
        log.info("turn with %d item(s)", 2)
        try:
            raise ValueError("looked up 19121212-1212")  # a value that must never reach a log line
        except ValueError:
            log.exception("failed")
    log.warning("outside")
    # this test's deliberate personnummer is the suite scanner's business only here
    assert [v["found"] for v in SUITE_LOG_SCAN.violations[before:]] == ["a personnummer"]
    del SUITE_LOG_SCAN.violations[before:]
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [entry["message"] for entry in lines] == ["turn with 2 item(s)", "failed", "outside"]
    first, failed, outside = lines
    assert cid == "act-1"
    assert first["correlation_id"] == "act-1" and first["job"] == "turn"
    assert first["level"] == "INFO" and first["logger"] == "bot.ops_test"
    assert first["time"].endswith("Z")
    assert "19121212" not in failed["exception"]
    assert failed["exception"].splitlines()[-1] == "ValueError: [removed: looked like a personnummer]"
    assert "correlation_id" not in outside


def test_plain_text_is_the_default_and_names_the_job(root_logging):
    out = io.StringIO()
    logging_setup.configure({}, stream=out)
    with logging_setup.correlation("reminders", "0123abcd"):
        logging.getLogger("bot.ops_test").info("run done")
    line = out.getvalue().strip()
    assert line.endswith("INFO bot.ops_test [reminders 0123abcd]: run done")
    assert not line.startswith("{")


def test_level_from_the_environment_and_quiet_third_parties(root_logging):
    out = io.StringIO()
    logging_setup.configure({"SSPF_LOG_LEVEL": "warning"}, stream=out)
    logging.getLogger("bot.ops_test").info("hidden")
    logging.getLogger("bot.ops_test").warning("shown")
    assert "hidden" not in out.getvalue() and "shown" in out.getvalue()
    logging_setup.configure({"SSPF_LOG_LEVEL": "DEBUG"}, stream=out)
    assert logging.getLogger("bot.ops_test").isEnabledFor(logging.DEBUG)
    # SQL with its parameters, request URLs, token exchanges: never, whatever the level
    for name in ("sqlalchemy.engine.Engine", "httpx", "msal", "azure.identity", "aiosqlite"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SSPF_LOG_LEVEL": "LOUD"}, "SSPF_LOG_LEVEL must be one of"),
        ({"SSPF_LOG_FORMAT": "xml"}, "SSPF_LOG_FORMAT must be 'text' or 'json'"),
    ],
)
def test_bad_logging_settings_are_configuration_errors(root_logging, env, message):
    with pytest.raises(ConfigError, match=message):
        logging_setup.configure(env, stream=io.StringIO())


def test_correlation_ids_from_activity_ids_only_when_harmless():
    assert logging_setup.safe_id("1:1Yx_Abc-9") == "1:1Yx_Abc-9"
    generated = logging_setup.safe_id("19121212-1212")  # an id a caller made up to carry a personnummer
    assert generated != "19121212-1212" and len(generated) == 16
    assert logging_setup.safe_id("a b <script>") != "a b <script>"
    assert logging_setup.safe_id(None) != logging_setup.safe_id(None)  # a fresh one each time


async def test_every_line_of_a_turn_carries_its_activity_id(sqlite_bot, contexts, monkeypatch):
    from bot.handler import SspfBot

    original = SspfBot.on_turn
    turn_log = logging.getLogger("bot.handler")

    async def on_turn(self, turn_context):
        turn_log.info("turn begins")
        await original(self, turn_context)
        turn_log.info("turn ends")

    monkeypatch.setattr(SspfBot, "on_turn", on_turn)
    activity = acts.message("hjälp", COORDINATOR, acts.personal(COORDINATOR), sqlite_bot.connector.url)
    reply = await sqlite_bot.send(activity)
    assert reply.status in (200, 201)
    mine = [c for c in contexts.seen if c[1] in ("turn begins", "turn ends")]
    assert len(mine) == 2
    assert all(cid == activity["id"] and job == "turn" for _, _, cid, job in mine)
    assert logging_setup.CORRELATION_ID.get() is None  # nothing leaks out of the request


async def test_background_jobs_have_their_own_correlation_ids(contexts, monkeypatch):
    import bot.housekeeping as housekeeping

    calls = 0

    async def run(_services):
        nonlocal calls
        calls += 1
        logging.getLogger("bot.housekeeping").info("pass %d", calls)
        if calls == 2:
            raise asyncio.CancelledError

    class Settings:
        housekeeping_hours = 0.0

    class Services:
        settings = Settings()

    monkeypatch.setattr(housekeeping, "run_housekeeping", run)
    with pytest.raises(asyncio.CancelledError):
        await housekeeping._loop(Services())
    passes = [c for c in contexts.seen if c[1].startswith("pass ")]
    assert [job for *_, job in passes] == ["housekeeping", "housekeeping"]
    ids = {cid for _, _, cid, _ in passes}
    assert len(ids) == 2 and None not in ids  # one id per pass
