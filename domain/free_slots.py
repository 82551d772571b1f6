"""Find common free meeting slots from free/busy data.

Why this exists: Graph's ``findMeetingTimes`` is not available with application permissions, so the bot
asks ``getSchedule`` for everyone's busy intervals and computes the candidate times itself. This module is
pure (stdlib only) so the rules — Swedish working day 08:00–17:00, quarter-hour grid, no weekends, no
holidays/klämdagar supplied by the caller, never in the past — are testable without any network.

All instants are timezone-aware; UTC in, UTC out. Wall-clock rules are applied in the local zone
(Europe/Stockholm by default), so a DST-change day still offers 08:00 local, not 07:00 or 09:00.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STOCKHOLM = "Europe/Stockholm"
QUARTER = timedelta(minutes=15)
MAX_CANDIDATES = 2000  # two weeks of quarter hours is under 500 a participant-free day set


@dataclass(frozen=True, slots=True)
class BusyInterval:
    """A time someone is not available. ``status`` is Graph's free/busy word (busy, tentative, oof, …)."""

    start_utc: datetime
    end_utc: datetime
    status: str = "busy"

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Half-open overlap: a meeting may start exactly when another ends."""
        return self.start_utc < end and start < self.end_utc


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Someone's working hours as wall-clock times in their own zone (Graph's ``workingHours``).

    ``days`` are ISO weekdays (1 = Monday … 7 = Sunday).
    """

    start: time = time(8, 0)
    end: time = time(17, 0)
    days: frozenset[int] = field(default_factory=lambda: frozenset({1, 2, 3, 4, 5}))
    time_zone: str = STOCKHOLM

    def contains(self, start_utc: datetime, end_utc: datetime) -> bool:
        """True when the whole slot lies inside one working day of this person."""
        tz = ZoneInfo(self.time_zone)
        s = start_utc.astimezone(tz)
        e = end_utc.astimezone(tz)
        if s.isoweekday() not in self.days:
            return False
        day_start = datetime.combine(s.date(), self.start, tz)
        day_end = datetime.combine(s.date(), self.end, tz)
        return day_start <= s and e <= day_end


@dataclass(frozen=True, slots=True)
class Slot:
    """A candidate meeting time everyone can attend."""

    start_utc: datetime
    end_utc: datetime


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (got naive {value!r})")


def _days(first: date, last: date) -> Iterable[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def find_free_slots(
    busy: Mapping[str, Sequence[BusyInterval]],
    *,
    window_start: datetime,
    window_end: datetime,
    duration: timedelta,
    now: datetime,
    working_hours: Mapping[str, WorkingHours | None] | None = None,
    non_working_dates: Collection[date] = frozenset(),
    tz: str = STOCKHOLM,
    day_start: time = time(8, 0),
    day_end: time = time(17, 0),
    count: int = 3,
    step: timedelta = QUARTER,
    spread: bool = False,
    preferred: tuple[time, time] | None = None,
) -> list[Slot]:
    """Return the first ``count`` slots of ``duration`` where nobody in ``busy`` is busy.

    A slot starts on the ``step`` grid counted from ``day_start`` local time (so 08:00, 08:15, …), lies
    wholly inside ``day_start``–``day_end`` local time on a weekday that is not in ``non_working_dates``,
    inside [``window_start``, ``window_end``], starts at or after ``now``, and — when a participant's
    ``working_hours`` are known — inside those too. Any busy status counts (tentative included): offering a
    time where someone is tentatively booked just produces a decline later.

    With ``spread`` the ``count`` slots are picked from the whole window instead of the first ones: one a
    day, on different days and times of day, those inside ``preferred`` (a local wall-clock window that
    suits a family, e.g. 14:00–17:00 after school) first — see ``spread_slots``.
    """
    if spread:
        everything = find_free_slots(
            busy,
            window_start=window_start,
            window_end=window_end,
            duration=duration,
            now=now,
            working_hours=working_hours,
            non_working_dates=non_working_dates,
            tz=tz,
            day_start=day_start,
            day_end=day_end,
            count=MAX_CANDIDATES,
            step=step,
        )
        return spread_slots(everything, count=count, preferred=preferred, tz=tz)
    for name, value in (("window_start", window_start), ("window_end", window_end), ("now", now)):
        _require_aware(name, value)
    if duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if count <= 0:
        return []
    zone = ZoneInfo(tz)
    earliest = max(window_start, now).astimezone(UTC)
    latest = window_end.astimezone(UTC)
    all_busy = [b for intervals in busy.values() for b in intervals]
    hours = [h for h in (working_hours or {}).values() if h is not None]
    found: list[Slot] = []
    for day in _days(earliest.astimezone(zone).date(), latest.astimezone(zone).date()):
        if day.isoweekday() >= 6 or day in non_working_dates:
            continue
        start_local = datetime.combine(day, day_start, zone)
        end_local = datetime.combine(day, day_end, zone)
        # Wall-clock stepping in the local zone, then conversion: on a DST day 08:00 stays 08:00 local.
        cursor = start_local
        while True:
            slot_end_local = (cursor.astimezone(UTC) + duration).astimezone(zone)
            if slot_end_local > end_local:
                break
            s = cursor.astimezone(UTC)
            e = s + duration
            if s >= earliest and e <= latest:
                if not any(b.overlaps(s, e) for b in all_busy) and all(h.contains(s, e) for h in hours):
                    found.append(Slot(s, e))
                    if len(found) >= count:
                        return found
            cursor = cursor + step
    return found


def spread_slots(
    candidates: Sequence[Slot],
    *,
    count: int = 3,
    preferred: tuple[time, time] | None = None,
    tz: str = STOCKHOLM,
) -> list[Slot]:
    """``count`` of ``candidates`` (in time order) spread out: never two on the same day while another day
    has room, no two starting at the same local hour while another hour is free, and those that lie wholly
    inside ``preferred`` (local wall clock) before the rest. Returned in time order."""
    zone = ZoneInfo(tz)

    def local(slot: Slot) -> tuple[date, time, time]:
        s, e = slot.start_utc.astimezone(zone), slot.end_utc.astimezone(zone)
        return s.date(), s.time(), e.time()

    def suits(slot: Slot) -> bool:
        if preferred is None:
            return True
        _, s, e = local(slot)
        return preferred[0] <= s and e <= preferred[1]

    picked: list[Slot] = []
    days: set[date] = set()
    hours: set[int] = set()
    passes = [
        lambda c: suits(c) and local(c)[0] not in days and local(c)[1].hour not in hours,
        lambda c: suits(c) and local(c)[0] not in days,
        lambda c: local(c)[0] not in days and local(c)[1].hour not in hours,
        lambda c: local(c)[0] not in days,
        lambda c: True,
    ]
    for accept in passes:
        for c in candidates:
            if len(picked) >= count:
                break
            if c not in picked and accept(c):
                picked.append(c)
                days.add(local(c)[0])
                hours.add(local(c)[1].hour)
    return sorted(picked, key=lambda slot: slot.start_utc)[:count]
