"""Who may take a stretch of somebody else's shift, by the rotation's own rules.

A cover or swap request hands an interval of a role to a colleague.  The
colleague is eligible only if the rotation's scheduling rules would have let
them take it: the rules' own :meth:`~plantao.plugin_api.SchedulingRule.allows`
is asked, with the history the rotation would have had (the role's shifts in
time order, the interval now theirs), so ``min_rest``, ``max_consecutive``,
``respect_leave`` and any installed rule judge exactly as when the roster is
built.  The engine knows no rule by name here either.

The check goes beyond the interval itself: the colleague's later turns of the
role must still be ones the rules allow (taking the interval may leave too
little rest before the next, or make a later one one too many in a row),
unless the rules refuse that turn anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from plantao.engine.rules import AssignmentHistory, LeaveCalendar, RuleContext, SchedulingRule
from plantao.plugin_api import Slot

#: The refusal when the colleague already holds a shift at that time.
BUSY = "busy"


@dataclass(frozen=True)
class Held:
    """A person holding a role over an interval (a stored shift, or part of one)."""

    person_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RuleSet:
    """The rules of the rotation version in effect, each with its parameters (defaults filled)."""

    rules: tuple[tuple[SchedulingRule, Mapping[str, Any]], ...]
    tz: ZoneInfo
    holidays: Mapping[date, str]
    rotation_id: int | None = None

    @classmethod
    def of(cls, registry: Mapping[str, SchedulingRule], chosen: Mapping[str, Mapping[str, Any]], tz: ZoneInfo,
           holidays: Mapping[date, str], rotation_id: int | None = None) -> RuleSet:
        """The ``always_on`` rules of ``registry`` and those ``chosen`` by a rotation version
        (unknown names are skipped: the roster itself reports them)."""
        rules = tuple(
            (rule, rule.validate(chosen.get(name, {})))
            for name, rule in sorted(registry.items())
            if rule.always_on or name in chosen
        )
        return cls(rules, tz, holidays, rotation_id)


def refusal(
    person_id: int,
    start: datetime,
    end: datetime,
    *,
    role_shifts: Sequence[Held],
    own_shifts: Sequence[Held],
    rules: RuleSet,
    leaves: LeaveCalendar,
) -> str | None:
    """Why ``person_id`` may not take ``[start, end)`` of the role, or None when they may.

    ``role_shifts`` are the role's shifts around the interval, by start, with
    the interval itself left out (it is changing hands); ``own_shifts`` are
    the person's shifts in the team, any role.  The answer is :data:`BUSY`
    or the name of the first rule that refuses.
    """
    if any(held.start < end and start < held.end for held in own_shifts):
        return BUSY
    ordered = sorted(role_shifts, key=lambda held: held.start)
    with_cover, without = _Judge(rules, leaves), _Judge(rules, leaves)
    for held in ordered:
        if held.end <= start:
            with_cover.record(held)
            without.record(held)
    taken = Held(person_id, start, end)
    reason = with_cover.refused(taken)
    if reason:
        return reason
    with_cover.record(taken)
    # Their later turns must still be ones the rules would give them; a turn
    # the rules refuse with or without the cover is not the cover's doing.
    for held in ordered:
        if held.start < end:
            continue
        if held.person_id == person_id:
            reason = with_cover.refused(held)
            if reason and not without.refused(held):
                return reason
        with_cover.record(held)
        without.record(held)
    return None


class _Judge:
    """The rules over one history of the role's turns."""

    def __init__(self, rules: RuleSet, leaves: LeaveCalendar):
        self.history = AssignmentHistory()
        self.contexts = [
            (rule, RuleContext(tz=rules.tz, params=params, history=self.history, leaves=leaves,
                               holidays=rules.holidays, rotation_id=rules.rotation_id))
            for rule, params in rules.rules
        ]

    def record(self, held: Held) -> None:
        self.history.record(_slot(held.start, held.end, held.person_id), held.person_id)

    def refused(self, held: Held) -> str | None:
        """The name of the first rule that refuses ``held`` to its person, or None."""
        slot = _slot(held.start, held.end, held.person_id)
        for rule, ctx in self.contexts:
            if not rule.allows(ctx, held.person_id, slot):
                return rule.name
        return None


def _slot(start: datetime, end: datetime, person_id: int) -> Slot:
    return Slot(start=start, end=end, queue="members", candidates=(person_id,), index=0)
