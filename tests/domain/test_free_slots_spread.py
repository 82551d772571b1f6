"""Issue 17 item 8: Föreslå tider offers a spread, at times that suit a family, not 08:00/08:15/08:30."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.free_slots import BusyInterval, find_free_slots

SE = ZoneInfo("Europe/Stockholm")
MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=SE)  # a plain working week


def slots(**kw):
    return find_free_slots(
        kw.pop("busy", {}),
        window_start=MONDAY,
        window_end=MONDAY + timedelta(days=7),
        duration=timedelta(hours=1),
        now=MONDAY.astimezone(UTC),
        count=3,
        **kw,
    )


def local(slot):
    return slot.start_utc.astimezone(SE)


def test_without_spread_it_is_the_first_three_quarter_hours_of_monday_morning():
    assert [local(s).strftime("%a %H:%M") for s in slots()] == ["Mon 08:00", "Mon 08:15", "Mon 08:30"]


def test_spread_offers_three_different_days_in_the_family_window():
    found = slots(spread=True, preferred=(time(14, 0), time(17, 0)))
    assert len({local(s).date() for s in found}) == 3
    assert all(time(14, 0) <= local(s).time() and local(s).time() <= time(16, 0) for s in found)
    assert found == sorted(found, key=lambda s: s.start_utc)


def test_spread_falls_back_outside_the_window_when_the_afternoons_are_busy():
    busy = {
        "a": [
            BusyInterval(
                (MONDAY + timedelta(days=d, hours=13)).astimezone(UTC),
                (MONDAY + timedelta(days=d, hours=17)).astimezone(UTC),
            )
            for d in range(5)
        ]
    }
    found = slots(spread=True, preferred=(time(14, 0), time(17, 0)), busy=busy)
    assert len(found) == 3 and len({local(s).date() for s in found}) == 3
    assert len({local(s).hour for s in found}) == 3  # different times of day, not all 08:00


def test_spread_without_a_preferred_window_still_spreads_days_and_hours():
    found = slots(spread=True)
    assert len({local(s).date() for s in found}) == 3
    assert len({local(s).hour for s in found}) == 3
