"""diff_rosters: what a change would add, remove and reassign."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from plantao.engine import LeaveSpec, diff_rosters

from .scenarios import A, B, C, SAO_PAULO, at, build, rotation

MONDAY = at(SAO_PAULO, 2025, 1, 6, 9)


def stored(shift, **changes):
    """A shift as the service might have stored it (any object with the fields)."""
    fields = {name: getattr(shift, name) for name in ("key", "role", "person_id", "start", "end")}
    return SimpleNamespace(**{**fields, **changes})


def test_identical_rosters_have_no_difference():
    roster = build(rotation("weekly", anchor=MONDAY), start=MONDAY, end=MONDAY + timedelta(weeks=3))
    diff = diff_rosters(roster.shifts, roster.shifts)
    assert not diff
    assert (diff.added, diff.removed, diff.reassigned) == ((), (), ())


def test_a_leave_shows_as_reassigned_shifts():
    spec = rotation("weekly", anchor=MONDAY)
    window = dict(start=MONDAY, end=MONDAY + timedelta(weeks=3))
    before = build(spec, **window)
    leave = LeaveSpec(person_id=A, start=MONDAY, end=MONDAY + timedelta(days=1))
    after = build(spec, **window, leaves=(leave,))

    diff = diff_rosters([stored(shift) for shift in before.shifts], after.shifts)
    assert [
        (change.key, change.old_person_id, change.new_person_id) for change in diff.reassigned
    ] == [
        ("r1:members:0", A, B),
        ("r1:members:1", B, A),
    ]
    assert diff.added == () and diff.removed == ()


def test_shifts_that_moved_are_removed_and_added():
    roster = build(rotation("weekly", anchor=MONDAY), start=MONDAY, end=MONDAY + timedelta(weeks=2))
    first, second = roster.shifts
    moved = stored(second, start=second.start + timedelta(hours=1))
    gone = stored(first, key="r9:members:0")

    diff = diff_rosters([gone, moved], roster.shifts)
    assert [shift.key for shift in diff.added] == ["r1:members:0", "r1:members:1"]
    assert [shift.key for shift in diff.removed] == ["r9:members:0", "r1:members:1"]
    assert diff.reassigned == ()


def test_times_in_another_zone_are_the_same_instants():
    roster = build(
        rotation("weekly", members=(C,), anchor=MONDAY),
        start=MONDAY,
        end=MONDAY + timedelta(weeks=1),
    )
    [shift] = roster.shifts
    local = stored(
        shift, start=shift.start.astimezone(MONDAY.tzinfo), end=shift.end.astimezone(MONDAY.tzinfo)
    )
    assert not diff_rosters([local], roster.shifts)
