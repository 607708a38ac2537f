"""Properties of the ``fair`` policy, over generated rotations (bounded: the solver runs per example).

Each example solves a two- or three-week window with a one-second
deterministic limit, so these stay within about a minute on a CI machine.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from plantao.engine import LeaveSpec, PlanningState, RosterInput, RotationSpec, RotationVersionSpec, WorkedShift, build_roster
from plantao.plugins import build_registry
from plantao_plugins.fair import FairPolicy, objective_of

REGISTRY = build_registry()
ANCHOR = datetime(2027, 5, 4, 12, 0, tzinfo=timezone.utc)
DAYS = 14
BOUNDED = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


class RecordingFair(FairPolicy):
    """The fair policy, keeping the window it was given and its answer."""

    def assign(self, window):
        answer = super().assign(window)
        self.seen = (window, answer)
        return answer


def roster(params, members, rules, leaves=(), planning=None, policy=None):
    spec = RotationSpec(
        id=1,
        name="fair",
        policy="fair",
        anchor=ANCHOR,
        versions=(
            RotationVersionSpec(
                effective_from=ANCHOR,
                params={"time_limit": 1, "window_days": DAYS, **params},
                members=tuple(members),
                rules=rules,
            ),
        ),
    )
    data = RosterInput(tz="America/Sao_Paulo", rotations=(spec,), leaves=tuple(leaves), planning=planning)
    policies = {**REGISTRY.policies, "fair": policy or REGISTRY.policies["fair"]}
    return build_roster(data, ANCHOR, ANCHOR + timedelta(days=DAYS), policies=policies, rules=REGISTRY.rules)


@st.composite
def rotations(draw):
    members = list(range(1, draw(st.integers(3, 6)) + 1))
    handoffs = draw(st.sampled_from([[], ["07:00", "19:00"]]))
    rules = {}
    if draw(st.booleans()):
        rules["min_rest"] = {"hours": draw(st.sampled_from([12, 24, 36]))}
    if draw(st.booleans()):
        rules["max_consecutive"] = {"count": draw(st.integers(1, 3))}
    leaves = [
        LeaveSpec(
            person_id=draw(st.sampled_from(members)),
            start=ANCHOR + timedelta(hours=draw(st.integers(0, 24 * DAYS))),
            end=ANCHOR + timedelta(hours=24 * DAYS + 1),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    leaves = [replace_end(leave, draw(st.integers(12, 96))) for leave in leaves]
    return {"handoff_times": handoffs}, members, rules, leaves


def replace_end(leave, hours):
    return LeaveSpec(person_id=leave.person_id, start=leave.start, end=leave.start + timedelta(hours=hours))


@BOUNDED
@given(rotations())
def test_hard_rules_are_never_broken_when_a_roster_exists(example):
    params, members, rules, leaves = example
    result = roster(params, members, rules, leaves)
    assume(result.reports[1]["status"] != "fallback")
    shifts = sorted(result.shifts, key=lambda s: s.start)
    for shift in shifts:
        assert not any(
            leave.person_id == shift.person_id and leave.start < shift.end and leave.end > shift.start
            for leave in leaves
        )
    if "min_rest" in rules:
        gap = timedelta(hours=rules["min_rest"]["hours"])
        last_end = {}
        for shift in shifts:
            if shift.person_id in last_end:
                assert shift.start - last_end[shift.person_id] >= gap
            last_end[shift.person_id] = shift.end
    if "max_consecutive" in rules:
        count = rules["max_consecutive"]["count"]
        run, holder = 0, None
        for shift in shifts:
            run = run + 1 if shift.person_id == holder else 1
            holder = shift.person_id
            assert run <= count
    assert not [c for c in result.conflicts if c.rule in ("respect_leave", "min_rest", "max_consecutive")]


@BOUNDED
@given(rotations())
def test_the_solver_never_does_worse_than_the_round_robin_it_is_hinted(example):
    params, members, rules, leaves = example
    policy = RecordingFair()
    roster(params, members, rules, leaves, policy=policy)
    window, answer = policy.seen
    assume(answer.people is not None and None not in window.hint)
    round_robin = objective_of(window, window.hint)
    assume(round_robin is not None)  # the queue broke a rule the solver keeps
    assert answer.report["objective"] <= round_robin + 1e-6


@BOUNDED
@given(
    members=st.integers(4, 6),
    person=st.integers(1, 4),
    first_day=st.integers(2, DAYS - 4),
    length=st.integers(1, 2),
)
def test_a_new_leave_changes_only_slots_in_or_near_it(members, person, first_day, length):
    people = list(range(1, members + 1))
    before = roster({}, people, {})
    assume(before.reports[1]["status"] != "fallback")
    stored = tuple(WorkedShift(person_id=s.person_id, start=s.start, end=s.end) for s in before.shifts)
    leave = LeaveSpec(
        person_id=person,
        start=ANCHOR + timedelta(days=first_day),
        end=ANCHOR + timedelta(days=first_day + length),
    )
    planning = PlanningState(start=ANCHOR, keep_until=ANCHOR, assigned={1: stored}, stable=frozenset({1}))
    after = roster({}, people, {}, [leave], planning=planning)
    assume(after.reports[1]["status"] != "fallback")
    near = timedelta(days=2)
    old = {shift.start: shift.person_id for shift in before.shifts}
    for shift in after.shifts:
        if old.get(shift.start) != shift.person_id:
            assert leave.start - near <= shift.start < leave.end + near, (shift, leave)
