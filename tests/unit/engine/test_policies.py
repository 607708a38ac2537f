"""The built-in rotation policies: daily, weekly, custom and split."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from plantao.engine import PolicyContext

from .scenarios import (
    A,
    B,
    C,
    D,
    E,
    LISBON,
    NEW_YORK,
    POLICIES,
    SAO_PAULO,
    at,
    build,
    local_spans,
    people,
    rotation,
)

HOURS = timedelta(hours=1)


def durations(shifts):
    return [(shift.end - shift.start) / HOURS for shift in shifts]


class TestDaily:
    def test_one_shift_a_day_handed_over_at_nine_in_turn(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 9)
        roster = build(
            rotation("daily", anchor=monday), start=monday, end=monday + timedelta(days=4)
        )

        assert people(roster.shifts) == [A, B, C, A]
        assert local_spans(roster.shifts, SAO_PAULO) == [
            ("2025-03-03 09:00", "2025-03-04 09:00"),
            ("2025-03-04 09:00", "2025-03-05 09:00"),
            ("2025-03-05 09:00", "2025-03-06 09:00"),
            ("2025-03-06 09:00", "2025-03-07 09:00"),
        ]

    def test_the_handoff_time_is_a_parameter(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 7, 30)
        roster = build(
            rotation("daily", anchor=monday, params={"handoff_time": "07:30"}),
            start=monday,
            end=monday + timedelta(days=2),
        )
        assert local_spans(roster.shifts, SAO_PAULO) == [
            ("2025-03-03 07:30", "2025-03-04 07:30"),
            ("2025-03-04 07:30", "2025-03-05 07:30"),
        ]

    def test_a_rotation_starting_between_handoffs_begins_with_a_short_first_shift(self):
        midnight = at(SAO_PAULO, 2025, 3, 3, 0)
        roster = build(
            rotation("daily", anchor=midnight), start=midnight, end=midnight + timedelta(days=1)
        )
        assert local_spans(roster.shifts, SAO_PAULO) == [
            ("2025-03-03 00:00", "2025-03-03 09:00"),
            ("2025-03-03 09:00", "2025-03-04 09:00"),
        ]
        assert people(roster.shifts) == [A, B]

    @pytest.mark.parametrize(
        ("zone", "two_days_before", "length_across_the_change"),
        [
            (NEW_YORK, (2025, 3, 7), 23),
            (NEW_YORK, (2025, 10, 31), 25),
            (LISBON, (2025, 3, 28), 23),
            (LISBON, (2025, 10, 24), 25),
        ],
        ids=["New York spring", "New York autumn", "Lisbon spring", "Lisbon autumn"],
    )
    def test_nine_o_clock_stays_nine_o_clock_across_daylight_saving(
        self, zone, two_days_before, length_across_the_change
    ):
        start = at(zone, *two_days_before, 9)
        roster = build(
            rotation("daily", anchor=start), start=start, end=start + timedelta(days=3), tz=zone
        )

        assert [span[0][-5:] for span in local_spans(roster.shifts, zone)] == ["09:00"] * 3
        # The shift across the change is an hour shorter in spring and an
        # hour longer in autumn; the others last a day.
        assert durations(roster.shifts) == [24, length_across_the_change, 24]

    def test_sao_paulo_has_no_daylight_saving_any_more(self):
        new_year = at(SAO_PAULO, 2025, 1, 1, 9)
        roster = build(
            rotation("daily", anchor=new_year), start=new_year, end=at(SAO_PAULO, 2026, 1, 1, 9)
        )
        assert len(roster.shifts) == 365
        assert set(durations(roster.shifts)) == {24}


class TestWeekly:
    def test_one_shift_a_week_in_plain_round_robin(self):
        monday = at(SAO_PAULO, 2025, 1, 6, 9)
        roster = build(
            rotation("weekly", anchor=monday), start=monday, end=monday + timedelta(weeks=6)
        )

        assert people(roster.shifts) == [A, B, C, A, B, C]
        assert [span[0] for span in local_spans(roster.shifts, SAO_PAULO)][:2] == [
            "2025-01-06 09:00",
            "2025-01-13 09:00",
        ]
        assert [shift.key for shift in roster.shifts] == [f"r1:members:{n}" for n in range(6)]

    def test_the_handoff_weekday_and_time_are_parameters(self):
        friday = at(SAO_PAULO, 2025, 3, 7, 18)
        roster = build(
            rotation(
                "weekly", anchor=friday, params={"handoff_weekday": 4, "handoff_time": "18:00"}
            ),
            start=friday,
            end=friday + timedelta(weeks=2),
        )
        assert local_spans(roster.shifts, SAO_PAULO) == [
            ("2025-03-07 18:00", "2025-03-14 18:00"),
            ("2025-03-14 18:00", "2025-03-21 18:00"),
        ]

    def test_monday_nine_stays_monday_nine_across_daylight_saving_in_new_york(self):
        monday = at(NEW_YORK, 2025, 3, 3, 9)
        roster = build(
            rotation("weekly", anchor=monday),
            start=monday,
            end=monday + timedelta(weeks=3),
            tz=NEW_YORK,
        )
        assert [span[0] for span in local_spans(roster.shifts, NEW_YORK)] == [
            "2025-03-03 09:00",
            "2025-03-10 09:00",
            "2025-03-17 09:00",
        ]
        assert durations(roster.shifts) == [167, 168, 168]


class TestCustom:
    def test_one_day_by_default_like_daily(self):
        monday = at(SAO_PAULO, 2025, 3, 3, 9)
        custom = build(
            rotation("custom", anchor=monday), start=monday, end=monday + timedelta(days=5)
        )
        daily = build(
            rotation("daily", anchor=monday), start=monday, end=monday + timedelta(days=5)
        )
        assert local_spans(custom.shifts, SAO_PAULO) == local_spans(daily.shifts, SAO_PAULO)
        assert people(custom.shifts) == people(daily.shifts)

    def test_hours_are_real_elapsed_hours_even_across_daylight_saving(self):
        saturday = at(NEW_YORK, 2025, 3, 8, 9)
        roster = build(
            rotation("custom", anchor=saturday, params={"length": 12, "unit": "hours"}),
            start=saturday,
            end=saturday + timedelta(hours=36),
            tz=NEW_YORK,
        )
        assert durations(roster.shifts) == [12, 12, 12]
        # So the local handoff moves by the hour the clocks jumped.
        assert local_spans(roster.shifts, NEW_YORK) == [
            ("2025-03-08 09:00", "2025-03-08 21:00"),
            ("2025-03-08 21:00", "2025-03-09 10:00"),
            ("2025-03-09 10:00", "2025-03-09 22:00"),
        ]

    def test_days_are_local_calendar_days_across_daylight_saving_in_lisbon(self):
        thursday = at(LISBON, 2025, 3, 27, 9)
        roster = build(
            rotation("custom", anchor=thursday, params={"length": 3, "unit": "days"}),
            start=thursday,
            end=thursday + timedelta(days=6),
            tz=LISBON,
        )
        assert local_spans(roster.shifts, LISBON) == [
            ("2025-03-27 09:00", "2025-03-30 09:00"),
            ("2025-03-30 09:00", "2025-04-02 09:00"),
        ]
        assert durations(roster.shifts) == [71, 72]

    def test_days_are_counted_from_the_rotation_start(self):
        wednesday = at(SAO_PAULO, 2025, 3, 5, 8)
        roster = build(
            rotation("custom", anchor=wednesday, params={"length": 2, "handoff_time": "08:00"}),
            start=wednesday + timedelta(days=10),
            end=wednesday + timedelta(days=11),
        )
        assert local_spans(roster.shifts, SAO_PAULO) == [("2025-03-15 08:00", "2025-03-17 08:00")]
        assert people(roster.shifts) == [C]  # the sixth turn: A B C A B C


class TestSplit:
    def test_business_hours_and_nights_alternate_and_a_weekend_is_one_slot(self):
        monday = at(SAO_PAULO, 2025, 3, 10, 9)
        roster = build(
            rotation("split", anchor=monday), start=monday, end=monday + timedelta(weeks=1)
        )

        spans = local_spans(roster.shifts, SAO_PAULO)
        assert spans[:3] == [
            ("2025-03-10 09:00", "2025-03-10 18:00"),
            ("2025-03-10 18:00", "2025-03-11 09:00"),
            ("2025-03-11 09:00", "2025-03-11 18:00"),
        ]
        assert spans[-1] == ("2025-03-14 18:00", "2025-03-17 09:00")
        assert len(spans) == 10
        assert [shift.key.split(":")[1] for shift in roster.shifts[:4]] == [
            "business",
            "night",
            "business",
            "night",
        ]

    def test_a_holiday_stretches_the_off_hours_slot_around_it(self):
        # Good Friday and Tiradentes make Easter 2025 a four-day weekend.
        holidays = {date(2025, 4, 18): "Sexta-feira Santa", date(2025, 4, 21): "Tiradentes"}
        thursday = at(SAO_PAULO, 2025, 4, 17, 9)
        roster = build(
            rotation("split", anchor=thursday),
            start=thursday,
            end=at(SAO_PAULO, 2025, 4, 22, 12),
            holidays=holidays,
        )
        assert local_spans(roster.shifts, SAO_PAULO) == [
            ("2025-04-17 09:00", "2025-04-17 18:00"),
            ("2025-04-17 18:00", "2025-04-22 09:00"),
            ("2025-04-22 09:00", "2025-04-22 18:00"),
        ]

    def test_each_queue_has_its_own_members_and_order(self):
        monday = at(SAO_PAULO, 2025, 3, 10, 9)
        roster = build(
            rotation("split", members=(A, B, C), anchor=monday, params={"night_members": [D, E]}),
            start=monday,
            end=monday + timedelta(weeks=1),
        )
        business = [s.person_id for s in roster.shifts if ":business:" in s.key]
        nights = [s.person_id for s in roster.shifts if ":night:" in s.key]
        assert business == [A, B, C, A, B]
        assert nights == [D, E, D, E, D]

    def test_business_days_and_hours_are_parameters(self):
        monday = at(SAO_PAULO, 2025, 3, 10, 8)
        roster = build(
            rotation(
                "split",
                anchor=monday,
                params={
                    "business_start": "08:00",
                    "business_end": "20:00",
                    "business_days": [0, 2],
                },
            ),
            start=monday,
            end=monday + timedelta(weeks=1),
        )
        assert local_spans(roster.shifts, SAO_PAULO) == [
            ("2025-03-10 08:00", "2025-03-10 20:00"),
            ("2025-03-10 20:00", "2025-03-12 08:00"),
            ("2025-03-12 08:00", "2025-03-12 20:00"),
            ("2025-03-12 20:00", "2025-03-17 08:00"),
        ]


class TestLabels:
    """Rules such as fair_holidays read the labels a policy puts on slots."""

    def slots(self, policy, start, end, **params):
        tz = ZoneInfo(SAO_PAULO)
        ctx = PolicyContext(
            tz=tz,
            anchor=start,
            params=POLICIES[policy].defaults(params),
            members=(A, B),
            holidays={date(2025, 12, 25): "Natal"},
        )
        return list(POLICIES[policy].slots(ctx, start, end))

    def test_a_daily_shift_belongs_to_the_day_it_mostly_covers(self):
        christmas_eve = at(SAO_PAULO, 2025, 12, 24, 9)
        eve, christmas, boxing_day = self.slots(
            "daily", christmas_eve, christmas_eve + timedelta(days=3)
        )
        assert eve.labels == frozenset()
        assert christmas.labels == {"holiday"}
        # The 26th is a Friday: nine hours of Saturday morning do not make a weekend shift.
        assert boxing_day.labels == frozenset()
        saturday = self.slots(
            "daily", at(SAO_PAULO, 2025, 12, 27, 9), at(SAO_PAULO, 2025, 12, 27, 10)
        )
        assert saturday[0].labels == {"weekend"}

    def test_a_night_into_a_holiday_is_a_holiday_shift(self):
        night = self.slots(
            "custom",
            at(SAO_PAULO, 2025, 12, 24, 21),
            at(SAO_PAULO, 2025, 12, 24, 22),
            length=12,
            unit="hours",
        )
        assert night[0].labels == {"holiday"}

    def test_a_week_holds_its_weekend(self):
        week = self.slots("weekly", at(SAO_PAULO, 2025, 12, 22, 9), at(SAO_PAULO, 2025, 12, 22, 10))
        assert week[0].labels == {"holiday", "weekend"}

    def test_slot_indexes_count_turns_per_queue_from_the_anchor(self):
        monday = at(SAO_PAULO, 2025, 3, 10, 9)
        slots = self.slots("split", monday, monday + timedelta(days=2))
        assert [(slot.queue, slot.index) for slot in slots] == [
            ("business", 0),
            ("night", 0),
            ("business", 1),
            ("night", 1),
        ]


def test_invalid_parameters_are_refused_with_the_policy_name():
    monday = at(SAO_PAULO, 2025, 3, 3, 9)
    with pytest.raises(ValueError, match="'daily'.*handoff_time"):
        build(
            rotation("daily", anchor=monday, params={"handoff_time": "25:00"}),
            start=monday,
            end=monday + timedelta(days=1),
        )
    with pytest.raises(ValueError, match="'weekly'"):
        build(
            rotation("weekly", anchor=monday, params={"every": 2}),
            start=monday,
            end=monday + timedelta(days=1),
        )
