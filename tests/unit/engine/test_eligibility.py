"""Who may take a stretch of somebody else's shift (plantao/engine/eligibility.py).

The rotation's own rules judge, with the history the rotation would have had:
a day rotation of A, B, C, each holding 24 hours from 09:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from plantao.engine.eligibility import BUSY, Held, RuleSet, refusal
from plantao.engine.rules import LeaveCalendar
from plantao.plugin_api import LeaveSpec, SchedulingRule
from plantao_plugins.rules import MaxConsecutive, MinRest, RespectLeave

A, B, C = 1, 2, 3
DAY = timedelta(days=1)
START = datetime(2030, 3, 4, 12, tzinfo=timezone.utc)
TZ = ZoneInfo("America/Sao_Paulo")
REGISTRY = {rule.name: rule for rule in (RespectLeave(), MinRest(), MaxConsecutive())}


def days(*holders: int) -> list[Held]:
    """One 24-hour shift per holder, from START on."""
    return [Held(person, START + i * DAY, START + (i + 1) * DAY) for i, person in enumerate(holders)]


def ask(person, index, roster, chosen=None, leaves=(), own=None):
    """Whether ``person`` may take day ``index`` of ``roster`` (held by somebody else)."""
    start, end = START + index * DAY, START + (index + 1) * DAY
    others = [held for held in roster if not (held.start == start)]
    own = own if own is not None else [held for held in others if held.person_id == person]
    return refusal(person, start, end, role_shifts=others, own_shifts=own,
                   rules=RuleSet.of(REGISTRY, chosen or {}, TZ, {}), leaves=LeaveCalendar(leaves))


def test_without_opt_in_rules_anybody_free_and_present_may_take_it():
    assert ask(C, 1, days(A, B, C)) is None


def test_nobody_takes_time_they_already_hold_elsewhere():
    busy = [Held(C, START + DAY + timedelta(hours=3), START + DAY + timedelta(hours=5))]
    assert ask(C, 1, days(A, B, A), own=busy) == BUSY


def test_leave_is_respected_always():
    leave = LeaveSpec(person_id=C, start=START + DAY, end=START + DAY + timedelta(hours=1))
    assert ask(C, 1, days(A, B, A), leaves=[leave]) == "respect_leave"


def test_min_rest_looks_back_and_ahead():
    rest = {"min_rest": {"hours": 12}}
    # A held day 0: taking day 1 leaves no rest after it.
    assert ask(A, 1, days(A, B, C), rest) == "min_rest"
    # C holds day 2: taking day 1 leaves no rest before their own turn.
    assert ask(C, 1, days(A, B, C), rest) == "min_rest"
    # Somebody two days away has rest on both sides.
    assert ask(C, 1, days(A, B, A, C), rest) is None


def test_max_consecutive_counts_the_streak_the_cover_would_make():
    two = {"max_consecutive": {"count": 2}}
    assert ask(A, 2, days(A, A, B, C), two) == "max_consecutive"
    assert ask(A, 2, days(C, A, B, C), two) is None
    # Ahead too: A holds days 3 and 4, so day 2 would be the third in a row at day 4.
    assert ask(A, 2, days(C, B, C, A, A), two) == "max_consecutive"


def test_a_third_party_rule_is_asked_like_the_built_ins():
    class NoNights(SchedulingRule):
        name = "no_nights_for_a"

        def allows(self, ctx, person_id, slot):
            return person_id != A

    rules = RuleSet.of({**REGISTRY, "no_nights_for_a": NoNights()}, {"no_nights_for_a": {}}, TZ, {})
    refused = refusal(A, START + 5 * DAY, START + 6 * DAY, role_shifts=days(B, C), own_shifts=[], rules=rules,
                      leaves=LeaveCalendar())
    assert refused == "no_nights_for_a"
