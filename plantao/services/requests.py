"""Cover and swap requests: staff hand a stretch of their shift to a colleague.

A person asks for **cover** (anyone eligible takes the interval) or proposes a
**swap** (a named colleague's shift in exchange).  Only colleagues the
rotation's rules allow are offered a cover (:mod:`plantao.engine.eligibility`),
fewest on-call hours in the last 90 days first, and they hear of it through
the ``cover_requested`` notification.  The first to accept gets it: accepting
locks the team (as every write to it does), so two accepts at the same
instant are one after the other, and the second finds the request taken
(409).  Accepting records the override (cover) or the pair of overrides
sharing a ``swap_id`` (swap) through :class:`OverrideService`, so the roster,
the feeds and the "roster changed" notifications follow as for any override.
Where the team's ``swap_approval`` is ``admin``, an accepted request waits
for a team admin's approval first.

A request is keyed by team, role and interval (stored shifts are re-keyed
when the roster regenerates).  It **expires** when its interval starts, and
becomes **obsolete** when the requester no longer holds the interval (or, for
a swap, the colleague theirs): both are settled whenever a request is touched
and, for the teams whose roster changed, just before any transaction commits
(:func:`_settle_changed_teams`).  Every step is audited and told to the
people concerned (``request_updated``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session, aliased

from ..datetimes import DateTimeError, isoformat, parse_instant, utcnow, zone
from ..engine.eligibility import BUSY, Held, RuleSet, refusal
from ..engine.rules import LeaveCalendar
from ..models import Leave, Override, Person, Rotation, Shift, ShiftRequest, Team
from ..models.request import KINDS, LIVE_STATUSES, STATUSES
from ..models.revision import CHANGED, PATCHES, bump_revision
from ..notifications.events import COVER_REQUESTED, REQUEST_UPDATED
from ..notifications.outbox import add_event
from ..plugin_api import LeaveSpec
from . import audit
from .context import ServiceContext
from .errors import Conflict, Detail, Invalid, NotFound
from .locking import holds_lock, lock_team
from .overrides import OverrideService
from .response_schemas import DATE_TIME, PERSON_ID, closed_object, nullable
from .roster import RosterService, _version_people
from .validation import ID_SCHEMA, validate

#: How far around the interval the role's shifts are read: enough for the
#: rules to see the rest before and the streak around it.
HISTORY = timedelta(days=45)
#: The on-call hours that order the colleagues offered a cover.
FAIRNESS_WINDOW = timedelta(days=90)

SHIFT_REQUEST_SCHEMA = REQUEST_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["kind", "shift"],
    "properties": {
        "kind": {"enum": ["cover", "swap"]},
        "shift": {**ID_SCHEMA, "description": "id of the requester's shift (as listed now)"},
        "start": {"type": "string", "description": "part of the shift only: date-time with offset, or local"},
        "end": {"type": "string", "description": "exclusive; part of the shift only"},
        "with_shift": {**ID_SCHEMA, "description": "swap: the colleague's shift offered in exchange"},
        "note": {"type": "string", "maxLength": 500},
        "person": {**ID_SCHEMA, "description": "the requester, when an admin acts for them"},
    },
}

SHIFT_REQUEST_ACTION_SCHEMA = ACTION_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "person": {**ID_SCHEMA, "description": "who acts, when an admin acts for them"},
        "note": {"type": "string", "maxLength": 500},
        "version": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1,
                    "description": "the request's version as the client saw it: 409 if it has moved since"},
    },
}

#: Each status as pages name it (English msgids: each page's domain translates them).
STATUS_TITLES = {
    "open": "Open",
    "awaiting_approval": "Awaiting approval",
    "done": "Done",
    "declined": "Declined",
    "cancelled": "Cancelled",
    "expired": "Expired",
    "obsolete": "No longer applies",
}

#: What each action needs the request to be.
ACTIONS = ("accept", "cancel", "approve", "decline")


@dataclass(frozen=True)
class Candidate:
    """A colleague a cover may go to, with their on-call hours of the last 90 days."""

    person_id: int
    name: str
    hours: float


def request_json(item: ShiftRequest, names: dict[int, str] | None = None) -> dict:
    """A request as the API shows it, instants in the team's zone (``names`` fills the people's names)."""
    names = names or {}
    tz = zone(item.team.timezone)

    def named(person_id):
        return None if person_id is None else {"id": person_id, "name": names.get(person_id, "")}

    def when(instant):
        return None if instant is None else isoformat(instant, tz)

    return {
        "id": item.id,
        "team": item.team.slug,
        "kind": item.kind,
        "status": item.status,
        "role": item.role,
        "start": when(item.start),
        "end": when(item.end),
        "requester": named(item.requester_id),
        "note": item.note or "",
        "accepted_by": named(item.accepted_by_id),
        "accepted_at": when(item.accepted_at),
        "decided_by": item.decided_by,
        "decided_at": when(item.decided_at),
        "override": item.override_id,
        "swap_id": item.swap_id,
        "created_at": when(item.created_at),
        "version": item.version,
        "with": None if item.kind != "swap" else {
            "person": named(item.with_person_id),
            "role": item.with_role,
            "start": when(item.with_start),
            "end": when(item.with_end),
        },
    }


_NAMED = nullable({"type": "object", "required": ["id", "name"], "additionalProperties": False,
                   "properties": {"id": PERSON_ID, "name": {"type": "string"}}})
#: A request as lists show it.
SHIFT_REQUEST_SUMMARY = closed_object(
    {
        "id": {"type": "integer"},
        "team": {"type": "string", "description": "the team's slug"},
        "kind": {"enum": list(KINDS)},
        "status": {"enum": list(STATUSES)},
        "role": {"type": "string"},
        "start": DATE_TIME,
        "end": DATE_TIME,
        "requester": _NAMED,
        "note": {"type": "string"},
        "accepted_by": _NAMED,
        "accepted_at": nullable(DATE_TIME),
        "decided_by": {"type": ["string", "null"], "description": "the credential that approved, declined or cancelled"},
        "decided_at": nullable(DATE_TIME),
        "override": {"type": ["integer", "null"], "description": "the override a done cover became"},
        "swap_id": {"type": ["string", "null"], "description": "the swap_id of the overrides a done swap became"},
        "created_at": DATE_TIME,
        "version": {"type": "integer", "description": "grows with every change of status"},
        "with": nullable(closed_object(
            {"person": _NAMED, "role": {"type": "string"}, "start": DATE_TIME, "end": DATE_TIME},
            "a swap: the colleague's shift offered in exchange",
        )),
    },
    "a cover or swap request",
)
#: One request, with who may take it now.
SHIFT_REQUEST_RESPONSE = closed_object(
    {
        **SHIFT_REQUEST_SUMMARY["properties"],
        "candidates": {
            "type": "array",
            "description": "while open: who may take it, fewest on-call hours in the last 90 days first",
            "items": closed_object({"person": PERSON_ID, "name": {"type": "string"},
                                    "hours_90d": {"type": "number"}}),
        },
    },
    "a cover or swap request, with who may take it",
)
SHIFT_REQUEST_LIST_RESPONSE = closed_object(
    {"requests": {"type": "array", "items": SHIFT_REQUEST_SUMMARY}}, "requests, newest first (200 at most)"
)


class RequestService:
    """Cover and swap requests of a team (see the module docstring)."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession
        # Within one request (one service): a request's candidates, keyed by its id and
        # version (creating one lists them, and so does its answer), and each team's rotations.
        self._candidates: dict[tuple[int, int], list[Candidate]] = {}
        self._rotations: dict[int, list[Rotation]] = {}

    # -- reading ------------------------------------------------------------------

    def list(self, team: Team, *, status: str | None = None, person: int | None = None,
             limit: int = 200) -> list[ShiftRequest]:
        """The team's requests, newest first; ``person`` matches requester, colleague or taker."""
        if status is not None and status not in STATUSES:
            raise Invalid(f"Unknown status {status!r}: one of {', '.join(STATUSES)}.",
                          [Detail("status", "unknown status", "enum", {"options": ", ".join(STATUSES)})],
                          code="invalid.request_status")
        query = select(ShiftRequest).where(ShiftRequest.team_id == team.id)
        if status is not None:
            query = query.where(ShiftRequest.status == status)
        self._settle_team(team, utcnow())
        if person is not None:
            query = query.where(or_(ShiftRequest.requester_id == person, ShiftRequest.with_person_id == person,
                                    ShiftRequest.accepted_by_id == person))
        return list(self.dbsession.scalars(query.order_by(ShiftRequest.id.desc()).limit(limit)))

    def get(self, team: Team, request_id: int) -> ShiftRequest:
        item = self.dbsession.get(ShiftRequest, request_id) if request_id < 2**31 else None
        if item is None or item.team_id != team.id:
            raise NotFound(f"Team {team.slug!r} has no request with id {request_id}.",
                           code="not_found.request", params={"team": team.slug, "id": request_id})
        self._settle(item, utcnow())
        return item

    def concerns(self, item: ShiftRequest, person_id: int | None) -> bool:
        """Whether ``person_id`` is part of the request: requester, colleague, taker, offered it
        when it was made, or (while open) may take it now."""
        if person_id is None:
            return False
        if person_id in (item.requester_id, item.with_person_id, item.accepted_by_id) or person_id in (
            item.offered or ()
        ):
            return True
        return item.status == "open" and any(c.person_id == person_id for c in self.candidates(item))

    def find(self, request_id: int) -> ShiftRequest | None:
        """The request with ``request_id`` in any team, or None (routes that name no team)."""
        return self.dbsession.get(ShiftRequest, request_id) if 0 < request_id < 2**31 else None

    def team_of_shift(self, shift_id: int) -> Team | None:
        """The team a stored shift belongs to, or None (a request made from a person's page)."""
        shift = self.dbsession.get(Shift, shift_id) if 0 < shift_id < 2**31 else None
        return shift and self.dbsession.get(Team, shift.team_id)

    def names(self, items: list[ShiftRequest]) -> dict[int, str]:
        """``{id: name}`` of everybody the requests name, in one query."""
        ids = {i for item in items for i in (item.requester_id, item.with_person_id, item.accepted_by_id) if i}
        if not ids:
            return {}
        return dict(self.dbsession.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())

    def candidates(self, item: ShiftRequest) -> list[Candidate]:
        """Who may take the request's interval now: for a cover, every eligible colleague,
        fewest on-call hours in the last 90 days first; for a swap, the colleague if eligible."""
        key = (item.id, item.version)
        if key not in self._candidates:
            team = item.team
            people = [item.with_person_id] if item.kind == "swap" else self._colleagues(team, item)
            self._candidates[key] = self._eligible(team, item, people)
        return self._candidates[key]

    # -- writing ------------------------------------------------------------------

    def create(self, team: Team, body: dict, person_id: int | None) -> ShiftRequest:
        """Open a request for ``person_id`` (None: the shift's holder, when an admin acts)."""
        validate(REQUEST_SCHEMA, body)
        lock_team(self.dbsession, team)
        now = utcnow()
        tz = zone(team.timezone)
        shift = self._shift(team, body["shift"], "shift")
        requester = person_id if person_id is not None else shift.person_id
        if shift.person_id != requester:
            raise Invalid("This shift is not the requester's: a person asks about their own shifts.",
                          [Detail("shift", "is somebody else's", "request.not_own_shift")],
                          code="request.not_own_shift")
        start, end = shift.start, shift.end
        errors = []
        try:
            if body.get("start"):
                start = parse_instant(body["start"], tz)
            if body.get("end"):
                end = parse_instant(body["end"], tz)
        except DateTimeError as error:
            errors.append(Detail.of("start/end", error))
        else:
            if end <= start:
                errors.append(Detail("end", "must be after start", "after_start"))
            elif start < shift.start or end > shift.end:
                errors.append(Detail("start/end", "must lie within the shift", "request.outside_shift"))
            elif start < now:
                errors.append(Detail("start", "has passed: ask for the part of the shift still ahead",
                                     "request.started"))
        with_shift = None
        if body["kind"] == "swap":
            if "with_shift" not in body:
                errors.append(Detail("with_shift", "a swap names the colleague's shift", "required"))
            else:
                with_shift = self._shift(team, body["with_shift"], "with_shift")
                if with_shift.person_id == requester:
                    errors.append(Detail("with_shift", "is the requester's own shift", "same_person_swap"))
                elif with_shift.start < now:
                    errors.append(Detail("with_shift", "has started already", "request.started"))
                elif with_shift.start < end and start < with_shift.end:
                    errors.append(Detail("with_shift", "overlaps the interval asked about", "request.overlap"))
        elif "with_shift" in body:
            errors.append(Detail("with_shift", "only a swap names a colleague's shift", "request.cover_with_shift"))
        if errors:
            raise Invalid("Invalid request: " + "; ".join(f"{e['field']} {e['message']}" for e in errors),
                          errors, code="invalid.request")
        self._settle_team(team, now)
        clash = self.dbsession.scalar(
            select(ShiftRequest.id).where(
                ShiftRequest.team_id == team.id, ShiftRequest.requester_id == requester,
                ShiftRequest.role == shift.role, ShiftRequest.status.in_(LIVE_STATUSES),
                ShiftRequest.start < end, ShiftRequest.end > start,
            )
        )
        if clash is not None:
            raise Conflict(f"Request {clash} already asks about this time; cancel it first.",
                           {"field": "shift", "request": clash}, code="request.duplicate", params={"id": clash})
        item = ShiftRequest(
            team_id=team.id, kind=body["kind"], status="open", role=shift.role, start=start, end=end,
            requester_id=requester, note=body.get("note", ""), created_by=self.ctx.actor.credential, version=1,
            offered=[],
        )
        if with_shift is not None:
            item.with_person_id = with_shift.person_id
            item.with_role, item.with_start, item.with_end = with_shift.role, with_shift.start, with_shift.end
        item.team = team
        if with_shift is not None:
            reason = self._swap_refusal(team, item)
            if reason:
                raise Invalid(f"This swap breaks the rotation's rules: {reason}.",
                              [Detail("with_shift", reason, "request.not_eligible", {"rule": reason})],
                              code="request.not_eligible", params={"rule": reason})
        self.dbsession.add(item)
        self.dbsession.flush()
        # The team's pages list its live requests from the roster in memory.
        bump_revision(self.dbsession, team)
        audit.record(self.dbsession, self.ctx.actor, "create", "request", item.id, None, request_json(item))
        item.offered = [candidate.person_id for candidate in self.candidates(item)]
        add_event(self.dbsession, COVER_REQUESTED, team, {
            "request": self._payload(item),
            "recipients": list(item.offered),
        })
        return item

    def act(self, team: Team, request_id: int, action: str, person_id: int | None, body: dict) -> ShiftRequest:
        """``accept``, ``cancel``, ``approve`` or ``decline`` a request.

        ``person_id`` is who acts for ``accept`` and ``cancel`` (the view
        resolved it from the credential); ``approve`` and ``decline`` are a
        team admin's, and the view has checked that.
        """
        validate(ACTION_SCHEMA, body)
        if action not in ACTIONS:
            raise NotFound(f"No action {action!r}.", code="not_found.action")
        lock_team(self.dbsession, team)
        item = self._locked(team, request_id)
        now = utcnow()
        expected = ("awaiting_approval",) if action in ("approve", "decline") else (
            ("open",) if action == "accept" else LIVE_STATUSES)
        if item.status not in expected:
            raise Conflict(f"Request {item.id} is {item.status}: it cannot be {action}ed now.",
                           {"status": item.status}, code="request.not_" + expected[0],
                           params={"id": item.id, "status": item.status})
        if "version" in body and body["version"] != item.version:
            raise Conflict(f"Request {item.id} has changed since (version {item.version}): read it again.",
                           {"version": item.version}, code="request.moved", params={"id": item.id})
        before = request_json(item)
        note = body.get("note")
        if action == "accept":
            self._accept(team, item, person_id, now)
        elif action == "cancel":
            if person_id != item.requester_id:
                raise Invalid("Only the requester cancels a request.",
                              [Detail("person", "is not the requester", "request.not_requester")],
                              code="request.not_requester")
            self._close(item, "cancelled", now)
        elif action == "approve":
            # Leave, another shift or the rules may have come in the way since it was accepted.
            self._check_still_eligible(team, item, item.accepted_by_id)
            self._apply(team, item)
            self._close(item, "done", now)
        else:
            self._close(item, "declined", now)
        if note:
            item.note = (item.note + "\n" if item.note else "") + note
        item.version += 1
        self.dbsession.flush()
        bump_revision(self.dbsession, team)
        audit.record(self.dbsession, self.ctx.actor, action, "request", item.id, before, request_json(item))
        self._tell(team, item, action)
        return item

    # -- the steps ----------------------------------------------------------------

    def _accept(self, team: Team, item: ShiftRequest, person_id: int | None, now: datetime) -> None:
        if person_id is None:
            raise Invalid("Say who accepts: give \"person\".", [Detail("person", "is required", "required")],
                          code="request.person_required")
        if person_id == item.requester_id:
            raise Invalid("A requester cannot take their own request.",
                          [Detail("person", "is the requester", "request.own")], code="request.own")
        if item.kind == "swap" and person_id != item.with_person_id:
            raise Invalid("Only the colleague the swap names accepts it.",
                          [Detail("person", "is not the colleague named", "request.not_offered")],
                          code="request.not_offered")
        if item.kind == "cover" and person_id not in self._colleagues(team, item):
            raise Invalid("Only the team's members take its cover requests.",
                          [Detail("person", "is not a member of the team", "request.not_offered")],
                          code="request.not_offered")
        self._check_still_eligible(team, item, person_id)
        item.accepted_by_id = person_id
        item.accepted_at = now
        if team.swap_approval == "admin":
            item.status = "awaiting_approval"
            return
        self._apply(team, item)
        item.status = "done"

    def _check_still_eligible(self, team: Team, item: ShiftRequest, person_id: int) -> None:
        """Refuse when ``person_id`` may not take the request now (rules, leave, another shift),
        or, for a swap, when the requester may no longer take the colleague's shift."""
        eligible = {candidate.person_id for candidate in self._eligible(team, item, [person_id])}
        reason = None if person_id in eligible else ""
        if reason is None and item.kind == "swap":
            reason = self._swap_refusal(team, item)
        if reason is not None:
            raise Invalid("This person may not take this interval: the rotation's rules, their leave or "
                          "another shift of theirs stand in the way.",
                          [Detail("person", "is not eligible", "request.not_eligible", {"rule": reason})],
                          code="request.not_eligible", params={"rule": reason})

    def _apply(self, team: Team, item: ShiftRequest) -> None:
        """Record the override(s) the request becomes, through the override service."""
        reason = f"request #{item.id}" + (f": {item.note}" if item.note else "")
        overrides = OverrideService(self.ctx)
        if item.kind == "cover":
            override = overrides.create(team, {
                "person": item.accepted_by_id, "start": item.start.isoformat(), "end": item.end.isoformat(),
                "role": item.role, "reason": reason[:500],
            })
            item.override_id = override.id
            return
        swap_id = str(uuid.uuid4())
        pair = [
            Override(team_id=team.id, person_id=item.accepted_by_id, role=item.role, start=item.start,
                     end=item.end, reason=reason[:500], swap_id=swap_id),
            Override(team_id=team.id, person_id=item.requester_id, role=item.with_role, start=item.with_start,
                     end=item.with_end, reason=reason[:500], swap_id=swap_id),
        ]
        overrides.record(team, pair)
        item.swap_id = swap_id

    def _close(self, item: ShiftRequest, status: str, now: datetime) -> None:
        item.status = status
        item.decided_by = self.ctx.actor.credential
        item.decided_at = now

    # -- settling: expired and obsolete ---------------------------------------------

    def settle_due(self, now: datetime | None = None) -> int:
        """Expire every live request whose interval (or swapped shift) has started, in any team;
        return how many.  Nothing else touches a request nobody reads."""
        now = now or utcnow()
        due = list(self.dbsession.scalars(
            select(ShiftRequest).where(
                ShiftRequest.status.in_(LIVE_STATUSES),
                or_(ShiftRequest.start <= now, ShiftRequest.with_start <= now),
            ).order_by(ShiftRequest.team_id, ShiftRequest.id)
        ))
        for item in due:
            self._settle(item, now)
        return sum(1 for item in due if item.status not in LIVE_STATUSES)

    def _settle_team(self, team: Team, now: datetime) -> None:
        for item in self.dbsession.scalars(
            select(ShiftRequest).where(ShiftRequest.team_id == team.id, ShiftRequest.status.in_(LIVE_STATUSES))
        ):
            self._settle(item, now)

    def _settle(self, item: ShiftRequest, now: datetime) -> None:
        """Expire the request when its interval has started; make it obsolete when the people
        concerned no longer hold what it trades.

        Reads settle too (a request is never shown open after it started); the
        change is then made under the team's lock, checked again there, so two
        readers cannot settle one request twice.
        """
        if self._settled_status(item, now) is None:
            return
        if not holds_lock(self.dbsession, item.team):
            lock_team(self.dbsession, item.team)
        # Read before the lock (or earlier in this transaction): another writer
        # may have accepted it meanwhile.
        self.dbsession.refresh(item)
        status = self._settled_status(item, now)
        if status is None:
            return
        before = request_json(item)
        item.status = status
        item.decided_at = now
        item.version += 1
        self.dbsession.flush()
        bump_revision(self.dbsession, item.team)
        audit.record(self.dbsession, self.ctx.actor, status, "request", item.id, before, request_json(item))
        self._tell(item.team, item, status)

    def _settled_status(self, item: ShiftRequest, now: datetime) -> str | None:
        """``expired`` or ``obsolete`` when the request should be so now, else None."""
        if item.status not in LIVE_STATUSES:
            return None
        if item.start <= now or (item.kind == "swap" and item.with_start <= now):
            return "expired"
        if not self._holds(item.team_id, item.requester_id, item.role, item.start, item.end) or (
            item.kind == "swap"
            and not self._holds(item.team_id, item.with_person_id, item.with_role, item.with_start, item.with_end)
        ):
            return "obsolete"
        return None

    def _holds(self, team_id: int, person_id: int, role: str, start: datetime, end: datetime) -> bool:
        """Whether ``person_id`` holds ``role`` of the team over all of ``[start, end)``."""
        rows = self.dbsession.execute(
            select(Shift.person_id, Shift.start, Shift.end).where(
                Shift.team_id == team_id, Shift.role == role, Shift.start < end, Shift.end > start
            ).order_by(Shift.start)
        ).all()
        reached = start
        for row in rows:
            if row.person_id != person_id or row.start > reached:
                return False
            reached = max(reached, row.end)
        return reached >= end

    # -- eligibility ----------------------------------------------------------------

    def _colleagues(self, team: Team, item: ShiftRequest) -> list[int]:
        """The team's members (of the rotation versions in effect when the interval starts)."""
        people: set[int] = set()
        for rotation in self._rotations_of(team):
            version = _in_effect(rotation, item.start)
            if version is not None:
                people |= _version_people(version)
        people.discard(item.requester_id)
        return sorted(people)

    def _rule_set(self, team: Team, role: str, start: datetime) -> RuleSet:
        """The rules of the version in effect at ``start`` of the rotation that schedules ``role``
        then (the one of the stored shift, else the role's first rotation)."""
        rotation_id = self.dbsession.scalar(
            select(Shift.rotation_id).where(Shift.team_id == team.id, Shift.role == role,
                                            Shift.start <= start, Shift.end > start)
        )
        rotations = [r for r in self._rotations_of(team) if r.role == role]
        rotation = next((r for r in rotations if r.id == rotation_id), rotations[0] if rotations else None)
        version = _in_effect(rotation, start) if rotation is not None else None
        tz = zone(team.timezone)
        holidays = RosterService(self.ctx).holidays(team, start.year - 1, start.year + 1)
        return RuleSet.of(self.ctx.plugins.rules, version.rules or {} if version else {}, tz, holidays,
                          rotation.id if rotation is not None else None)

    def _eligible(self, team: Team, item: ShiftRequest, people: list[int]) -> list[Candidate]:
        people = [p for p in people if p is not None and p != item.requester_id]
        if not people:
            return []
        active = dict(self.dbsession.execute(
            select(Person.id, Person.name).where(Person.id.in_(people), Person.active.is_(True))
        ).all())
        people = [p for p in people if p in active]
        if not people:
            return []
        rules = self._rule_set(team, item.role, item.start)
        role_shifts = self._role_shifts(team, item.role, item.start, item.end, item.requester_id)
        if item.kind == "swap":
            # The colleague gives their own shift away in the same trade.
            role_shifts = _without(role_shifts, item.with_person_id, item.with_start, item.with_end)
        own = self._own_shifts(people, item.start, item.end)
        if item.kind == "swap":
            own = {p: _without(held, p, item.with_start, item.with_end) for p, held in own.items()}
        leaves = self._leaves(people, item.start - HISTORY, item.end + HISTORY)
        hours = self._hours(team, people)
        found = [
            Candidate(person, active[person], hours.get(person, 0.0))
            for person in people
            if refusal(person, item.start, item.end, role_shifts=role_shifts, own_shifts=own.get(person, []),
                       rules=rules, leaves=leaves) is None
        ]
        return sorted(found, key=lambda c: (c.hours, c.name, c.person_id))

    def _swap_refusal(self, team: Team, item: ShiftRequest) -> str | None:
        """Why the swap breaks the rules on either side, or None: the colleague taking the
        requester's interval, and the requester taking the colleague's."""
        for taker, giver, role, start, end, other in (
            (item.with_person_id, item.requester_id, item.role, item.start, item.end,
             (item.with_start, item.with_end)),
            (item.requester_id, item.with_person_id, item.with_role, item.with_start, item.with_end,
             (item.start, item.end)),
        ):
            rules = self._rule_set(team, role, start)
            role_shifts = _without(self._role_shifts(team, role, start, end, giver), taker, *other)
            own = _without(self._own_shifts([taker], start, end).get(taker, []), taker, *other)
            leaves = self._leaves([taker], start - HISTORY, end + HISTORY)
            reason = refusal(taker, start, end, role_shifts=role_shifts, own_shifts=own, rules=rules, leaves=leaves)
            if reason:
                return "already on call then" if reason == BUSY else reason
        return None

    def _role_shifts(self, team: Team, role: str, start: datetime, end: datetime, giver: int) -> list[Held]:
        rows = self.dbsession.execute(
            select(Shift.person_id, Shift.start, Shift.end).where(
                Shift.team_id == team.id, Shift.role == role,
                Shift.end > start - HISTORY, Shift.start < end + HISTORY,
            )
        ).all()
        return _without([Held(r.person_id, r.start, r.end) for r in rows], giver, start, end)

    def _own_shifts(self, people: list[int], start: datetime, end: datetime) -> dict[int, list[Held]]:
        """Each person's shifts in any team overlapping ``[start, end)``."""
        found: dict[int, list[Held]] = {}
        for row in self.dbsession.execute(
            select(Shift.person_id, Shift.start, Shift.end).where(
                Shift.person_id.in_(people), Shift.start < end, Shift.end > start
            )
        ):
            found.setdefault(row.person_id, []).append(Held(row.person_id, row.start, row.end))
        return found

    def _leaves(self, people: list[int], start: datetime, end: datetime) -> LeaveCalendar:
        rows = self.dbsession.scalars(
            select(Leave).where(Leave.person_id.in_(people), Leave.start < end, Leave.end > start)
        )
        return LeaveCalendar(LeaveSpec(person_id=l.person_id, start=l.start, end=l.end) for l in rows)

    def _hours(self, team: Team, people: list[int]) -> dict[int, float]:
        """Each person's on-call hours in the team over the last 90 days."""
        now = utcnow()
        since = now - FAIRNESS_WINDOW
        hours: dict[int, float] = {}
        for row in self.dbsession.execute(
            select(Shift.person_id, Shift.start, Shift.end).where(
                Shift.team_id == team.id, Shift.person_id.in_(people), Shift.end > since, Shift.start < now
            )
        ):
            span = min(row.end, now) - max(row.start, since)
            hours[row.person_id] = hours.get(row.person_id, 0.0) + span.total_seconds() / 3600
        return {person: round(value, 1) for person, value in hours.items()}

    # -- helpers --------------------------------------------------------------------

    def _shift(self, team: Team, shift_id: int, field: str) -> Shift:
        shift = self.dbsession.get(Shift, shift_id)
        if shift is None or shift.team_id != team.id:
            raise NotFound(f"Team {team.slug!r} has no shift with id {shift_id}.",
                           {"field": field}, code="not_found.shift", params={"team": team.slug, "id": shift_id})
        return shift

    def _rotations_of(self, team: Team) -> list[Rotation]:
        if team.id not in self._rotations:
            self._rotations[team.id] = RosterService(self.ctx).rotations(team)
        return self._rotations[team.id]

    def _locked(self, team: Team, request_id: int) -> ShiftRequest:
        """The request, settled (see :meth:`get`) and locked; the caller holds the team's lock."""
        item = self.get(team, request_id)
        # The team's lock already orders the writers; the row's states it where it matters.
        self.dbsession.refresh(item, with_for_update=self.dbsession.get_bind().dialect.name != "sqlite")
        return item

    def _payload(self, item: ShiftRequest) -> dict:
        names = self.names([item])
        return request_json(item, names)

    def _tell(self, team: Team, item: ShiftRequest, step: str) -> None:
        """A ``request_updated`` event for the people concerned: requester, colleague, taker, and
        (when the offer ends) whoever was offered it."""
        people = [p for p in (item.requester_id, item.with_person_id, item.accepted_by_id) if p]
        if step in ("accept", "cancel", "expired", "obsolete"):
            # Whoever was offered it hears that it is no longer to be had.
            people += list(item.offered or ())
        add_event(self.dbsession, REQUEST_UPDATED, team, {
            "request": self._payload(item), "step": step, "recipients": list(dict.fromkeys(people)),
        })

    # -- the pages' lists -----------------------------------------------------------

    def of_person(self, person_id: int, *, closed: int = 5) -> list[ShiftRequest]:
        """``person_id``'s own requests (as requester): the live ones, then the last ``closed``
        closed ones, newest first each (a person's page)."""
        now = utcnow()
        live = list(self.dbsession.scalars(
            select(ShiftRequest).where(ShiftRequest.requester_id == person_id,
                                       ShiftRequest.status.in_(LIVE_STATUSES))
            .order_by(ShiftRequest.id.desc()).limit(50)
        ))
        for item in live:
            self._settle(item, now)
        still = [item for item in live if item.status in LIVE_STATUSES]
        ended = list(self.dbsession.scalars(
            select(ShiftRequest).where(ShiftRequest.requester_id == person_id,
                                       ShiftRequest.status.not_in(LIVE_STATUSES))
            .order_by(ShiftRequest.id.desc()).limit(closed)
        )) if closed > 0 else []
        # Settling flushed: a request that expired just now is among the closed ones.
        return [*still, *ended]

    def offers_for(self, person_id: int, *, limit: int = 20) -> list[ShiftRequest]:
        """The open requests ``person_id`` may take now, newest first: swaps naming them, and
        covers of the teams they were on call in lately or will be, where they are among
        :meth:`candidates`.  At most ``limit`` requests are weighed."""
        now = utcnow()
        # The teams of the person's recent and coming shifts bound the search: a cover
        # goes to the members of the team's rotations, who hold its shifts.
        teams = select(Shift.team_id).where(Shift.person_id == person_id, Shift.end > now - HISTORY).distinct()
        found = list(self.dbsession.scalars(
            select(ShiftRequest).where(
                ShiftRequest.status == "open", ShiftRequest.requester_id != person_id, ShiftRequest.start > now,
                or_(ShiftRequest.with_person_id == person_id,
                    (ShiftRequest.kind == "cover") & ShiftRequest.team_id.in_(teams)),
            ).order_by(ShiftRequest.id.desc()).limit(limit)
        ))
        offers = []
        for item in found:
            self._settle(item, now)
            if item.status != "open":
                continue
            if item.kind == "swap":
                offers.append(item)
            elif person_id in self._colleagues(item.team, item) and self._eligible(item.team, item, [person_id]):
                offers.append(item)
        return offers

    def live_of_team(self, team_id: int, *, limit: int = 50) -> list[tuple[ShiftRequest, str, str | None]]:
        """The team's live requests whose interval is still ahead, soonest first, each with the
        requester's name and (a swap) the colleague's, nothing written: the team page is a hot
        read, so they come from the roster in memory (every change to a request moves the
        team's revision); only without it, one read of the ``(team_id, status)`` index."""
        now = utcnow()
        roster = self.ctx.roster.snapshot().teams.get(team_id) if self.ctx.roster is not None else None
        if roster is not None:
            return [(item, item.person.name, item.with_person.name if item.with_person else None)
                    for item in roster.requests if item.start > now][:limit]
        requester, colleague = aliased(Person), aliased(Person)
        rows = self.dbsession.execute(
            select(ShiftRequest, requester.name, colleague.name)
            .join(requester, requester.id == ShiftRequest.requester_id)
            .outerjoin(colleague, colleague.id == ShiftRequest.with_person_id)
            .where(ShiftRequest.team_id == team_id, ShiftRequest.status.in_(LIVE_STATUSES),
                   ShiftRequest.start > now)
            .order_by(ShiftRequest.start, ShiftRequest.id).limit(limit)
        ).all()
        return [(item, name, with_name) for item, name, with_name in rows
                if item.kind != "swap" or (item.with_start and item.with_start > now)]

    def swap_choices(self, team_id: int, person_id: int, *, weeks: int = 8,
                     limit: int = 300) -> list[tuple[int, str, datetime, datetime, str]]:
        """Colleagues' shifts in the team that start in the next ``weeks`` weeks, soonest first,
        as ``(shift id, role, start, end, name)``: what a swap may be proposed with."""
        now = utcnow()
        rows = self.dbsession.execute(
            select(Shift.id, Shift.role, Shift.start, Shift.end, Person.name)
            .join(Person, Person.id == Shift.person_id)
            .where(Shift.team_id == team_id, Shift.person_id != person_id, Shift.start > now,
                   Shift.start < now + timedelta(weeks=weeks))
            .order_by(Shift.start, Shift.id).limit(limit)
        ).all()
        return [tuple(row) for row in rows]


def _in_effect(rotation: Rotation, instant: datetime):
    """The rotation's version in effect at ``instant`` (the first one before any)."""
    versions = sorted(rotation.versions, key=lambda v: v.effective_from)
    chosen = versions[0] if versions else None
    for version in versions:
        if version.effective_from <= instant:
            chosen = version
    return chosen


def _without(held: list[Held], person_id: int, start: datetime, end: datetime) -> list[Held]:
    """``held`` with ``person_id``'s time inside ``[start, end)`` cut out (it changes hands)."""
    kept = []
    for item in held:
        if item.person_id != person_id or item.end <= start or item.start >= end:
            kept.append(item)
            continue
        if item.start < start:
            kept.append(Held(item.person_id, item.start, start))
        if item.end > end:
            kept.append(Held(item.person_id, end, item.end))
    return kept


@event.listens_for(Session, "before_commit", insert=True)
def _settle_changed_teams(dbsession: Session) -> None:
    # Runs before the roster revision is stamped (plantao.models.revision),
    # while the teams this transaction changed are still listed: a request
    # whose requester lost the interval becomes obsolete in the same commit.
    if dbsession.in_nested_transaction():
        return
    changed = dbsession.info.get(CHANGED)
    if not changed:
        return
    # A team whose only change is a writer's patch of the roster in memory
    # (a later change voids it) had no live request if that roster had none.
    patches = dbsession.info.get(PATCHES, {})
    changed = [team_id for team_id in changed if team_id not in patches or patches[team_id].live_requests]
    if not changed:
        return
    live = list(dbsession.scalars(
        select(ShiftRequest).where(ShiftRequest.team_id.in_(sorted(changed)),
                                   ShiftRequest.status.in_(LIVE_STATUSES))
    ))
    if not live:
        return
    service = RequestService(ServiceContext(dbsession, None, None))
    now = utcnow()
    for item in live:
        service._settle(item, now)
