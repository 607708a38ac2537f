"""plantao.services.month: leave shown once per week row of the month grid, as a span of columns."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from plantao.services.month import LeaveSlot, pack_leave_rows, week_leave_segments

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
PEOPLE = {1: SimpleNamespace(id=1, name="Bruno Lima"), 2: SimpleNamespace(id=2, name="Ana Souza"),
          3: SimpleNamespace(id=3, name="Carla Dias")}


def week_of(sunday: date) -> list[date]:
    return [sunday + timedelta(days=n) for n in range(7)]


def leave(person_id: int, first: date, days: int):
    """Whole days of leave, as the API stores them: local midnight to local midnight (end excluded)."""
    start = datetime(first.year, first.month, first.day, tzinfo=SAO_PAULO)
    return SimpleNamespace(person_id=person_id, start=start, end=start + timedelta(days=days))


def test_ten_days_from_a_wednesday_are_one_segment_in_each_of_two_weeks():
    ten_days = leave(1, date(2026, 3, 11), 10)  # Wednesday 11 to Friday 20 March
    [first] = week_leave_segments(week_of(date(2026, 3, 8)), [ten_days], PEOPLE, SAO_PAULO)
    [second] = week_leave_segments(week_of(date(2026, 3, 15)), [ten_days], PEOPLE, SAO_PAULO)

    assert (first.first, first.last, first.columns) == (3, 6, 4)
    assert (second.first, second.last, second.columns) == (0, 5, 6)
    assert not first.continues_before and first.continues_after
    assert second.continues_before and not second.continues_after
    # Both say the whole leave, with its last day (not the midnight after it).
    assert {(s.since, s.until) for s in (first, second)} == {(date(2026, 3, 11), date(2026, 3, 20))}
    assert first.person.name == "Bruno Lima"
    # The week after starts at the midnight the leave ends: nothing there.
    assert week_leave_segments(week_of(date(2026, 3, 22)), [ten_days], PEOPLE, SAO_PAULO) == []


def test_leaves_sharing_days_stack_in_rows_and_every_row_has_seven_days():
    week = week_of(date(2026, 3, 8))
    leaves = [leave(1, date(2026, 3, 9), 3), leave(2, date(2026, 3, 10), 4), leave(3, date(2026, 3, 13), 2)]
    rows = pack_leave_rows(week_leave_segments(week, leaves, PEOPLE, SAO_PAULO))

    assert [[(slot.segment.person.name, slot.column, slot.columns) for slot in row if slot.segment] for row in rows] == [
        [("Bruno Lima", 1, 3), ("Carla Dias", 5, 2)],  # Carla's starts after Bruno's ends: same row
        [("Ana Souza", 2, 4)],
    ]
    for row in rows:
        assert sum(slot.columns for slot in row) == 7
        assert [slot.column for slot in row] == sorted(slot.column for slot in row)
    assert rows[1][0] == LeaveSlot(0) and rows[1][-1] == LeaveSlot(6)
    assert pack_leave_rows([]) == []
