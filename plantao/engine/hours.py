"""On-call hours split the way Brazilian payroll pays them.

Standby time (*sobreaviso*, CLT art. 244 §2, applied to on-call staff by TST
Súmula 428) is paid per hour, and HR pays nights, weekends and holidays apart.
:func:`split_hours` cuts an interval at the local midnights and at the CLT's
night bounds (22:00 and 05:00) of a zone and files every piece under exactly
one of five kinds, in this precedence::

    holiday > Sunday > Saturday > weekday night (22:00-05:00) > weekday day

so the five figures always add up to the total.  Two more figures, ``night``
and ``weekend``, overlap that partition: every night hour and every weekend
hour whatever else the day is (the fairness report reads them).

Hours are real elapsed hours: a night across a DST change lasts what the
clocks say it lasted in absolute time, so a DST day counts 23 or 25 hours.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from plantao.plugin_api import as_utc, local_date, wall_clock

NIGHT_START = time(22, 0)
NIGHT_END = time(5, 0)

SATURDAY = 5
SUNDAY = 6
_HOUR = 3600.0


@dataclass(frozen=True)
class HourSplit:
    """Hours of an interval, as a partition by kind plus two overlapping figures."""

    total: float = 0.0
    # The five below are a partition of total, by the precedence
    # holiday > Sunday > Saturday > weekday night 22:00-05:00 > weekday day.
    weekday_day: float = 0.0
    weekday_night: float = 0.0
    saturday: float = 0.0
    sunday: float = 0.0
    holiday: float = 0.0
    # These two overlap the partition: every hour 22:00-05:00 local on any
    # day, and every hour of a local Saturday or Sunday.
    night: float = 0.0
    weekend: float = 0.0

    def __add__(self, other: HourSplit) -> HourSplit:
        if not isinstance(other, HourSplit):
            return NotImplemented
        return HourSplit(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})


PARTITION = ("weekday_day", "weekday_night", "saturday", "sunday", "holiday")


def _kind(day: date, is_night: bool, holidays: Container[date]) -> str:
    if day in holidays:
        return "holiday"
    weekday = day.weekday()
    if weekday == SUNDAY:
        return "sunday"
    if weekday == SATURDAY:
        return "saturday"
    return "weekday_night" if is_night else "weekday_day"


def split_hours(start: datetime, end: datetime, tz: ZoneInfo, holidays: Container[date]) -> HourSplit:
    """Split ``[start, end)`` into payroll kinds of hours, in the zone ``tz``.

    Each instant is classified by its own local date and local time in
    ``tz``; ``holidays`` holds local dates.  The boundaries are exact
    instants (local midnights, 05:00 and 22:00 resolved with zoneinfo), so
    DST days come out right.  An empty or reversed interval gives zeros.
    """
    start = as_utc(start, "start")
    end = as_utc(end, "end")
    if end <= start:
        return HourSplit()
    seconds = dict.fromkeys(PARTITION, 0.0)
    night = weekend = 0.0
    day = local_date(start, tz)
    last = local_date(end, tz)
    while day <= last:
        next_day = day + timedelta(days=1)
        # A day's pieces: [00:00, 05:00) night, [05:00, 22:00) day,
        # [22:00, 24:00) night.  The max() keeps the bounds in order should a
        # zone's DST jump ever straddle one of them.
        bounds = [wall_clock(day, time(0), tz)]
        for at in (NIGHT_END, NIGHT_START):
            bounds.append(max(bounds[-1], wall_clock(day, at, tz)))
        bounds.append(max(bounds[-1], wall_clock(next_day, time(0), tz)))
        for index, is_night in enumerate((True, False, True)):
            piece = (min(end, bounds[index + 1]) - max(start, bounds[index])).total_seconds()
            if piece <= 0:
                continue
            seconds[_kind(day, is_night, holidays)] += piece
            if is_night:
                night += piece
            if day.weekday() in (SATURDAY, SUNDAY):
                weekend += piece
        day = next_day
    return HourSplit(
        total=(end - start).total_seconds() / _HOUR,
        night=night / _HOUR,
        weekend=weekend / _HOUR,
        **{kind: value / _HOUR for kind, value in seconds.items()},
    )
