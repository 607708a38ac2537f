"""The timeline's geometry: a bar's place is its real instant in the window, in percent,
clipped to the window; a name shows whole, as initials or not at all, never cut."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from plantao.services.errors import BadRequest
from plantao.services.timeline import (
    CHAR_PX, Window, initials, label_mode, parse_window, position, rows, span, ticks, window,
)

NEW_YORK = ZoneInfo("America/New_York")
UTC = timezone.utc


def local(*parts) -> datetime:
    return datetime(*parts, tzinfo=NEW_YORK)


def test_a_week_across_the_spring_change_is_167_hours_and_bars_keep_their_real_length():
    # Clocks in New York jump from 02:00 to 03:00 on Sunday 8 March 2026.
    week = window("week", date(2026, 3, 7))
    start, end = week.bounds(NEW_YORK)
    assert end - start == timedelta(hours=167)
    days = ticks(week, NEW_YORK, today=date(2026, 3, 8))
    assert [tick.day for tick in days] == [date(2026, 3, 7) + timedelta(days=n) for n in range(7)]
    assert days[1].left == pytest.approx(100 * 24 / 167, abs=1e-3)
    assert days[1].width == pytest.approx(100 * 23 / 167, abs=1e-3)  # the short Sunday
    assert days[2].left == pytest.approx(100 * 47 / 167, abs=1e-3)
    assert [tick.today for tick in days] == [False, True, False, False, False, False, False]
    # Sunday from midnight to noon (wall clock) is eleven hours, not twelve.
    morning = span(local(2026, 3, 8, 0), local(2026, 3, 8, 12), start, end)
    assert morning.left == pytest.approx(100 * 24 / 167, abs=1e-3)
    assert morning.width == pytest.approx(100 * 11 / 167, abs=1e-3)
    # The same instant written in UTC lands on the same spot.
    assert position(local(2026, 3, 9, 9), start, end) == position(datetime(2026, 3, 9, 13, tzinfo=UTC), start, end)


def test_a_day_zoom_on_the_change_days_places_hours_by_real_time():
    spring = window("day", date(2026, 3, 8))
    start, end = spring.bounds(NEW_YORK)
    assert end - start == timedelta(hours=23)
    hours = ticks(spring, NEW_YORK, today=date(2000, 1, 1))
    assert len(hours) == 8
    # 03:00 comes two real hours after midnight (02:00 never happens).
    assert hours[1].left == pytest.approx(100 * 2 / 23, abs=1e-3)
    shift = span(local(2026, 3, 8, 9), local(2026, 3, 8, 17), start, end)
    assert (shift.left, shift.width) == (pytest.approx(100 * 8 / 23, abs=1e-3), pytest.approx(100 * 8 / 23, abs=1e-3))
    autumn = window("day", date(2026, 11, 1))
    start, end = autumn.bounds(NEW_YORK)
    assert end - start == timedelta(hours=25)
    assert position(local(2026, 11, 1, 12), start, end) == pytest.approx(100 * 13 / 25, abs=1e-3)


def test_bars_are_clipped_to_the_window_and_say_so():
    start, end = local(2026, 5, 4), local(2026, 5, 11)
    before = span(start - timedelta(days=2), start + timedelta(days=1), start, end)
    assert (before.left, before.clipped_before, before.clipped_after) == (0, True, False)
    assert before.width == pytest.approx(100 / 7, abs=1e-3)
    after = span(end - timedelta(hours=42), end + timedelta(days=30), start, end)
    assert after.left + after.width == pytest.approx(100, abs=1e-3)
    assert (after.clipped_before, after.clipped_after) == (False, True)
    whole = span(start - timedelta(days=1), end + timedelta(days=1), start, end)
    assert (whole.left, whole.width, whole.clipped_before, whole.clipped_after) == (0, 100, True, True)
    inside = span(start + timedelta(days=1), start + timedelta(days=2), start, end)
    assert not inside.clipped_before and not inside.clipped_after
    # Outside the window, touching its edges, or empty: no bar.
    assert span(start - timedelta(days=1), start, start, end) is None
    assert span(end, end + timedelta(days=1), start, end) is None
    assert span(start + timedelta(hours=1), start + timedelta(hours=1), start, end) is None
    # The current time is drawn only inside the window.
    assert position(start, start, end) == 0
    assert position(end, start, end) is None and position(start - timedelta(seconds=1), start, end) is None


def test_a_name_shows_whole_wrapped_as_initials_or_not_at_all():
    name = "Luís Gonçalves de Albuquerque"
    assert initials(name) == "LG"
    assert initials("Ana") == "A"
    assert label_mode(name, 400) == "name"  # one line
    # "Luís Gonçalves" / "de Albuquerque": two lines of 14 characters.
    assert label_mode(name, 14 * CHAR_PX + 10) == "name"
    assert label_mode(name, 14 * CHAR_PX + 9) == "initials"  # three lines would not fit the bar
    assert label_mode(name, 2 * CHAR_PX + 10) == "initials"
    assert label_mode(name, 2 * CHAR_PX + 9) == "none"
    # A word longer than the bar is never broken: initials instead.
    assert label_mode("Maximiliano", 60) == "initials"


def test_overlapping_bars_take_rows_and_touching_ones_share_one():
    t = [local(2026, 5, 4, hour) for hour in range(0, 24, 2)]
    placed, count = rows([(t[0], t[2]), (t[1], t[3]), (t[2], t[4]), (t[0], t[5])])
    assert placed == [0, 2, 0, 1] and count == 3
    assert rows([]) == ([], 1)


def test_zoom_and_from_give_the_window():
    thursday = date(2026, 3, 5)
    # Without ?from=: this week from the locale's first weekday (Sunday in Brazil, Monday elsewhere).
    assert parse_window(None, None, thursday, 6) == Window("week", date(2026, 3, 1), date(2026, 3, 8))
    assert parse_window("week", "", thursday, 0) == Window("week", date(2026, 3, 2), date(2026, 3, 9))
    assert parse_window("day", None, thursday, 6) == Window("day", thursday, date(2026, 3, 6))
    assert parse_window("2weeks", "2026-03-04", thursday, 6).following == date(2026, 3, 18)
    # A month is the calendar month holding the date; its neighbours are whole months.
    february = parse_window("month", "2024-02-17", thursday, 6)
    assert (february.first, february.following, february.days) == (date(2024, 2, 1), date(2024, 3, 1), 29)
    assert february.previous() == date(2024, 1, 1)
    assert window("week", date(2026, 3, 4)).previous() == date(2026, 2, 25)
    for zoom, start in (("year", None), ("WEEK", None), ("week", "2026-02-30"), ("week", "04/03/2026"),
                        ("week", "1969-12-31"), ("week", "2200-01-01"), ("week", "2026-3-4")):
        with pytest.raises(BadRequest):
            parse_window(zoom, start, thursday, 6)
