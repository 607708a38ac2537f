"""Feeds: a team's or a person's shifts rendered by an export format, served fast.

Calendar clients poll their subscriptions often, mostly to hear "nothing
changed".  So a feed's body is rendered from the roster in memory
(:mod:`plantao.read_model`) once per change of what it shows and kept
(:class:`FeedCache`, bounded, least recently used first out) with its ETag
and Last-Modified; the request that finds it there, or answers 304, touches
no database at all.  A feed is keyed by the generations of the rosters it
shows, so a change committed by this instance replaces it at once, one
committed by another instance within a second, and a change elsewhere not
at all.

The shifts of a feed are exactly those ``GET /api/v1/teams/{slug}/shifts``
returns for the same interval, role and person (:meth:`OnCallService.shifts`);
a person's feed is the union of theirs in every team.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..datetimes import utcnow
from ..plugin_api import ExportContext, ExportFormat, ExportShift, ExportTeam, PersonView
from ..models import Override, Person, Shift, Team
from ..models.meta import new_feed_token
from ..models.revision import bump_revision
from ..read_model import ReadModel, RosterSnapshot, ShiftView
from . import audit
from .context import ServiceContext
from .errors import NotFound
from .oncall import shifts_in_memory, shifts_query
from .contacts import ContactPolicy

log = logging.getLogger(__name__)

#: Rendered bodies kept per process, and the bytes they may hold together
#: (more entries than teams: every team's feed stays rendered).
MAX_ENTRIES = 4096
MAX_BYTES = 256 * 1024 * 1024
#: Variants (format, interval, reader...) of one feed rendered again ahead of readers.
MAX_VARIANTS = 8


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


def _team_subject(snapshot: RosterSnapshot, slug: str) -> TeamSubject:
    roster = snapshot.team(slug)
    if roster is None:
        raise NotFound(f"No team with slug {slug!r}.", code="not_found.team", params={"slug": slug})
    team = roster.team
    return TeamSubject(
        ExportTeam(team.id, team.slug, team.name, team.timezone), team.feed_token, team.updated_at,
        team.materialized_until,
    )


def _person_subject(snapshot: RosterSnapshot, person_id: int, timezone_name: str) -> PersonSubject:
    record = snapshot.people.get(person_id)
    if record is None:
        raise NotFound(f"No person with id {person_id}.", code="not_found.person", params={"id": person_id})
    # The person's shifts end, at the latest, where the furthest team's do.
    return PersonSubject(record.view, record.feed_token, record.updated_at, timezone_name, snapshot.horizon_end())


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
    shifts: Sequence[ShiftView], teams: dict[int, ExportTeam], contacts: ContactPolicy
) -> list[ExportShift]:
    """What an export format gets of ``shifts``: detached, showing only ``contacts``' contacts."""
    people: dict[int, PersonView] = {}
    found = []
    for shift in shifts:
        person = people.get(shift.person.id)
        if person is None:
            person = people[shift.person.id] = contact_view(shift.person, contacts)
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
                sequence=shift.sequence,
                updated_at=shift.updated_at,
                reason=shift.reason,
            )
        )
    return found


def stored_export_shifts(dbsession: Session, query) -> list[ShiftView]:
    """Stored shifts (from ``query``) with their overrides' reasons, for an interval not in memory."""
    shifts = list(dbsession.scalars(query))
    override_ids = {s.override_id for s in shifts if s.override_id is not None}
    reasons = {}
    if override_ids:
        reasons = dict(
            dbsession.execute(select(Override.id, Override.reason).where(Override.id.in_(override_ids))).all()
        )
    return [ShiftView.of(s, reasons.get(s.override_id, "") or "") for s in shifts]


def person_shifts_query(person_id: int, start: datetime, end: datetime, role: str | None = None):
    """A person's stored shifts in every team overlapping ``[start, end)``, by start then id."""
    query = select(Shift).where(Shift.person_id == person_id, Shift.start < end, Shift.end > start)
    if role:
        query = query.where(Shift.role == role)
    return query.order_by(Shift.start, Shift.id)


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

    def key(self, version) -> tuple:
        ident = self.subject.team.id if self.kind == "team" else self.subject.person.id
        return (
            self.kind, ident, self.format.name, self.start, self.end, self.role, self.person_id,
            self.params, self.contacts, self.url, self.domain, version, self.subject.updated_at,
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


def _selected(request: FeedRequest, snapshot: RosterSnapshot, session_factory) -> list[ShiftView]:
    """The feed's shifts: from memory when the interval is there."""
    if request.kind == "team":
        team_id = request.subject.team.id
        roster = snapshot.teams.get(team_id)
        if roster is None:
            slug = request.subject.team.slug
            raise NotFound(f"No team with slug {slug!r}.", code="not_found.team", params={"slug": slug})
        if roster.covers(request.start):
            return shifts_in_memory(
                roster, request.start, request.end, role=request.role, person_id=request.person_id
            )
        query = shifts_query(team_id, request.start, request.end, role=request.role, person_id=request.person_id)
    else:
        person_id = request.subject.person.id
        if request.start >= snapshot.covered_from:
            found = [
                shift
                for roster in snapshot.teams_of_person(person_id)
                for shift in shifts_in_memory(roster, request.start, request.end, role=request.role, person_id=person_id)
            ]
            return sorted(found, key=lambda s: (s.start, s.id))
        query = person_shifts_query(person_id, request.start, request.end, request.role)
    with session_factory() as dbsession:
        return stored_export_shifts(dbsession, query)


def render_feed(request: FeedRequest, snapshot: RosterSnapshot, session_factory) -> RenderedFeed:
    """Select the feed's shifts, render them with its format: no caching here.

    The shifts come from the roster in memory (``snapshot``) when the
    interval lies in its window, else from the database through a short
    session of ``session_factory``'s.
    """
    fmt = request.format
    params = dict(request.params)
    selected = _selected(request, snapshot, session_factory)
    # Only the teams shown, and only those still known (a shift read from
    # the database may belong to a team deleted since).
    teams = {
        team_id: ExportTeam(roster.team.id, roster.team.slug, roster.team.name, roster.team.timezone)
        for team_id in {s.team_id for s in selected}
        if (roster := snapshot.teams.get(team_id)) is not None
    }
    selected = [s for s in selected if s.team_id in teams]
    shifts = export_shifts(selected, teams, request.contacts)
    changed = [request.subject.updated_at]
    if request.kind == "team":
        subject: TeamSubject = request.subject  # type: ignore[assignment]
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
    else:
        subject: PersonSubject = request.subject  # type: ignore[no-redef]
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
        changed.extend(snapshot.teams[team_id].team.updated_at for team_id in teams if team_id in snapshot.teams)
    body = fmt.render(shifts, context)
    if not isinstance(body, bytes):
        raise TypeError(f"export format {fmt.name!r} rendered {type(body).__name__}, not bytes")
    # Last-Modified: the latest change to anything the body shows.
    for person_id in {s.person.id for s in shifts}:
        record = snapshot.people.get(person_id)
        if record is not None:
            changed.append(record.updated_at)
    changed.extend(s.updated_at for s in shifts)
    if request.window_moved_at is not None:
        changed.append(request.window_moved_at)
    last_modified = max(m for m in changed if m is not None).astimezone(timezone.utc).replace(microsecond=0)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return RenderedFeed(body, etag, last_modified, fmt.content_type, filename, len(shifts))


# -- the cache ----------------------------------------------------------------------------


class FeedCache:
    """Rendered feeds per (feed, query, version of what it shows), least recently used out first.

    Built by :mod:`plantao.caches` on the instance's :class:`ReadModel`:
    owners of feeds (teams and people, their names, zones and feed tokens)
    and their shifts are read from memory, so a rotated token stops working
    as soon as the roster in memory has the new one.  A team feed's version
    is its team's roster revision (and the people revision); a person
    feed's, the revisions of the teams holding their shifts, so a change
    drops only the feeds it touches.  When a team changes, the variants of
    its feeds (and of the people it rosters) that readers asked for are
    rendered again in the background, so the next reader does not wait.
    """

    def __init__(
        self,
        read_model: ReadModel,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
    ):
        self.read_model = read_model
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.bodies: OrderedDict[tuple, RenderedFeed] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()
        self.rendering: dict[tuple, threading.Lock] = {}
        self.renders = 0
        # (kind, ident) -> the requests readers made of that feed, most recent last.
        self.variants: dict[tuple, OrderedDict[tuple, FeedRequest]] = {}
        self.pending: queue.SimpleQueue = queue.SimpleQueue()
        self.worker: threading.Thread | None = None
        read_model.on_change(self._changed)

    def version(self, kind: str, ident) -> tuple:
        """What a feed's body depends on, as the roster in memory has it now.

        A team's roster object is replaced exactly when the team, or a
        person it shows, changed; a person's feed depends on their own
        record and on the teams holding their shifts.
        """
        snapshot = self.read_model.snapshot()
        if kind == "team":
            roster = snapshot.team(ident) if isinstance(ident, str) else snapshot.teams.get(ident)
            return (roster.generation if roster is not None else None,)
        record = snapshot.people.get(ident)
        return (record.generation if record is not None else None,
                tuple(t.generation for t in snapshot.teams_of_person(ident)))

    def subject(self, kind: str, ident, timezone_name: str):
        """The detached owner of a feed: a :class:`TeamSubject` or a :class:`PersonSubject`."""
        snapshot = self.read_model.snapshot()
        if kind == "team":
            return _team_subject(snapshot, ident)
        return _person_subject(snapshot, ident, timezone_name)

    def feed(self, request: FeedRequest) -> RenderedFeed:
        """The rendered feed, from memory when nothing it shows has changed since."""
        ident = _ident(request)
        key = request.key(self.version(request.kind, ident))
        with self.lock:
            found = self.bodies.get(key)
            variants = self.variants.setdefault((request.kind, ident), OrderedDict())
            variants[request.key(None)] = request
            variants.move_to_end(request.key(None))
            while len(variants) > MAX_VARIANTS:
                variants.popitem(last=False)
            if found is not None:
                self.bodies.move_to_end(key)
                return found
        return self._render(key, request)

    def _render(self, key: tuple, request: FeedRequest) -> RenderedFeed:
        with self.lock:
            # One render per key: concurrent requests for it wait for the first.
            pending = self.rendering.setdefault(key, threading.Lock())
        try:
            with pending:
                with self.lock:
                    found = self.bodies.get(key)
                if found is not None:
                    return found
                rendered = render_feed(request, self.read_model.snapshot(), self.read_model.session_factory)
                self._store(key, rendered)
                return rendered
        finally:
            with self.lock:
                self.rendering.pop(key, None)

    def _store(self, key: tuple, rendered: RenderedFeed) -> None:
        with self.lock:
            self.renders += 1
            if key in self.bodies:
                self.size -= len(self.bodies[key].body)
            self.bodies[key] = rendered
            self.size += len(rendered.body)
            while self.bodies and (len(self.bodies) > self.max_entries or self.size > self.max_bytes):
                _, dropped = self.bodies.popitem(last=False)
                self.size -= len(dropped.body)

    def clear(self) -> None:
        with self.lock:
            self.bodies.clear()
            self.size = 0

    # -- rendering ahead ---------------------------------------------------------------

    def _changed(self, snapshot: RosterSnapshot, team_ids: set[int]) -> None:
        """The read model replaced ``team_ids``: render again the variants readers use."""
        if not self.variants:
            return
        people: set[int] = set()
        wanted: list[FeedRequest] = []
        with self.lock:
            for team_id in team_ids:
                roster = snapshot.teams.get(team_id)
                if roster is None:
                    continue
                people.update(roster.people_ids)
                wanted.extend(self.variants.get(("team", team_id), {}).values())
            for person_id in people:
                wanted.extend(self.variants.get(("person", person_id), {}).values())
        if not wanted:
            return
        for request in wanted:
            self.pending.put(request)
        with self.lock:
            if self.worker is None or not self.worker.is_alive():
                self.worker = threading.Thread(target=self._render_ahead, name="plantao-feeds", daemon=True)
                self.worker.start()

    def _render_ahead(self) -> None:
        while True:
            try:
                request = self.pending.get(timeout=1.0)
            except queue.Empty:
                return
            try:
                if request.kind == "team":
                    subject = self.subject("team", request.subject.team.slug, "")
                else:
                    subject = self.subject("person", request.subject.person.id, request.subject.timezone)
                fresh = replace(request, subject=subject)
                key = fresh.key(self.version(fresh.kind, _ident(fresh)))
                with self.lock:
                    done = key in self.bodies
                if not done:
                    self._render(key, fresh)
            except Exception:  # the reader will render it, and see the error, itself
                log.debug("rendering a feed ahead failed", exc_info=True)


def _ident(request: FeedRequest):
    return request.subject.team.id if request.kind == "team" else request.subject.person.id


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
        # Every instance forgets the old token at once.
        if entity == "team":
            bump_revision(self.dbsession, owner)
        else:
            bump_revision(self.dbsession, people=True)
        return owner
