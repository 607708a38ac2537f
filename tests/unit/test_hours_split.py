"""Splitting on-call hours for payroll: the partition, the precedence, DST days by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plantao.engine.hours import HourSplit, split_hours

NEW_YORK = ZoneInfo("America/New_York")
LISBON = ZoneInfo("Europe/Lisbon")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
PARTS = ("weekday_day", "weekday_night", "saturday", "sunday", "holiday")


def at(tz, *fields) -> datetime:
    return datetime(*fields, tzinfo=tz)


def parts(split: HourSplit) -> dict:
    return {name: getattr(split, name) for name in PARTS if getattr(split, name)}


def test_a_weekday_splits_at_five_and_at_ten_at_night():
    # Tuesday 2026-11-03 00:00 to Wednesday 00:00 in São Paulo (no DST since 2019).
    split = split_hours(at(SAO_PAULO, 2026, 11, 3), at(SAO_PAULO, 2026, 11, 4), SAO_PAULO, set())
    assert split.total == 24
    assert parts(split) == {"weekday_day": 17, "weekday_night": 7}
    assert (split.night, split.weekend) == (7, 0)


def test_the_precedence_holiday_sunday_saturday_night_day():
    # Friday 20:00 to Monday 08:00, Monday a holiday (Sao Paulo).
    holidays = {date(2026, 11, 2)}  # Finados, a Monday
    split = split_hours(at(SAO_PAULO, 2026, 10, 30, 20), at(SAO_PAULO, 2026, 11, 2, 8), SAO_PAULO, holidays)
    assert split.total == 60
    assert parts(split) == {"weekday_day": 2, "weekday_night": 2, "saturday": 24, "sunday": 24, "holiday": 8}
    # Night: Fri 22-24, Sat 0-5 and 22-24, Sun 0-5 and 22-24, Mon 0-5.
    assert split.night == 2 + 7 + 7 + 5
    assert split.weekend == 48


def test_a_holiday_on_a_sunday_is_a_holiday():
    split = split_hours(at(SAO_PAULO, 2026, 11, 15), at(SAO_PAULO, 2026, 11, 16), SAO_PAULO, {date(2026, 11, 15)})
    assert parts(split) == {"holiday": 24}
    assert split.weekend == 24 and split.night == 7


def test_new_york_spring_forward_sunday_has_23_hours():
    # Saturday 2026-03-07 18:00 to Monday 09:00; clocks jump 02:00 -> 03:00 on Sunday the 8th.
    split = split_hours(at(NEW_YORK, 2026, 3, 7, 18), at(NEW_YORK, 2026, 3, 9, 9), NEW_YORK, set())
    assert split.total == 38
    assert parts(split) == {"saturday": 6, "sunday": 23, "weekday_night": 5, "weekday_day": 4}
    # Saturday 22-24 (2), Sunday 00-05 (4: an hour skipped), Sunday 22-24 (2), Monday 00-05 (5).
    assert split.night == 13


def test_lisbon_fall_back_sunday_has_25_hours_and_a_longer_night():
    # Friday 2026-10-23 20:00 to Monday 08:00; clocks go 02:00 -> 01:00 on Sunday the 25th.
    holidays = {date(2026, 10, 26)}
    split = split_hours(at(LISBON, 2026, 10, 23, 20), at(LISBON, 2026, 10, 26, 8), LISBON, holidays)
    assert split.total == 61
    assert parts(split) == {"weekday_day": 2, "weekday_night": 2, "saturday": 24, "sunday": 25, "holiday": 8}
    assert split.night == 2 + 7 + 8 + 5


def test_the_new_york_fall_back_night_lasts_nine_hours():
    # An ordinary night 22:00-06:00 lasts 8 hours; the one into Sunday 2026-11-01, when clocks go
    # back 02:00 -> 01:00, lasts 9, all of its Sunday part a Sunday hour.
    assert split_hours(at(NEW_YORK, 2026, 11, 2, 22), at(NEW_YORK, 2026, 11, 3, 6), NEW_YORK, set()).total == 8
    saturday_night = split_hours(at(NEW_YORK, 2026, 10, 31, 22), at(NEW_YORK, 2026, 11, 1, 6), NEW_YORK, set())
    assert saturday_night.total == 9
    assert parts(saturday_night) == {"saturday": 2, "sunday": 7}
    assert saturday_night.night == 2 + 6


def test_instants_in_any_zone_are_classified_in_the_zone_given():
    start = datetime(2026, 11, 3, 3, tzinfo=timezone.utc)  # 00:00 in São Paulo
    split = split_hours(start, start + timedelta(hours=5), SAO_PAULO, set())
    assert parts(split) == {"weekday_night": 5}


def test_an_empty_or_reversed_interval_is_zero():
    start = at(SAO_PAULO, 2026, 11, 3, 9)
    assert split_hours(start, start, SAO_PAULO, set()) == HourSplit()
    assert split_hours(start, start - timedelta(hours=1), SAO_PAULO, set()) == HourSplit()


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        split_hours(datetime(2026, 11, 3), datetime(2026, 11, 4), SAO_PAULO, set())


def test_splits_add_up():
    one = HourSplit(total=1, weekday_day=1)
    two = HourSplit(total=2, sunday=2, weekend=2, night=1)
    assert one + two == HourSplit(total=3, weekday_day=1, sunday=2, weekend=2, night=1)


ZONES = st.sampled_from([NEW_YORK, LISBON, SAO_PAULO, ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")])
INSTANTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda moment: moment.replace(tzinfo=timezone.utc)
)


@settings(max_examples=300, deadline=None)
@given(
    start=INSTANTS, hours=st.floats(min_value=0, max_value=24 * 40), tz=ZONES,
    holidays=st.sets(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)), max_size=400),
)
def test_the_partition_always_sums_to_the_total(start, hours, tz, holidays):
    end = start + timedelta(hours=hours)
    split = split_hours(start, end, tz, holidays)
    assert math.isclose(sum(getattr(split, name) for name in PARTS), split.total, abs_tol=1e-6)
    assert math.isclose(split.total, (end - start).total_seconds() / 3600, abs_tol=1e-9)
    assert all(getattr(split, name) >= 0 for name in (*PARTS, "night", "weekend"))
    assert split.night <= split.total + 1e-9 and split.weekend <= split.total + 1e-9


@settings(max_examples=200, deadline=None)
@given(start=INSTANTS, first=st.floats(min_value=0, max_value=200), second=st.floats(min_value=0, max_value=200),
       tz=ZONES)
def test_cutting_an_interval_in_two_changes_nothing(start, first, second, tz):
    middle = start + timedelta(hours=first)
    end = middle + timedelta(hours=second)
    whole = split_hours(start, end, tz, set())
    halves = split_hours(start, middle, tz, set()) + split_hours(middle, end, tz, set())
    for name in ("total", *PARTS, "night", "weekend"):
        assert math.isclose(getattr(whole, name), getattr(halves, name), abs_tol=1e-6)
