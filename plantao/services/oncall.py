"""Who is on call: reading the materialized roster, fast.

Everything here reads only the ``shifts`` table through its indexes, so it
costs the same for one team or a thousand.  ``oncall`` is the hottest
request (status pages and bots poll it), so :class:`RosterCache` keeps each
team's shifts around now in memory, keyed by the roster revision: an
instance that commits a change drops its cache at once, and every other
instance notices the new revision within a second.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..datetimes import isoformat, utcnow
from ..models import Override, Rotation, Shift, Team
from ..plugin_api import PersonView
from ..plugins import PluginRegistry
from .context import ServiceContext
from .errors import BadRequest, NotFound
from .contacts import ContactPolicy, OnDuty, ReaderContacts
from .response_schemas import DATE_TIME, closed_object, nullable, ref
from .representations import person_json
from ..models.revision import FRESHNESS, RosterRevision  # noqa: F401  (FRESHNESS: re-exported)

#: How long the answer for a team with no shift ahead at all is kept.
IDLE_ENTRY_LIFETIME = timedelta(minutes=5)


@dataclass(frozen=True)
class ShiftView:
    """A detached snapshot of a stored shift."""

    id: int
    role: str
    person: PersonView
    start: datetime
    end: datetime
    source: str
    rotation_id: int | None
    override_id: int | None

    @classmethod
    def of(cls, shift: Shift) -> ShiftView:
        p = shift.person
        return cls(
            id=shift.id,
            role=shift.role,
            person=PersonView(p.id, p.name, p.email, p.phone, p.telegram_chat_id, dict(p.chat or {}), p.active),
            start=shift.start,
            end=shift.end,
            source=shift.source,
            rotation_id=shift.rotation_id,
            override_id=shift.override_id,
        )


@dataclass(frozen=True)
class TeamView:
    id: int
    slug: str
    name: str
    timezone: str

    @classmethod
    def of(cls, team: Team) -> TeamView:
        return cls(team.id, team.slug, team.name, team.timezone)


@dataclass(frozen=True)
class TeamOnCall:
    """A team's roster at an instant: who holds each role, and what comes next."""

    team: TeamView
    at: datetime
    current: list[ShiftView]
    upcoming: list[ShiftView]

    @classmethod
    def from_window(cls, team: TeamView, moment: datetime, window: list[ShiftView]) -> TeamOnCall:
        """The state at ``moment`` from shifts covering it and what follows."""
        current = sorted((s for s in window if s.start <= moment < s.end), key=lambda s: s.role)
        upcoming = []
        for wanted in sorted({s.role for s in current}) or [None]:
            after = max((s.end for s in current if s.role == wanted), default=moment)
            ahead = [s for s in window if s.start >= after and (wanted is None or s.role == wanted)]
            if ahead:
                upcoming.append(min(ahead, key=lambda s: (s.start, s.role)))
        return cls(team, moment, current, sorted(upcoming, key=lambda s: (s.start, s.role)))

    @property
    def gap(self) -> bool:
        return not self.current

    def next_for(self, shift: ShiftView) -> ShiftView | None:
        """Who takes ``shift``'s role when it ends."""
        for candidate in self.upcoming:
            if candidate.role == shift.role and candidate.start >= shift.end:
                return candidate
        return None

    @property
    def next_handoff(self) -> ShiftView | None:
        """The next shift to start in a role held now (in a gap: in any role)."""
        if not self.current:
            return self.upcoming[0] if self.upcoming else None
        nexts = [n for n in (self.next_for(shift) for shift in self.current) if n is not None]
        return min(nexts, key=lambda s: (s.start, s.role), default=None)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.team.timezone))


_HELD = {
    "role": {"type": "string"},
    "person": ref("Person"),
    "start": DATE_TIME,
    "end": DATE_TIME,
    "source": ref("ShiftSource"),
}
ONCALL_RESPONSE = closed_object(
    {
        "team": {"type": "string"},
        "at": DATE_TIME,
        "oncall": {"type": "array", "items": closed_object(_HELD), "description": "who holds each role, by role"},
        "gap": {"type": "boolean", "description": "true when nobody holds any role"},
        "next_handoff": nullable(
            closed_object(
                {**{k: v for k, v in _HELD.items() if k != "start"}, "at": DATE_TIME},
                "the next shift to start in a role held now (in a gap: in any role)",
            )
        ),
    }
)


def oncall_json(state: TeamOnCall, contacts: ContactPolicy | ReaderContacts) -> dict:
    """The body of ``GET /api/v1/teams/{slug}/oncall``, with the contacts ``contacts`` shows."""
    tz = ZoneInfo(state.team.timezone)
    handoff = state.next_handoff
    team_id = state.team.id
    return {
        "team": state.team.slug,
        "at": isoformat(state.at, tz),
        "oncall": [
            {
                "role": shift.role,
                "person": person_json(shift.person, contacts, team_id=team_id, role=shift.role),
                "start": isoformat(shift.start, tz),
                "end": isoformat(shift.end, tz),
                "source": shift.source,
            }
            for shift in state.current
        ],
        "gap": state.gap,
        "next_handoff": None
        if handoff is None
        else {
            "at": isoformat(handoff.start, tz),
            "role": handoff.role,
            "person": person_json(handoff.person, contacts, team_id=team_id, role=handoff.role),
            "end": isoformat(handoff.end, tz),
            "source": handoff.source,
        },
    }


class OnCallService:
    """Reads the materialized roster of one or all teams."""

    def __init__(self, ctx: ServiceContext):
        self.dbsession = ctx.dbsession

    def team(self, slug: str) -> Team:
        team = self.dbsession.scalar(select(Team).where(Team.slug == slug))
        if team is None:
            raise NotFound(f"No team with slug {slug!r}.", code="not_found.team", params={"slug": slug})
        return team

    def roles(self, team: Team) -> set[str]:
        """The roles some rotation or override of ``team`` fills."""
        return set(self.dbsession.scalars(select(Rotation.role).where(Rotation.team_id == team.id))) | set(
            self.dbsession.scalars(select(Override.role).where(Override.team_id == team.id))
        )

    def at(self, team: Team, moment: datetime | None = None, role: str | None = None) -> TeamOnCall:
        """Who holds each role of ``team`` at ``moment`` (default now), and who is next.

        Asking for a role the team does not have is a :class:`BadRequest`.
        """
        if role is not None and role not in self.roles(team):
            known = ", ".join(sorted(self.roles(team))) or "none yet"
            raise BadRequest(
                f"Team {team.slug!r} has no role {role!r}; its roles: {known}.",
                code="unknown_role",
                params={"team": team.slug, "role": role, "roles": known},
            )
        moment = moment or utcnow()
        current = self.shifts(team, moment, moment + timedelta(microseconds=1), role=role)
        window = list(current)
        # The next holder of each role held now; in a gap, the next shift at all.
        for held in sorted({s.role for s in current}) or [role]:
            after = max((s.end for s in current if s.role == held), default=moment)
            query = select(Shift).where(Shift.team_id == team.id, Shift.start >= after)
            if held:
                query = query.where(Shift.role == held)
            following = self.dbsession.scalars(query.order_by(Shift.start, Shift.id).limit(1)).first()
            if following is not None:
                window.append(following)
        return TeamOnCall.from_window(TeamView.of(team), moment, [ShiftView.of(s) for s in window])

    def next_start(self, team: Team, moment: datetime, role: str | None = None) -> datetime | None:
        """When the next shift of ``team`` (in ``role``) starts after ``moment``."""
        query = select(Shift.start).where(Shift.team_id == team.id, Shift.start > moment)
        if role:
            query = query.where(Shift.role == role)
        return self.dbsession.scalar(query.order_by(Shift.start).limit(1))

    def shift(self, team: Team, shift_id: int) -> Shift | None:
        """The stored shift ``shift_id`` of ``team``, or None (another team's shift is None too)."""
        shift = self.dbsession.get(Shift, shift_id)
        return shift if shift is not None and shift.team_id == team.id else None

    def board(self, moment: datetime | None = None) -> list[TeamOnCall]:
        """Every team's roster at ``moment``, ordered by team name."""
        teams = self.dbsession.scalars(select(Team).order_by(Team.name)).all()
        return [self.at(team, moment) for team in teams]

    def shifts(
        self,
        team: Team,
        start: datetime,
        end: datetime,
        *,
        role: str | None = None,
        person_id: int | None = None,
        after: tuple[datetime, int] | None = None,
        limit: int | None = None,
    ) -> list[Shift]:
        """Shifts overlapping ``[start, end)``, ordered by start, then id.

        ``after`` is the (start, id) of the last shift of the previous page.
        """
        return shifts_between(
            self.dbsession, team, start, end, role=role, person_id=person_id, after=after, limit=limit
        )


def shifts_between(
    dbsession: Session,
    team: Team,
    start: datetime,
    end: datetime,
    *,
    role: str | None = None,
    person_id: int | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> list[Shift]:
    """:meth:`OnCallService.shifts` on a session of the caller's (the feed cache reads through its own)."""
    query = select(Shift).where(Shift.team_id == team.id, Shift.start < end, Shift.end > start)
    if role:
        query = query.where(Shift.role == role)
    if person_id is not None:
        query = query.where(Shift.person_id == person_id)
    if after is not None:
        query = query.where(
            or_(Shift.start > after[0], and_(Shift.start == after[0], Shift.id > after[1]))
        )
    query = query.order_by(Shift.start, Shift.id)
    if limit is not None:
        query = query.limit(limit)
    return list(dbsession.scalars(query))


class RosterCache:
    """Per-process cache of ``oncall`` answers, keyed by the roster revision.

    Built by :mod:`plantao.caches`, which tells it the revision; views find
    it through the service door.  ``settings`` and ``plugins`` make the
    context of the :class:`OnCallService` it reads through, on short
    sessions of the revision's session factory, outside any request
    transaction.
    """

    def __init__(self, revision: RosterRevision, settings: Settings, plugins: PluginRegistry):
        self.roster_revision = revision
        self.settings = settings
        self.plugins = plugins
        # (slug, role) -> (revision, valid from, valid until, the answer)
        self.entries: dict[tuple, tuple[int, datetime, datetime, TeamOnCall]] = {}
        # (slug, role, contacts, revision, valid from) -> the JSON body around "at"
        self.bodies: dict[tuple, tuple[bytes, bytes]] = {}
        self.lock = threading.Lock()
        revision.on_change(self.clear)

    def clear(self) -> None:
        """Forget everything (the revision moved, or this instance committed a roster change)."""
        with self.lock:
            self.entries.clear()
            self.bodies.clear()

    def oncall(self, slug: str, role: str | None = None) -> TeamOnCall:
        """Who is on call in team ``slug`` now, answered from memory when fresh.

        An entry holds until the roster revision changes or the next instant
        at which any shift starts or ends, whichever comes first.
        The cache reads through short sessions of its own, outside any
        request transaction, and only when the database must be asked: a hit
        costs no session at all.
        """
        moment = utcnow()
        return replace(self._entry(slug, role, moment)[3], at=moment)

    def oncall_body(
        self, slug: str, role: str | None,
        contacts: ContactPolicy | ReaderContacts,
    ) -> bytes:
        """The JSON body of ``oncall`` now, serialized once per entry and kind of reader.

        Only ``at`` changes between two answers from the same entry, so the
        body is kept as the bytes around it.  Everybody such an answer names
        is on call now or next for as long as the entry holds, which is
        what an anonymous reader may see the phones of: no other read needed.
        """
        policy = contacts.policy if isinstance(contacts, ReaderContacts) else contacts
        moment = utcnow()
        entry = self._entry(slug, role, moment)
        key = (slug, role, policy, entry[0], entry[1])
        around = self.bodies.get(key)
        if around is None:
            state = entry[3]
            on_duty = OnDuty.of_shifts(state.team.id, [*state.current, *state.upcoming])
            payload = oncall_json(state, ReaderContacts(policy, on_duty=on_duty))
            payload["at"] = _AT_MARK
            before, after = json.dumps(payload, separators=(",", ":")).split(json.dumps(_AT_MARK), 1)
            around = (before.encode(), after.encode())
            with self.lock:
                self.bodies[key] = around
        at = json.dumps(isoformat(moment, ZoneInfo(entry[3].team.timezone)))
        return around[0] + at.encode() + around[1]

    def _entry(self, slug: str, role: str | None, moment: datetime) -> tuple:
        revision = self.roster_revision.current()
        key = (slug, role)
        entry = self.entries.get(key)
        if entry is not None and entry[0] == revision and entry[1] <= moment < entry[2]:
            return entry
        with self.roster_revision.session_factory() as dbsession:
            service = OnCallService(ServiceContext(dbsession, self.settings, self.plugins))
            team = service.team(slug)
            state = service.at(team, moment, role)
            next_start = service.next_start(team, moment, role)
        boundaries = [shift.end for shift in state.current]
        if next_start is not None:
            boundaries.append(next_start)
        valid_until = min(boundaries, default=moment + IDLE_ENTRY_LIFETIME)
        entry = (revision, moment, valid_until, state)
        with self.lock:
            self.entries[key] = entry
        return entry


# A value no real answer contains, marking where "at" goes in a cached body.
_AT_MARK = "\u0000plantao-at\u0000"
