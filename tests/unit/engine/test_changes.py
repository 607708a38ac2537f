"""group_changes and tally: a roster change told the way a person reads it."""

from __future__ import annotations

from datetime import time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from plantao.engine.changes import group_changes, tally

from .scenarios import A, B, C, NEW_YORK, SAO_PAULO, at

WEEK = timedelta(weeks=1)


def shift(key, person, start, end, role="primary"):
    """A shift as the preview compares them (stored rows and engine shifts alike)."""
    return SimpleNamespace(key=key, role=role, person_id=person, start=start, end=end)


def weekly(first, count, people=(A, B, C)):
    """``count`` weekly shifts from ``first``, the members taking turns."""
    return [
        shift(f"r1:members:{n}", people[n % len(people)], first + n * WEEK, first + (n + 1) * WEEK)
        for n in range(count)
    ]


def test_a_handoff_moving_from_09_to_10_is_one_moved_group_across_daylight_saving():
    # 21 weeks from January in New York: the clocks change in March, the handoff stays at 09:00 local.
    before = weekly(at(NEW_YORK, 2025, 1, 6, 9), 21)
    after = [shift(s.key, s.person_id, *(m.replace(hour=10) for m in (s.start, s.end))) for s in before]
    assert {s.start.utcoffset() for s in after} == {timedelta(hours=-5), timedelta(hours=-4)}

    [group] = group_changes(before, after, ZoneInfo(NEW_YORK))

    assert (group.kind, group.role, group.count) == ("moved", "primary", 21)
    assert group.start_shift == group.end_shift == timedelta(hours=1)
    assert (group.old_times, group.new_times) == ((time(9), time(9)), (time(10), time(10)))
    assert group.people == (A, B, C)
    assert [change.before for change in group.changes] == before
    assert tally([group]) == []  # everybody keeps their shifts

    # The shift under way keeps its start and only ends an hour later: a group of its own.
    current = shift("r1:members:21", A, before[-1].end, before[-1].end + WEEK)
    longer = shift("r1:members:21", A, current.start, current.end + timedelta(hours=1))
    groups = group_changes([current, *before], [longer, *after], ZoneInfo(NEW_YORK))
    assert [(g.kind, g.count, g.start_shift, g.end_shift) for g in groups] == [
        ("moved", 21, timedelta(hours=1), timedelta(hours=1)),
        ("moved", 1, timedelta(0), timedelta(hours=1)),
    ]


def test_turns_shifted_by_a_week_are_told_week_by_week_not_as_moves():
    # A rotation not yet started gets its handoff at 10:00 while its start stays at 09:00: the hour
    # from 09:00 is a turn of its own, so each week now belongs to the next person in the queue.
    monday = at(SAO_PAULO, 2025, 3, 3, 9)
    before = weekly(monday, 3)
    after = [shift("r1:members:0", A, monday, monday + timedelta(hours=1))] + [
        shift(f"r1:members:{n + 1}", person, monday + n * WEEK + timedelta(hours=1),
              monday + (n + 1) * WEEK + timedelta(hours=1))
        for n, person in enumerate((B, C, A))
    ]

    groups = group_changes(before, after, ZoneInfo(SAO_PAULO))

    assert [(g.kind, g.old_person_id, g.new_person_id, g.count) for g in groups] == [
        ("reassigned", A, B, 1), ("reassigned", B, C, 1), ("reassigned", C, A, 1), ("added", None, A, 1),
    ]
    assert groups[-1].changes[0].after.end == monday + timedelta(hours=1)  # the hour from 09:00


def test_reassigned_added_and_removed_shifts_are_grouped_per_person():
    monday = at(SAO_PAULO, 2025, 3, 3, 9)
    a1, a2, a3, b1 = weekly(monday, 4, people=(A, A, A, B))
    renamed = shift("f:primary:x", B, b1.start, b1.end)  # another key, same holder and times: no change
    new_for_c = shift("r1:members:9", C, b1.end, b1.end + WEEK)
    # A's third week goes to B under another key: the same time, so still a reassignment.
    taken_over = shift("o7", B, a3.start, a3.end)

    groups = group_changes(
        [a1, a2, a3, b1],
        [shift(a1.key, B, a1.start, a1.end), taken_over, renamed, new_for_c],
        ZoneInfo(SAO_PAULO),
    )

    assert [(g.kind, g.old_person_id, g.new_person_id, g.count) for g in groups] == [
        ("reassigned", A, B, 2),
        ("added", None, C, 1),
        ("removed", A, None, 1),
    ]
    reassigned, added, removed = groups
    assert [(c.before.start, c.after.key) for c in reassigned.changes] == [(a1.start, a1.key), (a3.start, "o7")]
    assert [c.before for c in removed.changes] == [a2] and added.changes[0].after is new_for_c
    assert reassigned.people == (A, B) and added.people == (C,)

    people = {t.person_id: t for t in tally(groups)}
    assert (people[A].net, people[A].given, people[A].removed) == (-3, {B: 2}, 1)
    assert (people[B].net, people[B].taken) == (2, {A: 2})
    assert (people[C].net, people[C].added) == (1, 1)


def test_a_change_over_new_year_spans_both_years_and_keeps_the_roles_apart():
    zone = ZoneInfo(SAO_PAULO)
    before = weekly(at(SAO_PAULO, 2025, 12, 22, 9), 3)  # 22/12, 29/12 and 05/01
    after = [shift(s.key, s.person_id, s.start + timedelta(days=1), s.end + timedelta(days=1)) for s in before]
    secondary = shift("r2:members:0", C, before[1].start, before[1].end, role="secondary")

    groups = group_changes([*before, secondary], [*after], zone)

    moved, removed = groups
    assert (moved.kind, moved.count, moved.start_shift) == ("moved", 3, timedelta(days=1))
    assert moved.old_times == moved.new_times == (time(9), time(9))  # the clock stays, the day moves
    assert (moved.first.astimezone(zone).year, moved.last.astimezone(zone).year) == (2025, 2026)
    assert (removed.kind, removed.role, removed.old_person_id) == ("removed", "secondary", C)
    assert group_changes(before, before, zone) == []
