"""Restricted rotations: weekdays and hours of the day, and how turns pass."""

from __future__ import annotations

from datetime import time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from plantao.engine import LeaveSpec, Restriction, active_pieces

from .scenarios import A, B, C, NEW_YORK, SAO_PAULO, at, build, local_spans, people, rotation

WEEKDAYS = frozenset(range(5))
NIGHTS = Restriction(start_time=time(19), end_time=time(7))
WEEKDAY_NIGHTS = Restriction(weekdays=WEEKDAYS, start_time=time(19), end_time=time(7))


def pieces(restriction, start, end, zone=SAO_PAULO):
    """The active pieces of ``[start, end)`` as local times."""
    spans = active_pieces(restriction, start, end, ZoneInfo(zone))
    return local_spans([SimpleNamespace(start=s, end=e) for s, e in spans], zone)


class TestActiveWindows:
    def test_weekdays_only_is_monday_to_friday_as_one_stretch(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 9)
        assert pieces(Restriction(weekdays=WEEKDAYS), monday, monday + timedelta(weeks=1)) == [
            ("2025-03-03 09:00", "2025-03-08 00:00"),
            ("2025-03-10 00:00", "2025-03-10 09:00"),
        ]

    def test_an_end_before_the_start_crosses_midnight(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 9)
        assert pieces(NIGHTS, monday, monday + timedelta(days=1)) == [
            ("2025-03-03 19:00", "2025-03-04 07:00"),
        ]

    def test_a_night_belongs_to_the_weekday_it_starts_on(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 9)
        assert pieces(WEEKDAY_NIGHTS, monday, monday + timedelta(weeks=1)) == [
            ("2025-03-03 19:00", "2025-03-04 07:00"),
            ("2025-03-04 19:00", "2025-03-05 07:00"),
            ("2025-03-05 19:00", "2025-03-06 07:00"),
            ("2025-03-06 19:00", "2025-03-07 07:00"),
            ("2025-03-07 19:00", "2025-03-08 07:00"),  # Friday night, into Saturday
        ]  # and no Sunday night

    def test_an_open_ended_window_runs_to_midnight_or_from_it(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 0)
        assert pieces(Restriction(start_time=time(20)), monday, monday + timedelta(days=1)) == [
            ("2025-03-03 20:00", "2025-03-04 00:00"),
        ]
        assert pieces(Restriction(end_time=time(6)), monday, monday + timedelta(days=1)) == [
            ("2025-03-03 00:00", "2025-03-03 06:00"),
        ]

    def test_windows_are_local_wall_clock_times_across_daylight_saving(self):
        saturday = at(NEW_YORK, 2025, 3, 8, 12)
        [(start, end)] = active_pieces(
            NIGHTS, saturday, saturday + timedelta(days=1), ZoneInfo(NEW_YORK)
        )
        assert pieces(NIGHTS, saturday, saturday + timedelta(days=1), NEW_YORK) == [
            ("2025-03-08 19:00", "2025-03-09 07:00"),
        ]
        assert end - start == timedelta(hours=11)

    def test_no_restriction_leaves_the_slot_whole(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 9)
        assert active_pieces(None, monday, monday + timedelta(days=1), ZoneInfo(SAO_PAULO)) == [
            (monday, monday + timedelta(days=1))
        ]
        assert active_pieces(
            Restriction(), monday, monday + timedelta(days=1), ZoneInfo(SAO_PAULO)
        ) == [(monday, monday + timedelta(days=1))]


class TestRestrictedRotations:
    def test_a_week_of_weekday_nights_is_one_turn_in_five_pieces(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 9)
        roster = build(
            rotation("weekly", anchor=monday, restriction=WEEKDAY_NIGHTS),
            start=monday,
            end=monday + timedelta(weeks=2),
        )
        assert people(roster.shifts) == [A] * 5 + [B] * 5
        assert [shift.key for shift in roster.shifts[:5]] == [f"r1:members:0.{n}" for n in range(5)]
        assert local_spans(roster.shifts, SAO_PAULO)[4] == ("2025-03-07 19:00", "2025-03-08 07:00")

    def test_calendar_turns_pass_even_through_inactive_days(self):
        # Daily turns handed over at midnight, only on weekdays: the
        # weekend's turns are used up although nobody is on duty.
        monday = at(SAO_PAULO, 2025, 3, 3, 0)
        roster = build(
            rotation(
                "daily",
                anchor=monday,
                params={"handoff_time": "00:00"},
                restriction=Restriction(weekdays=WEEKDAYS),
                turn_mode="calendar",
            ),
            start=monday,
            end=monday + timedelta(weeks=2),
        )
        assert people(roster.shifts) == [A, B, C, A, B] + [B, C, A, B, C]
        # The keys keep counting the calendar's slots.
        assert roster.shifts[5].key == "r1:members:7.0"

    def test_active_turns_pass_only_with_time_on_duty_so_nobody_is_starved(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 0)
        roster = build(
            rotation(
                "daily",
                anchor=monday,
                params={"handoff_time": "00:00"},
                restriction=Restriction(weekdays=WEEKDAYS),
                turn_mode="active",
            ),
            start=monday,
            end=monday + timedelta(weeks=2),
        )
        assert people(roster.shifts) == [A, B, C, A, B] + [C, A, B, C, A]

    def test_a_leave_outside_the_active_hours_does_not_matter(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 9)
        # A is away Monday afternoon, before the night starts.
        leave = LeaveSpec(
            person_id=A, start=monday + timedelta(hours=3), end=monday + timedelta(hours=6)
        )
        roster = build(
            rotation("daily", anchor=monday, restriction=NIGHTS),
            start=monday,
            end=monday + timedelta(days=1),
            leaves=(leave,),
        )
        assert people(roster.shifts) == [A]
