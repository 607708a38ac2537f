"""build_roster: turns, versions, people, overrides, layering, fallback and gaps."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from plantao.engine import (
    LeaveSpec,
    OverrideSpec,
    Restriction,
    RosterInput,
    RotationPolicy,
    build_roster,
)

from .scenarios import (
    A,
    B,
    C,
    D,
    E,
    POLICIES,
    RULES,
    SAO_PAULO,
    at,
    build,
    local_spans,
    people,
    rotation,
    version,
)

MONDAY = at(SAO_PAULO, 2025, 1, 6, 9)
BUSINESS_HOURS = Restriction(weekdays=frozenset(range(5)), start_time=time(9), end_time=time(18))


def weeks(count, since=MONDAY):
    return since + timedelta(weeks=count)


class TestTurns:
    def test_a_plain_rotation_is_round_robin(self):
        roster = build(rotation("weekly", anchor=MONDAY), start=MONDAY, end=weeks(6))
        assert people(roster.shifts) == [A, B, C, A, B, C]

    def test_turns_are_counted_from_the_anchor_whatever_window_is_asked_for(self):
        spec = rotation("weekly", anchor=MONDAY)
        everything = build(spec, start=MONDAY, end=weeks(20)).shifts
        some = build(spec, start=weeks(7), end=weeks(9)).shifts
        assert some == everything[7:9]
        assert people(some) == [B, C]

    def test_a_shift_in_progress_at_the_window_start_is_returned_whole(self):
        roster = build(
            rotation("weekly", anchor=MONDAY), start=MONDAY + timedelta(days=2), end=weeks(1)
        )
        assert local_spans(roster.shifts, SAO_PAULO) == [("2025-01-06 09:00", "2025-01-13 09:00")]

    def test_the_same_input_gives_the_same_roster_and_keys(self):
        spec = rotation("daily", anchor=MONDAY)
        first = build(spec, start=MONDAY, end=weeks(2))
        again = build(spec, start=MONDAY, end=weeks(2))
        assert first == again
        assert [s.key for s in first.shifts][:3] == ["r1:members:0", "r1:members:1", "r1:members:2"]

    def test_a_skipped_member_keeps_their_place(self):
        leave = LeaveSpec(
            person_id=A, start=MONDAY, end=MONDAY + timedelta(days=3), reason="vacation"
        )
        roster = build(
            rotation("weekly", anchor=MONDAY), start=MONDAY, end=weeks(6), leaves=(leave,)
        )
        # A is away the first week: B covers it and A takes the next one.
        assert people(roster.shifts) == [B, A, C, B, A, C]

    def test_inactive_people_are_never_assigned(self):
        roster = build(
            rotation("weekly", members=(A, B, C, D), anchor=MONDAY),
            start=MONDAY,
            end=weeks(6),
            inactive_people=frozenset({B}),
        )
        assert people(roster.shifts) == [A, C, D, A, C, D]

    def test_a_rotation_whose_members_are_all_inactive_leaves_a_gap_and_says_why(self):
        roster = build(
            rotation("weekly", members=(A,), anchor=MONDAY),
            start=MONDAY,
            end=weeks(1),
            inactive_people=frozenset({A}),
        )
        assert roster.shifts == ()
        assert [(gap.start, gap.end) for gap in roster.gaps] == [(MONDAY, weeks(1))]
        assert roster.conflicts[0].rule is None
        assert "no active member" in roster.conflicts[0].message


class TestVersions:
    def test_a_version_dated_in_the_future_leaves_the_roster_before_it_unchanged(self):
        before = build(rotation("weekly", anchor=MONDAY), start=MONDAY, end=weeks(4))
        changed = build(
            rotation("weekly", anchor=MONDAY, later=[version(weeks(4), (A, B, C, D))]),
            start=MONDAY,
            end=weeks(4),
        )
        assert changed.shifts == before.shifts

    def test_a_member_joining_continues_the_order_after_the_last_holder(self):
        roster = build(
            rotation("weekly", anchor=MONDAY, later=[version(weeks(4), (A, B, C, D))]),
            start=MONDAY,
            end=weeks(9),
        )
        # A held week 4, so B follows in the new order, and D gets a turn.
        assert people(roster.shifts) == [A, B, C, A] + [B, C, D, A, B]

    def test_a_member_leaving_continues_the_order_after_the_last_holder(self):
        roster = build(
            rotation("weekly", anchor=MONDAY, later=[version(weeks(4), (A, C))]),
            start=MONDAY,
            end=weeks(7),
        )
        assert people(roster.shifts) == [A, B, C, A] + [C, A, C]

    def test_when_the_last_holder_leaves_whoever_was_next_goes_on(self):
        roster = build(
            rotation("weekly", anchor=MONDAY, later=[version(weeks(4), (B, C))]),
            start=MONDAY,
            end=weeks(7),
        )
        assert people(roster.shifts) == [A, B, C, A] + [B, C, B]

    def test_the_version_in_effect_when_a_slot_starts_applies_to_the_whole_slot(self):
        wednesday = weeks(4) + timedelta(days=2)
        roster = build(
            rotation("weekly", anchor=MONDAY, later=[version(wednesday, (A, B, C, D))]),
            start=MONDAY,
            end=weeks(8),
        )
        # Week 4 started before Wednesday, so it is B's as under the old version.
        assert people(roster.shifts) == [A, B, C, A, B] + [C, D, A]

    def test_a_new_handoff_time_keeps_the_shift_in_progress_until_the_first_new_handoff(self):
        wednesday = at(SAO_PAULO, 2025, 1, 1, 9)
        sunday_midnight = at(SAO_PAULO, 2025, 1, 5, 0)
        roster = build(
            rotation(
                "daily",
                anchor=wednesday,
                later=[version(sunday_midnight, params={"handoff_time": "12:00"})],
            ),
            start=wednesday,
            end=at(SAO_PAULO, 2025, 1, 7, 0),
        )
        assert list(zip(local_spans(roster.shifts, SAO_PAULO), people(roster.shifts))) == [
            (("2025-01-01 09:00", "2025-01-02 09:00"), A),
            (("2025-01-02 09:00", "2025-01-03 09:00"), B),
            (("2025-01-03 09:00", "2025-01-04 09:00"), C),
            (("2025-01-04 09:00", "2025-01-05 12:00"), A),
            (("2025-01-05 12:00", "2025-01-06 12:00"), B),
            (("2025-01-06 12:00", "2025-01-07 12:00"), C),
        ]

    def test_rules_can_change_with_a_version(self):
        leave = LeaveSpec(person_id=B, start=weeks(3), end=weeks(5))
        roster = build(
            rotation(
                "weekly",
                members=(A, B),
                anchor=MONDAY,
                later=[version(weeks(2), (A, B), rules={"max_consecutive": {"count": 1}})],
            ),
            start=MONDAY,
            end=weeks(5),
            leaves=(leave,),
        )
        assert people(roster.shifts) == [A, B, A, A, A]
        assert {conflict.rule for conflict in roster.conflicts} == {"max_consecutive"}


class TestOverrides:
    def test_an_override_replaces_part_of_a_shift_and_the_rest_keeps_going(self):
        override = OverrideSpec(
            id=7, person_id=E, start=MONDAY + timedelta(days=2), end=MONDAY + timedelta(days=3)
        )
        roster = build(
            rotation("weekly", anchor=MONDAY), start=MONDAY, end=weeks(1), overrides=(override,)
        )

        assert list(zip(local_spans(roster.shifts, SAO_PAULO), people(roster.shifts))) == [
            (("2025-01-06 09:00", "2025-01-08 09:00"), A),
            (("2025-01-08 09:00", "2025-01-09 09:00"), E),
            (("2025-01-09 09:00", "2025-01-13 09:00"), A),
        ]
        assert [shift.source for shift in roster.shifts] == ["rotation", "override", "rotation"]
        assert [shift.key for shift in roster.shifts] == [
            "r1:members:0",
            "o7",
            "r1:members:0@2025-01-09T12:00:00+00:00",
        ]
        assert roster.layers[0].end == weeks(1)  # the layer underneath is untouched

    def test_an_override_by_an_inactive_person_is_ignored(self):
        override = OverrideSpec(id=7, person_id=E, start=MONDAY, end=MONDAY + timedelta(days=1))
        roster = build(
            rotation("weekly", anchor=MONDAY),
            start=MONDAY,
            end=weeks(1),
            overrides=(override,),
            inactive_people=frozenset({E}),
        )
        assert people(roster.shifts) == [A]

    def test_the_latest_override_wins_where_two_overlap(self):
        first = OverrideSpec(id=1, person_id=D, start=MONDAY, end=MONDAY + timedelta(days=2))
        second = OverrideSpec(
            id=2, person_id=E, start=MONDAY + timedelta(days=1), end=MONDAY + timedelta(days=3)
        )
        roster = build(
            rotation("weekly", anchor=MONDAY), start=MONDAY, end=weeks(1), overrides=(first, second)
        )
        assert people(roster.shifts) == [D, E, A]


class TestLayering:
    def test_the_higher_priority_rotation_wins_where_they_overlap(self):
        weekdays = rotation("weekly", members=(A, B), anchor=MONDAY, id=1)
        weekends = rotation(
            "daily",
            members=(C, D),
            anchor=MONDAY,
            id=2,
            priority=5,
            params={"handoff_time": "00:00"},
            restriction=Restriction(weekdays=frozenset({5, 6})),
            turn_mode="active",
        )
        roster = build(weekdays, weekends, start=MONDAY, end=weeks(1))
        assert list(zip(local_spans(roster.shifts, SAO_PAULO), people(roster.shifts))) == [
            (("2025-01-06 09:00", "2025-01-11 00:00"), A),
            (("2025-01-11 00:00", "2025-01-12 00:00"), C),
            (("2025-01-12 00:00", "2025-01-13 00:00"), D),
            (("2025-01-13 00:00", "2025-01-13 09:00"), A),
        ]
        assert len(roster.layers) == 3  # A's week and the two weekend days

    def test_on_equal_priority_the_older_rotation_wins(self):
        first = rotation("weekly", members=(A,), anchor=MONDAY, id=1)
        second = rotation("weekly", members=(B,), anchor=MONDAY, id=2)
        roster = build(second, first, start=MONDAY, end=weeks(1))
        assert people(roster.shifts) == [A]

    def test_roles_are_layered_separately(self):
        primary = rotation("weekly", members=(A, B), anchor=MONDAY, id=1)
        secondary = rotation("weekly", members=(C, D), anchor=MONDAY, id=2, role="secondary")
        roster = build(primary, secondary, start=MONDAY, end=weeks(1))
        assert [(shift.role, shift.person_id) for shift in roster.shifts] == [
            ("primary", A),
            ("secondary", C),
        ]

    def test_when_everybody_is_away_a_lower_priority_rotation_covers(self):
        team = rotation("weekly", members=(A, B), anchor=MONDAY, id=1, priority=1)
        backup = rotation("weekly", members=(E,), anchor=MONDAY, id=2)
        leaves = tuple(LeaveSpec(person_id=p, start=MONDAY, end=weeks(1)) for p in (A, B))
        roster = build(team, backup, start=MONDAY, end=weeks(2), leaves=leaves)

        assert people(roster.shifts) == [E, A]
        assert roster.gaps == ()
        [conflict] = roster.conflicts
        assert conflict.rule == "respect_leave"
        assert (conflict.rotation_id, conflict.start, conflict.end) == (1, MONDAY, weeks(1))
        assert (
            conflict.message
            == "Every member is excluded by respect_leave, so the slot was left unassigned."
        )


class TestFallbackAndGaps:
    def test_the_fallback_person_covers_what_no_rotation_covers(self):
        roster = build(
            rotation("weekly", anchor=MONDAY, restriction=BUSINESS_HOURS),
            start=MONDAY,
            end=MONDAY + timedelta(days=2),
            fallback_person=E,
        )
        assert list(zip(local_spans(roster.shifts, SAO_PAULO), people(roster.shifts))) == [
            (("2025-01-06 09:00", "2025-01-06 18:00"), A),
            (("2025-01-06 18:00", "2025-01-07 09:00"), E),
            (("2025-01-07 09:00", "2025-01-07 18:00"), A),
            (("2025-01-07 18:00", "2025-01-08 09:00"), E),
        ]
        assert roster.shifts[1].source == "fallback"
        assert roster.shifts[1].key == "f:primary:2025-01-06T21:00:00+00:00"
        assert roster.gaps == ()

    def test_without_a_fallback_uncovered_time_is_a_gap(self):
        roster = build(
            rotation("weekly", anchor=MONDAY, restriction=BUSINESS_HOURS),
            start=MONDAY,
            end=MONDAY + timedelta(days=1),
        )
        assert [(gap.role, gap.start, gap.end) for gap in roster.gaps] == [
            ("primary", at(SAO_PAULO, 2025, 1, 6, 18), at(SAO_PAULO, 2025, 1, 7, 9)),
        ]

    def test_time_before_a_rotation_starts_is_a_gap(self):
        roster = build(
            rotation("weekly", anchor=MONDAY), start=MONDAY - timedelta(days=1), end=weeks(1)
        )
        assert [(gap.start, gap.end) for gap in roster.gaps] == [
            (MONDAY - timedelta(days=1), MONDAY)
        ]

    def test_an_inactive_fallback_person_covers_nothing(self):
        roster = build(
            rotation("weekly", anchor=MONDAY, restriction=BUSINESS_HOURS),
            start=MONDAY,
            end=MONDAY + timedelta(days=1),
            fallback_person=E,
            inactive_people=frozenset({E}),
        )
        assert people(roster.shifts) == [A]
        assert [(gap.start, gap.end) for gap in roster.gaps] == [
            (at(SAO_PAULO, 2025, 1, 6, 18), at(SAO_PAULO, 2025, 1, 7, 9))
        ]

    def test_a_role_nobody_rotates_or_overrides_has_no_gaps(self):
        roster = build(start=MONDAY, end=weeks(1))
        assert roster.shifts == () and roster.gaps == ()

    def test_a_fallback_shift_runs_to_the_next_coverage_even_past_the_window(self):
        spec = rotation("weekly", anchor=MONDAY, restriction=BUSINESS_HOURS)
        evening = at(SAO_PAULO, 2025, 1, 6, 20)
        roster = build(spec, start=evening, end=evening + timedelta(hours=1), fallback_person=E)
        assert local_spans(roster.shifts, SAO_PAULO) == [("2025-01-06 18:00", "2025-01-07 09:00")]

    def test_a_fallback_shift_before_any_rotation_keeps_its_key_whatever_the_window(self):
        spec = rotation("weekly", anchor=MONDAY)
        keys = {
            build(spec, start=MONDAY - timedelta(days=days), end=MONDAY, fallback_person=E)
            .shifts[0]
            .key
            for days in (1, 2, 3)
        }
        assert keys == {"f:primary:until:2025-01-06T12:00:00+00:00"}


class TestInput:
    def test_an_unknown_policy_is_refused(self):
        with pytest.raises(ValueError, match="unknown policy 'monthly'"):
            build(rotation("monthly", anchor=MONDAY), start=MONDAY, end=weeks(1))

    def test_an_unknown_rule_is_refused(self):
        with pytest.raises(ValueError, match="unknown rules: no_mondays"):
            build(
                rotation("weekly", anchor=MONDAY, rules={"no_mondays": {}}),
                start=MONDAY,
                end=weeks(1),
            )

    def test_invalid_rule_parameters_are_refused(self):
        with pytest.raises(ValueError, match="'min_rest'"):
            build(
                rotation("weekly", anchor=MONDAY, rules={"min_rest": {"hours": -1}}),
                start=MONDAY,
                end=weeks(1),
            )

    def test_naive_datetimes_are_refused(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            build(rotation("weekly", anchor=MONDAY), start=datetime(2025, 1, 6), end=weeks(1))
        with pytest.raises(ValueError, match="timezone-aware"):
            LeaveSpec(person_id=A, start=datetime(2025, 1, 6), end=weeks(1))

    def test_a_bad_version_dated_in_the_future_is_refused_today(self):
        future = version(weeks(50), params={"handoff_time": "noon"})
        with pytest.raises(ValueError, match="handoff_time"):
            build(rotation("daily", anchor=MONDAY, later=[future]), start=MONDAY, end=weeks(1))

    def test_a_policy_that_leaves_holes_shows_them_as_gaps(self):
        class WeekdaysOnly(RotationPolicy):
            """A faulty policy: its slots skip weekends instead of covering them."""

            name = "weekdays_only"

            def slots(self, ctx, start, end):
                for slot in POLICIES["daily"].slots(ctx, start, end):
                    if slot.start.astimezone(ctx.tz).weekday() < 5:
                        yield slot

        data = RosterInput(tz=SAO_PAULO, rotations=(rotation("weekdays_only", anchor=MONDAY),))
        roster = build_roster(
            data, MONDAY, weeks(1), policies={"weekdays_only": WeekdaysOnly()}, rules=RULES
        )
        assert people(roster.shifts) == [A, B, C, A, B]
        assert [(gap.start, gap.end) for gap in roster.gaps] == [
            (at(SAO_PAULO, 2025, 1, 11, 9), at(SAO_PAULO, 2025, 1, 13, 9))
        ]

    def test_an_unknown_zone_is_refused(self):
        with pytest.raises(ValueError, match="unknown time zone"):
            build(
                rotation("weekly", anchor=MONDAY),
                start=MONDAY,
                end=weeks(1),
                tz="Mars/Olympus_Mons",
            )

    def test_shifts_are_in_utc(self):
        roster = build(rotation("weekly", anchor=MONDAY), start=MONDAY, end=weeks(1))
        assert roster.shifts[0].start.tzinfo is timezone.utc


class TestLongRotations:
    # How fast this is belongs to ``make bench``; a timed assertion here
    # would fail on a loaded machine without anything being wrong.
    def test_a_year_of_daily_shifts_for_fifty_members_three_years_after_the_anchor(self):
        anchor = at(SAO_PAULO, 2022, 1, 3, 9)
        members = tuple(range(1, 51))
        spec = rotation(
            "daily",
            members=members,
            anchor=anchor,
            rules={"min_rest": {}, "max_consecutive": {}, "fair_holidays": {}},
        )
        leaves = tuple(
            LeaveSpec(
                person_id=p,
                start=anchor + timedelta(days=20 * p),
                end=anchor + timedelta(days=20 * p + 14),
            )
            for p in members
        )
        data = RosterInput(tz=SAO_PAULO, rotations=(spec,), leaves=leaves)
        roster = build_roster(
            data,
            at(SAO_PAULO, 2025, 1, 1),
            at(SAO_PAULO, 2026, 1, 1),
            policies=POLICIES,
            rules=RULES,
        )
        assert len(roster.shifts) == 366
