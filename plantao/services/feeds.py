"""Feeds: a team's or a person's shifts rendered by an export format, served fast.

Calendar clients poll their subscriptions often, mostly to hear "nothing
changed".  So a feed's body is rendered once per roster change and kept in
memory (:class:`FeedCache`, bounded, least recently used first out) with
its ETag and Last-Modified; the request that finds it there, or answers
304, touches no database at all.  The cache follows the same roster
revision as the ``oncall`` cache (:class:`plantao.models.revision.RosterRevision`,
which builds both): a change committed by this instance drops it at once,
one committed by another instance within a second.

The shifts of a feed are exactly those ``GET /api/v1/teams/{slug}/shifts``
returns for the same interval, role and person (:meth:`OnCallService.shifts`);
a person's feed is the union of theirs in every team.
"""

from __future__ import annotations

import hashlib
import threading
import time as clock
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..datetimes import utcnow
from ..plugin_api import ExportContext, ExportFormat, ExportShift, ExportTeam
from ..models import Override, Person, Shift, Team
from ..models.meta import new_feed_token
from . import audit
from .context import ServiceContext
from .errors import NotFound
from ..models.revision import FRESHNESS, RosterRevision, bump_revision
from .oncall import PersonView, shifts_between
from .contacts import ContactPolicy

#: Rendered bodies kept per process, and the bytes they may hold together.
MAX_ENTRIES = 512
MAX_BYTES = 128 * 1024 * 1024


# -- who a feed is about ----------------------------------------------------------------


@dataclass(frozen=True)
class TeamSubject:
    """A team feed's owner, detached: enough to authorize and to pick defaults."""

    team: ExportTeam
    feed_token: str
    updated_at: datetime
    materialized_until: datetime | None

    @property
    def timezone(self) -> str:
        return self.team.timezone

    @property
    def horizon_end(self) -> datetime | None:
        return self.materialized_until


@dataclass(frozen=True)
class PersonSubject:
    """A person feed's owner, detached."""

    person: PersonView
    feed_token: str
    updated_at: datetime
    timezone: str
    horizon_end: datetime | None


def _team_subject(dbsession: Session, slug: str) -> TeamSubject:
    team = dbsession.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        raise NotFound(f"No team with slug {slug!r}.", code="not_found.team", params={"slug": slug})
    return TeamSubject(
        ExportTeam(team.id, team.slug, team.name, team.timezone),
        team.feed_token,
        team.updated_at,
        team.materialized_until,
    )


def _person_subject(dbsession: Session, person_id: int, timezone_name: str) -> PersonSubject:
    person = dbsession.get(Person, person_id)
    if person is None:
        raise NotFound(f"No person with id {person_id}.", code="not_found.person", params={"id": person_id})
    # The person's shifts end, at the latest, where the furthest team's do.
    horizon_end = dbsession.scalar(select(func.max(Team.materialized_until)))
    view = PersonView(
        person.id, person.name, person.email, person.phone, person.telegram_chat_id,
        dict(person.chat or {}), person.active,
    )
    return PersonSubject(view, person.feed_token, person.updated_at, timezone_name, horizon_end)


# -- selecting and rendering --------------------------------------------------------------


def contact_view(person: Person | PersonView, contacts: ContactPolicy) -> PersonView:
    """A detached person showing only the contacts ``contacts`` allows.

    Plugins only ever see this view: an export body is rendered once per
    roster revision, so :meth:`ContactPolicy.for_export` applies (an
    anonymous body carries no contacts at all).
    """
    shown = contacts.for_export().shown(person)
    return PersonView(
        person.id, person.name, shown.email, shown.phone, shown.telegram_chat_id, shown.chat, person.active,
    )


def export_shifts(
    dbsession: Session,
    shifts: Sequence[Shift],
    teams: dict[int, ExportTeam],
    contacts: ContactPolicy,
) -> list[ExportShift]:
    """Detached snapshots of stored shifts, with their overrides' reasons."""
    override_ids = {s.override_id for s in shifts if s.override_id is not None}
    reasons = {}
    if override_ids:
        reasons = dict(
            dbsession.execute(select(Override.id, Override.reason).where(Override.id.in_(override_ids))).all()
        )
    missing = {s.team_id for s in shifts} - set(teams)
    if missing:
        for team in dbsession.scalars(select(Team).where(Team.id.in_(missing))):
            teams[team.id] = ExportTeam(team.id, team.slug, team.name, team.timezone)
    people: dict[int, PersonView] = {}
    found = []
    for shift in shifts:
        person = people.get(shift.person_id)
        if person is None:
            person = people[shift.person_id] = contact_view(shift.person, contacts)
        found.append(
            ExportShift(
                id=shift.id,
                team=teams[shift.team_id],
                role=shift.role,
                person=person,
                start=shift.start,
                end=shift.end,
                source=shift.source,
                rotation_id=shift.rotation_id,
                override_id=shift.override_id,
                key=shift.key,
                sequence=shift.sequence or 0,
                updated_at=shift.updated_at or shift.created_at,
                reason=reasons.get(shift.override_id, "") or "",
            )
        )
    return found


def person_shifts(
    dbsession: Session, person_id: int, start: datetime, end: datetime, role: str | None = None
) -> list[Shift]:
    """A person's shifts in every team overlapping ``[start, end)``, by start then id.

    For each team, exactly what ``OnCallService.shifts(team, start, end,
    role=role, person_id=person_id)`` answers.
    """
    query = select(Shift).where(Shift.person_id == person_id, Shift.start < end, Shift.end > start)
    if role:
        query = query.where(Shift.role == role)
    return list(dbsession.scalars(query.order_by(Shift.start, Shift.id)))


@dataclass(frozen=True)
class FeedRequest:
    """What a feed request asks for, once parsed: the cache key is made of it."""

    kind: str  # "team" or "person"
    subject: TeamSubject | PersonSubject
    format: ExportFormat
    start: datetime
    end: datetime
    role: str | None
    person_id: int | None
    params: tuple
    contacts: ContactPolicy
    url: str
    domain: str
    #: When the interval was defaulted, the instant its start last moved.
    window_moved_at: datetime | None = None

    def key(self, revision: int) -> tuple:
        ident = self.subject.team.id if self.kind == "team" else self.subject.person.id
        return (
            self.kind, ident, self.format.name, self.start, self.end, self.role, self.person_id,
            self.params, self.contacts, self.url, self.domain, revision, self.subject.updated_at,
        )


@dataclass(frozen=True)
class RenderedFeed:
    """A feed's body with what HTTP caching needs."""

    body: bytes
    etag: str
    last_modified: datetime
    content_type: str
    filename: str
    shifts: int = 0


def render_feed(dbsession: Session, request: FeedRequest) -> RenderedFeed:
    """Select the feed's shifts, render them with its format: no caching here."""
    fmt = request.format
    params = dict(request.params)
    if request.kind == "team":
        subject: TeamSubject = request.subject  # type: ignore[assignment]
        team = dbsession.get(Team, subject.team.id)
        if team is None:
            raise NotFound(
                f"No team with slug {subject.team.slug!r}.", code="not_found.team", params={"slug": subject.team.slug}
            )
        stored = shifts_between(
            dbsession,
            team, request.start, request.end, role=request.role, person_id=request.person_id
        )
        teams = {subject.team.id: subject.team}
        shifts = export_shifts(dbsession, stored, teams, request.contacts)
        context = ExportContext(
            title=subject.team.name,
            timezone=subject.team.timezone,
            start=request.start,
            end=request.end,
            teams=(subject.team,),
            team=subject.team,
            role=request.role,
            params=params,
            url=request.url,
            domain=request.domain,
            generated_at=utcnow(),
            contacts=request.contacts,
        )
        filename = f"plantao-{subject.team.slug}.{fmt.extension}"
        changed = [subject.updated_at]
    else:
        subject: PersonSubject = request.subject  # type: ignore[no-redef]
        stored = person_shifts(dbsession, subject.person.id, request.start, request.end, request.role)
        teams: dict[int, ExportTeam] = {}
        shifts = export_shifts(dbsession, stored, teams, request.contacts)
        context = ExportContext(
            title=subject.person.name,
            timezone=subject.timezone,
            start=request.start,
            end=request.end,
            teams=tuple(sorted(teams.values(), key=lambda t: t.slug)),
            person=contact_view(subject.person, request.contacts),
            role=request.role,
            params=params,
            url=request.url,
            domain=request.domain,
            generated_at=utcnow(),
            contacts=request.contacts,
        )
        filename = f"plantao-person-{subject.person.id}.{fmt.extension}"
        changed = [subject.updated_at]
        changed.extend(
            dbsession.scalars(select(Team.updated_at).where(Team.id.in_(list(teams)))) if teams else ()
        )
    body = fmt.render(shifts, context)
    if not isinstance(body, bytes):
        raise TypeError(f"export format {fmt.name!r} rendered {type(body).__name__}, not bytes")
    # Last-Modified: the latest change to anything the body shows.
    person_ids = {s.person.id for s in shifts}
    if person_ids:
        changed.extend(dbsession.scalars(select(Person.updated_at).where(Person.id.in_(person_ids))))
    changed.extend(s.updated_at for s in shifts)
    if request.window_moved_at is not None:
        changed.append(request.window_moved_at)
    last_modified = max(m for m in changed if m is not None).astimezone(timezone.utc).replace(microsecond=0)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return RenderedFeed(body, etag, last_modified, fmt.content_type, filename, len(shifts))


# -- the cache ----------------------------------------------------------------------------


@dataclass
class _Subjects:
    revision: int | None = None
    entries: dict = field(default_factory=dict)


class FeedCache:
    """Rendered feeds per (feed, query, roster revision), least recently used out first.

    Owners of feeds (teams and people: their names, zones and feed tokens)
    are kept for at most ``freshness`` seconds or until the revision
    changes, so a rotated token stops working at once on this instance and
    within a second on the others.  Reads from the database go through
    short sessions of the cache's own, outside any request transaction.
    """

    def __init__(
        self,
        revision: RosterRevision,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        freshness: float = FRESHNESS,
    ):
        self.roster_revision = revision
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.freshness = freshness
        self.bodies: OrderedDict[tuple, RenderedFeed] = OrderedDict()
        self.size = 0
        self.subjects = _Subjects()
        self.lock = threading.Lock()
        self.rendering: dict[tuple, threading.Lock] = {}
        self.renders = 0

    def revision(self) -> int:
        """The roster revision, re-read at most once per second, and at once
        after this instance committed a roster change."""
        return self.roster_revision.current()

    def subject(self, kind: str, ident, timezone_name: str):
        """The detached owner of a feed: a :class:`TeamSubject` or a :class:`PersonSubject`."""
        revision = self.revision()
        now = clock.monotonic()
        with self.lock:
            if self.subjects.revision != revision:
                self.subjects = _Subjects(revision)
            found = self.subjects.entries.get((kind, ident))
        if found is not None and now - found[0] < self.freshness:
            return found[1]
        with self.roster_revision.session_factory() as dbsession:
            if kind == "team":
                subject = _team_subject(dbsession, ident)
            else:
                subject = _person_subject(dbsession, ident, timezone_name)
        with self.lock:
            if self.subjects.revision == revision:
                self.subjects.entries[(kind, ident)] = (now, subject)
        return subject

    def feed(self, request: FeedRequest) -> RenderedFeed:
        """The rendered feed, from memory when the roster has not changed since."""
        revision = self.revision()
        key = request.key(revision)
        with self.lock:
            found = self.bodies.get(key)
            if found is not None:
                self.bodies.move_to_end(key)
                return found
            # One render per key: concurrent requests for it wait for the first.
            pending = self.rendering.setdefault(key, threading.Lock())
        try:
            with pending:
                with self.lock:
                    found = self.bodies.get(key)
                if found is not None:
                    return found
                with self.roster_revision.session_factory() as dbsession:
                    rendered = render_feed(dbsession, request)
                self._store(key, rendered)
                return rendered
        finally:
            with self.lock:
                self.rendering.pop(key, None)

    def _store(self, key: tuple, rendered: RenderedFeed) -> None:
        with self.lock:
            self.renders += 1
            self.bodies[key] = rendered
            self.size += len(rendered.body)
            while self.bodies and (len(self.bodies) > self.max_entries or self.size > self.max_bytes):
                _, dropped = self.bodies.popitem(last=False)
                self.size -= len(dropped.body)

    def clear(self) -> None:
        with self.lock:
            self.bodies.clear()
            self.size = 0
            self.subjects = _Subjects()


# -- feed tokens ---------------------------------------------------------------------------


class FeedTokenService:
    """Rotating the secret of a team's or a person's feed links (admins only)."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession

    def rotate_team(self, team: Team) -> Team:
        return self._rotate(team, "team", team.slug)

    def rotate_person(self, person: Person) -> Person:
        return self._rotate(person, "person", person.id)

    def _rotate(self, owner, entity: str, entity_id):
        owner.feed_token = new_feed_token()
        owner.updated_at = utcnow()
        self.dbsession.flush()
        # The secret itself is never written to the audit log.
        audit.record(self.dbsession, self.ctx.actor, "rotate_feed_token", entity, entity_id, None, None)
        # Every instance drops the cached owner (and its old token) at once.
        bump_revision(self.dbsession)
        return owner
