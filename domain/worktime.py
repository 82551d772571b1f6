"""Swedish working time: when reminders may reach people and how "N working days" count.

Municipal staff do not work weekends, public holidays or the de facto holidays midsommarafton,
julafton and nyårsafton, and a reminder at 22:00 or on Midsummer Eve is both useless and rude.
Times are computed in Europe/Stockholm and returned in UTC, so DST changes are handled by zoneinfo.

The `holidays` package's Sweden calendar has, in some versions, counted every Sunday as a holiday
(`include_sundays`); we ask for Sundays to be left out and treat weekends ourselves, so the
answer does not depend on the installed version.

i18n keys emitted: none.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

I18N_KEYS: frozenset[str] = frozenset()

STOCKHOLM = ZoneInfo("Europe/Stockholm")
UTC = ZoneInfo("UTC")
WORKDAY_START = time(8, 0)
WORKDAY_END = time(17, 0)


def _de_facto_eves(year: int) -> set[date]:
    """Midsommarafton (the Friday 19–25 June), julafton and nyårsafton."""
    midsummer_eve = next(date(year, 6, d) for d in range(19, 26) if date(year, 6, d).weekday() == 4)
    return {midsummer_eve, date(year, 12, 24), date(year, 12, 31)}


@lru_cache(maxsize=64)
def _non_working_dates(year: int) -> frozenset[date]:
    try:
        calendar = holidays.country_holidays("SE", years=year, include_sundays=False)
    except TypeError:  # very old `holidays` without the option; Sundays are weekend anyway
        calendar = holidays.country_holidays("SE", years=year)
    return frozenset(set(calendar.keys()) | _de_facto_eves(year))


def is_working_day(d: date) -> bool:
    """Monday–Friday that is neither a Swedish public holiday nor a de facto one."""
    return d.weekday() < 5 and d not in _non_working_dates(d.year)


def next_working_day(d: date) -> date:
    """First working day strictly after d."""
    day = d + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_working_day(d: date) -> date:
    """Last working day strictly before d."""
    day = d - timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_day_on_or_after(d: date) -> date:
    """d itself if it is a working day, else the next one; for dates that land on a holiday."""
    return d if is_working_day(d) else next_working_day(d)


def working_days_before(d: date, n: int) -> date:
    """The n-th working day before d (d itself not counted); n=0 gives d."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = d
    for _ in range(n):
        day = previous_working_day(day)
    return day


def working_days_after(d: date, n: int) -> date:
    """The n-th working day after d (d itself not counted); n=0 gives d."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = d
    for _ in range(n):
        day = next_working_day(day)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; how many working days overdue something is on `end`."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def local_to_utc(d: date, at: time) -> datetime:
    """A Stockholm wall-clock time on a date, as a UTC instant."""
    return datetime.combine(d, at, tzinfo=STOCKHOLM).astimezone(UTC)


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")


def to_local(instant: datetime) -> datetime:
    """Stockholm wall-clock view of an instant."""
    _require_aware(instant)
    return instant.astimezone(STOCKHOLM)


def is_polite_time(instant: datetime) -> bool:
    """Inside 08:00–17:00 Stockholm time on a working day."""
    local = to_local(instant)
    return is_working_day(local.date()) and WORKDAY_START <= local.time() < WORKDAY_END


def next_polite_time(instant_utc: datetime) -> datetime:
    """The instant itself if polite, else the next 08:00 Stockholm time on a working day (in UTC)."""
    local = to_local(instant_utc)
    if is_polite_time(instant_utc):
        return instant_utc.astimezone(UTC)
    day = local.date()
    if is_working_day(day) and local.time() < WORKDAY_START:
        return local_to_utc(day, WORKDAY_START)
    return local_to_utc(next_working_day(day), WORKDAY_START)


def morning_of(d: date) -> datetime:
    """08:00 Stockholm on d, or on the next working day if d is not one (UTC)."""
    return local_to_utc(working_day_on_or_after(d), WORKDAY_START)
