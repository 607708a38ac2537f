"""Reconciling a freshly computed roster with the one already stored.

The engine answers what the roster *should* be; this module decides what
the stored roster *becomes*, without touching a database.  The rules:

- Boundaries come from the roster only.  The instant of a write never
  becomes a boundary: where the stored and the wanted roster already
  disagree at ``now`` (an override or leave that has begun, a change dated
  "now"), the change takes effect from the first whole minute at or after
  ``now`` (:func:`effective_instant`), and only the time from then on
  changes hands.  Where they first disagree later, the change takes effect
  at that instant, which is a boundary of one of the two rosters.
- Before that instant (the *cut*) the stored roster stays as it is: shifts
  that ended never change, and the shift in progress keeps its start.
  Where nobody held the role at ``now`` (a rotation created with a start in
  the past, say), the shift the engine has in progress is stored from its
  own start, or from the end of the last shift that ended after it began.
- Consecutive pieces with the same person, role and source are one shift.
- A stored shift keeps its identity (``key``, and so its calendar UID) when
  it changes hands or times: a wanted shift takes over a stored one with
  the same times, the same key, the same start, or the same end and holder
  (the rest of a shift that an override grown by an hour now starts later),
  in that order.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Protocol

from plantao.engine.model import RosterShift

#: Separates an engine key from the start of a later stored piece of it.
CONTINUATION = "~"

_MINUTE = timedelta(minutes=1)


def effective_instant(now: datetime) -> datetime:
    """The first whole minute at or after ``now`` (10:30:12 gives 10:31:00)."""
    floor = now.replace(second=0, microsecond=0)
    return floor if floor == now else floor + _MINUTE


def takes_effect(start: datetime, now: datetime) -> datetime:
    """Where a change of the roster from ``start`` begins at ``now``: at ``start`` when it is
    still to come; what has already begun changes hands from the next whole minute."""
    return start if start >= now else effective_instant(now)


def continuation_key(key: str, start: datetime) -> str:
    """The key of a stored piece of the engine's shift ``key`` starting at ``start``."""
    return f"{key}{CONTINUATION}{start.astimezone(timezone.utc):%Y%m%dT%H%M%S}"


class StoredShift(Protocol):
    """A stored shift as the planner reads it (an ORM row, in practice)."""

    key: str
    role: str
    person_id: int
    start: datetime
    end: datetime
    source: str
    rotation_id: int | None
    override_id: int | None


@dataclass(frozen=True)
class Handover:
    """A stretch of a role that changes hands: ``None`` is nobody (a gap)."""

    role: str
    start: datetime
    end: datetime
    from_person: int | None
    to_person: int | None


@dataclass
class MaterializePlan:
    """What to do to the stored shifts.

    ``update`` pairs a stored shift with the values it takes (an engine
    :class:`RosterShift` carrying the stored key); ``cuts`` maps each role whose
    roster changes to the instant the change takes effect, and
    ``handovers`` lists the stretches from then on that change hands.
    """

    insert: list[RosterShift] = field(default_factory=list)
    update: list[tuple[StoredShift, RosterShift]] = field(default_factory=list)
    delete: list[StoredShift] = field(default_factory=list)
    cuts: dict[str, datetime] = field(default_factory=dict)
    handovers: list[Handover] = field(default_factory=list)

    def result(self, stored: Iterable[StoredShift]) -> list[RosterShift]:
        """The stored shifts after the plan, as engine shifts sorted by start."""
        updated = {id(row): new for row, new in self.update}
        deleted = {id(row) for row in self.delete}
        shifts = [
            updated.get(id(row)) or _as_shift(row, row.key) for row in stored if id(row) not in deleted
        ]
        shifts.extend(self.insert)
        return sorted(shifts, key=lambda s: (s.start, s.role, s.key))


def merge_pieces(shifts: Iterable[RosterShift]) -> list[RosterShift]:
    """Join consecutive pieces of one role with the same person and source.

    The merged shift takes the first piece's key and references, so its
    identity is that of the piece where it begins.
    """
    # [first piece, end of the run so far]: a run of many pieces (someone's
    # hour-by-hour overrides) is copied once, not once per piece.
    runs: list[list] = []
    last: dict[str, list] = {}
    for shift in sorted(shifts, key=lambda s: (s.start, s.role, s.key)):
        run = last.get(shift.role)
        if run is not None and _same_holder(run[0], shift) and run[1] == shift.start:
            run[1] = shift.end
            continue
        last[shift.role] = run = [shift, shift.end]
        runs.append(run)
    return [first if end == first.end else replace(first, end=end) for first, end in runs]


def plan_materialization(
    stored: Sequence[StoredShift],
    wanted: Sequence[RosterShift],
    now: datetime,
    taken_keys: Iterable[str] = (),
    ended: Iterable[StoredShift] = (),
) -> MaterializePlan:
    """Decide how the stored roster from ``now`` on becomes ``wanted``.

    ``stored`` holds the team's stored shifts that end at or after ``now``
    (one ending exactly then may be continued); ``wanted`` the engine's
    shifts.  ``taken_keys`` are keys used by shifts that already ended,
    which a new shift must not take; ``ended`` the shifts that ended after
    the start of a wanted shift in progress (they bound how far back it is
    stored).
    """
    plan = MaterializePlan()
    taken = set(taken_keys) | {row.key for row in stored}
    roles = sorted({row.role for row in stored} | {shift.role for shift in wanted})
    for role in roles:
        old = sorted((row for row in stored if row.role == role), key=lambda r: r.start)
        new = merge_pieces(shift for shift in wanted if shift.role == role and shift.end > now)
        history = [row for row in ended if row.role == role and row.end <= now] + old
        _plan_role(plan, role, old, new, now, taken, history)
    return plan


def _plan_role(plan, role, old, new, now, taken, history) -> None:
    live = [row for row in old if row.end > now]
    differs_at = _first_difference(live, new, now)
    if differs_at is None:
        return
    cut = differs_at
    if differs_at == now:
        cut = _uncovered_start(live, new, now, history) or effective_instant(now)
    plan.cuts[role] = cut

    # Before the cut the stored roster stands; the shift across it (or one
    # ending right at it) may go on if the same person holds on after it.
    before = [row for row in old if row.start < cut and (row.end > now or row.end == cut)]
    after = [replace(s, start=max(s.start, cut)) for s in new if s.end > cut]
    plan.handovers.extend(_handovers(role, [row for row in live if row.end > cut], after, cut))
    candidates = [row for row in live if row.start >= cut]
    crossing = max(before, key=lambda r: r.start, default=None)
    if crossing is not None and crossing.end >= cut:
        first = after[0] if after and after[0].start == cut else None
        if first is not None and _same_holder(crossing, first):
            after.pop(0)
            _update(plan, crossing, _as_shift(crossing, crossing.key, end=first.end))
        elif crossing.end > cut:
            _update(plan, crossing, _as_shift(crossing, crossing.key, end=cut))

    # Every wanted shift from the cut on takes over a stored one where it
    # can, so that calendar events are updated in place, not replaced.
    assigned: dict[int, StoredShift] = {}
    free = {id(row): row for row in candidates}
    for identity in (_times_and_holder, _key, _start, _end_and_holder):
        index_of: dict = {}
        for row in candidates:
            index_of.setdefault(identity(row), []).append(row)
        for index, shift in enumerate(after):
            if index in assigned:
                continue
            row = next((row for row in index_of.get(identity(shift), ()) if id(row) in free), None)
            if row is not None:
                assigned[index] = row
                del free[id(row)]
    for index, shift in enumerate(after):
        row = assigned.get(index)
        if row is not None:
            _update(plan, row, replace(shift, key=row.key))
            continue
        key = shift.key
        if key in taken:
            key = continuation_key(shift.key, shift.start)
            number = 1
            while key in taken:
                number += 1
                key = f"{continuation_key(shift.key, shift.start)}{CONTINUATION}{number}"
        taken.add(key)
        plan.insert.append(replace(shift, key=key))
    plan.delete.extend(free.values())


def _uncovered_start(live, new, now, history) -> datetime | None:
    """Where a shift in progress begins when the stored roster had nobody at ``now``.

    It is the engine's start of that shift, or the end of the last stored
    shift that ended after it (never before: ended shifts are history).
    ``None`` when somebody held the role, or when the shift would continue
    one of the same holder that ended (history is not extended), or when
    only the clock could draw the start.
    """
    if _holder_at(live, now) is not None:
        return None
    running = next((s for s in new if s.start < now < s.end), None)
    if running is None:
        return None
    prior = [row for row in history if running.start < row.end <= now]
    start = max([running.start] + [row.end for row in prior])
    last = next((row for row in prior if row.end == start), None)
    if last is not None and start < now and _same_holder(last, running):
        return None
    return start


def _handovers(role: str, old: list, new: list[RosterShift], cut: datetime) -> list[Handover]:
    """Where, from ``cut`` on, the person holding ``role`` differs between the two rosters."""
    edges = sorted(
        {cut} | {t for item in old + new for t in (item.start, item.end) if t > cut}
    )
    found: list[Handover] = []
    old_line, new_line = _Timeline(old), _Timeline(new)
    for left, right in zip(edges, edges[1:]):
        before = old_line.holder(left)
        after = new_line.holder(left)
        before_person = before[0] if before else None
        after_person = after[0] if after else None
        if before_person == after_person:
            continue
        last = found[-1] if found else None
        if last is not None and last.end == left and (last.from_person, last.to_person) == (before_person, after_person):
            found[-1] = replace(last, end=right)
        else:
            found.append(Handover(role, left, right, before_person, after_person))
    return found


def _first_difference(old: list, new: list[RosterShift], now: datetime) -> datetime | None:
    """The first instant at or after ``now`` where the two rosters of a role differ.

    They differ where a different person (or source) holds the role, or
    where one has a boundary the other lacks, or where a shift starting
    after ``now`` comes from another rotation or override than the stored
    one (so that the stored references never depend on where an earlier
    change happened to cut).  ``now`` itself is reported only for a
    difference in who holds the role then.
    """
    old_edges = {t for row in old for t in (row.start, row.end) if t > now}
    new_edges = {t for shift in new for t in (shift.start, shift.end) if t > now}
    old_line, new_line = _Timeline(old), _Timeline(new)
    for point in sorted({now} | old_edges | new_edges):
        if point > now and (point in old_edges) != (point in new_edges):
            return point
        if old_line.holder(point) != new_line.holder(point):
            return point
        if point > now and old_line.references(point) != new_line.references(point):
            return point
    return None


class _Timeline:
    """One role's non-overlapping shifts, asked who holds the role at an instant."""

    def __init__(self, shifts) -> None:
        self.shifts = sorted(shifts, key=lambda s: s.start)
        self.starts = [s.start for s in self.shifts]

    def holder(self, moment: datetime):
        index = bisect_right(self.starts, moment) - 1
        if index >= 0 and self.shifts[index].end > moment:
            shift = self.shifts[index]
            return (shift.person_id, shift.source)
        return None

    def references(self, moment: datetime):
        """The rotation and override of the shift holding the role at ``moment``."""
        index = bisect_right(self.starts, moment) - 1
        if index >= 0 and self.shifts[index].end > moment:
            shift = self.shifts[index]
            return (shift.rotation_id, shift.override_id)
        return None


def _holder_at(shifts, moment: datetime):
    return _Timeline(shifts).holder(moment)


def _same_holder(a, b) -> bool:
    return (a.person_id, a.role, a.source) == (b.person_id, b.role, b.source)


# What a wanted shift and the stored one it takes over share, best first.


def _times_and_holder(shift) -> tuple:
    return (shift.start, shift.end, shift.person_id, shift.source)


def _key(shift) -> str:
    return shift.key


def _start(shift) -> datetime:
    return shift.start


def _end_and_holder(shift) -> tuple:
    # The rest of a shift that a change moved the start of (the next hour of
    # someone's hour-by-hour overrides): the same event, starting later.
    return (shift.end, shift.person_id, shift.source)


def _as_shift(row, key: str, **changes) -> RosterShift:
    values = dict(
        role=row.role,
        person_id=row.person_id,
        start=row.start,
        end=row.end,
        source=row.source,
        key=key,
        rotation_id=row.rotation_id,
        override_id=row.override_id,
    )
    values.update(changes)
    return RosterShift(**values)


def _update(plan: MaterializePlan, row, new: RosterShift) -> None:
    if (row.person_id, row.start, row.end, row.source, row.rotation_id, row.override_id) == (
        new.person_id, new.start, new.end, new.source, new.rotation_id, new.override_id
    ):
        return
    plan.update.append((row, new))
