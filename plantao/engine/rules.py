"""Scheduling rules: who may take a slot, and who should.

A rule can forbid a member a slot (:meth:`SchedulingRule.allows`: leave,
minimum rest, consecutive shifts) or reorder the members who may take it
(:meth:`SchedulingRule.rank`: spread holidays fairly).  Rules are plugins,
provided through the ``register_scheduling_rules`` hook; those marked
``always_on`` apply to every rotation, the others only where a rotation
version lists them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from plantao.engine.model import LeaveSpec
from plantao.engine.policies import Declaration, Slot


class LeaveCalendar:
    """Everybody's leaves, indexed so that "is X away then?" is a quick question."""

    def __init__(self, leaves: Iterable[LeaveSpec] = ()) -> None:
        by_person: dict[int, list[LeaveSpec]] = defaultdict(list)
        for leave in leaves:
            by_person[leave.person_id].append(leave)
        self._leaves: dict[int, tuple[LeaveSpec, ...]] = {}
        self._starts: dict[int, list[datetime]] = {}
        # The latest end among the leaves up to each position lets one
        # bisection answer an overlap query, instead of a scan per slot.
        self._reach: dict[int, list[datetime]] = {}
        for person, items in by_person.items():
            items.sort(key=lambda leave: (leave.start, leave.end))
            self._leaves[person] = tuple(items)
            self._starts[person] = [leave.start for leave in items]
            reach: list[datetime] = []
            for leave in items:
                reach.append(max(reach[-1], leave.end) if reach else leave.end)
            self._reach[person] = reach

    def of(self, person_id: int) -> tuple[LeaveSpec, ...]:
        """The person's leaves, sorted by start."""
        return self._leaves.get(person_id, ())

    def overlaps(self, person_id: int, start: datetime, end: datetime) -> bool:
        """True when the person is on leave at some time in ``[start, end)``."""
        starts = self._starts.get(person_id)
        if not starts:
            return False
        count = bisect_left(starts, end)
        return count > 0 and self._reach[person_id][count - 1] > start


class AssignmentHistory:
    """What a rotation has assigned so far, in time order, with running counters.

    The counters are kept up to date on every assignment so that rules stay
    constant-time per slot even for a rotation that started years ago.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[Slot, int]] = []
        self._last_end: dict[int, datetime] = {}
        self._counts: Counter[int] = Counter()
        self._labels: dict[str, Counter[int]] = defaultdict(Counter)
        self._streak_person: int | None = None
        self._streak_length = 0

    def record(self, slot: Slot, person_id: int) -> None:
        """Add an assignment; slots must be recorded in time order."""
        self._entries.append((slot, person_id))
        self._last_end[person_id] = max(slot.end, self._last_end.get(person_id, slot.end))
        self._counts[person_id] += 1
        for label in slot.labels:
            self._labels[label][person_id] += 1
        if person_id == self._streak_person:
            self._streak_length += 1
        else:
            self._streak_person, self._streak_length = person_id, 1

    @property
    def entries(self) -> Sequence[tuple[Slot, int]]:
        """Every ``(slot, person_id)`` so far, oldest first (read it, do not change it)."""
        return self._entries

    def last_end(self, person_id: int) -> datetime | None:
        """When the person's latest shift in this rotation ended, if any."""
        return self._last_end.get(person_id)

    def count(self, person_id: int) -> int:
        """How many slots the person has taken in this rotation."""
        return self._counts[person_id]

    def label_count(self, person_id: int, label: str) -> int:
        """How many slots carrying ``label`` (e.g. ``"holiday"``) the person has taken."""
        return self._labels[label][person_id] if label in self._labels else 0

    def streak(self, person_id: int) -> int:
        """How many of the latest slots in a row the person took (0 if not the latest)."""
        return self._streak_length if person_id == self._streak_person else 0


@dataclass(frozen=True, kw_only=True)
class RuleContext:
    """What a rule may read while the engine fills one rotation's slots.

    ``params`` are this rule's parameters with defaults filled; ``history``
    covers the rotation being scheduled only.
    """

    tz: ZoneInfo
    params: Mapping[str, Any]
    history: AssignmentHistory = field(default_factory=AssignmentHistory)
    leaves: LeaveCalendar = field(default_factory=LeaveCalendar)
    holidays: Mapping[date, str] = field(default_factory=dict)
    rotation_id: int | None = None


class SchedulingRule(Declaration):
    """Base class of scheduling rules, as returned by ``register_scheduling_rules``.

    Subclasses set ``name``, ``title``, ``description``, ``params_schema``
    and ``always_on``, and override :meth:`allows`, :meth:`rank` or both.
    When no member satisfies every rule, the engine first relaxes the opt-in
    rules (and reports a conflict); ``always_on`` rules are never relaxed.
    """

    always_on: ClassVar[bool] = False

    def allows(self, ctx: RuleContext, person_id: int, slot: Slot) -> bool:
        """Whether the person may take the slot; a hard constraint."""
        return True

    def rank(self, ctx: RuleContext, candidates: list[int], slot: Slot) -> list[int]:
        """Reorder the members allowed to take the slot, best first.

        ``candidates`` arrive in queue order; the sort must be stable so that
        ties keep it, which is what keeps a rotation fair.
        """
        return list(candidates)

    @property
    def ranks(self) -> bool:
        """Whether this rule overrides :meth:`rank` (the engine skips it otherwise)."""
        return type(self).rank is not SchedulingRule.rank
