"""The reconciliation of a computed roster with the stored one (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from plantao.engine import RosterShift
from plantao.engine.materialize import effective_instant, merge_pieces, plan_materialization

UTC = timezone.utc
MONDAY = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
NOW = MONDAY + timedelta(days=2, hours=1, minutes=30, seconds=12, microseconds=345678)
WEEK = timedelta(weeks=1)


@dataclass
class Row:
    """A stored shift as the service hands it over (an ORM row in practice)."""

    key: str
    person_id: int
    start: datetime
    end: datetime
    role: str = "primary"
    source: str = "rotation"
    rotation_id: int | None = 1
    override_id: int | None = None


def shift(key, person, start, end, source="rotation", **kw) -> RosterShift:
    return RosterShift(role=kw.get("role", "primary"), person_id=person, start=start, end=end, source=source, key=key,
                 rotation_id=kw.get("rotation_id", 1 if source == "rotation" else None),
                 override_id=kw.get("override_id"))


@pytest.mark.parametrize(
    "now, expected",
    [
        (datetime(2026, 12, 2, 10, 30, 12, tzinfo=UTC), datetime(2026, 12, 2, 10, 31, tzinfo=UTC)),
        (datetime(2026, 12, 2, 10, 30, 0, 1, tzinfo=UTC), datetime(2026, 12, 2, 10, 31, tzinfo=UTC)),
        (datetime(2026, 12, 2, 10, 30, tzinfo=UTC), datetime(2026, 12, 2, 10, 30, tzinfo=UTC)),
        (datetime(2026, 12, 2, 23, 59, 59, tzinfo=UTC), datetime(2026, 12, 3, 0, 0, tzinfo=UTC)),
    ],
)
def test_effective_instant_is_the_first_whole_minute_at_or_after(now, expected):
    assert effective_instant(now) == expected


def test_an_unchanged_roster_plans_nothing():
    stored = [Row("r1:m:0", 1, MONDAY, MONDAY + WEEK)]
    wanted = [shift("r1:m:0", 1, MONDAY, MONDAY + WEEK)]
    plan = plan_materialization(stored, wanted, NOW)
    assert (plan.insert, plan.update, plan.delete) == ([], [], [])


def test_an_override_later_in_the_running_shift_cuts_it_at_the_override_not_at_now():
    row = Row("r1:m:0", 1, MONDAY, MONDAY + WEEK)
    thursday = MONDAY + timedelta(days=3)
    wanted = [
        shift("r1:m:0", 1, MONDAY, thursday),
        shift("o1", 2, thursday, thursday + timedelta(hours=2), "override", override_id=1),
        shift("r1:m:0@x", 1, thursday + timedelta(hours=2), MONDAY + WEEK),
    ]
    plan = plan_materialization([row], wanted, NOW)
    assert plan.cuts == {"primary": thursday}
    assert [(r.key, new.start, new.end) for r, new in plan.update] == [("r1:m:0", MONDAY, thursday)]
    assert [(s.key, s.person_id, s.start) for s in plan.insert] == [
        ("o1", 2, thursday),
        ("r1:m:0@x", 1, thursday + timedelta(hours=2)),
    ]


def test_a_change_already_begun_takes_effect_at_the_next_whole_minute():
    row = Row("r1:m:0", 1, MONDAY, MONDAY + WEEK)
    wanted = [shift("r1:m:0", 2, MONDAY, MONDAY + WEEK)]
    plan = plan_materialization([row], wanted, NOW)
    cut = effective_instant(NOW)
    assert plan.cuts == {"primary": cut}
    assert [(r.key, new.start, new.end) for r, new in plan.update] == [("r1:m:0", MONDAY, cut)]
    assert [(s.person_id, s.start, s.end) for s in plan.insert] == [(2, cut, MONDAY + WEEK)]
    assert plan.insert[0].key == "r1:m:0~20261202T133100"


def test_consecutive_pieces_of_one_holder_are_merged():
    pieces = [shift("a", 1, MONDAY, MONDAY + WEEK), shift("b", 1, MONDAY + WEEK, MONDAY + 2 * WEEK)]
    assert [(s.key, s.start, s.end) for s in merge_pieces(pieces)] == [("a", MONDAY, MONDAY + 2 * WEEK)]
    other_source = [pieces[0], shift("o", 1, MONDAY + WEEK, MONDAY + 2 * WEEK, "override", override_id=3)]
    assert len(merge_pieces(other_source)) == 2


def test_a_run_of_hourly_pieces_becomes_one_shift_beside_the_other_roles_and_holders():
    hour = timedelta(hours=1)
    ana = [shift(f"o{n}", 1, MONDAY + n * hour, MONDAY + (n + 1) * hour, "override", override_id=n) for n in range(40)]
    backup = [shift("b", 2, MONDAY, MONDAY + WEEK, role="backup")]
    bruno = [shift("o99", 2, MONDAY + 40 * hour, MONDAY + 41 * hour, "override", override_id=99)]
    merged = merge_pieces(list(reversed(ana)) + backup + bruno)
    assert [(s.key, s.role, s.person_id, s.start, s.end, s.override_id) for s in merged] == [
        ("b", "backup", 2, MONDAY, MONDAY + WEEK, None),
        ("o0", "primary", 1, MONDAY, MONDAY + 40 * hour, 0),
        ("o99", "primary", 2, MONDAY + 40 * hour, MONDAY + 41 * hour, 99),
    ]
    # A shift that merges with nothing is handed back as it is.
    assert merged[0] is backup[0]


def test_the_running_shift_goes_on_when_the_same_holder_continues_after_the_cut():
    thursday = MONDAY + timedelta(days=3)
    stored = [
        Row("r1:m:0", 1, MONDAY, thursday),
        Row("o1", 2, thursday, thursday + timedelta(hours=2), source="override", rotation_id=None, override_id=1),
        Row("r1:m:0@x", 1, thursday + timedelta(hours=2), MONDAY + WEEK),
    ]
    plan = plan_materialization(stored, [shift("r1:m:0", 1, MONDAY, MONDAY + WEEK)], NOW)
    assert [(r.key, new.start, new.end) for r, new in plan.update] == [("r1:m:0", MONDAY, MONDAY + WEEK)]
    assert sorted(r.key for r in plan.delete) == ["o1", "r1:m:0@x"]
    assert plan.insert == []


def test_an_override_covering_a_future_shift_whole_takes_over_its_key():
    later = MONDAY + WEEK
    stored = [Row("r1:m:0", 1, MONDAY, later), Row("r1:m:1", 2, later, later + WEEK)]
    wanted = [
        shift("r1:m:0", 1, MONDAY, later),
        shift("o9", 3, later, later + WEEK, "override", override_id=9),
    ]
    plan = plan_materialization(stored, wanted, NOW)
    ((row, new),) = plan.update
    assert (row.key, new.key, new.person_id, new.source, new.override_id) == ("r1:m:1", "r1:m:1", 3, "override", 9)
    assert plan.insert == [] and plan.delete == []


def test_the_rest_of_a_shift_an_override_now_starts_later_is_the_same_shift_moved():
    # Ana's override grows by one more hour; the rest of Bruno's shift after
    # it keeps its row (and calendar event), starting an hour later.
    hour, thursday = timedelta(hours=1), MONDAY + timedelta(days=3)
    override_end = thursday + 3 * hour
    stored = [
        Row("o1", 1, thursday + hour, thursday + 2 * hour, source="override", rotation_id=None, override_id=1),
        Row("r1:m:0@x", 2, thursday + 2 * hour, MONDAY + WEEK),
    ]
    wanted = [
        shift("o1", 1, thursday + hour, override_end, "override", override_id=1),
        shift(f"r1:m:0@{override_end.isoformat()}", 2, override_end, MONDAY + WEEK),
    ]
    plan = plan_materialization(stored, wanted, NOW)
    assert [(r.key, new.key, new.start, new.end) for r, new in plan.update] == [
        ("o1", "o1", thursday + hour, override_end),
        ("r1:m:0@x", "r1:m:0@x", override_end, MONDAY + WEEK),
    ]
    assert plan.insert == [] and plan.delete == []
    # Another person ending there is another shift.
    wanted[1] = shift(f"r1:m:0@{override_end.isoformat()}", 3, override_end, MONDAY + WEEK)
    plan = plan_materialization(stored, wanted, NOW)
    assert [r.key for r in plan.delete] == ["r1:m:0@x"]
    assert [(new.key, new.person_id) for new in plan.insert] == [(f"r1:m:0@{override_end.isoformat()}", 3)]


def test_a_shift_found_in_progress_where_nobody_was_starts_at_its_own_start_not_now():
    wanted = [shift("r1:m:0", 1, MONDAY, MONDAY + WEEK)]
    plan = plan_materialization([], wanted, NOW)
    assert [(s.start, s.end) for s in plan.insert] == [(MONDAY, MONDAY + WEEK)]


def test_a_shift_found_in_progress_starts_after_what_already_ended():
    tuesday = MONDAY + timedelta(days=1)
    ended = [Row("history", 2, MONDAY - WEEK, tuesday)]
    plan = plan_materialization([], [shift("r1:m:0", 1, MONDAY, MONDAY + WEEK)], NOW, ended=ended)
    assert [(s.start, s.end) for s in plan.insert] == [(tuesday, MONDAY + WEEK)]


def test_a_clock_drawn_start_in_progress_waits_for_the_next_whole_minute():
    # The engine starts an open-ended fallback at the window's start (now).
    plan = plan_materialization([], [shift("f:primary:until", 4, NOW, MONDAY + WEEK, "fallback")], NOW)
    assert [s.start for s in plan.insert] == [effective_instant(NOW)]


def test_a_new_key_never_takes_one_an_ended_shift_holds():
    plan = plan_materialization([], [shift("r1:m:5", 1, NOW + WEEK, NOW + 2 * WEEK)], NOW, taken_keys={"r1:m:5"})
    assert plan.insert[0].key != "r1:m:5" and plan.insert[0].key.startswith("r1:m:5~")


def test_the_plan_says_which_stretch_changed_hands():
    row = Row("r1:m:0", 1, MONDAY, MONDAY + WEEK)
    thursday = MONDAY + timedelta(days=3)
    wanted = [
        shift("r1:m:0", 1, MONDAY, thursday),
        shift("o1", 2, thursday, thursday + timedelta(hours=2), "override", override_id=1),
        shift("r1:m:0@x", 1, thursday + timedelta(hours=2), MONDAY + WEEK),
    ]
    plan = plan_materialization([row], wanted, NOW)
    assert [(h.start, h.end, h.from_person, h.to_person) for h in plan.handovers] == [
        (thursday, thursday + timedelta(hours=2), 1, 2)
    ]
