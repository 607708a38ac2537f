"""The roster in memory: what every read of "who is on call" is answered from.

Each instance keeps the materialized roster of the window that matters
(from :data:`WINDOW_BEHIND` (six weeks) ago to the horizon) for every team, with
everything the reads show beside it: the team's name, zone and holidays,
its roles, gaps and conflicts, its members and their leave, and every
person's name and contacts.  ``oncall``, ``shifts``, ``gaps``, the pages and
the feeds read it; none of them queries the database per request for
anything inside the window.

It follows the revisions of :mod:`plantao.models.revision`: at most once
per :data:`~plantao.models.revision.FRESHNESS` seconds one request looks
at the shared revision row (the others go on reading meanwhile), and when
it moved only the teams whose own ``roster_revision`` moved are reloaded
(people when ``people_revision`` did).  This instance takes its own
changes right after it commits them (:mod:`plantao.caches`), so a writer
reads its own write: an override or a swap hands over the team's roster as
the write left it (:class:`RosterPatch`, prepared from the rows the write
changed), anything else has its teams read again.

When the database cannot be reached the model keeps answering from what it
last loaded and says since when (:meth:`ReadModel.stale_seconds`): the
answers carry ``X-Plantao-Stale`` and pages a notice, and it catches up by
itself once the database answers again.  Shifts are stored to the horizon,
so the answer stays right as time passes (the next handoffs are there).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time as clock
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from datetime import date, datetime, timedelta

from sqlalchemy import select, union
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .datetimes import utcnow
from .models import Leave, Override, Person, Rotation, RotationVersion, RosterConflict, RosterGap, Shift, Team
from .models.revision import FRESHNESS, current_revisions
from .models.request import LIVE_STATUSES, ShiftRequest
from .models.rotation import people_named
from .models.team import CustomHoliday
from .plugin_api import PersonView

log = logging.getLogger(__name__)

#: How far back the window reaches: the feeds' default (30 days before
#: local midnight) and the current month's calendar, whose first week may
#: begin in the previous month, are both inside.
WINDOW_BEHIND = timedelta(days=42)

#: Teams loaded per query (an ``IN`` list PostgreSQL and SQLite both take).
CHUNK = 500

#: A look at the database that has not answered after this many seconds
#: (a host gone without a word) already marks the answers stale.
SLOW_LOOK = 3.0


# -- what is kept ------------------------------------------------------------------------

#: Stamps every team roster and person record made, so caches can tell a new one from an old.
_GENERATIONS = itertools.count(1)


@dataclass(frozen=True, slots=True)
class ShiftView:
    """A stored shift, detached: what reads, pages and feeds show of it."""

    id: int
    role: str
    person: PersonView
    start: datetime
    end: datetime
    source: str
    rotation_id: int | None
    override_id: int | None
    team_id: int = 0
    key: str = ""
    sequence: int = 0
    updated_at: datetime | None = None
    #: The override's reason, for an override's shift.
    reason: str = ""

    @classmethod
    def of(cls, shift: Shift, reason: str = "") -> ShiftView:
        return cls(
            id=shift.id,
            role=shift.role,
            person=person_view(shift.person),
            start=shift.start,
            end=shift.end,
            source=shift.source,
            rotation_id=shift.rotation_id,
            override_id=shift.override_id,
            team_id=shift.team_id,
            key=shift.key,
            sequence=shift.sequence or 0,
            updated_at=shift.updated_at or shift.created_at,
            reason=reason,
        )


def person_view(person: Person) -> PersonView:
    """A detached snapshot of ``person`` with every contact."""
    return PersonView(
        person.id, person.name, person.email, person.phone, person.telegram_chat_id, dict(person.chat or {}),
        person.active,
    )


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as feeds and pages need them: the view, the feed secret, when it changed."""

    view: PersonView
    feed_token: str
    updated_at: datetime | None
    #: Grows with every record made (each time the people are read again).
    generation: int = 0

    def __post_init__(self):
        object.__setattr__(self, "generation", next(_GENERATIONS))


@dataclass(frozen=True, slots=True)
class HolidayRecord:
    day: date
    name: str


@dataclass(frozen=True, slots=True)
class TeamRecord:
    """A team, detached; it reads like the model (``team.slug``, ``team.custom_holidays``...)."""

    id: int
    slug: str
    name: str
    timezone: str
    holiday_country: str
    holiday_subdivision: str | None
    holiday_optional: bool
    custom_holidays: tuple[HolidayRecord, ...]
    feed_token: str
    fallback_person_id: int | None
    materialized_until: datetime | None
    updated_at: datetime | None
    roster_revision: int


@dataclass(frozen=True, slots=True)
class GapRecord:
    id: int
    role: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    id: int
    rotation_id: int
    role: str
    start: datetime
    end: datetime
    rule: str | None
    message: str


@dataclass(frozen=True, slots=True)
class LeaveRecord:
    id: int
    person_id: int
    person: PersonView
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RequestRecord:
    """A live cover or swap request of the team (open, or awaiting approval), as pages list it."""

    id: int
    kind: str
    status: str
    role: str
    start: datetime
    end: datetime
    person: PersonView  # the requester
    with_person: PersonView | None = None  # a swap's colleague


def _ordered(rows):
    return tuple(sorted(rows, key=lambda r: (r.start, r.id)))


@dataclass(frozen=True)
class TeamRoster:
    """One team's roster in memory, from :attr:`window_start` to its horizon."""

    team: TeamRecord
    window_start: datetime
    roles: frozenset[str]
    #: People of any version of the team's rotations, and the fallback person.
    members: tuple[int, ...]
    shifts: tuple[ShiftView, ...]
    gaps: tuple[GapRecord, ...]
    conflicts: tuple[ConflictRecord, ...]
    leaves: tuple[LeaveRecord, ...]
    #: Its live cover and swap requests, by start.
    requests: tuple[RequestRecord, ...] = ()
    starts: list[datetime] = field(default_factory=list, repr=False)
    longest: timedelta = timedelta(0)
    #: Everybody holding one of these shifts.
    people_ids: frozenset[int] = frozenset()
    #: Grows with every roster object made: what caches key a team's answers by.
    generation: int = 0
    #: What the last writer read of the team's own setup at this revision,
    #: for the next one (a :class:`plantao.services.roster.TeamSetup`, opaque
    #: here); ``None`` when the team was read from the database since.
    setup: object | None = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "generation", next(_GENERATIONS))
        object.__setattr__(self, "starts", [s.start for s in self.shifts])
        object.__setattr__(self, "longest", max((s.end - s.start for s in self.shifts), default=timedelta(0)))
        object.__setattr__(self, "people_ids", frozenset(s.person.id for s in self.shifts))

    @property
    def revision(self) -> int:
        return self.team.roster_revision

    def covers(self, start: datetime) -> bool:
        """True when everything from ``start`` on is in memory."""
        return start >= self.window_start

    def overlapping(self, start: datetime, end: datetime) -> Iterator[ShiftView]:
        """Shifts overlapping ``[start, end)``, by start then id."""
        first = bisect_left(self.starts, start - self.longest)
        last = bisect_left(self.starts, end)
        for shift in self.shifts[first:last]:
            if shift.end > start:
                yield shift

    def starting_from(self, moment: datetime) -> Iterator[ShiftView]:
        """Shifts starting at or after ``moment``, by start then id."""
        for index in range(bisect_left(self.starts, moment), len(self.shifts)):
            yield self.shifts[index]

    @cached_property
    def _by_role(self) -> dict[str, tuple[list[datetime], list[ShiftView]]]:
        roles: dict[str, tuple[list[datetime], list[ShiftView]]] = {}
        for shift in self.shifts:
            starts, shifts = roles.setdefault(shift.role, ([], []))
            starts.append(shift.start)
            shifts.append(shift)
        return roles

    def first_of_role(self, role: str, since: datetime) -> ShiftView | None:
        """The first shift of ``role`` starting at or after ``since``."""
        starts, shifts = self._by_role.get(role, ((), ()))
        index = bisect_left(starts, since)
        return shifts[index] if index < len(shifts) else None

    def shift_roles(self) -> Iterator[str]:
        """The roles some shift in memory holds."""
        return iter(self._by_role)


@dataclass(frozen=True)
class RosterSnapshot:
    """Every team's roster and every person at one pair of revisions; never changed once built."""

    revision: int
    people_revision: int
    teams: dict[int, TeamRoster]
    by_slug: dict[str, TeamRoster]
    people: dict[int, PersonRecord]
    #: Every team's roster holds everything from here on.
    covered_from: datetime

    def team(self, slug: str) -> TeamRoster | None:
        return self.by_slug.get(slug)

    @cached_property
    def _by_name(self) -> tuple[TeamRoster, ...]:
        return tuple(sorted(self.teams.values(), key=lambda t: (t.team.name, t.team.id)))

    def sorted_teams(self) -> list[TeamRoster]:
        """Every team, by name (as the home page lists them)."""
        return list(self._by_name)

    def teams_of_person(self, person_id: int) -> list[TeamRoster]:
        """The teams holding a shift of ``person_id`` in memory, by id."""
        return list(self._by_person.get(person_id, ()))

    @cached_property
    def _by_person(self) -> dict[int, tuple[TeamRoster, ...]]:
        # Built once per snapshot (a person's feed asks on every request).
        found: dict[int, list[TeamRoster]] = defaultdict(list)
        for roster in sorted(self.teams.values(), key=lambda t: t.team.id):
            for person_id in roster.people_ids:
                found[person_id].append(roster)
        return {person_id: tuple(rosters) for person_id, rosters in found.items()}

    def horizon_end(self) -> datetime | None:
        """Where the furthest team's stored shifts end."""
        return max((t.team.materialized_until for t in self.teams.values() if t.team.materialized_until), default=None)


# -- loading -----------------------------------------------------------------------------


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for index in range(0, len(ids), CHUNK):
        yield ids[index:index + CHUNK]


class _Interner:
    """One object per distinct value: thousands of shifts share a few hundred boundaries."""

    def __init__(self):
        self.values: dict = {}

    def __call__(self, value):
        return self.values.setdefault(value, value)


def load_people(dbsession: Session) -> dict[int, PersonRecord]:
    """Everybody, detached."""
    return {
        p.id: PersonRecord(person_view(p), p.feed_token, p.updated_at)
        for p in dbsession.scalars(select(Person))
    }


def _late_person(dbsession: Session, people: dict[int, PersonRecord], person_id: int) -> PersonRecord | None:
    """A person written after ``people`` was read (added to it)."""
    person = dbsession.get(Person, person_id)
    if person is None:
        return None
    record = people[person_id] = PersonRecord(person_view(person), person.feed_token, person.updated_at)
    return record


def load_teams(
    dbsession: Session, team_ids: Iterable[int], people: dict[int, PersonRecord], window_start: datetime
) -> dict[int, TeamRoster]:
    """The rosters of ``team_ids`` from ``window_start`` on (a handful of queries per :data:`CHUNK` teams).

    A person missing from ``people`` (written since it was read) is added to it.
    """
    loaded: dict[int, TeamRoster] = {}
    same = _Interner()
    for chunk in _chunks(sorted(set(team_ids))):
        teams = list(dbsession.scalars(select(Team).where(Team.id.in_(chunk))))
        if not teams:
            continue
        holidays = defaultdict(list)
        for h in dbsession.scalars(select(CustomHoliday).where(CustomHoliday.team_id.in_(chunk))):
            holidays[h.team_id].append(HolidayRecord(h.day, h.name))
        roles = defaultdict(set)
        for team_id, role in dbsession.execute(
            union(
                select(Rotation.team_id, Rotation.role).where(Rotation.team_id.in_(chunk)),
                select(Override.team_id, Override.role).where(Override.team_id.in_(chunk)),
            )
        ):
            roles[team_id].add(role)
        members = defaultdict(set)
        for team_id, listed, params in dbsession.execute(
            select(Rotation.team_id, RotationVersion.members, RotationVersion.params)
            .join(RotationVersion.rotation).where(Rotation.team_id.in_(chunk))
        ):
            members[team_id].update(people_named(listed, params))
        for team in teams:
            if team.fallback_person_id:
                members[team.id].add(team.fallback_person_id)
        shifts = defaultdict(list)
        shifts_people: dict[int, set[int]] = {}
        rows = dbsession.execute(
            select(
                Shift.id, Shift.team_id, Shift.role, Shift.person_id, Shift.start, Shift.end, Shift.source,
                Shift.rotation_id, Shift.override_id, Shift.key, Shift.sequence, Shift.updated_at, Shift.created_at,
                Override.reason,
            )
            .outerjoin(Override, Override.id == Shift.override_id)
            .where(Shift.team_id.in_(chunk), Shift.end > window_start)
        )
        for row in rows:
            person = people.get(row.person_id) or _late_person(dbsession, people, row.person_id)
            if person is None:  # deleted meanwhile, and the shift with them
                continue
            shifts[row.team_id].append(
                ShiftView(
                    id=row.id, role=same(row.role), person=person.view, start=same(row.start), end=same(row.end),
                    source=same(row.source), rotation_id=row.rotation_id, override_id=row.override_id,
                    team_id=row.team_id, key=row.key, sequence=row.sequence or 0,
                    updated_at=same(row.updated_at or row.created_at),
                    reason=row.reason or "",
                )
            )
        gaps = defaultdict(list)
        for g in dbsession.scalars(select(RosterGap).where(RosterGap.team_id.in_(chunk), RosterGap.end > window_start)):
            gaps[g.team_id].append(GapRecord(g.id, g.role, g.start, g.end))
        conflicts = defaultdict(list)
        for c in dbsession.scalars(
            select(RosterConflict).where(RosterConflict.team_id.in_(chunk), RosterConflict.end > window_start)
        ):
            conflicts[c.team_id].append(ConflictRecord(c.id, c.rotation_id, c.role, c.start, c.end, c.rule, c.message))
        # Leave shows on the calendars of the teams a person is a member of
        # or holds a shift in.
        for team_id, held in shifts.items():
            members.setdefault(team_id, set())
            watchers = {s.person.id for s in held}
            shifts_people[team_id] = watchers
        watched = sorted(set().union(*members.values(), *shifts_people.values())) if members else []
        leaves_of = defaultdict(list)
        for leave in dbsession.scalars(
            select(Leave).where(Leave.person_id.in_(watched), Leave.end > window_start)
        ) if watched else ():
            person = people.get(leave.person_id) or _late_person(dbsession, people, leave.person_id)
            if person is not None:
                leaves_of[leave.person_id].append(
                    LeaveRecord(leave.id, leave.person_id, person.view, leave.start, leave.end)
                )
        requests = defaultdict(list)
        for item in dbsession.scalars(
            select(ShiftRequest).where(ShiftRequest.team_id.in_(chunk), ShiftRequest.status.in_(LIVE_STATUSES))
        ):
            person = people.get(item.requester_id) or _late_person(dbsession, people, item.requester_id)
            colleague = item.with_person_id and (
                people.get(item.with_person_id) or _late_person(dbsession, people, item.with_person_id)
            )
            if person is not None:
                requests[item.team_id].append(RequestRecord(
                    item.id, item.kind, item.status, item.role, item.start, item.end, person.view,
                    colleague.view if colleague else None,
                ))
        for team in teams:
            record = team_record(team, holidays[team.id])
            team_members = tuple(sorted(members[team.id]))
            watchers = set(team_members) | shifts_people.get(team.id, set())
            loaded[team.id] = TeamRoster(
                team=record,
                window_start=window_start,
                roles=frozenset(roles[team.id]),
                members=team_members,
                shifts=_ordered(shifts[team.id]),
                gaps=_ordered(gaps[team.id]),
                conflicts=_ordered(conflicts[team.id]),
                leaves=_ordered(leave for pid in sorted(watchers) for leave in leaves_of[pid]),
                requests=_ordered(requests[team.id]),
            )
    return loaded


def team_record(team: Team, holidays: Iterable[HolidayRecord]) -> TeamRecord:
    """``team``, detached, with ``holidays`` as its own days off."""
    return TeamRecord(
        id=team.id, slug=team.slug, name=team.name, timezone=team.timezone,
        holiday_country=team.holiday_country or "BR", holiday_subdivision=team.holiday_subdivision,
        holiday_optional=bool(team.holiday_optional),
        custom_holidays=tuple(sorted(holidays, key=lambda h: h.day)),
        feed_token=team.feed_token, fallback_person_id=team.fallback_person_id,
        materialized_until=team.materialized_until, updated_at=team.updated_at,
        roster_revision=team.roster_revision or 0,
    )


# -- the writer's own change ---------------------------------------------------------------


@dataclass(frozen=True)
class RosterPatch:
    """A team's roster in memory as a write leaves it, prepared by the writer from what it wrote.

    Reloading the team after the commit costs a writer about as much as
    the write itself; the writer already holds everything that changed.
    The patch applies to the roster at ``base_revision`` only (the one the
    write started from, under the team's lock); anything else reloads.
    """

    team_id: int
    base_revision: int
    team: TeamRecord
    roles: frozenset[str]
    #: Shifts no longer as the roster holds them (removed, or changed and in ``shifts``).
    dropped: frozenset[int]
    shifts: tuple[ShiftView, ...]
    gaps: tuple[GapRecord, ...]
    conflicts: tuple[ConflictRecord, ...]

    #: Overrides the write deleted: the database forgets them on every shift
    #: that named them, ended ones included (``ON DELETE SET NULL``).
    deleted_overrides: frozenset[int] = frozenset()
    #: The team's setup as the writer read it: a write that may patch left
    #: it as it was, so it holds at the new revision too.
    setup: object | None = None
    #: Whether the team had live cover or swap requests when the write began
    #: (none: nothing for the commit to settle, see plantao.services.requests).
    live_requests: bool = True

    def applied_to(
        self, roster: TeamRoster, revision: int, updated_at: datetime | None, people: dict[int, PersonRecord]
    ) -> TeamRoster | None:
        """``roster`` with this change, at ``revision`` (what the commit stamped), showing the
        people as ``people`` has them now (somebody renamed meanwhile); ``None`` when it names
        somebody ``people`` does not know."""
        written = []
        for shift in self.shifts:
            person = people.get(shift.person.id)
            if person is None:
                return None
            written.append(shift if person.view is shift.person else replace(shift, person=person.view))
        shifts = [
            replace(shift, override_id=None, reason="") if shift.override_id in self.deleted_overrides else shift
            for shift in [*(s for s in roster.shifts if s.id not in self.dropped), *written]
        ]
        return replace(
            roster,
            team=replace(self.team, roster_revision=revision, updated_at=updated_at),
            roles=self.roles,
            shifts=_ordered(shifts),
            gaps=self.gaps,
            conflicts=self.conflicts,
            setup=self.setup,
        )


def prepare_patch(
    dbsession: Session,
    model: ReadModel | None,
    team: Team,
    written: Iterable[Shift],
    dropped: Iterable[int],
    *,
    since: datetime,
    gaps: Iterable[RosterGap],
    conflicts: Iterable[RosterConflict],
    added_roles: Iterable[str] | None = None,
    deleted_overrides: Iterable[int] = (),
    setup: object | None = None,
) -> RosterPatch | None:
    """The patch of ``team``'s roster in memory after a write that changed only its shifts.

    ``written`` are the shift rows the write inserted or changed (flushed),
    ``dropped`` the ids it deleted; ``gaps`` and ``conflicts`` are every
    row of them not ended at ``since`` as the write left them (those that
    had ended are as the roster in memory holds them).  ``added_roles``
    are the roles of the overrides it added, when it deleted none (else the
    team's roles are read again); ``deleted_overrides`` the ids of the
    overrides it deleted.  Only a write that leaves the team's members,
    holidays and the people in its calendars as they were may patch (an
    override, a swap): anything else reloads the team.  ``None`` when the
    roster in memory is not the one the write started from (not loaded, or
    another change of the team is on its way), or names somebody it does
    not know: the commit then reloads the team.  Call it with the team
    locked, as the transaction's last change to the team.  ``setup`` is
    the team's setup as the write read it, kept for the next writer
    (:meth:`ReadModel.held_at`).
    """
    snapshot = model.current() if model is not None else None
    roster = snapshot.teams.get(team.id) if snapshot is not None else None
    if roster is None or roster.revision != (team.roster_revision or 0):
        return None
    people = snapshot.people
    written = list(written)
    held_by_id = {shift.id: shift for shift in roster.shifts}
    shifts = []
    for shift in written:
        person = people.get(shift.person_id)
        if person is None:
            return None
        if shift.end <= roster.window_start:
            continue
        reason = ""
        held = held_by_id.get(shift.id)
        if held is not None and shift.override_id is not None and held.override_id == shift.override_id:
            reason = held.reason  # an override's shift moved: its reason is as held
        elif shift.override_id is not None:
            override = dbsession.get(Override, shift.override_id)
            reason = (override.reason if override is not None else "") or ""
        shifts.append(
            ShiftView(
                id=shift.id, role=shift.role, person=person.view, start=shift.start, end=shift.end,
                source=shift.source, rotation_id=shift.rotation_id, override_id=shift.override_id,
                team_id=shift.team_id, key=shift.key, sequence=shift.sequence or 0,
                updated_at=shift.updated_at or shift.created_at, reason=reason,
            )
        )
    dropped = frozenset([*dropped, *(shift.id for shift in written)])
    # The team's calendars show the leave of its members and of whoever
    # holds a shift there: when those people change, so does the leave shown.
    holding = {s.person.id for s in roster.shifts if s.id not in dropped} | {s.person.id for s in shifts}
    if holding | set(roster.members) != roster.people_ids | set(roster.members):
        return None
    if added_roles is not None:
        roles = roster.roles | frozenset(added_roles)
    else:
        roles = frozenset(
            dbsession.scalars(
                union(
                    select(Rotation.role).where(Rotation.team_id == team.id),
                    select(Override.role).where(Override.team_id == team.id),
                )
            )
        )
    return RosterPatch(
        team_id=team.id,
        base_revision=roster.revision,
        deleted_overrides=frozenset(deleted_overrides),
        setup=setup,
        live_requests=bool(roster.requests),
        team=team_record(team, roster.team.custom_holidays),
        roles=roles,
        dropped=dropped,
        shifts=tuple(shifts),
        gaps=_ordered([
            *(g for g in roster.gaps if g.end <= since),
            *(GapRecord(g.id, g.role, g.start, g.end) for g in gaps if g.end > roster.window_start),
        ]),
        conflicts=_ordered([
            *(c for c in roster.conflicts if c.end <= since),
            *(
                ConflictRecord(c.id, c.rotation_id, c.role, c.start, c.end, c.rule, c.message)
                for c in conflicts if c.end > roster.window_start
            ),
        ]),
    )


def _with_people(roster: TeamRoster, people: dict[int, PersonRecord]) -> TeamRoster:
    """``roster`` showing the people as ``people`` has them (names and contacts changed)."""

    def current(view: PersonView) -> PersonView:
        record = people.get(view.id)
        return record.view if record is not None else view

    if all(current(s.person) is s.person for s in roster.shifts) and all(
        current(leave.person) is leave.person for leave in roster.leaves
    ) and all(
        current(item.person) is item.person and (item.with_person is None or current(item.with_person) is item.with_person)
        for item in roster.requests
    ):
        return roster
    return replace(
        roster,
        shifts=tuple(s if current(s.person) is s.person else replace(s, person=current(s.person)) for s in roster.shifts),
        leaves=tuple(
            leave if current(leave.person) is leave.person else replace(leave, person=current(leave.person))
            for leave in roster.leaves
        ),
        requests=tuple(
            replace(item, person=current(item.person),
                    with_person=current(item.with_person) if item.with_person is not None else None)
            for item in roster.requests
        ),
    )


# -- the model ---------------------------------------------------------------------------


class ReadModel:
    """This instance's roster in memory, kept up to date from the revisions.

    ``session_factory`` makes the short sessions it reads through, outside
    any request transaction.  :meth:`snapshot` is what readers call: it
    returns the current :class:`RosterSnapshot` (loading it the first time)
    and, at most once per ``freshness`` seconds, lets one caller look for
    changes while the others read on.  Database errors while looking are
    remembered, not raised, once something is loaded.

    ``standby`` (optional) makes sessions on any host of a replicated
    database, standbys included: when the primary cannot be reached (a
    failover under way) the model reads there, where a synchronous standby
    already holds every acknowledged write.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        standby: Callable[[], Session] | None = None,
        freshness: float = FRESHNESS,
        window_behind: timedelta = WINDOW_BEHIND,
    ):
        self.session_factory = session_factory
        self.standby = standby
        self.freshness = freshness
        self.window_behind = window_behind
        self._snapshot: RosterSnapshot | None = None
        self.checked_at = 0.0  # monotonic, last successful look at the revisions
        self.looking_since: float | None = None  # monotonic, when the look under way began
        self.looked_at = 0.0  # monotonic, last look, successful or not
        self.checked_wall: datetime | None = None
        self.failing = False
        self.lock = threading.Lock()  # one refresh at a time
        self.listeners: list[Callable[[RosterSnapshot, set[int]], None]] = []
        self.loads = 0

    def on_change(self, listener: Callable[[RosterSnapshot, set[int]], None]) -> None:
        """Call ``listener(snapshot, changed_team_ids)`` after each refresh that changed something."""
        self.listeners.append(listener)

    # -- reading --

    def snapshot(self) -> RosterSnapshot:
        """The roster as this instance knows it, looked at again when due.

        Raises the database's error only while nothing has been loaded yet.
        """
        current = self._snapshot
        if current is None:
            with self.lock:
                if self._snapshot is None:
                    self._refresh_locked(force=True)
            return self._snapshot
        if clock.monotonic() - self.looked_at >= self.freshness and self.lock.acquire(blocking=False):
            try:
                self._refresh_locked()
            except (SQLAlchemyError, OSError) as error:
                self._failed(error)
            finally:
                self.lock.release()
        return self._snapshot

    def current(self) -> RosterSnapshot | None:
        """The roster as this instance holds it right now, without looking for changes."""
        return self._snapshot

    def held_at(self, team_id: int, revision: int) -> TeamRoster | None:
        """The team's roster in memory if it is the one at ``revision``, else ``None``.

        A writer that read ``revision`` under the team's lock knows that
        nothing changed the team since: what this roster holds from the
        write's ``now`` on (its conflicts, the setup its last writer carried
        here: :attr:`TeamRoster.setup`) is what the database holds.
        """
        snapshot = self._snapshot
        roster = snapshot.teams.get(team_id) if snapshot is not None else None
        return roster if roster is not None and roster.revision == revision else None

    @property
    def loaded(self) -> bool:
        return self._snapshot is not None

    def stale_seconds(self) -> int | None:
        """Whole seconds since the last successful look at the database, while it fails (or a look
        has been waiting for it for more than :data:`SLOW_LOOK` seconds); else None."""
        if self._snapshot is None:
            return None
        looking_since = self.looking_since
        slow = looking_since is not None and clock.monotonic() - looking_since > SLOW_LOOK
        if not (self.failing or slow):
            return None
        return self.seconds_since_check()

    def seconds_since_check(self) -> int:
        """Whole seconds since the last successful look at the database."""
        return int(clock.monotonic() - self.checked_at)

    # -- refreshing --

    def refresh(self) -> None:
        """Look at the revisions now and reload what moved (after this instance committed a change).

        Never raises: a failure is remembered, and the next reader looks again.
        """
        with self.lock:
            self._refresh_guarded()

    def _refresh_guarded(self) -> None:
        try:
            self._refresh_locked(force=self._snapshot is None)
        except (SQLAlchemyError, OSError) as error:
            if self._snapshot is None:
                log.warning("could not load the roster: %s", error)
                return
            self._failed(error)
            self.looked_at = 0.0  # the next reader looks again at once

    def take_own_change(self, teams: dict[int, tuple[int, datetime] | None], patches: dict[int, RosterPatch]) -> None:
        """After this instance committed a change of ``teams`` ({id: (new revision, updated_at)}):
        the writer's ``patches`` go in, so the writer reads its own write at once.

        Without a patch for every team (or with one that no longer applies:
        the roster in memory moved meanwhile) it looks at the database
        instead, as :meth:`refresh` does.  Never raises.
        """
        with self.lock:
            old = self._snapshot
            rosters = {}
            for team_id, stamped in teams.items():
                patch = patches.get(team_id)
                held = old.teams.get(team_id) if old is not None else None
                if stamped is None:  # deleted
                    rosters = None
                    break
                revision, updated_at = stamped
                if held is not None and held.revision >= revision:
                    continue  # a reload already brought this change (or a later one)
                if patch is None or held is None or (held.revision, revision) != (
                    patch.base_revision, patch.base_revision + 1
                ):
                    rosters = None
                    break
                patched = patch.applied_to(held, revision, updated_at, old.people)
                if patched is None:
                    rosters = None
                    break
                rosters[team_id] = patched
            if rosters is None:
                self._refresh_guarded()
                return
            if not rosters:
                return
            teams_now = {**old.teams, **rosters}
            by_slug = dict(old.by_slug)
            for team_id, roster in rosters.items():
                by_slug.pop(old.teams[team_id].team.slug, None)
                by_slug[roster.team.slug] = roster
            # The shared revisions stay the ones last looked at: other
            # instances' changes are still to be found by the next look.
            snapshot = replace(old, teams=teams_now, by_slug=by_slug)
            self._snapshot = snapshot
            for listener in self.listeners:
                listener(snapshot, set(rosters))

    def _failed(self, error: BaseException) -> None:
        self.looked_at = clock.monotonic()
        if not self.failing:
            log.warning("database unreachable; answering from the roster in memory: %s", error)
        self.failing = True

    def _refresh_locked(self, force: bool = False) -> None:
        self.looking_since = clock.monotonic()
        try:
            self._refresh_from(self.session_factory, force)
        except (SQLAlchemyError, OSError):
            if self.standby is None:
                raise
            self._refresh_from(self.standby, force, standby=True)
        finally:
            self.looking_since = None

    def _refresh_from(self, session_factory: Callable[[], Session], force: bool, standby: bool = False) -> None:
        old = self._snapshot
        now = utcnow()
        with session_factory() as dbsession:
            revision, people_revision = current_revisions(dbsession)
            if old is not None and not force and (revision, people_revision) == (old.revision, old.people_revision):
                self._checked()
                return
            if old is not None and standby and not force and revision < old.revision:
                # A standby still replaying: what we hold is newer; never go back.
                self._checked()
                return
            window_start = now - self.window_behind
            if old is not None and (
                old.people_revision == people_revision or (standby and people_revision < old.people_revision)
            ):
                people = dict(old.people)
                people_changed = False
            else:
                people = load_people(dbsession)
                people_changed = True
                if old is not None:
                    # Unchanged people keep their record, so only the teams
                    # showing somebody who changed get a new roster object.
                    for person_id, record in people.items():
                        kept = old.people.get(person_id)
                        if kept is not None and (kept.view, kept.feed_token, kept.updated_at) == (
                            record.view, record.feed_token, record.updated_at
                        ):
                            people[person_id] = kept
            listed = dict(dbsession.execute(select(Team.id, Team.roster_revision)).all())
            teams = dict(old.teams) if old is not None else {}
            gone = set(teams) - set(listed)
            for team_id in gone:
                del teams[team_id]

            def moved(team_id: int, rev: int) -> bool:
                if force or team_id not in teams:
                    return True
                held = teams[team_id].revision
                # From a standby, only forward: it may lag what we loaded from the primary.
                return rev > held if standby else rev != held

            changed = {team_id for team_id, rev in listed.items() if moved(team_id, rev or 0)}
            teams.update(load_teams(dbsession, changed, people, window_start))
            self.loads += len(changed)
        if old is not None and people_changed:
            teams = {team_id: _with_people(roster, people) for team_id, roster in teams.items()}
        snapshot = RosterSnapshot(
            revision=revision,
            people_revision=people_revision,
            teams=teams,
            by_slug={roster.team.slug: roster for roster in teams.values()},
            people=people,
            covered_from=max((roster.window_start for roster in teams.values()), default=window_start),
        )
        self._snapshot = snapshot
        self._checked()
        replaced = {team_id for team_id, roster in teams.items() if old is None or old.teams.get(team_id) is not roster}
        for listener in self.listeners:
            listener(snapshot, replaced | gone)

    def _checked(self) -> None:
        if self.failing:
            log.warning("database reachable again; the roster in memory is current")
        self.failing = False
        self.checked_at = self.looked_at = clock.monotonic()
        self.checked_wall = utcnow()
