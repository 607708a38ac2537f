"""The plain data the scheduling engine reads and writes.

Everything here is a frozen dataclass of standard types, so the service
layer can build the input from database rows and store the output without
the engine knowing about either.  Datetimes must be timezone-aware; the
engine stores every instant in UTC and only uses the team's zone (``tz``)
to find local wall-clock times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

# Leave is data rules receive, so it belongs to the plugin API; engine code
# imports both names from here.
from plantao.plugin_api import LeaveSpec, WorkedShift, as_utc  # noqa: F401

TurnMode = Literal["calendar", "active"]
ShiftSource = Literal["rotation", "override", "fallback"]

TURN_MODES: frozenset[str] = frozenset({"calendar", "active"})


def _set_utc(instance: object, *names: str) -> None:
    for name in names:
        object.__setattr__(instance, name, as_utc(getattr(instance, name), name))


def _check_interval(instance: object, what: str) -> None:
    if not instance.start < instance.end:  # type: ignore[attr-defined]
        raise ValueError(f"{what} must end after it starts: {instance!r}")


@dataclass(frozen=True, kw_only=True)
class Restriction:
    """When a rotation is on duty: some weekdays and/or a daily time window.

    ``weekdays`` uses 0 for Monday; ``None`` means every day.  A window whose
    ``end_time`` is not after its ``start_time`` crosses midnight (19:00-07:00
    is a night), and belongs to the weekday on which it *starts*, so the
    weekdays 0-4 with 19:00-07:00 are the nights from Monday evening to
    Saturday morning.  A missing ``start_time`` means midnight, a missing
    ``end_time`` the following midnight.  Times are local to the team's zone.
    """

    weekdays: frozenset[int] | None = None
    start_time: time | None = None
    end_time: time | None = None

    def __post_init__(self) -> None:
        if self.weekdays is not None:
            weekdays = frozenset(self.weekdays)
            if not weekdays or not weekdays <= frozenset(range(7)):
                raise ValueError(f"weekdays must be a non-empty subset of 0-6: {self.weekdays!r}")
            object.__setattr__(self, "weekdays", weekdays)

    @property
    def is_unrestricted(self) -> bool:
        """True when the restriction leaves every instant active."""
        return self.weekdays is None and self.start_time is None and self.end_time is None


@dataclass(frozen=True, kw_only=True)
class RotationVersionSpec:
    """The settings of a rotation from ``effective_from`` until the next version.

    The version in effect at a slot's start decides that slot's parameters,
    members, restriction and rules, so a version dated in the future leaves
    the roster before it untouched.  ``rules`` maps the name of each opt-in
    scheduling rule to its parameters (``{}`` for the defaults); rules that
    are ``always_on`` apply anyway, with parameters from here if given.
    """

    effective_from: datetime
    params: Mapping[str, Any] = field(default_factory=dict)
    members: tuple[int, ...] = ()
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    restriction: Restriction | None = None
    turn_mode: TurnMode = "calendar"

    def __post_init__(self) -> None:
        _set_utc(self, "effective_from")
        object.__setattr__(self, "members", tuple(self.members))
        if self.turn_mode not in TURN_MODES:
            raise ValueError(f"turn_mode must be one of {sorted(TURN_MODES)}: {self.turn_mode!r}")


@dataclass(frozen=True, kw_only=True)
class RotationSpec:
    """A rotation: who takes turns, by which policy, since when, for which role.

    ``anchor`` is the instant the rotation starts; every turn is counted from
    it, so the same rotation always gives the same roster whatever window is
    asked for.  The first version applies from the anchor whatever its own
    ``effective_from`` says; versions are kept sorted by ``effective_from``.
    Where rotations of one role overlap, the higher ``priority`` wins, and on
    a tie the lower ``id``.
    """

    id: int
    name: str
    policy: str
    anchor: datetime
    versions: tuple[RotationVersionSpec, ...]
    role: str = "primary"
    priority: int = 0

    def __post_init__(self) -> None:
        _set_utc(self, "anchor")
        versions = tuple(sorted(self.versions, key=lambda version: version.effective_from))
        if not versions:
            raise ValueError(f"rotation {self.id} has no version")
        object.__setattr__(self, "versions", versions)


@dataclass(frozen=True, kw_only=True)
class OverrideSpec:
    """Someone explicitly covers a role for a while, above every rotation."""

    id: int
    person_id: int
    start: datetime
    end: datetime
    role: str = "primary"

    def __post_init__(self) -> None:
        _set_utc(self, "start", "end")
        _check_interval(self, "an override")


@dataclass(frozen=True, kw_only=True)
class PlanningState:
    """What the stored roster tells policies that plan whole windows (``RotationPolicy.assign``).

    The planning window starts at ``start`` (the present, for a stored
    roster): a slot that began before it keeps its stored holder, as does
    every slot starting before ``keep_until`` that has one (a write that
    cannot change the rotations, such as an override, keeps the whole
    stored assignment).  ``horizon`` is the materialization horizon, which a
    window covers at least.  ``assigned`` holds, per rotation id, the stored
    shifts that rotation gave (by start); ``stable`` the rotations whose
    stored assignment their own planner made, so that keeping it is
    stability (after a change of policy it is only history).  ``worked`` is
    the team's shifts that ended before ``start``, for balancing hours.
    """

    start: datetime
    keep_until: datetime
    horizon: timedelta = timedelta(0)
    assigned: Mapping[int, tuple[WorkedShift, ...]] = field(default_factory=dict)
    stable: frozenset[int] = frozenset()
    worked: tuple[WorkedShift, ...] = ()

    def __post_init__(self) -> None:
        _set_utc(self, "start", "keep_until")


@dataclass(frozen=True, kw_only=True)
class RosterInput:
    """Everything the engine needs to build a team's roster.

    ``tz`` is the team's IANA zone; ``holidays`` maps local dates to names
    (see :func:`plantao.engine.holidays.holiday_calendar`).  People in
    ``inactive_people`` are never assigned, by a rotation, an override or as
    the fallback.
    """

    tz: str
    holidays: Mapping[date, str] = field(default_factory=dict)
    rotations: tuple[RotationSpec, ...] = ()
    overrides: tuple[OverrideSpec, ...] = ()
    leaves: tuple[LeaveSpec, ...] = ()
    fallback_person: int | None = None
    inactive_people: frozenset[int] = frozenset()
    #: For policies that plan whole windows; without it a window starts at
    #: the rotation's anchor and nothing is stored yet.
    planning: PlanningState | None = None
    #: Windows already planned from this input (rotation id and window start
    #: to the answer): the several windows an incremental regeneration
    #: builds from one input plan each window once.
    memo: dict = field(default_factory=dict, compare=False, repr=False, hash=False)


@dataclass(frozen=True, kw_only=True)
class RosterShift:
    """One person on duty for one role, from ``start`` to ``end`` (UTC).

    ``key`` identifies the shift across regenerations, so a calendar event
    keeps its UID: ``r{rotation_id}:{queue}:{slot}`` for a rotation slot
    (``.{piece}`` appended when the rotation has a restriction, and
    ``@{start}`` for the later fragments of a slot cut by something above it),
    ``o{override_id}`` for an override and ``f:{role}:{start}`` for the
    fallback person.
    """

    role: str
    person_id: int
    start: datetime
    end: datetime
    source: ShiftSource
    key: str
    rotation_id: int | None = None
    override_id: int | None = None

    def __post_init__(self) -> None:
        _set_utc(self, "start", "end")
        _check_interval(self, "a shift")


@dataclass(frozen=True, kw_only=True)
class Gap:
    """Time when nobody covers a role that some rotation or override covers."""

    role: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _set_utc(self, "start", "end")


@dataclass(frozen=True, kw_only=True)
class RuleConflict:
    """A slot whose rules could not all be satisfied, in plain English.

    ``rule`` names the rule that was relaxed (or that left the slot empty);
    it is ``None`` when the rotation simply had nobody to assign.
    """

    rotation_id: int
    role: str
    start: datetime
    end: datetime
    rule: str | None
    message: str

    def __post_init__(self) -> None:
        _set_utc(self, "start", "end")


@dataclass(frozen=True, kw_only=True)
class RosterResult:
    """The output of :func:`plantao.engine.roster.build_roster`.

    ``shifts`` is the final roster: per role, non-overlapping, sorted by
    ``(start, role)``.  ``layers`` holds every rotation's shifts before
    overrides and priorities were applied, which is what you want to debug a
    surprising roster.
    """

    shifts: tuple[RosterShift, ...] = ()
    layers: tuple[RosterShift, ...] = ()
    gaps: tuple[Gap, ...] = ()
    conflicts: tuple[RuleConflict, ...] = ()
    #: What each window-planning policy reported, by rotation id (the last
    #: window it planned for this result).
    reports: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
