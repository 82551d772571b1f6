"""domain.free_slots: Swedish working day, quarter-hour grid, weekends/holidays, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.free_slots import BusyInterval, WorkingHours, find_free_slots

STHLM = ZoneInfo("Europe/Stockholm")


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=STHLM).astimezone(UTC)


def starts(slots) -> list[str]:
    return [s.start_utc.astimezone(STHLM).strftime("%a %d %H:%M") for s in slots]


def test_first_three_common_slots_on_quarter_grid():
    busy = {
        "a": [BusyInterval(local(2031, 3, 3, 8), local(2031, 3, 3, 9, 10))],
        "b": [BusyInterval(local(2031, 3, 3, 9, 30), local(2031, 3, 3, 10))],
    }
    slots = find_free_slots(
        busy,
        window_start=local(2031, 3, 3, 0),
        window_end=local(2031, 3, 8, 0),
        duration=timedelta(minutes=30),
        now=local(2031, 3, 1, 12),
    )
    # 09:15 fits a 30-min meeting? 09:15-09:45 overlaps b (09:30) -> no; first is 10:00.
    assert starts(slots) == ["Mon 03 10:00", "Mon 03 10:15", "Mon 03 10:30"]
    assert all(s.end_utc - s.start_utc == timedelta(minutes=30) for s in slots)


def test_not_in_the_past_and_aligned():
    slots = find_free_slots(
        {},
        window_start=local(2031, 3, 3, 0),
        window_end=local(2031, 3, 4, 0),
        duration=timedelta(hours=1),
        now=local(2031, 3, 3, 13, 7),
        count=2,
    )
    assert starts(slots) == ["Mon 03 13:15", "Mon 03 13:30"]


def test_skips_weekend_holiday_and_end_of_day():
    # Friday 16:30 is too late for an hour; Sat/Sun skipped; Monday is a holiday (given by caller).
    slots = find_free_slots(
        {},
        window_start=local(2031, 3, 7, 16, 30),
        window_end=local(2031, 3, 12, 0),
        duration=timedelta(hours=1),
        now=local(2031, 3, 7, 16, 30),
        non_working_dates={date(2031, 3, 10)},
        count=1,
    )
    assert starts(slots) == ["Tue 11 08:00"]


def test_last_slot_of_day_ends_at_17():
    slots = find_free_slots(
        {},
        window_start=local(2031, 3, 3, 15, 45),
        window_end=local(2031, 3, 3, 23),
        duration=timedelta(hours=1),
        now=local(2031, 3, 3, 15, 45),
        count=5,
    )
    assert starts(slots) == ["Mon 03 15:45", "Mon 03 16:00"]


def test_dst_change_day_keeps_local_working_hours():
    # 2031-03-31 is the Monday after the spring change (Sunday 30 March); the Friday before is CET.
    # Busy 08:00-09:00 local on Monday expressed in UTC (06:00-07:00 UTC in CEST).
    monday = date(2031, 3, 31)
    busy = {"a": [BusyInterval(datetime(2031, 3, 31, 6, tzinfo=UTC), datetime(2031, 3, 31, 7, tzinfo=UTC))]}
    slots = find_free_slots(
        busy,
        window_start=local(2031, 3, 28, 16, 30),
        window_end=local(2031, 4, 1, 0),
        duration=timedelta(hours=1),
        now=local(2031, 3, 28, 16, 30),
        count=1,
    )
    assert starts(slots) == ["Mon 31 09:00"]
    assert slots[0].start_utc == datetime(2031, 3, 31, 7, tzinfo=UTC)
    assert monday.isoweekday() == 1


def test_on_the_autumn_change_day_itself():
    # Sunday 2031-10-26 is the change; use a window containing it, with weekend allowed to be skipped,
    # and check Monday 27th 08:00 local = 07:00 UTC (CET), whereas Friday 24th 08:00 = 06:00 UTC (CEST).
    slots = find_free_slots(
        {},
        window_start=local(2031, 10, 24, 16),
        window_end=local(2031, 10, 28, 0),
        duration=timedelta(hours=1),
        now=local(2031, 10, 24, 16),
        count=2,
    )
    assert [s.start_utc for s in slots] == [
        datetime(2031, 10, 24, 14, tzinfo=UTC),  # Fri 16:00 CEST
        datetime(2031, 10, 27, 7, tzinfo=UTC),  # Mon 08:00 CET
    ]


def test_participant_working_hours_narrow_the_day():
    wh = {"part-time": WorkingHours(start=time(12, 0), end=time(16, 0), days=frozenset({3}))}
    slots = find_free_slots(
        {"part-time": []},
        working_hours=wh,
        window_start=local(2031, 3, 3, 0),
        window_end=local(2031, 3, 8, 0),
        duration=timedelta(hours=1),
        now=local(2031, 3, 1, 0),
        count=1,
    )
    assert starts(slots) == ["Wed 05 12:00"]


def test_touching_busy_interval_is_allowed_and_naive_rejected():
    busy = {"a": [BusyInterval(local(2031, 3, 3, 8), local(2031, 3, 3, 9))]}
    slots = find_free_slots(
        busy,
        window_start=local(2031, 3, 3, 8),
        window_end=local(2031, 3, 3, 17),
        duration=timedelta(hours=1),
        now=local(2031, 3, 3, 0),
        count=1,
    )
    assert starts(slots) == ["Mon 03 09:00"]
    with pytest.raises(ValueError):
        find_free_slots(
            {},
            window_start=datetime(2031, 3, 3),
            window_end=local(2031, 3, 4, 0),
            duration=timedelta(hours=1),
            now=local(2031, 3, 3, 0),
        )
