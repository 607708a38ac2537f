"""What kind of change each shift undergoes between two rosters, grouped for people to read.

:func:`~plantao.engine.diff.diff_rosters` matches shifts by key, role and
times, so a shift whose handoff moved from 09:00 to 10:00 comes out as one
removal and one addition; a preview of "handoff at 10:00" would list every
shift of the horizon twice.  :func:`group_changes` reads the same two rosters
the way a person does: a shift kept by the same person at other times is
*moved*, one given to somebody else is *reassigned*, the rest is *added* or
*removed*; and alike changes are grouped (all the shifts that move from 09:00
to 10:00 are one group).  :func:`tally` then counts, person by person, what
they gain and lose.  Pure: no web, no database; times are compared in the
team's zone, where a handoff at 09:00 stays at 09:00 across daylight saving.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone, tzinfo

from .diff import ShiftLike

#: The kinds of change, in the order a preview tells them.
KINDS = ("moved", "reassigned", "added", "removed")


@dataclass(frozen=True)
class ShiftChange:
    """One shift as it was (``before``) and as it would be (``after``); ``None`` where it does not exist."""

    before: ShiftLike | None
    after: ShiftLike | None

    @property
    def start(self) -> datetime:
        """When the shift starts (as it would be, else as it was): what a preview sorts by."""
        return (self.after or self.before).start

    @property
    def instants(self) -> list[datetime]:
        """Every start and end of the shift, before and after."""
        return [moment for shift in (self.before, self.after) if shift is not None for moment in (shift.start, shift.end)]


@dataclass(frozen=True)
class ChangeGroup:
    """Alike changes of one role, told as one sentence.

    ``moved``: the same people keep these shifts, whose start and end move by
    ``start_shift`` and ``end_shift`` on the wall clock (from ``old_times`` to
    ``new_times``, local start and end).  ``reassigned``: shifts going from
    ``old_person_id`` to ``new_person_id`` (their times may change too).
    ``added``: new shifts of ``new_person_id``.  ``removed``: shifts of
    ``old_person_id`` that go away.
    """

    kind: str
    role: str
    changes: tuple[ShiftChange, ...]
    old_person_id: int | None = None
    new_person_id: int | None = None
    start_shift: timedelta | None = None
    end_shift: timedelta | None = None
    old_times: tuple[time, time] | None = None
    new_times: tuple[time, time] | None = None

    @property
    def count(self) -> int:
        """How many shifts change so."""
        return len(self.changes)

    @property
    def people(self) -> tuple[int, ...]:
        """Who the group is about: the holders of moved shifts, else who loses and who gains them."""
        if self.kind == "moved":
            return tuple(sorted({change.after.person_id for change in self.changes}))
        return tuple(person for person in (self.old_person_id, self.new_person_id) if person is not None)

    @property
    def first(self) -> datetime:
        """The earliest start or end of the group's shifts, before or after."""
        return min(moment for change in self.changes for moment in change.instants)

    @property
    def last(self) -> datetime:
        """The latest start or end of the group's shifts, before or after."""
        return max(moment for change in self.changes for moment in change.instants)


@dataclass
class PersonTally:
    """What one person's shifts of one role become: counted, with who they go to and come from."""

    role: str
    person_id: int
    added: int = 0
    removed: int = 0
    #: ``{person_id: shifts}`` handed to others, and taken from others.
    given: dict[int, int] = field(default_factory=dict)
    taken: dict[int, int] = field(default_factory=dict)

    @property
    def net(self) -> int:
        """Shifts more (positive) or fewer (negative) than before."""
        return self.added + sum(self.taken.values()) - self.removed - sum(self.given.values())


def _wall(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` as a naive local date-time: wall-clock arithmetic ignores offset changes."""
    return moment.astimezone(tz).replace(tzinfo=None)


def _pairs(before: Sequence[ShiftLike], after: Sequence[ShiftLike]):
    """``(old, new)`` pairs of the same time on duty, ``(old, None)`` for a removal and ``(None, new)`` for an addition.

    First the shifts with the same key, role and times (unchanged, or
    reassigned as :func:`diff_rosters` sees it).  Then, role by role, the
    shifts that share the most time: a week handed over at 10:00 instead of
    09:00 is the same week, moved (or reassigned, when somebody else has it
    now).  Keys are not followed there: they number turns, and when a change
    shifts the turns by a week, "Bruno's turn" moves a week while the week of
    the 21st, which people plan around, goes from Bruno to Carla.
    """

    def identity(shift: ShiftLike):
        return (shift.key, shift.role, shift.start, shift.end)

    waiting: dict[tuple, list[ShiftLike]] = defaultdict(list)
    for new in after:
        waiting[identity(new)].append(new)
    pairs, old_left = [], []
    for old in before:
        same = waiting.get(identity(old))
        if same:
            pairs.append((old, same.pop()))
        else:
            old_left.append(old)
    new_left = sorted((new for news in waiting.values() for new in news), key=lambda s: (s.start, s.role, s.key))

    # Every overlapping (old, new) of a role, found through the starts (a
    # horizon of hourly shifts has thousands), then taken most shared time
    # first, the same holder first among equals.
    by_role: dict[str, list[ShiftLike]] = defaultdict(list)
    for new in new_left:
        by_role[new.role].append(new)
    starts = {role: [new.start for new in news] for role, news in by_role.items()}
    longest = {role: max(new.end - new.start for new in news) for role, news in by_role.items()}
    candidates = []
    for index, old in enumerate(old_left):
        news = by_role.get(old.role, [])
        position = bisect_left(starts.get(old.role, []), old.end) - 1
        while position >= 0 and news[position].start > old.start - longest[old.role]:
            new = news[position]
            shared = min(old.end, new.end) - max(old.start, new.start)
            if shared > timedelta(0):
                candidates.append((-shared, old.person_id != new.person_id, old.start, index, new.start, new.key, new))
            position -= 1
    candidates.sort(key=lambda candidate: candidate[:6])
    paired_old: set[int] = set()
    paired_new: set[int] = set()
    for *_, index, _start, _key, new in candidates:
        if index not in paired_old and id(new) not in paired_new:
            paired_old.add(index)
            paired_new.add(id(new))
            pairs.append((old_left[index], new))
    pairs += [(old, None) for index, old in enumerate(old_left) if index not in paired_old]
    return pairs + [(None, new) for new in new_left if id(new) not in paired_new]


def group_changes(
    before: Sequence[ShiftLike], after: Sequence[ShiftLike], tz: tzinfo = timezone.utc
) -> list[ChangeGroup]:
    """The changes from ``before`` to ``after``, grouped by kind (see :data:`KINDS`), then by first start.

    Moved shifts group by role, the wall-clock shift of their start and end
    in ``tz`` and their old local start and end times: a handoff moving from
    09:00 to 10:00 is one group however many shifts it moves.  Reassigned
    shifts group by role and the two people, added and removed ones by role
    and person.  Shifts that stay as they were (a new key only) are left out.
    """
    buckets: dict[tuple, list[ShiftChange]] = defaultdict(list)
    for old, new in _pairs(before, after):
        if old is None:
            buckets[("added", new.role, None, new.person_id)].append(ShiftChange(None, new))
        elif new is None:
            buckets[("removed", old.role, old.person_id, None)].append(ShiftChange(old, None))
        elif old.person_id != new.person_id:
            buckets[("reassigned", old.role, old.person_id, new.person_id)].append(ShiftChange(old, new))
        elif (old.start, old.end) != (new.start, new.end):
            old_start, old_end = _wall(old.start, tz), _wall(old.end, tz)
            start_shift, end_shift = _wall(new.start, tz) - old_start, _wall(new.end, tz) - old_end
            key = ("moved", old.role, start_shift, end_shift, old_start.time(), old_end.time())
            buckets[key].append(ShiftChange(old, new))
    groups = []
    for key, changes in buckets.items():
        changes.sort(key=lambda change: (change.start, change.instants))
        if key[0] == "moved":
            _, role, start_shift, end_shift, old_start, old_end = key
            sample = changes[0].after
            groups.append(
                ChangeGroup(
                    "moved", role, tuple(changes), start_shift=start_shift, end_shift=end_shift,
                    old_times=(old_start, old_end),
                    new_times=(_wall(sample.start, tz).time(), _wall(sample.end, tz).time()),
                )
            )
        else:
            kind, role, old_person, new_person = key
            groups.append(ChangeGroup(kind, role, tuple(changes), old_person_id=old_person, new_person_id=new_person))
    groups.sort(key=lambda group: (KINDS.index(group.kind), group.changes[0].start, group.role, group.people))
    return groups


def tally(groups: Sequence[ChangeGroup]) -> list[PersonTally]:
    """Per person and role, what the groups give and take (moved shifts keep their holder and count for nobody).

    Sorted by role, then person id; a caller sorts by name if it likes.
    """
    people: dict[tuple[str, int], PersonTally] = {}

    def of(role: str, person_id: int) -> PersonTally:
        return people.setdefault((role, person_id), PersonTally(role, person_id))

    for group in groups:
        if group.kind == "added":
            of(group.role, group.new_person_id).added += group.count
        elif group.kind == "removed":
            of(group.role, group.old_person_id).removed += group.count
        elif group.kind == "reassigned":
            giver, taker = of(group.role, group.old_person_id), of(group.role, group.new_person_id)
            giver.given[group.new_person_id] = giver.given.get(group.new_person_id, 0) + group.count
            taker.taken[group.old_person_id] = taker.taken.get(group.old_person_id, 0) + group.count
    return [people[key] for key in sorted(people)]
