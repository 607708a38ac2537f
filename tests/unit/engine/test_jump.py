"""Reaching a window far from a rotation's anchor without replaying every slot since.

A policy that offers the fast path (``RotationPolicy.queues``) lets the
engine account for the slots before the window by arithmetic: plain round
robin rotates each queue once per slot, and the policy's slot indexes give
the count.  The answer must be exactly the replay's, keys included, so every
test here compares the two.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from plantao.engine import LeaveSpec, OverrideSpec, RosterInput, build_roster
from plantao.engine.policies import RotationPolicy
from plantao.engine.rules import SchedulingRule

from .scenarios import A, B, C, D, POLICIES, RULES, SAO_PAULO, at, rotation, version
from .test_properties import EPOCH, rotations, teams, windows, zones


class Replaying(RotationPolicy):
    """A built-in policy without the fast path, recording where it was asked to start."""

    def __init__(self, inner: RotationPolicy) -> None:
        self.inner = inner
        self.name = inner.name
        self.params_schema = inner.params_schema
        self.asked: list[datetime] = []

    def slots(self, ctx, start, end):
        self.asked.append(start)
        return self.inner.slots(ctx, start, end)


class Recording(Replaying):
    """The same policy with its fast path, still recording the starts asked for."""

    def queues(self, ctx):
        return self.inner.queues(ctx)


def replay(data: RosterInput, start: datetime, end: datetime):
    policies = {name: Replaying(policy) for name, policy in POLICIES.items()}
    return build_roster(data, start, end, policies=policies, rules=RULES)


def jump(data: RosterInput, start: datetime, end: datetime):
    return build_roster(data, start, end, policies=POLICIES, rules=RULES)


def assert_same(data: RosterInput, start: datetime, end: datetime) -> None:
    expected, got = replay(data, start, end), jump(data, start, end)
    assert got.shifts == expected.shifts
    assert got.layers == expected.layers
    assert got.gaps == expected.gaps
    assert got.conflicts == expected.conflicts


ANCHOR = at(SAO_PAULO, 2023, 1, 2, 9)
WINDOW = (at(SAO_PAULO, 2025, 6, 10, 12), at(SAO_PAULO, 2025, 6, 11, 12))


def test_a_day_two_years_on_is_computed_without_replaying_the_years_before():
    policy = Recording(POLICIES["daily"])
    data = RosterInput(tz=SAO_PAULO, rotations=(rotation("daily", (A, B, C, D), anchor=ANCHOR),))

    result = build_roster(data, *WINDOW, policies={"daily": policy}, rules=RULES)

    assert min(policy.asked) >= WINDOW[0] - timedelta(days=1)
    assert result.shifts == replay(data, *WINDOW).shifts
    days = (result.shifts[0].start - ANCHOR).days
    assert result.shifts[0].key == f"r1:members:{days}"
    assert result.shifts[0].person_id == (A, B, C, D)[days % 4]


def test_a_policy_without_the_fast_path_is_replayed_from_the_anchor():
    policy = Replaying(POLICIES["daily"])
    data = RosterInput(tz=SAO_PAULO, rotations=(rotation("daily", anchor=ANCHOR),))

    build_roster(data, *WINDOW, policies={"daily": policy}, rules=RULES)

    assert min(policy.asked) == ANCHOR


def test_the_jump_stops_before_the_first_leave_of_a_member():
    policy = Recording(POLICIES["daily"])
    leave = LeaveSpec(person_id=B, start=at(SAO_PAULO, 2024, 3, 1), end=at(SAO_PAULO, 2024, 3, 9))
    data = RosterInput(tz=SAO_PAULO, rotations=(rotation("daily", anchor=ANCHOR),), leaves=(leave,))

    build_roster(data, *WINDOW, policies={"daily": policy}, rules=RULES)

    assert leave.start - timedelta(days=1) <= min(policy.asked) <= leave.start
    assert_same(data, *WINDOW)


def test_rules_chosen_by_a_version_need_the_whole_history_so_nothing_is_skipped():
    policy = Recording(POLICIES["daily"])
    spec = rotation("daily", anchor=ANCHOR, rules={"fair_holidays": {}})
    data = RosterInput(tz=SAO_PAULO, rotations=(spec,))

    build_roster(data, *WINDOW, policies={"daily": policy}, rules=RULES)

    assert min(policy.asked) == ANCHOR


def test_a_plugin_replacing_respect_leave_gets_the_replay():
    class NoMondays(SchedulingRule):
        name = "respect_leave"
        always_on = True

        def allows(self, ctx, person_id, slot):
            return not (person_id == A and slot.start.weekday() == 0)

    policy = Recording(POLICIES["daily"])
    data = RosterInput(tz=SAO_PAULO, rotations=(rotation("daily", anchor=ANCHOR),))
    rules = {**RULES, "respect_leave": NoMondays()}

    jumped = build_roster(data, *WINDOW, policies={"daily": policy}, rules=rules)

    assert min(policy.asked) == ANCHOR
    replayed = build_roster(data, *WINDOW, policies={"daily": Replaying(POLICIES["daily"])}, rules=rules)
    assert jumped.shifts == replayed.shifts


def test_a_later_version_is_reached_by_replaying_from_where_the_first_one_was_left():
    later = version(at(SAO_PAULO, 2024, 5, 1, 15), (D, C, B, A), params={"handoff_time": "18:00"})
    data = RosterInput(tz=SAO_PAULO, rotations=(rotation("daily", anchor=ANCHOR, later=(later,)),))
    assert_same(data, *WINDOW)


def test_an_override_reaching_back_before_the_window_is_layered_as_on_a_replay():
    override = OverrideSpec(id=1, person_id=D, start=at(SAO_PAULO, 2025, 5, 20, 13), end=WINDOW[0] + timedelta(hours=3))
    weekly = rotation("weekly", (C, D), anchor=ANCHOR, id=2)
    data = RosterInput(
        tz=SAO_PAULO,
        rotations=(rotation("daily", anchor=ANCHOR), weekly),
        overrides=(override,),
        fallback_person=D,
    )
    assert_same(data, *WINDOW)


# Rotations that can jump (no opt-in rules, no restriction), asked about
# windows up to two years after their start, with leaves, overrides, other
# rotations of the same role and the fallback around.
far_windows = st.tuples(
    st.integers(min_value=0, max_value=24 * 730), st.integers(min_value=1, max_value=24 * 40)
).map(lambda w: (EPOCH + timedelta(hours=w[0]), EPOCH + timedelta(hours=w[0] + w[1])))


@st.composite
def jumping_teams(draw):
    count = draw(st.integers(min_value=1, max_value=3))
    specs = tuple(
        draw(
            rotations(
                rotation_id=n + 1,
                restricted=False,
                rules=False,
                role=draw(st.sampled_from(["primary", "secondary"])),
            )
        )
        for n in range(count)
    )
    spans = st.tuples(
        st.integers(1, 8),
        st.integers(min_value=0, max_value=24 * 760).map(lambda n: timedelta(hours=n)),
        st.integers(1, 24 * 20).map(lambda n: timedelta(hours=n)),
        st.sampled_from(["primary", "secondary"]),
    )
    overrides = tuple(
        OverrideSpec(id=n + 1, person_id=p, start=EPOCH + offset, end=EPOCH + offset + length, role=role)
        for n, (p, offset, length, role) in enumerate(draw(st.lists(spans, max_size=4)))
    )
    leaves = tuple(
        LeaveSpec(person_id=p, start=EPOCH + offset, end=EPOCH + offset + length)
        for p, offset, length, _ in draw(st.lists(spans, max_size=3))
    )
    return RosterInput(
        tz=draw(zones),
        rotations=specs,
        overrides=overrides,
        leaves=leaves,
        fallback_person=draw(st.none() | st.integers(1, 8)),
        inactive_people=frozenset(draw(st.sets(st.integers(1, 10), max_size=2))),
    )


@settings(max_examples=80, deadline=None)
@given(jumping_teams(), far_windows)
def test_jumping_gives_exactly_the_replay(data, window):
    assert_same(data, *window)


@settings(max_examples=40, deadline=None)
@given(teams(), windows())
def test_any_team_gives_exactly_the_replay(data, window):
    assert_same(data, *window)
