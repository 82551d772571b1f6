"""The fake clock file (``SSPF_FAKE_CLOCK_FILE``): how an end-to-end test moves time in a running bot.

It must move when the file is rewritten, run on at real speed in between, fall back to real time without
a file, and never be honoured by a bot with real Teams credentials.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.reminders.dispatcher import clock_for, file_clock


def near(a: datetime, b: datetime, seconds: float = 5) -> bool:
    return abs((a - b).total_seconds()) < seconds


def test_the_clock_follows_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    clock = file_clock(path)
    assert near(clock(), datetime.now(UTC))  # no file yet: real time

    path.write_text("2026-12-01T09:00:00+01:00", encoding="utf-8")
    first = clock()
    assert near(first, datetime(2026, 12, 1, 8, 0, tzinfo=UTC)) and first.tzinfo is not None
    assert clock() >= first  # runs on at real speed, never backwards

    path.write_text("2027-01-04T07:30:00+00:00", encoding="utf-8")  # the test moves time forward
    assert near(clock(), datetime(2027, 1, 4, 7, 30, tzinfo=UTC))

    path.write_text("", encoding="utf-8")
    assert near(clock(), datetime.now(UTC))


def test_an_instant_without_a_zone_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    path.write_text("2026-12-01T09:00:00", encoding="utf-8")
    with pytest.raises(ValueError, match="time zone"):
        file_clock(path)()


def test_only_local_mode_honours_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    path.write_text("2030-06-03T08:00:00+00:00", encoding="utf-8")
    local = Settings.from_env({"SSPF_FAKE_CLOCK_FILE": str(path)})
    clock = clock_for(local)
    assert clock is not None and near(clock(), datetime(2030, 6, 3, 8, 0, tzinfo=UTC))

    production = Settings.from_env(
        {"SSPF_FAKE_CLOCK_FILE": str(path), "MicrosoftAppId": "app", "MicrosoftAppPassword": "secret"}
    )
    assert clock_for(production) is None  # real time: a deployed bot cannot be sent into the future
    assert clock_for(Settings.from_env({})) is None


def test_a_start_instant_still_works_without_a_file() -> None:
    clock = clock_for(Settings.from_env({"SSPF_REMINDER_CLOCK": "2026-12-07T08:00:00+00:00"}))
    assert clock is not None
    assert timedelta(0) <= clock() - datetime(2026, 12, 7, 8, 0, tzinfo=UTC) < timedelta(seconds=5)
