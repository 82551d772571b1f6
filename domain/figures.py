"""Aggregated figures for the steering group (styrgrupp): numbers, never names.

Small counts can point at one child in a small municipality ("the one Top 5 case at Norra skolan"), so
every count below ``SUPPRESS_BELOW`` is shown as "fewer than 3" and ratios over fewer than that many
items are not shown at all — the usual rule for publishing statistics about individuals.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

SUPPRESS_BELOW = 3


@dataclass(frozen=True)
class Figure:
    """A count or a share as it may be shown: ``value`` None when suppressed."""

    value: float | None
    suppressed: bool = False


def count(n: int) -> Figure:
    if 0 < n < SUPPRESS_BELOW:
        return Figure(None, suppressed=True)
    return Figure(float(n))


def share(part: int, whole: int) -> Figure:
    """A percentage, suppressed when the whole is too small to say anything without pointing at someone."""
    if whole < SUPPRESS_BELOW:
        return Figure(None, suppressed=whole > 0)
    return Figure(round(100.0 * part / whole))


def median_days(values: Iterable[int]) -> Figure:
    days = list(values)
    if len(days) < SUPPRESS_BELOW:
        return Figure(None, suppressed=bool(days))
    return Figure(float(statistics.median(days)))
