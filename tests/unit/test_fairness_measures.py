"""The fairness figures of a roster: :func:`plantao.services.fairness.measure_roster`, pure.

Hours are counted by hand in São Paulo (UTC−3, no DST since 2019): nights
are 22:00-05:00, weekends the local Saturday and Sunday, holidays the local
dates given.  The score is ``100 × (1 − imbalance) × (1 − uncovered)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from plantao.services.fairness import SCORE_WEIGHTS, fairness_score, measure_roster

TZ = ZoneInfo("America/Sao_Paulo")
ANA, BRUNO, CARLA, DORA = 1, 2, 3, 4
#: Monday 9 March 2026 is the team's own holiday in these tests.
HOLIDAY = date(2026, 3, 9)


@dataclass
class Piece:
    """What measure_roster reads of a shift."""

    person_id: int
    start: datetime
    end: datetime
    source: str = "rotation"
    override_id: int | None = None


def at(day: int, clock: str) -> datetime:
    """An instant of March 2026, local to São Paulo."""
    hour, minute = map(int, clock.split(":"))
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


PERIOD = {"start": at(2, "00:00"), "end": at(16, "00:00")}


def measure(shifts, **kw):
    return measure_roster(shifts, tz=TZ, holidays={HOLIDAY}, **{**PERIOD, **kw})


def test_the_calendar_of_these_tests():
    assert at(6, "00:00").weekday() == 4  # Friday
    assert at(7, "00:00").weekday() == 5  # Saturday
    assert HOLIDAY.weekday() == 0  # Monday


def test_hours_nights_weekends_and_holidays_counted_by_hand():
    figures = measure(
        [
            # Friday 20:00 to Saturday 08:00: nights 22-24 and 00-05 (7 h), Saturday 00-08 (8 h).
            Piece(ANA, at(6, "20:00"), at(7, "08:00")),
            # The holiday, 09:00 to 21:00: 12 holiday hours, neither night nor weekend.
            Piece(BRUNO, at(9, "09:00"), at(9, "21:00")),
            # Carla covers Tuesday 18:00 to Wednesday 06:00 for Ana: 7 night hours.
            Piece(CARLA, at(10, "18:00"), at(11, "06:00"), source="override", override_id=50),
        ],
        people=[ANA, BRUNO, CARLA, DORA],
        overrides_given={ANA: 1},
    )
    ana, bruno, carla, dora = (figures.person(p) for p in (ANA, BRUNO, CARLA, DORA))
    assert (ana.shifts, ana.hours, ana.night_hours, ana.weekend_hours, ana.holiday_hours) == (1, 12, 7, 8, 0)
    assert (bruno.shifts, bruno.hours, bruno.night_hours, bruno.weekend_hours, bruno.holiday_hours) == (1, 12, 0, 0, 12)
    assert (carla.hours, carla.night_hours, carla.weekend_hours, carla.holiday_hours) == (12, 7, 0, 0)
    assert (carla.overrides_taken, carla.overrides_given, ana.overrides_given, ana.overrides_taken) == (1, 0, 1, 0)
    # A member who held nothing is shown, with zeros.
    assert (dora.shifts, dora.hours, dora.overrides_taken) == (0, 0, 0)
    assert figures.held_hours == 36


def test_each_measure_has_its_min_max_mean_and_spread():
    figures = measure(
        [
            Piece(ANA, at(2, "09:00"), at(2, "21:00")),
            Piece(ANA, at(3, "09:00"), at(3, "21:00")),
            Piece(BRUNO, at(4, "09:00"), at(4, "21:00")),
        ],
        people=[ANA, BRUNO, CARLA],
    )
    hours = figures.measures["hours"]
    assert (hours.min, hours.max, hours.mean, hours.spread) == (0, 24, 12, 24)
    # Population standard deviation of 24, 12 and 0.
    assert hours.stdev == pytest.approx(math.sqrt(96))
    assert hours.cv == pytest.approx(math.sqrt(96) / 12)
    shifts = figures.measures["shifts"]
    assert (shifts.min, shifts.max, shifts.mean, shifts.spread) == (0, 2, 1, 2)
    assert figures.measures["night_hours"].mean == 0 and figures.measures["night_hours"].cv == 0


def test_shifts_are_clipped_to_the_period_and_counted_once():
    figures = measure(
        [Piece(ANA, at(1, "12:00"), at(2, "12:00")), Piece(BRUNO, at(15, "20:00"), at(16, "20:00")),
         Piece(CARLA, at(16, "00:00"), at(17, "00:00"))],
    )
    assert figures.person(ANA).hours == 12 and figures.person(ANA).shifts == 1
    assert figures.person(BRUNO).hours == 4 and figures.person(BRUNO).night_hours == 2
    # Wholly outside: neither counted nor shown.
    assert figures.person(CARLA) is None


def test_an_override_stored_in_pieces_is_taken_once():
    figures = measure(
        [Piece(CARLA, at(3, "09:00"), at(3, "12:00"), "override", 7),
         Piece(CARLA, at(3, "12:00"), at(3, "15:00"), "override", 7),
         Piece(CARLA, at(4, "09:00"), at(4, "12:00"), "override", None)],
    )
    assert figures.person(CARLA).overrides_taken == 2
    assert figures.person(CARLA).shifts == 3


def test_a_balanced_roster_without_gaps_scores_100():
    figures = measure(
        [
            # The same week each: a weekday night, a Saturday, and a day of the holiday.
            Piece(ANA, at(2, "20:00"), at(3, "08:00")),
            Piece(BRUNO, at(3, "20:00"), at(4, "08:00")),
            Piece(ANA, at(7, "08:00"), at(7, "20:00")),
            Piece(BRUNO, at(14, "08:00"), at(14, "20:00")),
            Piece(ANA, at(9, "06:00"), at(9, "12:00")),
            Piece(BRUNO, at(9, "12:00"), at(9, "18:00")),
        ],
        people=[ANA, BRUNO],
    )
    assert figures.imbalance == 0
    assert figures.uncovered == 0
    assert figures.score == 100


def test_imbalance_lowers_the_score():
    even = measure([Piece(ANA, at(2, "09:00"), at(2, "21:00")), Piece(BRUNO, at(3, "09:00"), at(3, "21:00"))])
    uneven = measure([Piece(ANA, at(2, "09:00"), at(2, "21:00")), Piece(BRUNO, at(3, "09:00"), at(3, "15:00"))])
    worse = measure([Piece(ANA, at(2, "09:00"), at(2, "21:00")), Piece(BRUNO, at(3, "09:00"), at(3, "10:00"))])
    assert even.score == 100
    assert 0 < worse.score < uneven.score < 100
    # Only hours differ (12 and 6): their coefficient of variation is 1/3, weighed among the measures held.
    weights = SCORE_WEIGHTS["hours"] + SCORE_WEIGHTS["shifts"]
    assert uneven.imbalance == pytest.approx(SCORE_WEIGHTS["hours"] * (1 / 3) / weights)
    assert uneven.score == pytest.approx(100 * (1 - uneven.imbalance))


def test_gaps_lower_the_score():
    shifts = [Piece(ANA, at(2, "09:00"), at(2, "21:00")), Piece(BRUNO, at(3, "09:00"), at(3, "21:00"))]
    covered = measure(shifts)
    gapped = measure(shifts, gap_hours=8)
    assert covered.score == 100
    # 8 uncovered hours out of the 24 held plus those 8.
    assert gapped.uncovered == pytest.approx(8 / 32)
    assert gapped.score == pytest.approx(75)
    assert measure(shifts, gap_hours=24).score < gapped.score


def test_the_score_stays_within_0_and_100():
    # One of ten members holds everything (a capped imbalance of 1) and half the time is uncovered.
    lopsided = measure(
        [Piece(ANA, at(2, "00:00") + timedelta(days=day), at(3, "00:00") + timedelta(days=day)) for day in range(14)],
        people=range(1, 11), gap_hours=336,
    )
    assert lopsided.score == 0
    assert measure([], people=[ANA, BRUNO]).score == 100  # nothing held, nothing uncovered
    for imbalance, uncovered in ((2, 0), (-1, 0), (0, 5), (0.5, 0.5)):
        assert 0 <= fairness_score(imbalance, uncovered) <= 100


def test_the_json_names_people_and_rounds():
    figures = measure([Piece(ANA, at(2, "09:00"), at(2, "09:20"))], people=[ANA, BRUNO])
    answer = figures.as_json({ANA: "Ana"})
    assert answer["people"][0] == {
        "id": ANA, "name": "Ana", "shifts": 1, "hours": 0.33, "night_hours": 0, "weekend_hours": 0,
        "holiday_hours": 0, "overrides_taken": 0, "overrides_given": 0,
    }
    assert answer["people"][1]["name"] == f"#{BRUNO}"
    assert set(answer["measures"]["hours"]) == {"min", "max", "mean", "spread", "stdev", "cv"}
    assert 0 <= answer["score"] <= 100
