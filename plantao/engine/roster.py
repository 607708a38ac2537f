"""Building a roster: fill every rotation's slots, then layer them per role.

:func:`build_roster` works in two steps.

1. **Assignment, per rotation.**  The policy cuts the rotation's time into
   slots, from the anchor on, so the outcome never depends on the window
   asked for.  Each slot queue (``"members"``, or ``"business"`` and
   ``"night"`` for ``split``) is a rotating queue: the first member in queue
   order whom every rule allows (after the rules' ranking) takes the slot
   and goes to the back; a member skipped because a rule refused them keeps
   their place, so they are not penalised for a leave.  Without rules this
   is plain round robin: A, B, C, A, B, C...

2. **Layering, per role.**  Overrides lie above every rotation; among
   rotations the higher priority wins, then the lower id.  Time nobody
   covers goes to the fallback person, or is reported as a gap.

Versions.  The version in effect when a slot starts governs the whole slot
(its members, parameters, restriction and rules).  If a new version cuts
time differently (another handoff time), the shift in progress when it takes
effect runs on to the new version's first handoff, unless that would cross
into another queue (``split``), in which case the new slot simply starts
where the old one ended.

Member changes continue the order: the queue is rebuilt in the new member
order, starting with the member who follows the previous holder of that
queue.  If the previous holder left, it starts with the first member of the
old queue who stayed (the one who would have been next), or with the new
order's first member if nobody stayed.  Places kept by members skipped
before the change are not carried over.
"""

from __future__ import annotations

import copy
import heapq
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plantao.engine.model import (
    RuleConflict,
    Gap,
    OverrideSpec,
    RosterInput,
    RosterResult,
    RotationSpec,
    RotationVersionSpec,
    RosterShift,
    as_utc,
)
from plantao.engine.policies import PolicyContext, RotationPolicy, Slot
from plantao.plugin_api import AssignmentWindow, WindowAssignment, WindowSlot, WorkedShift
from plantao.engine.restrictions import active_pieces
from plantao.engine.rules import AssignmentHistory, LeaveCalendar, RuleContext, SchedulingRule

# Policies are asked for slots a chunk at a time, so a policy never has to
# produce more than this at once, whatever the window.
_CHUNK = timedelta(days=400)
# How far past the window the engine looks for the next coverage, to know
# where a fallback shift (or a gap) at the window's end stops.
_LOOKAHEAD = timedelta(days=400)
_LOOKAHEAD_STEP = timedelta(days=31)
# "Let the queue choose", as opposed to a planned person or nobody (None).
_QUEUE = object()


def build_roster(
    data: RosterInput,
    start: datetime,
    end: datetime,
    *,
    policies: Mapping[str, RotationPolicy],
    rules: Mapping[str, SchedulingRule],
) -> RosterResult:
    """Build the roster of ``data`` for the shifts overlapping ``[start, end)``.

    ``policies`` and ``rules`` are the registries (name to declaration).
    Shifts are returned whole, not cut to the window, and are the same
    whatever window they were asked through; the same input always gives
    the same result, keys included.  Raises :class:`ValueError` for an
    unknown zone, policy or rule, or for parameters their schema rejects.
    """
    start = as_utc(start, "start")
    end = as_utc(end, "end")
    if not start < end:
        raise ValueError(f"the window must end after it starts: {start} - {end}")
    try:
        tz = ZoneInfo(data.tz)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {data.tz!r}") from error
    leaves = LeaveCalendar(data.leaves)
    try:
        return _build(data, start, end, tz, leaves, policies, rules, jump=True)
    except _JumpedTooFar:
        # A shift overlapping the window began before where a rotation
        # jumped to (a long override, a longer slot of another rotation of
        # the role): replaying from the anchors gives the exact answer.
        return _build(data, start, end, tz, leaves, policies, rules, jump=False)


class _JumpedTooFar(Exception):
    """A rotation skipped time the window's layering turned out to need."""


def _jump_target(data: RosterInput, start: datetime, end: datetime) -> datetime:
    """Where the rotations may jump to: no later than anything overlapping the window begins."""
    return min(
        [start]
        + [o.start for o in data.overrides if o.start < end and o.end > start]
    )


def _build(data, start, end, tz, leaves, policies, rules, *, jump: bool) -> RosterResult:
    schedulers = []
    for rotation in sorted(data.rotations, key=lambda rotation: rotation.id):
        policy = policies.get(rotation.policy)
        kind = _WindowScheduler if policy is not None and policy.assigns else _RotationScheduler
        schedulers.append(
            kind(
                rotation,
                tz=tz,
                holidays=data.holidays,
                leaves=leaves,
                inactive=data.inactive_people,
                policies=policies,
                rules=rules,
            )
        )
    for scheduler in schedulers:
        if isinstance(scheduler, _WindowScheduler):
            scheduler.plan_with(data, schedulers)
    # A planner reads the other rotations' shifts around its window (nobody
    # is in two places at once): they must not skip any.
    if jump and not any(isinstance(scheduler, _WindowScheduler) for scheduler in schedulers):
        target = _jump_target(data, start, end)
        # Each rotation jumps to the start of its slot holding the target;
        # the earliest of those in a role bounds its neighbours too, since
        # their layering meets there.
        by_role: dict[str, datetime] = {}
        for scheduler in schedulers:
            holding = scheduler.slot_start_at(target)
            if holding is not None:
                role = scheduler.rotation.role
                by_role[role] = min(by_role.get(role, holding), holding)
        for scheduler in schedulers:
            scheduler.fast_forward(by_role.get(scheduler.rotation.role, target))
    for scheduler in schedulers:
        scheduler.advance(end)

    fallback = data.fallback_person
    if fallback in data.inactive_people:
        fallback = None
    roles = {rotation.role for rotation in data.rotations} | {o.role for o in data.overrides}
    final: list[RosterShift] = []
    gaps: list[Gap] = []
    for role in sorted(roles):
        layers = _RoleLayers(
            role,
            [scheduler for scheduler in schedulers if scheduler.rotation.role == role],
            [
                _override_shift(override)
                for override in data.overrides
                if override.role == role and override.person_id not in data.inactive_people
            ],
        )
        role_shifts, role_gaps = layers.flatten(start, end, fallback)
        final.extend(role_shifts)
        gaps.extend(role_gaps)

    return RosterResult(
        shifts=tuple(sorted(final, key=_shift_order)),
        layers=tuple(
            sorted(
                (
                    shift
                    for scheduler in schedulers
                    for shift in scheduler.shifts
                    if _overlaps(shift, start, end)
                ),
                key=_shift_order,
            )
        ),
        gaps=tuple(sorted(gaps, key=lambda gap: (gap.start, gap.role))),
        conflicts=tuple(
            sorted(
                (
                    conflict
                    for scheduler in schedulers
                    for conflict in scheduler.conflicts
                    if _overlaps(conflict, start, end)
                ),
                key=lambda conflict: (conflict.start, conflict.rotation_id, conflict.rule or ""),
            )
        ),
        reports={
            scheduler.rotation.id: scheduler.report
            for scheduler in schedulers
            if isinstance(scheduler, _WindowScheduler) and scheduler.report is not None
        },
    )


def _judges_leave_only(rule: SchedulingRule) -> bool:
    # Declared by the rule itself (SchedulingRule.judges_leave_only): the
    # engine knows no rule by name, built-in or not.
    return bool(getattr(rule, "judges_leave_only", False)) and not rule.ranks


def _shift_order(shift: RosterShift) -> tuple[datetime, str, str]:
    return (shift.start, shift.role, shift.key)


def _overlaps(item: RosterShift | RuleConflict | Gap, start: datetime, end: datetime) -> bool:
    return item.start < end and item.end > start


@lru_cache(maxsize=8192)
def _override_shift(override: OverrideSpec) -> RosterShift:
    # Remembered (both are immutable): a team's every override is layered
    # again in each window an incremental regeneration builds.
    return RosterShift(
        role=override.role,
        person_id=override.person_id,
        start=override.start,
        end=override.end,
        source="override",
        key=f"o{override.id}",
        override_id=override.id,
    )


class _TurnQueue:
    """One rotating queue of members; see the module docstring for member changes."""

    def __init__(self) -> None:
        self.order: list[int] = []
        self.candidates: tuple[int, ...] | None = None
        self.previous: int | None = None

    def sync(self, candidates: tuple[int, ...]) -> None:
        """Follow a change of the queue's members, continuing the order."""
        if candidates == self.candidates:
            return
        if self.candidates is None or not candidates:
            order = list(candidates)
        elif self.previous in candidates:
            after = candidates.index(self.previous) + 1
            order = list(candidates[after:] + candidates[:after])
        else:
            stayed = next((person for person in self.order if person in candidates), None)
            first = candidates.index(stayed) if stayed is not None else 0
            order = list(candidates[first:] + candidates[:first])
        self.order = order
        self.candidates = candidates

    def take(self, person: int) -> None:
        """The person had their turn: to the back of the queue."""
        self.order.remove(person)
        self.order.append(person)
        self.previous = person


@dataclass
class _VersionRules:
    """The rules that apply under one rotation version, with their contexts."""

    hard: list[tuple[SchedulingRule, RuleContext]] = field(default_factory=list)
    soft: list[tuple[SchedulingRule, RuleContext]] = field(default_factory=list)

    @property
    def ranking(self) -> list[tuple[SchedulingRule, RuleContext]]:
        return [(rule, ctx) for rule, ctx in self.hard + self.soft if rule.ranks]


class _RotationScheduler:
    """Fills one rotation's slots from its anchor on."""

    def __init__(
        self,
        rotation: RotationSpec,
        *,
        tz: ZoneInfo,
        holidays: Mapping,
        leaves: LeaveCalendar,
        inactive: frozenset[int],
        policies: Mapping[str, RotationPolicy],
        rules: Mapping[str, SchedulingRule],
    ) -> None:
        self.rotation = rotation
        self.tz = tz
        self.holidays = holidays
        self.leaves = leaves
        self.inactive = inactive
        self.rules = rules
        try:
            self.policy = policies[rotation.policy]
        except KeyError:
            raise ValueError(
                f"rotation {rotation.id} ({rotation.name!r}) "
                f"uses unknown policy {rotation.policy!r}"
            ) from None
        self.history = AssignmentHistory()
        # Set by fast_forward: the version number and instant the slots
        # resume from, every slot before having been accounted for.
        self.resume: tuple[int, datetime] | None = None
        self.covered_until: datetime | None = None
        self.stream = self._slots()
        self.frontier: datetime | None = None
        self.exhausted = False
        self.queues: dict[str, _TurnQueue] = {}
        self.ordinals: dict[str, int] = {}
        self.shifts: list[RosterShift] = []
        self.conflicts: list[RuleConflict] = []
        # Rule contexts are built once per version, not once per slot, and
        # every version is checked now so that a bad one dated far in the
        # future fails today rather than when the calendar gets there.
        self.rules_by_version: dict[int, _VersionRules] = {}
        self.params_by_version: dict[int, dict] = {}
        for version in rotation.versions:
            self.params_by_version[id(version)] = self.policy.validate(version.params)
            self._rules_for(version)

    def _first_version(self) -> tuple[int, RotationVersionSpec, datetime | None]:
        """The version the rotation starts with, its number, and when the next one takes over."""
        versions = self.rotation.versions
        anchor = self.rotation.anchor
        for number, version in enumerate(versions):
            following = versions[number + 1].effective_from if number + 1 < len(versions) else None
            if following is None or following > anchor:
                return number, version, following
        raise AssertionError("the last version is never superseded")

    def _policy_context(self, version: RotationVersionSpec) -> PolicyContext:
        return PolicyContext(
            tz=self.tz,
            anchor=self.rotation.anchor,
            params=self.params_by_version[id(version)],
            members=version.members,
            holidays=self.holidays,
        )

    def _can_jump(self) -> bool:
        """Whether every slot is plain round robin unless somebody is on leave.

        That holds when no rule may refuse a member for any other reason or
        reorder them (the built-in ``respect_leave`` is the only rule in
        force) and nothing can leave a slot empty or inactive.  Rules that
        read the history would also need the skipped slots recorded, so any
        rule chosen by a version rules the jump out.
        """
        if any(version.rules for version in self.rotation.versions):
            return False
        if self.rotation.versions[0].effective_from > self.rotation.anchor:
            return False
        hard = [rule for rule in self.rules.values() if rule.always_on]
        return all(_judges_leave_only(rule) for rule in hard)

    def slot_start_at(self, instant: datetime) -> datetime | None:
        """Where the first version's slot holding ``instant`` starts, if the rotation can jump there."""
        if instant <= self.rotation.anchor or not self._can_jump():
            return None
        _, version, following = self._first_version()
        if following is not None and instant >= following:
            return None
        ctx = self._policy_context(version)
        if self.policy.queues(ctx) is None:
            return None
        for slot in self.policy.slots(ctx, instant, instant + _CHUNK):
            if slot.end > instant:
                return slot.start if slot.start > self.rotation.anchor else None
        return None

    def fast_forward(self, target: datetime) -> None:
        """Account for the slots before ``target`` without replaying them, when that is exact.

        The rotation resumes at the start of its slot holding ``target``
        (or before the first leave of a candidate, if earlier), with each
        queue where plain round robin leaves it: rotated once per slot, the
        slot ordinals taken from the policy's indexes.  Nothing happens
        unless the policy offers the fast path (``RotationPolicy.queues``),
        the first version is still in effect there, no restriction makes
        turns depend on the clock and only leave can refuse anybody.
        """
        rotation = self.rotation
        if self.frontier is not None or not self._can_jump():
            return
        number, version, following = self._first_version()
        if version.restriction is not None and not version.restriction.is_unrestricted:
            return
        ctx = self._policy_context(version)
        queues = self.policy.queues(ctx)
        if not queues:
            return
        candidates = {
            queue: tuple(dict.fromkeys(p for p in members if p not in self.inactive))
            for queue, members in queues.items()
        }
        if not all(candidates.values()):
            return
        # Somebody's leave refuses them a slot and changes the order from
        # there on: stop before the first one.
        for person in {p for members in candidates.values() for p in members}:
            first_leave = next(
                (leave for leave in self.leaves.of(person) if leave.end > rotation.anchor), None
            )
            if first_leave is not None:
                target = min(target, first_leave.start)
        if following is not None:
            target = min(target, following)
        if target <= rotation.anchor:
            return
        resume = None
        firsts: dict[str, Slot] = {}
        for slot in self.policy.slots(ctx, target, target + _CHUNK):
            if slot.end <= target:
                continue
            if resume is None:
                resume = slot.start
            if slot.queue not in candidates:
                return  # the policy broke its promise: replay instead
            firsts.setdefault(slot.queue, slot)
            if len(firsts) == len(candidates):
                break
        if (
            resume is None
            or resume <= rotation.anchor
            or len(firsts) < len(candidates)
            or (following is not None and resume >= following)
        ):
            return
        for queue, slot in firsts.items():
            taken = slot.index
            if slot.start < resume or taken <= 0:
                # The slot at the resume point is the only one that may
                # start there; a queue not used before needs nothing.
                continue
            members = candidates[queue]
            if slot.candidates != queues[queue]:
                return
            turns = _TurnQueue()
            turns.sync(members)
            shift = taken % len(members)
            turns.order = list(members[shift:] + members[:shift])
            turns.previous = members[(taken - 1) % len(members)]
            self.queues[queue] = turns
            self.ordinals[queue] = taken
        self.resume = (number, resume)
        self.covered_until = resume

    def advance(self, until: datetime) -> None:
        """Assign slots up to and including the first one starting at or after ``until``."""
        while not self.exhausted and (self.frontier is None or self.frontier < until):
            try:
                version, slot = next(self.stream)
            except StopIteration:
                self.exhausted = True
                return
            self._assign(version, slot)
            self.frontier = slot.start

    def _slots(self) -> Iterator[tuple[RotationVersionSpec, Slot]]:
        """Each slot with the version in effect at its start.

        When a new version cuts time differently (another handoff time or
        weekday), the policy's first slot under it begins before the last
        slot ended.  If both draw from the same queue, the shift in progress
        runs on to the new version's first handoff rather than leaving a
        stub of a turn; otherwise the new slot starts where the last ended.
        """
        pending: tuple[RotationVersionSpec, Slot] | None = None
        for version, slot, bridging in self._policy_slots():
            if bridging and pending is not None and pending[1].queue == slot.queue:
                held = pending[1]
                pending = (
                    pending[0],
                    replace(held, end=slot.end, labels=held.labels | slot.labels),
                )
                continue
            if pending is not None:
                yield pending
            pending = (version, slot)
        if pending is not None:
            yield pending

    def _policy_slots(self) -> Iterator[tuple[RotationVersionSpec, Slot, bool]]:
        """The policy's slots, each version's from where the last one stopped.

        The third item says whether the slot had to be cut to start where
        the previous version's last slot ended.
        """
        rotation = self.rotation
        versions = rotation.versions
        cursor = rotation.anchor
        skip = 0
        if self.resume is not None:
            # fast_forward accounted for everything before this instant.
            skip, cursor = self.resume
        for number, version in enumerate(versions):
            if number < skip:
                continue
            following = versions[number + 1].effective_from if number + 1 < len(versions) else None
            if following is not None and following <= cursor:
                continue
            ctx = self._policy_context(version)
            first = True
            superseded = False
            while not superseded:
                produced = False
                for slot in self.policy.slots(ctx, cursor, cursor + _CHUNK):
                    if slot.end <= cursor:
                        continue
                    bridging = False
                    if slot.start < cursor:
                        # The rotation's first slot starts at the anchor; a
                        # later version's first slot where the last stopped.
                        bridging = first and cursor > rotation.anchor
                        slot = replace(slot, start=cursor)
                    # A slot starting after the cursor leaves a hole, which
                    # the contract forbids; the engine shows it as a gap
                    # rather than failing the whole roster.
                    if following is not None and slot.start >= following:
                        superseded = True
                        break
                    first = False
                    produced = True
                    yield version, slot, bridging
                    cursor = slot.end
                if not produced and not superseded:
                    # The policy has nothing more to give.
                    return

    def _rules_for(self, version: RotationVersionSpec) -> _VersionRules:
        cache = self.rules_by_version
        if id(version) in cache:
            return cache[id(version)]
        unknown = sorted(set(version.rules) - set(self.rules))
        if unknown:
            raise ValueError(
                f"rotation {self.rotation.id} ({self.rotation.name!r}) uses unknown rules: "
                + ", ".join(unknown)
            )
        chosen = _VersionRules()
        for name in sorted(self.rules):
            rule = self.rules[name]
            if not rule.always_on and name not in version.rules:
                continue
            ctx = RuleContext(
                tz=self.tz,
                params=rule.validate(version.rules.get(name, {})),
                history=self.history,
                leaves=self.leaves,
                holidays=self.holidays,
                rotation_id=self.rotation.id,
            )
            (chosen.hard if rule.always_on else chosen.soft).append((rule, ctx))
        cache[id(version)] = chosen
        return chosen

    def _assign(
        self, version: RotationVersionSpec, slot: Slot, planned: int | None | object = _QUEUE
    ) -> int | None:
        """Fill ``slot``: from the queue, or with the ``planned`` person (``None``: nobody).

        Returns who took it.  A planned person is checked against every rule
        in force, each refusal reported as a conflict, since a planner may
        not know a third-party rule.
        """
        queue = self.queues.setdefault(slot.queue, _TurnQueue())
        candidates = tuple(
            dict.fromkeys(person for person in slot.candidates if person not in self.inactive)
        )
        queue.sync(candidates)
        ordinal = self.ordinals.get(slot.queue, 0)
        self.ordinals[slot.queue] = ordinal + 1

        pieces = active_pieces(version.restriction, slot.start, slot.end, self.tz)
        if not pieces:
            # Calendar rhythm: the turn passes even when the whole slot is
            # inactive time.  In active mode nobody loses a turn to it.
            if version.turn_mode == "calendar" and queue.order:
                queue.take(queue.order[0])
            return None
        # Rules judge the time actually worked, so a leave during the
        # inactive part of a restricted slot does not matter.
        worked = replace(slot, start=pieces[0][0], end=pieces[-1][1])

        if planned is _QUEUE:
            if not queue.order:
                self._conflict(
                    worked, None, "The rotation has no active member for this slot, so it is uncovered."
                )
                return None
            person = self._choose(self._rules_for(version), queue.order, worked)
            if person is None:
                return None
        elif planned is None:
            rules = self._rules_for(version)
            refusing = [
                rule for rule, ctx in rules.hard + rules.soft
                if queue.order and not any(rule.allows(ctx, person, worked) for person in queue.order)
            ]
            for rule in refusing:
                self._conflict(
                    worked, rule.name, f"Every member is excluded by {rule.name}, so the slot was left unassigned."
                )
            if not refusing:
                self._conflict(
                    worked, None, "Nobody could take this slot under the rules in force, so it is uncovered."
                )
            return None
        else:
            person = planned
            rules = self._rules_for(version)
            for rule, ctx in rules.hard + rules.soft:
                if not rule.allows(ctx, person, worked):
                    self._conflict(
                        worked,
                        rule.name,
                        f"No assignment could satisfy {rule.name} here, so person {person} "
                        "got the slot although the rule refuses it.",
                    )
        if person in queue.order:
            queue.take(person)
        self.history.record(worked, person)
        rotation = self.rotation
        base_key = f"r{rotation.id}:{slot.queue}:{ordinal}"
        restricted = version.restriction is not None and not version.restriction.is_unrestricted
        for number, (piece_start, piece_end) in enumerate(pieces):
            self.shifts.append(
                RosterShift(
                    role=rotation.role,
                    person_id=person,
                    start=piece_start,
                    end=piece_end,
                    source="rotation",
                    key=f"{base_key}.{number}" if restricted else base_key,
                    rotation_id=rotation.id,
                )
            )
        return person

    def _choose(self, rules: _VersionRules, order: Sequence[int], slot: Slot) -> int | None:
        """Pick who takes the slot, relaxing opt-in rules (with a conflict) if needed."""
        ranking = rules.ranking
        if not ranking and not rules.soft:
            # The usual case: the first member every hard rule allows wins,
            # so there is no need to judge everyone behind them.
            for person in order:
                if all(rule.allows(ctx, person, slot) for rule, ctx in rules.hard):
                    return person
        allowed = [
            person
            for person in order
            if all(rule.allows(ctx, person, slot) for rule, ctx in rules.hard)
        ]
        if not allowed:
            for rule, ctx in rules.hard:
                if any(not rule.allows(ctx, person, slot) for person in order):
                    self._conflict(
                        slot,
                        rule.name,
                        f"Every member is excluded by {rule.name}, "
                        "so the slot was left unassigned.",
                    )
            return None
        if ranking:
            eligible = [
                person
                for person in allowed
                if all(rule.allows(ctx, person, slot) for rule, ctx in rules.soft)
            ]
            for rule, ctx in ranking:
                eligible = list(rule.rank(ctx, eligible, slot))
            if eligible:
                return eligible[0]
        else:
            # Without ranking rules the first allowed member wins, so there
            # is no need to judge everyone behind them.
            for person in allowed:
                if all(rule.allows(ctx, person, slot) for rule, ctx in rules.soft):
                    return person
        person = allowed[0]
        for rule, ctx in rules.soft:
            if not rule.allows(ctx, person, slot):
                self._conflict(
                    slot,
                    rule.name,
                    f"No member could satisfy {rule.name} for this slot, so the rule was "
                    f"relaxed and person {person} got the shift by queue order.",
                )
        return person

    def _conflict(self, slot: Slot, rule: str | None, message: str) -> None:
        self.conflicts.append(
            RuleConflict(
                rotation_id=self.rotation.id,
                role=self.rotation.role,
                start=slot.start,
                end=slot.end,
                rule=rule,
                message=message,
            )
        )


class _WindowScheduler(_RotationScheduler):
    """Fills a rotation whose policy plans whole windows (``RotationPolicy.assign``).

    Slots that ended before the planning window keep their stored holder
    (they are history); the window's slots, from the stored roster's
    present to the horizon, are planned in one call; slots after it (a
    lookahead past the horizon) come from the queue like any rotation's.
    """

    def plan_with(self, data: RosterInput, schedulers: list[_RotationScheduler]) -> None:
        planning = data.planning
        self.memo = data.memo
        self.peers = [s for s in schedulers if s is not self]
        self.report: Mapping | None = None
        self.planned = False
        self.pushed_back: tuple[RotationVersionSpec, Slot] | None = None
        first = self.rotation.versions[0]
        days = self.policy.planning_days(self.params_by_version[id(first)])
        if planning is None:
            self.window_start = self.rotation.anchor
            self.keep_until = self.rotation.anchor
            self.window_end = self.window_start + timedelta(days=days)
            self.stored: tuple[WorkedShift, ...] = ()
            self.stable = False
            self.worked: tuple[WorkedShift, ...] = ()
        else:
            self.window_start = max(planning.start, self.rotation.anchor)
            self.keep_until = planning.keep_until
            self.window_end = self.window_start + max(timedelta(days=days), planning.horizon)
            self.stored = tuple(planning.assigned.get(self.rotation.id, ()))
            self.stable = self.rotation.id in planning.stable
            self.worked = planning.worked
        self.stored_starts = [shift.start for shift in self.stored]

    def _can_jump(self) -> bool:
        # Every slot's holder depends on the plan (or the stored roster).
        return False

    def _next(self) -> tuple[RotationVersionSpec, Slot] | None:
        if self.pushed_back is not None:
            item, self.pushed_back = self.pushed_back, None
            return item
        try:
            return next(self.stream)
        except StopIteration:
            self.exhausted = True
            return None

    def advance(self, until: datetime) -> None:
        """Assign slots up to and including the first one starting at or after ``until``."""
        while self.frontier is None or self.frontier < until:
            item = self._next()
            if item is None:
                return
            version, slot = item
            if slot.end <= self.window_start:
                self._assign(version, slot, self._stored_holder(slot))
            elif not self.planned and slot.start < self.window_end:
                self.pushed_back = item
                self._plan_window()
                continue
            else:
                self._assign(version, slot)
            self.frontier = slot.start

    def _stored_holder(self, slot: Slot) -> int | None | object:
        """Who the stored roster gives ``slot`` (most of it), or ``_QUEUE`` when nobody stored holds it."""
        index = max(bisect_right(self.stored_starts, slot.start) - 1, 0)
        best, longest = _QUEUE, timedelta(0)
        for shift in self.stored[index:]:
            if shift.start >= slot.end:
                break
            overlap = min(shift.end, slot.end) - max(shift.start, slot.start)
            if overlap > longest:
                best, longest = shift.person_id, overlap
        return best

    def _plan_window(self) -> None:
        """Plan every slot starting before the window's end in one call to the policy."""
        self.planned = True
        items: list[tuple[RotationVersionSpec, Slot]] = []
        while True:
            item = self._next()
            if item is None:
                break
            if item[1].start >= self.window_end:
                self.pushed_back = item
                break
            items.append(item)
        if not items:
            return
        self.frontier = items[-1][1].start
        # The time each slot is worked (a restriction may leave a slot wholly
        # inactive: nobody is asked for it) and who already holds it.
        worked: list[Slot | None] = []
        fixed: list[int | None] = []
        for version, slot in items:
            pieces = active_pieces(version.restriction, slot.start, slot.end, self.tz)
            span = replace(slot, start=pieces[0][0], end=pieces[-1][1]) if pieces else None
            worked.append(span)
            stored = self._stored_holder(span) if span is not None else _QUEUE
            kept = slot.start < self.window_start or slot.start < self.keep_until
            fixed.append(stored if kept and stored is not _QUEUE else None)
        planned = [index for index, span in enumerate(worked) if span is not None]
        # The queue's answer, every decided slot keeping its holder: the
        # planner's hint, and the roster kept when it hands the window back.
        saved = self._state()
        hint = [
            self._assign(version, slot) if held is None else self._assign(version, slot, held)
            for (version, slot), held in zip(items, fixed)
        ]
        key = (self.rotation.id, self.window_start, self.keep_until)
        answer = self.memo.get(key)
        if answer is None:
            if all(fixed[index] is not None for index in planned):
                # Everything is decided (an override's write): nothing to plan.
                answer = WindowAssignment(people=tuple(fixed[index] for index in planned))
            else:
                window = self._window(items, planned, worked, fixed, hint, saved[1])
                answer = self.policy.assign(window)
            if answer is not None:
                self.memo[key] = answer
        self.report = dict(answer.report) if answer is not None and answer.report else None
        if answer is None or answer.people is None:
            # Handed back: the queue's roster stands, with what the planner
            # says it breaks of its own constraints.
            self._planner_conflicts(answer, worked, planned)
            return
        if len(answer.people) != len(planned):
            raise ValueError(
                f"policy {self.policy.name!r} planned {len(answer.people)} slots of the "
                f"{len(planned)} it was given"
            )
        self._restore(saved)
        people = dict(zip(planned, answer.people))
        for index, (version, slot) in enumerate(items):
            if index in people:
                self._assign(version, slot, people[index])
            else:
                self._assign(version, slot)  # wholly inactive: the turn passes as the queue says
        self._planner_conflicts(answer, worked, planned)

    def _planner_conflicts(self, answer: WindowAssignment | None, worked, planned) -> None:
        for position, rule, message in answer.conflicts if answer is not None else ():
            self._conflict(worked[planned[position]], rule, message)

    def _state(self):
        return (
            copy.deepcopy(self.queues),
            copy.deepcopy(self.history),
            dict(self.ordinals),
            len(self.shifts),
            len(self.conflicts),
        )

    def _restore(self, saved) -> None:
        queues, history, ordinals, shifts, conflicts = saved
        self.queues, self.ordinals = queues, ordinals
        # Rule contexts hold the history object itself: refill it in place.
        self.history.__dict__.update(history.__dict__)
        del self.shifts[shifts:]
        del self.conflicts[conflicts:]

    def _window(self, items, planned, worked, fixed, hint, history) -> AssignmentWindow:
        """What the policy plans: the slots worked, with the rotation's history before them."""
        slots = []
        for index in planned:
            version, slot = items[index]
            rules = self._rules_for(version)
            stored = self._stored_holder(worked[index]) if self.stable else None
            slots.append(
                WindowSlot(
                    slot=worked[index],
                    params=self.params_by_version[id(version)],
                    rules={rule.name: ctx.params for rule, ctx in rules.hard + rules.soft},
                    candidates=tuple(
                        dict.fromkeys(p for p in slot.candidates if p not in self.inactive)
                    ),
                    fixed=fixed[index],
                    previous=None if stored is _QUEUE else stored,
                )
            )
        start, end = items[planned[0]][1].start, items[planned[-1]][1].end
        busy = []
        for peer in self.peers:
            if isinstance(peer, _WindowScheduler) and peer.rotation.id > self.rotation.id:
                continue  # it plans after this one, around it
            peer.advance(end)
            busy.extend(
                WorkedShift(person_id=shift.person_id, start=shift.start, end=shift.end)
                for shift in peer.shifts
                if shift.start < end and shift.end > start
            )
        return AssignmentWindow(
            rotation_id=self.rotation.id,
            tz=self.tz,
            start=start,
            end=end,
            slots=tuple(slots),
            holidays=self.holidays,
            leaves=self.leaves,
            history=copy.deepcopy(history),
            worked=self.worked,
            busy=tuple(busy),
            hint=tuple(hint[index] for index in planned),
        )


@dataclass(order=True)
class _Active:
    precedence: tuple[int, ...]
    sequence: int
    shift: RosterShift = field(compare=False)


class _RoleLayers:
    """Everything that may cover one role: its rotations and its overrides.

    Precedence sorts ascending: overrides first (the latest, by id, on top),
    then rotations by higher priority, then lower id.
    """

    def __init__(
        self, role: str, schedulers: list[_RotationScheduler], overrides: list[RosterShift]
    ) -> None:
        self.role = role
        self.schedulers = schedulers
        self.overrides = [((0, -(shift.override_id or 0)), shift) for shift in overrides]

    def items(self) -> list[tuple[tuple[int, ...], RosterShift]]:
        """Every shift known so far, with its precedence."""
        items = list(self.overrides)
        for scheduler in self.schedulers:
            rotation = scheduler.rotation
            precedence = (1, -rotation.priority, rotation.id)
            items.extend((precedence, shift) for shift in scheduler.shifts)
        return items

    def advance(self, until: datetime) -> None:
        """Make sure every rotation shift starting before ``until`` is known."""
        for scheduler in self.schedulers:
            scheduler.advance(until)

    def next_coverage(self, after: datetime) -> datetime | None:
        """When something next starts covering the role at or after ``after``, if soon."""
        horizon = after
        while True:
            self.advance(horizon)
            found = min(
                (shift.start for _, shift in self.items() if shift.start >= after), default=None
            )
            # Everything starting before the horizon is known, so a start
            # up to it is the true next one.
            if found is not None and found <= horizon:
                return found
            if horizon - after >= _LOOKAHEAD:
                return None
            horizon += _LOOKAHEAD_STEP

    def flatten(
        self, start: datetime, end: datetime, fallback: int | None
    ) -> tuple[list[RosterShift], list[Gap]]:
        """Resolve the layers into non-overlapping shifts overlapping ``[start, end)``.

        Shifts are returned whole, so the work covers the hull of everything
        overlapping the window; anything that overlaps that hull may cut
        those shifts, and is made known first.
        """
        in_window = [shift for _, shift in self.items() if _overlaps(shift, start, end)]
        low = min([start, *(shift.start for shift in in_window)])
        high = max([end, *(shift.end for shift in in_window)])
        # A rotation that jumped covered everything before its resume point
        # without a gap; the layering must not need those shifts.
        jumped = [s.covered_until for s in self.schedulers if s.covered_until is not None]
        if any(covered > low for covered in jumped):
            raise _JumpedTooFar
        self.advance(high)
        items = self.items()
        relevant = sorted(
            (item for item in items if _overlaps(item[1], low, high)),
            key=lambda item: (item[1].start, item[0]),
        )
        points = sorted(
            {low, high}
            | {shift.start for _, shift in relevant if low < shift.start < high}
            | {shift.end for _, shift in relevant if low < shift.end < high}
        )

        # Sweep the elementary intervals with a heap of the shifts in force;
        # expired shifts are dropped lazily when they reach the top.
        runs: list[list] = []  # [winning shift or None, start, end]
        active: list[_Active] = []
        upcoming = iter(enumerate(relevant))
        pending = next(upcoming, None)
        for left, right in zip(points, points[1:]):
            while pending is not None and pending[1][1].start <= left:
                sequence, (precedence, shift) = pending
                heapq.heappush(active, _Active(precedence, sequence, shift))
                pending = next(upcoming, None)
            while active and active[0].shift.end <= left:
                heapq.heappop(active)
            winner = active[0].shift if active else None
            if runs and runs[-1][0] is winner and runs[-1][2] == left:
                runs[-1][2] = right
            else:
                runs.append([winner, left, right])

        shifts: list[RosterShift] = []
        gaps: list[Gap] = []
        seen: set[int] = set()
        for winner, left, right in runs:
            if winner is not None:
                # The first visible fragment keeps the slot's key so that its
                # calendar event survives an override cutting it; later
                # fragments get their own.  A shift overlapping the window
                # lies wholly in the hull, so "first" does not depend on it.
                key = winner.key if id(winner) not in seen else f"{winner.key}@{left.isoformat()}"
                seen.add(id(winner))
                if left < end and right > start:
                    # Most shifts win whole: the frozen shift itself serves.
                    whole = left == winner.start and right == winner.end and key == winner.key
                    shifts.append(winner if whole else replace(winner, start=left, end=right, key=key))
                continue
            # Uncovered time at the edge of the hull reaches to the nearest
            # coverage, so that a fallback shift (and its key) or a gap is
            # the same whatever window it was asked through.
            known_start = known_end = True
            if left == low:
                previous_end = max(
                    [s.end for _, s in items if s.end <= low] + jumped, default=None
                )
                known_start = previous_end is not None
                left = previous_end or low
            if right == high:
                next_start = self.next_coverage(high)
                known_end = next_start is not None
                right = next_start or high
            if not (left < end and right > start):
                continue
            if fallback is not None:
                # Before anything ever covered the role the start is only
                # the window's, so the key hangs on the end instead.
                if known_start or not known_end:
                    key = f"f:{self.role}:{left.isoformat()}"
                else:
                    key = f"f:{self.role}:until:{right.isoformat()}"
                shifts.append(
                    RosterShift(
                        role=self.role,
                        person_id=fallback,
                        start=left,
                        end=right,
                        source="fallback",
                        key=key,
                    )
                )
            else:
                gaps.append(Gap(role=self.role, start=left, end=right))
        return shifts, gaps
