"""Who is on call: reading the materialized roster, fast.

The reads here answer from the instance's roster in memory
(:mod:`plantao.read_model`) whenever what they ask for lies in its window,
and from the ``shifts`` table through its indexes otherwise (an old
``?at=``, a ``start`` more than a month back, or a command without a
read model).  ``oncall`` is the hottest request (status pages and bots poll
it), so :class:`RosterCache` also keeps its serialized answers per team
version.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from ..datetimes import isoformat, utcnow
from ..models import Override, Rotation, Shift, Team
from ..plugin_api import PersonView  # noqa: F401  (re-exported)
from ..read_model import ReadModel, ShiftView, TeamRoster
from .context import ServiceContext
from .errors import BadRequest, NotFound
from .contacts import ContactPolicy, OnDuty, ReaderContacts
from .response_schemas import DATE_TIME, closed_object, nullable, ref
from .representations import person_json

#: How long the answer for a team with no shift ahead at all is kept.
IDLE_ENTRY_LIFETIME = timedelta(minutes=5)
#: Serialized answers (a month of shifts...) kept besides ``oncall``'s: at
#: most this many, this many bytes together, and none larger than the last.
MAX_ANSWERS = 4096
MAX_ANSWER_BYTES = 64 * 1024 * 1024
MAX_KEPT_ANSWER = 512 * 1024


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


def _not_found(slug: str) -> NotFound:
    return NotFound(f"No team with slug {slug!r}.", code="not_found.team", params={"slug": slug})


def _unknown_role(slug: str, role: str, roles: set[str] | frozenset[str]) -> BadRequest:
    known = ", ".join(sorted(roles)) or "none yet"
    return BadRequest(
        f"Team {slug!r} has no role {role!r}; its roles: {known}.",
        code="unknown_role",
        params={"team": slug, "role": role, "roles": known},
    )


def state_from(
    team, moment: datetime, current: list[ShiftView],
    first_after: Callable[[str | None, datetime], ShiftView | None], role: str | None = None,
) -> TeamOnCall:
    """The state at ``moment`` from the shifts ``current`` covering it; ``first_after(role, instant)``
    finds the first shift (of ``role``, or of any role when None) starting at or after ``instant``."""
    window = list(current)
    # The next holder of each role held now; in a gap, the next shift at all.
    for held in sorted({s.role for s in current}) or [role]:
        following = first_after(held, max((s.end for s in current if s.role == held), default=moment))
        if following is not None:
            window.append(following)
    return TeamOnCall.from_window(team, moment, window)


def state_in_memory(roster: TeamRoster, moment: datetime, role: str | None = None) -> TeamOnCall:
    """Who holds each role of ``roster``'s team at ``moment``, and who is next: no database."""
    current = [
        s for s in roster.overlapping(moment, moment + timedelta(microseconds=1)) if role is None or s.role == role
    ]

    def first_after(held: str | None, after: datetime) -> ShiftView | None:
        return roster.first_of_role(held, after) if held else next(roster.starting_from(after), None)

    return state_from(roster.team, moment, current, first_after, role)


class OnCallService:
    """Reads the materialized roster of one or all teams, from memory when it can."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.read_model = ctx.roster

    @property
    def dbsession(self):
        """The request's session, opened only when a read must go to the database."""
        return self.ctx.dbsession

    def _in_memory(self, team, since: datetime) -> TeamRoster | None:
        """The team's roster in memory when it holds everything from ``since`` on."""
        if self.read_model is None:
            return None
        roster = self.read_model.snapshot().teams.get(team.id)
        return roster if roster is not None and roster.covers(since) else None

    def team(self, slug: str):
        """The team ``slug`` (a detached record when read from memory), or :class:`NotFound`."""
        if self.read_model is not None:
            roster = self.read_model.snapshot().team(slug)
            if roster is None:
                raise _not_found(slug)
            return roster.team
        team = self.dbsession.scalar(select(Team).where(Team.slug == slug))
        if team is None:
            raise _not_found(slug)
        return team

    def roles(self, team) -> set[str]:
        """The roles some rotation or override of ``team`` fills."""
        if self.read_model is not None and (roster := self.read_model.snapshot().teams.get(team.id)) is not None:
            return set(roster.roles)
        return set(self.dbsession.scalars(select(Rotation.role).where(Rotation.team_id == team.id))) | set(
            self.dbsession.scalars(select(Override.role).where(Override.team_id == team.id))
        )

    def at(self, team, moment: datetime | None = None, role: str | None = None) -> TeamOnCall:
        """Who holds each role of ``team`` at ``moment`` (default now), and who is next.

        Asking for a role the team does not have is a :class:`BadRequest`.
        """
        if role is not None and role not in (roles := self.roles(team)):
            raise _unknown_role(team.slug, role, roles)
        moment = moment or utcnow()
        roster = self._in_memory(team, moment)
        if roster is not None:
            return state_in_memory(roster, moment, role)
        current = self.shifts(team, moment, moment + timedelta(microseconds=1), role=role)

        def first_after(held: str | None, after: datetime) -> ShiftView | None:
            query = select(Shift).where(Shift.team_id == team.id, Shift.start >= after)
            if held:
                query = query.where(Shift.role == held)
            following = self.dbsession.scalars(query.order_by(Shift.start, Shift.id).limit(1)).first()
            return ShiftView.of(following) if following is not None else None

        return state_from(TeamView.of(team), moment, current, first_after, role)

    def shift(self, team, shift_id: int) -> Shift | None:
        """The stored shift ``shift_id`` of ``team``, or None (another team's shift is None too)."""
        shift = self.dbsession.get(Shift, shift_id)
        return shift if shift is not None and shift.team_id == team.id else None

    def board(self, moment: datetime | None = None) -> list[TeamOnCall]:
        """Every team's roster at ``moment``, ordered by team name."""
        if self.read_model is not None:
            moment = moment or utcnow()
            return [self.at(roster.team, moment) for roster in self.read_model.snapshot().sorted_teams()]
        teams = self.dbsession.scalars(select(Team).order_by(Team.name)).all()
        return [self.at(team, moment) for team in teams]

    def generation(self, team, since: datetime) -> int | None:
        """The generation of ``team``'s roster in memory when it holds everything from ``since`` on, else None.

        Answers computed from it stay right until it changes: callers may keep them by it.
        """
        roster = self._in_memory(team, since)
        return roster.generation if roster is not None else None

    def shifts(
        self,
        team,
        start: datetime,
        end: datetime,
        *,
        role: str | None = None,
        person_id: int | None = None,
        after: tuple[datetime, int] | None = None,
        limit: int | None = None,
    ) -> list[ShiftView]:
        """Shifts overlapping ``[start, end)``, ordered by start, then id.

        ``after`` is the (start, id) of the last shift of the previous page.
        """
        roster = self._in_memory(team, start)
        if roster is not None:
            return shifts_in_memory(roster, start, end, role=role, person_id=person_id, after=after, limit=limit)
        query = shifts_query(team.id, start, end, role=role, person_id=person_id, after=after, limit=limit)
        return [ShiftView.of(s) for s in self.dbsession.scalars(query)]


def shifts_in_memory(
    roster: TeamRoster,
    start: datetime,
    end: datetime,
    *,
    role: str | None = None,
    person_id: int | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> list[ShiftView]:
    """:meth:`OnCallService.shifts` answered from a team's roster in memory."""
    found = []
    for shift in roster.overlapping(start, end):
        if role and shift.role != role:
            continue
        if person_id is not None and shift.person.id != person_id:
            continue
        if after is not None and (shift.start, shift.id) <= after:
            continue
        found.append(shift)
        if limit is not None and len(found) >= limit:
            break
    return found


def shifts_query(
    team_id: int,
    start: datetime,
    end: datetime,
    *,
    role: str | None = None,
    person_id: int | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
):
    """The query of a team's stored shifts overlapping ``[start, end)``, by start then id
    (``GET .../shifts`` and the team feeds select them so)."""
    query = select(Shift).where(Shift.team_id == team_id, Shift.start < end, Shift.end > start)
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
    return query


class RosterCache:
    """Per-process cache of serialized ``oncall`` answers, per team version.

    Built by :mod:`plantao.caches` on the instance's :class:`ReadModel`;
    views find it through the service door.  An answer is computed from the
    roster in memory and kept until the team's roster in memory is replaced
    (the team changed, or the people it shows) or the next instant at which
    one of its shifts starts or ends.
    """

    def __init__(self, read_model: ReadModel, max_answers: int = MAX_ANSWERS):
        self.read_model = read_model
        # (slug, role) -> (team roster, valid from, valid until, the answer)
        self.entries: dict[tuple, tuple[TeamRoster, datetime, datetime, TeamOnCall]] = {}
        # (slug, role, contacts) -> (the entry it was made from, the JSON body around "at")
        self.bodies: dict[tuple, tuple[tuple, tuple[bytes, bytes]]] = {}
        # Other answers computed from memory, keyed by what they depend on (see kept()).
        self.answers: OrderedDict[tuple, bytes] = OrderedDict()
        self.answer_bytes = 0
        self.max_answers = max_answers
        self.lock = threading.Lock()
        read_model.on_change(self._changed)

    def clear(self) -> None:
        """Forget every answer (they are rebuilt from memory on demand)."""
        with self.lock:
            self.entries.clear()
            self.bodies.clear()
            self.answers.clear()
            self.answer_bytes = 0

    def _changed(self, snapshot, team_ids: set[int]) -> None:
        # Entries of teams gone or renamed would pin their old rosters.
        with self.lock:
            for key in [key for key in self.entries if snapshot.team(key[0]) is None]:
                del self.entries[key]
            for key in [key for key in self.bodies if snapshot.team(key[0]) is None]:
                del self.bodies[key]

    def kept(self, key: tuple, build: Callable[[], bytes]) -> bytes:
        """The serialized answer for ``key``, built once: ``key`` must name everything it depends on
        (a team roster's generation, the query, the kind of reader).  Least recently used out first;
        bounded in count and bytes, and an answer larger than :data:`MAX_KEPT_ANSWER` is not kept."""
        with self.lock:
            found = self.answers.get(key)
            if found is not None:
                self.answers.move_to_end(key)
                return found
        body = build()
        if len(body) > MAX_KEPT_ANSWER:
            return body
        with self.lock:
            if key not in self.answers:
                self.answers[key] = body
                self.answer_bytes += len(body)
            while self.answers and (len(self.answers) > self.max_answers or self.answer_bytes > MAX_ANSWER_BYTES):
                _, dropped = self.answers.popitem(last=False)
                self.answer_bytes -= len(dropped)
        return body

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
        key = (slug, role, policy)
        kept = self.bodies.get(key)
        if kept is None or kept[0] is not entry:
            state = entry[3]
            on_duty = OnDuty.of_shifts(state.team.id, [*state.current, *state.upcoming])
            payload = oncall_json(state, ReaderContacts(policy, on_duty=on_duty))
            payload["at"] = _AT_MARK
            before, after = json.dumps(payload, separators=(",", ":")).split(json.dumps(_AT_MARK), 1)
            kept = (entry, (before.encode(), after.encode()))
            with self.lock:
                self.bodies[key] = kept
        at = json.dumps(isoformat(moment, ZoneInfo(entry[3].team.timezone)))
        return kept[1][0] + at.encode() + kept[1][1]

    def _entry(self, slug: str, role: str | None, moment: datetime) -> tuple:
        roster = self.read_model.snapshot().team(slug)
        if roster is None:
            raise _not_found(slug)
        key = (slug, role)
        entry = self.entries.get(key)
        if entry is not None and entry[0] is roster and entry[1] <= moment < entry[2]:
            return entry
        if role is not None and role not in roster.roles:
            raise _unknown_role(slug, role, roster.roles)
        state = state_in_memory(roster, moment, role)
        # The answer holds until a shift of the asked role(s) starts or ends.
        following = next(
            (s.start for s in roster.starting_from(moment) if s.start > moment and (not role or s.role == role)), None
        )
        boundaries = [shift.end for shift in state.current]
        if following is not None:
            boundaries.append(following)
        valid_until = min(boundaries, default=moment + IDLE_ENTRY_LIFETIME)
        entry = (roster, moment, valid_until, state)
        with self.lock:
            self.entries[key] = entry
        return entry


# A value no real answer contains, marking where "at" goes in a cached body.
_AT_MARK = "\u0000plantao-at\u0000"
