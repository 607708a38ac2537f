"""The ``fair`` policy: slots like the others', people chosen by the CP-SAT solver.

The engine hands a window-planning policy (``RotationPolicy.assign``) every
slot of its planning window at once; these tests read like its spec: hard
rules are never broken when a roster exists, hours are balanced better than
the round robin's, the answer is deterministic and the stored roster is kept.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from plantao.engine import (
    LeaveSpec,
    PlanningState,
    RosterInput,
    RotationSpec,
    RotationVersionSpec,
    WorkedShift,
    build_roster,
)
from plantao.engine.hours import split_hours
from plantao.plugin_api import SchedulingRule
from plantao.plugins import build_registry
from plantao_plugins.fair import FairPolicy, PatternError

REGISTRY = build_registry()
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# 09:00 in São Paulo, a Tuesday.
ANCHOR = datetime(2027, 3, 2, 12, 0, tzinfo=timezone.utc)
FAST = {"time_limit": 1, "window_days": 28}


def rotation(params=None, members=(1, 2, 3, 4), rules=None, *, id=1, role="primary", policy="fair", anchor=ANCHOR):
    return RotationSpec(
        id=id,
        name=f"r{id}",
        policy=policy,
        role=role,
        anchor=anchor,
        versions=(
            RotationVersionSpec(
                effective_from=anchor,
                params={**FAST, **(params or {})} if policy == "fair" else dict(params or {}),
                members=tuple(members),
                rules=rules or {},
            ),
        ),
    )


def build(*rotations, leaves=(), days=28, planning=None, rules=None, start=ANCHOR):
    data = RosterInput(tz="America/Sao_Paulo", rotations=rotations, leaves=tuple(leaves), planning=planning)
    return build_roster(
        data, start, start + timedelta(days=days), policies=REGISTRY.policies, rules=rules or REGISTRY.rules
    )


def hours_by(shifts, measure="total"):
    found: Counter = Counter()
    for shift in shifts:
        found[shift.person_id] += getattr(split_hours(shift.start, shift.end, SAO_PAULO, {}), measure)
    return found


def test_empty_params_give_daily_24_hour_slots_at_the_rotation_start_time():
    result = build(rotation({}), days=7)
    assert len(result.shifts) == 7
    for shift in result.shifts:
        assert shift.end - shift.start == timedelta(hours=24)
        assert shift.start.astimezone(SAO_PAULO).time().isoformat() == "09:00:00"
    assert result.reports[1]["status"] in ("optimal", "feasible")
    assert set(result.reports[1]) >= {"status", "objective", "seconds"}


def test_two_handoff_times_cut_day_and_night_shifts():
    result = build(rotation({"handoff_times": ["19:00", "07:00"]}), days=2)
    local = [(s.start.astimezone(SAO_PAULO).hour, s.end.astimezone(SAO_PAULO).hour) for s in result.shifts]
    # The anchor (09:00) falls in the day shift, which starts at the anchor.
    assert local[:3] == [(9, 19), (19, 7), (7, 19)]


def test_several_handoff_times_and_several_days_per_shift_are_refused():
    with pytest.raises(PatternError):
        build(rotation({"handoff_times": ["07:00", "19:00"], "shift_days": 2}), days=2)


def test_leave_is_never_scheduled():
    leave = LeaveSpec(person_id=2, start=ANCHOR + timedelta(days=3), end=ANCHOR + timedelta(days=10))
    result = build(rotation({}), leaves=[leave])
    assert not any(s.person_id == 2 and s.start < leave.end and s.end > leave.start for s in result.shifts)
    assert not result.conflicts


def test_min_rest_and_max_consecutive_are_hard():
    rules = {"min_rest": {"hours": 36}, "max_consecutive": {"count": 1}}
    result = build(rotation({"handoff_times": ["07:00", "19:00"]}, rules=rules))
    by_person: dict[int, list] = {}
    for shift in result.shifts:
        by_person.setdefault(shift.person_id, []).append(shift)
    for shifts in by_person.values():
        for earlier, later in zip(shifts, shifts[1:]):
            assert later.start - earlier.end >= timedelta(hours=36)
    assert all(a.person_id != b.person_id for a, b in zip(result.shifts, result.shifts[1:]))
    assert not result.conflicts


def test_a_person_never_takes_their_unavailable_weekdays_and_hours():
    # Person 1 never works weekends; person 2 never nights from 22:00 to 06:00.
    unavailable = [
        {"person": 1, "weekdays": [5, 6]},
        {"person": 2, "start_time": "22:00", "end_time": "06:00"},
    ]
    result = build(rotation({"handoff_times": ["07:00", "19:00"], "unavailable": unavailable}))
    for shift in result.shifts:
        local = shift.start.astimezone(SAO_PAULO)
        if shift.person_id == 1:
            assert local.weekday() < 5 and shift.end.astimezone(SAO_PAULO).weekday() < 5
        if shift.person_id == 2:
            assert local.hour == 7 or local.hour == 9  # day shifts only (09:00: the first, cut at the anchor)


def test_an_unavailable_entry_with_only_a_start_time_runs_to_midnight_and_one_with_weekdays_and_hours_is_that_weekday():
    # Person 3 is away from 19:00 to midnight every day; person 4 on Friday
    # nights only (Friday 19:00 to Saturday 07:00).
    unavailable = [
        {"person": 3, "start_time": "19:00"},
        {"person": 4, "weekdays": [4], "start_time": "19:00", "end_time": "07:00"},
    ]
    result = build(rotation({"handoff_times": ["07:00", "19:00"], "unavailable": unavailable}))
    nights = {3: 0, 4: 0}
    for shift in result.shifts:
        local = shift.start.astimezone(SAO_PAULO)
        if shift.person_id == 3:
            assert local.hour != 19
        if shift.person_id == 4:
            assert not (local.weekday() == 4 and local.hour == 19)
            nights[4] += local.hour == 19
    assert nights[4] > 0  # person 4 still takes the other nights
    assert not result.conflicts


def test_nobody_is_in_two_overlapping_slots_across_the_team_roles():
    primary = rotation({}, members=(1, 2, 3), id=1, role="primary", policy="daily")
    secondary = rotation({}, members=(1, 2, 3, 4), id=2, role="secondary")
    result = build(primary, secondary)
    held = {}
    for shift in result.shifts:
        held.setdefault(shift.role, []).append(shift)
    for fair_shift in held["secondary"]:
        for other in held["primary"]:
            if other.start < fair_shift.end and other.end > fair_shift.start:
                assert other.person_id != fair_shift.person_id


def test_night_hours_are_balanced_where_the_round_robin_gives_them_to_half_the_team():
    # Six members on day and night shifts: the round robin gives every
    # night to the same three people.
    members = (1, 2, 3, 4, 5, 6)
    custom = rotation({"length": 12, "unit": "hours"}, members=members, policy="custom",
                      anchor=datetime(2027, 3, 2, 10, 0, tzinfo=timezone.utc))
    fair = rotation({"handoff_times": ["07:00", "19:00"]}, members=members,
                    anchor=datetime(2027, 3, 2, 10, 0, tzinfo=timezone.utc))
    round_robin = hours_by(build(custom).shifts, "night")
    balanced = hours_by(build(fair).shifts, "night")
    assert max(round_robin.values()) - min(round_robin[p] for p in members) > 50
    assert max(balanced.values()) - min(balanced[p] for p in members) <= 14


def test_hours_already_worked_count_towards_the_balance():
    # Person 1 worked every other day of the last two months: the window
    # starts with the others.
    worked = tuple(
        WorkedShift(person_id=1 if day % 2 else 2 + (day // 2) % 3, start=ANCHOR - timedelta(days=day + 1),
                    end=ANCHOR - timedelta(days=day))
        for day in range(60)
    )
    planning = PlanningState(start=ANCHOR, keep_until=ANCHOR, worked=worked)
    result = build(rotation({}), planning=planning, days=10)
    hours = hours_by(result.shifts)
    assert hours[1] < min(hours[p] for p in (2, 3, 4))


def test_time_away_is_no_debt_to_repay():
    # Everybody worked a fair share until person 1 went on leave for the last
    # 40 days: back now, they take their share from here, not the leave's too.
    worked = tuple(
        WorkedShift(person_id=1 + day % 4, start=ANCHOR - timedelta(days=day + 1), end=ANCHOR - timedelta(days=day))
        for day in range(40, 120)
    ) + tuple(
        WorkedShift(person_id=2 + day % 3, start=ANCHOR - timedelta(days=day + 1), end=ANCHOR - timedelta(days=day))
        for day in range(40)
    )
    leave = LeaveSpec(person_id=1, start=ANCHOR - timedelta(days=40), end=ANCHOR)
    planning = PlanningState(start=ANCHOR, keep_until=ANCHOR, worked=worked)
    result = build(rotation({}), planning=planning, leaves=[leave], days=28)
    hours = hours_by(result.shifts)
    assert hours[1] <= max(hours.values()) <= hours[1] + 48


def test_the_same_input_gives_the_same_roster_whatever_window_is_asked():
    first = build(rotation({"handoff_times": ["07:00", "19:00"]}), days=28)
    again = build(rotation({"handoff_times": ["07:00", "19:00"]}), days=28)
    later = build(rotation({"handoff_times": ["07:00", "19:00"]}), days=7, start=ANCHOR + timedelta(days=14))
    assert first.shifts == again.shifts
    assert set(later.shifts) <= set(first.shifts)


def test_an_impossible_roster_falls_back_to_the_queue_and_reports_the_rule():
    # Two people cannot keep 48 hours of rest between daily shifts.
    result = build(rotation({}, members=(1, 2), rules={"min_rest": {"hours": 48}}), days=6)
    assert result.reports[1]["status"] == "fallback"
    assert len(result.shifts) == 6  # the queue still covers every day
    assert {conflict.rule for conflict in result.conflicts} == {"min_rest"}


def test_a_third_party_rule_is_checked_on_the_solution():
    class NoMondays(SchedulingRule):
        """Refuses person 1 any slot starting on a Monday; the solver does not know it."""

        name = "no_mondays"
        title = description = {"pt-BR": "x", "en": "x"}

        def allows(self, ctx, person_id, slot):
            return not (person_id == 1 and slot.start.astimezone(SAO_PAULO).weekday() == 0)

    rules = {**REGISTRY.rules, "no_mondays": NoMondays()}
    result = build(rotation({}, members=(1, 2, 3, 4), rules={"no_mondays": {}}), rules=rules, days=21)
    on_monday = [s for s in result.shifts if s.person_id == 1 and s.start.astimezone(SAO_PAULO).weekday() == 0]
    reported = [c for c in result.conflicts if c.rule == "no_mondays"]
    assert len(reported) == len(on_monday)


def test_slots_before_the_planning_window_keep_their_stored_holder():
    stored = tuple(
        WorkedShift(person_id=4, start=ANCHOR + timedelta(days=day), end=ANCHOR + timedelta(days=day + 1))
        for day in range(5)
    )
    now = ANCHOR + timedelta(days=3, hours=2)
    planning = PlanningState(start=now, keep_until=now, assigned={1: stored}, stable=frozenset({1}))
    result = build(rotation({}), planning=planning, days=10)
    # Days 0-2 ended, day 3 is in progress: all stored; day 4 onwards is planned.
    assert [s.person_id for s in result.shifts[:4]] == [4, 4, 4, 4]


def test_keeping_the_stored_assignment_plans_only_what_it_lacks():
    first = build(rotation({}), days=20)
    stored = tuple(WorkedShift(person_id=s.person_id, start=s.start, end=s.end) for s in first.shifts[:10])
    planning = PlanningState(start=ANCHOR, keep_until=ANCHOR + timedelta(days=40), assigned={1: stored})
    kept = build(rotation({}), planning=planning, days=20)
    assert kept.shifts[:10] == first.shifts[:10]
    assert len(kept.shifts) == 20


def test_the_policy_refuses_fair_holidays():
    assert "fair_holidays" in FairPolicy.incompatible_rules


def test_a_kept_slot_breaking_a_rule_keeps_its_holder_and_the_rest_is_still_planned():
    # The stored roster gave person 1 two days in a row against max_consecutive
    # 1 (the queue relaxed it once); the second is in progress now.
    stored = tuple(
        WorkedShift(person_id=1, start=ANCHOR + timedelta(days=day), end=ANCHOR + timedelta(days=day + 1))
        for day in range(2)
    )
    now = ANCHOR + timedelta(days=1, hours=3)
    planning = PlanningState(start=now, keep_until=now, assigned={1: stored}, stable=frozenset({1}))
    result = build(rotation({}, rules={"max_consecutive": {"count": 1}}), planning=planning, days=10)
    assert [s.person_id for s in result.shifts[:2]] == [1, 1]
    assert result.reports[1]["status"] in ("optimal", "feasible")
    assert result.shifts[2].person_id != 1


def test_handed_back_the_queue_s_roster_reports_what_it_breaks_of_the_planner_s_own():
    # Two people, 48 hours of rest between daily shifts: impossible, so the
    # queue fills the days, and it gives person 1 their unavailable weekend.
    params = {"unavailable": [{"person": 1, "weekdays": [5, 6]}]}
    result = build(rotation(params, members=(1, 2), rules={"min_rest": {"hours": 48}}), days=14)
    assert result.reports[1]["status"] == "fallback"
    weekend = [s for s in result.shifts if s.person_id == 1 and s.start.astimezone(SAO_PAULO).weekday() >= 5]
    reported = {c.start for c in result.conflicts if c.rule == "unavailable"}
    assert weekend and {s.start for s in weekend} <= reported


def test_a_slot_only_an_opt_in_rule_blocks_is_covered_and_the_rule_named():
    # Everybody worked in the three days before the window: min_rest 60 h leaves
    # nobody for its first slot, which is still covered, with a conflict.
    history = tuple(
        WorkedShift(person_id=p, start=ANCHOR - timedelta(days=4 - p), end=ANCHOR - timedelta(days=3 - p))
        for p in (1, 2, 3)
    )
    planning = PlanningState(start=ANCHOR, keep_until=ANCHOR, assigned={1: history})
    early = rotation({}, members=(1, 2, 3), rules={"min_rest": {"hours": 60}}, anchor=ANCHOR - timedelta(days=3))
    result = build(early, planning=planning, days=6)
    assert not result.gaps
    first = next(s for s in result.shifts if s.start >= ANCHOR)
    assert any(c.rule == "min_rest" and c.start == first.start for c in result.conflicts)


def test_a_fair_rotation_next_to_a_queue_one_is_the_same_whatever_window_is_asked():
    primary = rotation({}, members=(1, 2, 3), id=1, role="primary", policy="daily")
    secondary = rotation({}, members=(1, 2, 3, 4), id=2, role="secondary")
    whole = build(primary, secondary, days=28)
    later = build(primary, secondary, days=14, start=ANCHOR + timedelta(days=14))
    assert set(later.shifts) <= set(whole.shifts)
