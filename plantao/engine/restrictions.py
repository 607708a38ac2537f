"""Restricting a rotation to some weekdays and hours of the day.

A restricted rotation is only on duty inside its active windows, in the
team's local time: "weekdays only", "19:00-07:00", or both.  Its slots are
cut to those windows, so one slot may become several pieces (a week of
nights is five pieces) or none at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from plantao.engine.model import Restriction
from plantao.engine.policies import local_date, wall_clock

Interval = tuple[datetime, datetime]


def active_windows(
    restriction: Restriction, start: datetime, end: datetime, tz: ZoneInfo
) -> Iterator[Interval]:
    """Yield the restriction's active windows that overlap ``[start, end)``, merged.

    Windows are not cut to ``[start, end)``; windows that touch are merged,
    so "weekdays, all day" is one window from Monday 00:00 to Saturday 00:00.
    """
    opens = restriction.start_time or time(0)
    closes = restriction.end_time
    crosses_midnight = closes is None or closes <= opens
    # A window crossing midnight belongs to the day it starts on, so the day
    # before ``start`` may still be open at ``start``.
    day = local_date(start, tz) - timedelta(days=1)
    last = local_date(end, tz)
    pending: Interval | None = None
    while day <= last:
        if restriction.weekdays is None or day.weekday() in restriction.weekdays:
            window_start = wall_clock(day, opens, tz)
            window_end = wall_clock(
                day + timedelta(days=1) if crosses_midnight else day, closes or time(0), tz
            )
            if window_end > start and window_start < end:
                if pending is not None and window_start <= pending[1]:
                    pending = (pending[0], max(pending[1], window_end))
                else:
                    if pending is not None:
                        yield pending
                    pending = (window_start, window_end)
        day += timedelta(days=1)
    if pending is not None:
        yield pending


def active_pieces(
    restriction: Restriction | None, start: datetime, end: datetime, tz: ZoneInfo
) -> list[Interval]:
    """The parts of ``[start, end)`` during which the restriction is active.

    Without a restriction (or with one that restricts nothing) that is the
    whole interval.
    """
    if restriction is None or restriction.is_unrestricted:
        return [(start, end)]
    return [
        (max(start, window_start), min(end, window_end))
        for window_start, window_end in active_windows(restriction, start, end, tz)
    ]
