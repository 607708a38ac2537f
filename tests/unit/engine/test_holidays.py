"""The holiday calendar: Brazil by default, a state, optional holidays, the team's own."""

from __future__ import annotations

from datetime import date

import pytest

from plantao.engine import holiday_calendar

CARNIVAL_2025 = (date(2025, 3, 3), date(2025, 3, 4))


def test_brazilian_national_holidays_in_portuguese_by_default():
    calendar = holiday_calendar(2025, 2025)
    assert calendar[date(2025, 4, 21)] == "Tiradentes"
    assert calendar[date(2025, 12, 25)] == "Natal"
    assert date(2025, 7, 9) not in calendar  # São Paulo's own holiday
    assert not set(CARNIVAL_2025) & set(calendar)  # Carnival is optional


def test_a_state_adds_its_holidays():
    calendar = holiday_calendar(2025, 2025, subdivision="SP")
    assert calendar[date(2025, 7, 9)] == "Revolução Constitucionalista"
    assert date(2025, 4, 21) in calendar


def test_optional_holidays_include_carnival():
    calendar = holiday_calendar(2025, 2025, optional=True)
    assert [calendar[day] for day in CARNIVAL_2025] == ["Carnaval", "Carnaval"]


def test_names_can_be_in_english():
    assert holiday_calendar(2025, 2025, language="en")[date(2025, 12, 25)] == "Christmas Day"


def test_the_team_adds_its_own_holidays():
    calendar = holiday_calendar(
        2025,
        2026,
        custom={
            date(2025, 8, 15): "Aniversário da empresa",
            date(2025, 12, 25): "Festa",
            date(2030, 1, 2): "Far",
        },
    )
    assert calendar[date(2025, 8, 15)] == "Aniversário da empresa"
    assert calendar[date(2025, 12, 25)] == "Natal; Festa"
    assert date(2030, 1, 2) not in calendar


def test_it_spans_the_years_asked_for_in_date_order():
    calendar = holiday_calendar(2024, 2026)
    assert {day.year for day in calendar} == {2024, 2025, 2026}
    assert list(calendar) == sorted(calendar)


def test_other_countries_work_too():
    assert date(2025, 7, 4) in holiday_calendar(2025, 2025, country="US", language="en")


def test_an_unknown_subdivision_is_refused():
    with pytest.raises(ValueError, match="XX"):
        holiday_calendar(2025, 2025, subdivision="XX")
