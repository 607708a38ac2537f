"""Properties every roster has, checked on generated teams with hypothesis."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from plantao.engine import LeaveSpec, OverrideSpec, Restriction, RosterInput, build_roster
from plantao.engine.rules import LeaveCalendar

from .scenarios import LISBON, NEW_YORK, POLICIES, RULES, SAO_PAULO, rotation

# Early 2025: the generated windows cross the March clock changes of New
# York and Lisbon, and Carnival.
EPOCH = datetime(2025, 2, 1, tzinfo=timezone.utc)

zones = st.sampled_from([SAO_PAULO, NEW_YORK, LISBON])
policies = st.sampled_from(
    [
        ("daily", {}),
        ("daily", {"handoff_time": "02:30"}),
        ("weekly", {}),
        ("weekly", {"handoff_weekday": 4, "handoff_time": "18:00"}),
        ("custom", {"length": 8, "unit": "hours"}),
        ("custom", {"length": 3, "handoff_time": "07:00"}),
        ("split", {}),
        ("split", {"night_members": [9, 10]}),
    ]
)
restrictions = st.sampled_from(
    [
        None,
        Restriction(weekdays=frozenset(range(5))),
        Restriction(start_time=time(19), end_time=time(7)),
        Restriction(weekdays=frozenset({5, 6}), start_time=time(8), end_time=time(20)),
    ]
)
opt_in_rules = st.dictionaries(
    st.sampled_from(["min_rest", "max_consecutive", "fair_holidays"]), st.just({}), max_size=3
)
hours = st.integers(min_value=0, max_value=24 * 60).map(lambda n: timedelta(hours=n))
members = st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=5, unique=True)

SETTINGS = settings(max_examples=60, deadline=None)


def leaves_for(people):
    """Up to six leaves of up to ten days for some of ``people``."""
    return st.lists(
        st.builds(
            lambda person, offset, length: LeaveSpec(
                person_id=person, start=EPOCH + offset, end=EPOCH + offset + length
            ),
            st.sampled_from(sorted(people)),
            hours,
            st.integers(min_value=1, max_value=24 * 10).map(lambda n: timedelta(hours=n)),
        ),
        max_size=6,
    )


@st.composite
def rotations(draw, *, rotation_id=1, restricted=True, rules=True, role="primary", anchor=None):
    """A rotation of any built-in policy, starting some time in the first two months."""
    policy, params = draw(policies)
    return rotation(
        policy,
        draw(members),
        anchor=anchor or EPOCH + draw(hours),
        id=rotation_id,
        role=role,
        priority=draw(st.integers(min_value=0, max_value=2)),
        params=params,
        restriction=draw(restrictions) if restricted else None,
        turn_mode=draw(st.sampled_from(["calendar", "active"])),
        rules=draw(opt_in_rules) if rules else {},
    )


@st.composite
def teams(draw):
    """Up to three rotations over two roles, with leaves, overrides and a fallback."""
    count = draw(st.integers(min_value=1, max_value=3))
    specs = tuple(
        draw(rotations(rotation_id=n + 1, role=draw(st.sampled_from(["primary", "secondary"]))))
        for n in range(count)
    )
    overrides = tuple(
        OverrideSpec(
            id=n + 1, person_id=person, start=EPOCH + offset, end=EPOCH + offset + length, role=role
        )
        for n, (person, offset, length, role) in enumerate(
            draw(
                st.lists(
                    st.tuples(
                        st.integers(1, 8),
                        hours,
                        st.integers(1, 72).map(lambda n: timedelta(hours=n)),
                        st.sampled_from(["primary", "secondary"]),
                    ),
                    max_size=4,
                )
            )
        )
    )
    return RosterInput(
        tz=draw(zones),
        rotations=specs,
        overrides=overrides,
        leaves=tuple(draw(leaves_for(range(1, 11)))),
        fallback_person=draw(st.none() | st.integers(1, 8)),
        inactive_people=frozenset(draw(st.sets(st.integers(1, 10), max_size=2))),
    )


@st.composite
def windows(draw):
    """A window of up to a month, starting some time in the first two months."""
    start = EPOCH + draw(hours)
    return start, start + timedelta(hours=draw(st.integers(min_value=1, max_value=24 * 30)))


def build(data, window):
    return build_roster(data, *window, policies=POLICIES, rules=RULES)


def assert_no_overlap(shifts):
    by_role = defaultdict(list)
    for shift in shifts:
        by_role[shift.role].append(shift)
    for role_shifts in by_role.values():
        role_shifts.sort(key=lambda shift: shift.start)
        for before, after in zip(role_shifts, role_shifts[1:]):
            assert before.end <= after.start, f"{before} overlaps {after}"


@SETTINGS
@given(teams(), windows())
def test_the_final_roster_never_has_two_people_on_one_role_at_once(data, window):
    roster = build(data, window)
    assert_no_overlap(roster.shifts)
    for gap in roster.gaps:
        assert not any(
            shift.role == gap.role and shift.start < gap.end and shift.end > gap.start
            for shift in roster.shifts
        )
    assert all(shift.person_id not in data.inactive_people for shift in roster.shifts)


@SETTINGS
@given(teams(), windows())
def test_each_rotation_layer_never_overlaps_itself(data, window):
    roster = build(data, window)
    for rotation_id in {shift.rotation_id for shift in roster.layers}:
        layer = sorted(
            (shift for shift in roster.layers if shift.rotation_id == rotation_id),
            key=lambda shift: shift.start,
        )
        for before, after in zip(layer, layer[1:]):
            assert before.end <= after.start


@SETTINGS
@given(st.data())
def test_no_gaps_while_someone_is_eligible(data):
    # Leaves for everybody but one member: someone can always take the slot.
    spec = data.draw(rotations(restricted=False))
    people = set(spec.versions[0].members) | set(spec.versions[0].params.get("night_members", []))
    spared = data.draw(st.sampled_from(sorted(people)))
    leaves = data.draw(leaves_for(people - {spared})) if people - {spared} else []
    window_start = spec.anchor + data.draw(hours)
    window = (window_start, window_start + timedelta(days=data.draw(st.integers(1, 30))))
    if spec.policy == "split":
        # The spared person must be in both queues for the property to hold.
        spec = rotation("split", (spared,), anchor=spec.anchor, rules=spec.versions[0].rules)

    roster = build(
        RosterInput(tz=data.draw(zones), rotations=(spec,), leaves=tuple(leaves)), window
    )

    assert roster.gaps == ()
    assert not [c for c in roster.conflicts if c.rule == "respect_leave"]
    assert roster.shifts[0].start <= window[0] and roster.shifts[-1].end >= window[1]
    for before, after in zip(roster.shifts, roster.shifts[1:]):
        assert before.end == after.start


@SETTINGS
@given(rotations(restricted=False, rules=False), st.integers(min_value=1, max_value=60), zones)
def test_round_robin_gives_everybody_the_same_number_of_turns_give_or_take_one(spec, days, zone):
    roster = build(
        RosterInput(tz=zone, rotations=(spec,)), (spec.anchor, spec.anchor + timedelta(days=days))
    )
    by_queue = defaultdict(Counter)
    for shift in roster.shifts:
        by_queue[shift.key.split(":")[1]][shift.person_id] += 1
    for queue, counts in by_queue.items():
        queue_members = spec.versions[0].params.get("night_members") if queue == "night" else None
        everybody = queue_members or spec.versions[0].members
        turns = [counts[person] for person in everybody]
        assert max(turns) - min(turns) <= 1, (queue, counts)


@SETTINGS
@given(st.data())
def test_nobody_on_leave_is_scheduled_and_a_slot_is_left_empty_only_if_everybody_is_away(data):
    policy, params = data.draw(policies.filter(lambda choice: "night_members" not in choice[1]))
    team = data.draw(members)
    spec = rotation(
        policy, team, anchor=EPOCH + data.draw(hours), params=params, rules=data.draw(opt_in_rules)
    )
    leaves = tuple(data.draw(leaves_for(team)))
    roster = build(
        RosterInput(tz=data.draw(zones), rotations=(spec,), leaves=leaves), data.draw(windows())
    )
    calendar = LeaveCalendar(leaves)

    for shift in roster.layers:
        assert not calendar.overlaps(shift.person_id, shift.start, shift.end)
    for conflict in roster.conflicts:
        if conflict.rule == "respect_leave":
            assert all(calendar.overlaps(person, conflict.start, conflict.end) for person in team)


@SETTINGS
@given(teams(), windows())
def test_the_same_input_gives_the_same_roster_and_keys(data, window):
    first = build(data, window)
    shuffled = RosterInput(
        tz=data.tz,
        rotations=tuple(reversed(data.rotations)),
        overrides=tuple(reversed(data.overrides)),
        leaves=tuple(reversed(data.leaves)),
        fallback_person=data.fallback_person,
        inactive_people=data.inactive_people,
    )
    assert build(data, window) == first
    assert build(shuffled, window) == first
    keys = [(shift.role, shift.key) for shift in first.shifts]
    assert len(keys) == len(set(keys))


def seen_through(items, window):
    """Shifts and gaps as comparable tuples, minus what no window can know.

    Uncovered time with no coverage before it (or none within the engine's
    look-ahead after it) can only be cut at the window's edge.
    """
    start, end = window
    rows = []
    for item in items:
        open_ended = getattr(item, "source", "gap") in ("gap", "fallback")
        known_start = not (open_ended and item.start <= start)
        known_end = not (open_ended and item.end >= end)
        rows.append(
            (
                item.role,
                getattr(item, "key", None) if known_start or known_end else None,
                getattr(item, "person_id", None),
                item.start if known_start else None,
                item.end if known_end else None,
            )
        )
    # Clipped starts sort differently in each window, so compare unordered.
    return sorted(rows, key=repr)


@SETTINGS
@given(teams(), windows())
def test_a_shift_is_the_same_whatever_window_it_was_asked_through(data, window):
    wide = build(data, (window[0] - timedelta(days=15), window[1] + timedelta(days=15)))
    narrow = build(data, window)

    def inside(items):
        return [item for item in items if item.start < window[1] and item.end > window[0]]

    assert seen_through(narrow.shifts, window) == seen_through(inside(wide.shifts), window)
    assert seen_through(narrow.gaps, window) == seen_through(inside(wide.gaps), window)
    rotation_shifts = [shift for shift in narrow.shifts if shift.source != "fallback"]
    assert rotation_shifts == [shift for shift in inside(wide.shifts) if shift.source != "fallback"]
