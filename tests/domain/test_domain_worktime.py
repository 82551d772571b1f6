from datetime import date, datetime

import pytest

from domain.worktime import (
    UTC,
    is_working_day,
    next_polite_time,
    to_local,
    working_days_after,
    working_days_before,
    working_days_between,
)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 1),  # nyårsdagen
        date(2026, 1, 6),  # trettondedag jul
        date(2026, 4, 3),  # långfredagen
        date(2026, 4, 6),  # annandag påsk
        date(2026, 5, 1),
        date(2026, 5, 14),  # Kristi himmelsfärd
        date(2026, 6, 19),  # midsommarafton (de facto)
        date(2026, 12, 24),  # julafton (de facto)
        date(2026, 12, 25),
        date(2026, 12, 31),  # nyårsafton (de facto)
        date(2026, 11, 28),  # Saturday
        date(2026, 11, 29),  # Sunday
        date(2027, 6, 25),  # midsommarafton 2027
    ],
)
def test_holidays_weekends_and_eves_are_not_working_days(day: date) -> None:
    assert not is_working_day(day)


@pytest.mark.parametrize("day", [date(2026, 11, 25), date(2026, 1, 7), date(2026, 6, 22), date(2026, 12, 23)])
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert is_working_day(day)


def test_national_day_on_a_saturday_does_not_create_a_weekday_off() -> None:
    # 6 June 2026 is a Saturday; Friday the 5th is an ordinary working day.
    assert is_working_day(date(2026, 6, 5))


def test_counting_working_days_skips_christmas() -> None:
    assert working_days_before(date(2026, 12, 28), 1) == date(2026, 12, 23)
    assert working_days_before(date(2026, 11, 30), 2) == date(2026, 11, 26)
    assert working_days_after(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert working_days_after(date(2026, 12, 30), 1) == date(2027, 1, 4)
    assert working_days_before(date(2026, 11, 25), 0) == date(2026, 11, 25)
    assert working_days_between(date(2026, 12, 23), date(2026, 12, 30)) == 3


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_inside_office_hours_the_instant_is_kept() -> None:
    instant = utc(2026, 11, 25, 12, 34)
    assert next_polite_time(instant) == instant


def test_evening_moves_to_next_morning_in_winter_time() -> None:
    # 18:30 CET Wednesday → Thursday 08:00 CET = 07:00 UTC
    assert next_polite_time(utc(2026, 11, 25, 17, 30)) == utc(2026, 11, 26, 7, 0)


def test_early_morning_waits_for_eight_same_day() -> None:
    assert next_polite_time(utc(2026, 11, 25, 5, 0)) == utc(2026, 11, 25, 7, 0)


def test_seventeen_local_is_already_outside() -> None:
    assert next_polite_time(utc(2026, 11, 25, 16, 0)) == utc(2026, 11, 26, 7, 0)


def test_friday_evening_before_spring_dst_lands_on_monday_summer_time() -> None:
    # Clocks go forward on Sunday 29 March 2026: Monday 08:00 CEST is 06:00 UTC.
    result = next_polite_time(utc(2026, 3, 27, 17, 30))
    assert result == utc(2026, 3, 30, 6, 0)
    assert to_local(result).hour == 8


def test_friday_evening_before_autumn_dst_lands_on_monday_winter_time() -> None:
    # Clocks go back on Sunday 25 October 2026: Monday 08:00 CET is 07:00 UTC.
    result = next_polite_time(utc(2026, 10, 23, 16, 30))
    assert result == utc(2026, 10, 26, 7, 0)
    assert to_local(result).hour == 8


def test_utc_early_hour_is_already_polite_in_summer() -> None:
    # 06:30 UTC in June is 08:30 in Stockholm.
    instant = utc(2026, 6, 10, 6, 30)
    assert next_polite_time(instant) == instant


def test_midsummer_eve_pushes_to_monday() -> None:
    assert next_polite_time(utc(2026, 6, 19, 9, 0)) == utc(2026, 6, 22, 6, 0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        next_polite_time(datetime(2026, 11, 25, 12, 0))
