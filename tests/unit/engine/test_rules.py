"""The built-in scheduling rules, and what happens when they cannot be met."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from plantao.engine import LeaveSpec

from .scenarios import A, B, C, SAO_PAULO, at, build, people, rotation

MONDAY = at(SAO_PAULO, 2025, 3, 10, 9)


def rests(shifts):
    """Each person's time off between consecutive shifts."""
    last_end = {}
    found = defaultdict(list)
    for shift in sorted(shifts, key=lambda shift: shift.start):
        if shift.person_id in last_end:
            found[shift.person_id].append(shift.start - last_end[shift.person_id])
        last_end[shift.person_id] = shift.end
    return [rest for person_rests in found.values() for rest in person_rests]


class TestRespectLeave:
    def test_nobody_is_scheduled_during_any_part_of_their_leave(self):
        leave = LeaveSpec(
            person_id=A, start=MONDAY + timedelta(days=3), end=MONDAY + timedelta(days=4)
        )
        roster = build(
            rotation("weekly", anchor=MONDAY),
            start=MONDAY,
            end=MONDAY + timedelta(weeks=1),
            leaves=(leave,),
        )
        assert people(roster.shifts) == [B]

    def test_a_leave_ending_when_the_shift_starts_does_not_matter(self):
        leave = LeaveSpec(person_id=A, start=MONDAY - timedelta(days=7), end=MONDAY)
        roster = build(
            rotation("weekly", anchor=MONDAY),
            start=MONDAY,
            end=MONDAY + timedelta(weeks=1),
            leaves=(leave,),
        )
        assert people(roster.shifts) == [A]

    def test_it_applies_without_being_chosen(self):
        leave = LeaveSpec(person_id=A, start=MONDAY, end=MONDAY + timedelta(days=1))
        roster = build(
            rotation("daily", anchor=MONDAY, rules={}),
            start=MONDAY,
            end=MONDAY + timedelta(days=1),
            leaves=(leave,),
        )
        assert people(roster.shifts) == [B]


class TestMinRest:
    def test_without_it_the_same_member_may_work_business_hours_and_the_night_after(self):
        roster = build(
            rotation("split", anchor=MONDAY), start=MONDAY, end=MONDAY + timedelta(days=1)
        )
        assert people(roster.shifts) == [A, A]

    def test_members_get_the_minimum_rest_between_shifts(self):
        roster = build(
            rotation("split", anchor=MONDAY, rules={"min_rest": {"hours": 12}}),
            start=MONDAY,
            end=MONDAY + timedelta(weeks=2),
        )
        assert people(roster.shifts)[:2] == [A, B]
        assert min(rests(roster.shifts)) >= timedelta(hours=12)
        assert roster.conflicts == ()

    def test_the_default_is_twelve_hours(self):
        roster = build(
            rotation("split", anchor=MONDAY, rules={"min_rest": {}}),
            start=MONDAY,
            end=MONDAY + timedelta(weeks=2),
        )
        assert min(rests(roster.shifts)) >= timedelta(hours=12)


class TestMaxConsecutive:
    def test_nobody_takes_more_slots_in_a_row_than_allowed(self):
        roster = build(
            rotation("split", anchor=MONDAY, rules={"max_consecutive": {"count": 1}}),
            start=MONDAY,
            end=MONDAY + timedelta(weeks=1),
        )
        assert people(roster.shifts)[:2] == [A, B]
        assert all(
            before != after
            for before, after in zip(people(roster.shifts), people(roster.shifts)[1:])
        )

    def test_when_only_one_member_is_left_the_rule_is_relaxed_and_reported(self):
        leaves = tuple(
            LeaveSpec(person_id=person, start=MONDAY, end=MONDAY + timedelta(days=3))
            for person in (B, C)
        )
        roster = build(
            rotation("daily", anchor=MONDAY, rules={"max_consecutive": {}}),
            start=MONDAY,
            end=MONDAY + timedelta(days=3),
            leaves=leaves,
        )
        assert people(roster.shifts) == [A, A, A]
        [conflict] = roster.conflicts
        assert conflict.rule == "max_consecutive"
        assert (conflict.start, conflict.end) == (
            MONDAY + timedelta(days=2),
            MONDAY + timedelta(days=3),
        )
        assert conflict.message == (
            "No member could satisfy max_consecutive for this slot, so the rule was relaxed "
            "and person 1 got the shift by queue order."
        )


class TestFairHolidays:
    # A holiday every third day would always fall to A in plain round robin.
    HOLIDAYS = {(MONDAY + timedelta(days=n)).date(): f"Holiday {n}" for n in (0, 3, 6)}

    def holiday_people(self, rules):
        roster = build(
            rotation("daily", anchor=MONDAY, rules=rules),
            start=MONDAY,
            end=MONDAY + timedelta(days=7),
            holidays=self.HOLIDAYS,
        )
        return [people(roster.shifts)[n] for n in (0, 3, 6)]

    def test_without_it_holidays_follow_the_queue(self):
        assert self.holiday_people({}) == [A, A, A]

    def test_holidays_go_to_whoever_had_the_fewest_and_ties_keep_queue_order(self):
        assert self.holiday_people({"fair_holidays": {}}) == [A, B, C]

    def test_ranking_only_orders_members_the_other_rules_allow(self):
        # On the last holiday C has had none, but C worked the day before
        # and may not take two in a row, so B (tied with A, ahead in the
        # queue) gets it.
        rules = {"fair_holidays": {}, "max_consecutive": {"count": 1}}
        assert self.holiday_people(rules) == [A, B, B]
