"""People and their leave."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from ..datetimes import DateTimeError, parse_instant, utcnow, zone
from ..models import Leave, Person, Team
from ..models.meta import new_feed_token
from . import audit
from .contacts import InvalidPhone, normalize_phone
from .context import ServiceContext
from .errors import Conflict, Detail, Invalid, NotFound
from .locking import lock_teams
from .representations import leave_json, person_json
from ..models.revision import bump_revision
from .roster import RosterService, refuse_past_only, teams_involving
from .validation import name_schema, validate

PERSON_PROPERTIES = {
    "name": name_schema(),
    "email": {"type": ["string", "null"], "maxLength": 254, "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"},
    # Parsed and stored in E.164 by the phonenumbers library (services/contacts.py).
    "phone": {"type": ["string", "null"], "maxLength": 40, "description": "stored in E.164; without a country code, Brazilian"},
    "telegram_chat_id": {"type": ["string", "null"], "maxLength": 64, "pattern": "^-?[0-9A-Za-z_@]+$"},
    "chat": {
        "type": "object",
        "description": "other chat handles by network, e.g. {\"slack\": \"U024BE7LH\"}",
        "additionalProperties": {"type": "string", "maxLength": 200},
    },
    "active": {"type": "boolean"},
    # Only owners set or see it (the views check the "payroll" permission).
    "hourly_rate": {
        "type": ["number", "null"],
        "minimum": 0,
        "maximum": 99999999,
        "description": "money per hour, at most 2 decimals, for the hours report's value column; owners only",
    },
}

PERSON_CREATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": PERSON_PROPERTIES,
}

PERSON_UPDATE_SCHEMA = {"type": "object", "additionalProperties": False, "properties": PERSON_PROPERTIES}

LEAVE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["start", "end"],
    "properties": {
        "start": {"type": "string", "description": "date or date-time; naive values in PLANTAO_TIMEZONE"},
        "end": {"type": "string", "description": "date or date-time (exclusive)"},
        "reason": {"type": "string", "maxLength": 500},
    },
}


class PersonService:
    """People who take shifts; leaving deactivates, never erases."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession

    def get(self, person_id) -> Person:
        person = self.dbsession.get(Person, person_id) if isinstance(person_id, int) else None
        if person is None:
            raise NotFound(f"No person with id {person_id}.", code="not_found.person", params={"id": person_id})
        return person

    def list(self, after_id: int = 0, limit: int = 100, active: bool | None = None) -> list[Person]:
        query = select(Person).where(Person.id > after_id)
        if active is not None:
            query = query.where(Person.active.is_(active))
        return list(self.dbsession.scalars(query.order_by(Person.id).limit(limit)))

    def find(self, person_id: int) -> Person | None:
        """The person with ``person_id``, or None: for callers that decide themselves what an unknown id means."""
        return self.dbsession.get(Person, person_id)

    def active(self) -> list[Person]:
        """Everybody who takes shifts, by name: the choices of every form that picks a person."""
        return list(self.dbsession.scalars(select(Person).where(Person.active.is_(True)).order_by(Person.name)))

    def everyone(self) -> list[Person]:
        """Every person, the active ones first, each group by name."""
        return list(self.dbsession.scalars(select(Person).order_by(Person.active.desc(), Person.name)))

    def names(self, ids: set[int] | None = None) -> dict[int, str]:
        """``{id: name}`` of the people with ``ids``, or of everybody when ``ids`` is None."""
        query = select(Person.id, Person.name)
        if ids is not None:
            query = query.where(Person.id.in_(ids))
        return {row.id: row.name for row in self.dbsession.execute(query)}

    def create(self, body: dict) -> Person:
        validate(PERSON_CREATE_SCHEMA, body)
        person = Person(name=body["name"], chat={}, active=True)
        self._apply(person, body)
        self.dbsession.add(person)
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "create", "person", person.id, None, audited(person))
        bump_revision(self.dbsession, people=True)
        return person

    def update(self, person: Person, body: dict) -> Person:
        validate(PERSON_UPDATE_SCHEMA, body)
        teams = self._lock_teams_of(person) if body.get("active", person.active) != person.active else []
        before = audited(person)
        was_active = person.active
        self._apply(person, body)
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "update", "person", person.id, before, audited(person))
        if person.active != was_active:
            self._rematerialize(teams)
        # Names and contacts show in every cached "who is on call" answer.
        bump_revision(self.dbsession, people=True)
        return person

    def deactivate(self, person: Person) -> Person:
        """Someone leaves: out of future shifts, past shifts kept."""
        if not person.active:
            return person
        teams = self._lock_teams_of(person)
        before = person_json(person)
        person.active = False
        person.deactivated_at = utcnow()
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "deactivate", "person", person.id, before, person_json(person))
        self._rematerialize(teams)
        # Every answer naming them shows them inactive.
        bump_revision(self.dbsession, people=True)
        return person

    def rotate_action_token(self, person: Person) -> Person:
        """A new secret for the person's action link (their page, preferences and
        requests); the old link stops working with this commit.

        The action link is looked up in the database on every request (see
        :func:`plantao.services.account_directory.action_link_holder`), so no
        instance remembers the old one and no revision needs bumping.
        """
        person.action_token = new_feed_token()
        self.dbsession.flush()
        # The secret itself is never written to the audit log.
        audit.record(self.dbsession, self.ctx.actor, "rotate_action_token", "person", person.id, None, None)
        return person

    def _apply(self, person: Person, body: dict) -> None:
        if "phone" in body:
            try:
                body = {**body, "phone": normalize_phone(body["phone"])}
            except InvalidPhone as error:
                raise Invalid(
                    f"Invalid request body: phone {error}",
                    [Detail.of("phone", error)],
                    code=error.code,
                    params=error.params,
                ) from None
        for name in ("name", "email", "phone", "telegram_chat_id", "chat"):
            if name in body:
                setattr(person, name, body[name])
        if "hourly_rate" in body:
            person.hourly_rate = hourly_rate(body["hourly_rate"])
        if "active" in body and body["active"] != person.active:
            person.active = body["active"]
            person.deactivated_at = None if person.active else utcnow()

    def _lock_teams_of(self, person: Person) -> list[Team]:
        """Lock the teams whose roster a change to ``person`` regenerates, before changing anything."""
        return lock_teams(self.dbsession, teams_involving(self.dbsession, person.id))

    def _rematerialize(self, teams: list[Team]) -> None:
        RosterService(self.ctx).materialize_teams(teams)
        # Their pages show this person's leave and activity even where no
        # shift changed.
        for team in teams:
            bump_revision(self.dbsession, team)

    # -- leave ----------------------------------------------------------------

    def leaves(self, person: Person, after_id: int = 0, limit: int = 100) -> list[Leave]:
        return list(
            self.dbsession.scalars(
                select(Leave)
                .where(Leave.person_id == person.id, Leave.id > after_id)
                .order_by(Leave.id)
                .limit(limit)
            )
        )

    def leaves_ending_after(self, moment: datetime, person_id: int | None = None) -> list[Leave]:
        """Leave of everybody (or of ``person_id``) that ends after ``moment``, by start."""
        query = select(Leave).join(Person).where(Leave.end > moment).order_by(Leave.start)
        if person_id is not None:
            query = query.where(Leave.person_id == person_id)
        return list(self.dbsession.scalars(query))

    def get_leave(self, person: Person, leave_id: int) -> Leave:
        leave = self.dbsession.get(Leave, leave_id)
        if leave is None or leave.person_id != person.id:
            raise NotFound(
                f"Person {person.id} has no leave with id {leave_id}.",
                code="not_found.leave",
                params={"person": person.id, "id": leave_id},
            )
        return leave

    def add_leave(self, person: Person, body: dict) -> Leave:
        validate(LEAVE_SCHEMA, body)
        teams = self._lock_teams_of(person)
        tz = zone(self.ctx.settings.timezone)
        try:
            start = parse_instant(body["start"], tz)
            end = parse_instant(body["end"], tz)
        except DateTimeError as error:
            raise Invalid(
                f"Invalid leave: {error}", [Detail.of("start/end", error)], code=error.code, params=error.params
            ) from None
        if end <= start:
            raise Invalid(
                "Invalid leave: end must be after start.",
                [Detail("end", "must be after start", "after_start")],
                code="after_start",
            )
        refuse_past_only("This leave", start, end, tz)
        overlapping = self.dbsession.scalar(
            select(Leave).where(Leave.person_id == person.id, Leave.start < end, Leave.end > start)
        )
        if overlapping is not None:
            raise Conflict(
                f"This leave overlaps leave {overlapping.id} of the same person.",
                {"overlaps": leave_json(overlapping, tz)},
                code="leave_overlaps",
                params={"id": overlapping.id},
            )
        leave = Leave(person_id=person.id, start=start, end=end, reason=body.get("reason", ""))
        self.dbsession.add(leave)
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "create", "leave", leave.id, None, leave_json(leave, tz))
        self._rematerialize(teams)
        return leave

    def delete_leave(self, person: Person, leave: Leave) -> None:
        teams = self._lock_teams_of(person)
        tz = zone(self.ctx.settings.timezone)
        # A leave that is over shaped a roster that is history now.
        refuse_past_only(f"Leave {leave.id}", leave.start, leave.end, tz)
        audit.record(self.dbsession, self.ctx.actor, "delete", "leave", leave.id, leave_json(leave, tz), None)
        self.dbsession.delete(leave)
        self.dbsession.flush()
        self._rematerialize(teams)


def hourly_rate(value: float | int | None) -> Decimal | None:
    """A rate from the API as money: exact, at most 2 decimals (a cent), or 422."""
    if value is None:
        return None
    # Through str: the JSON number as written, not its binary approximation.
    rate = Decimal(str(value))
    if not rate.is_finite() or rate < 0:
        raise Invalid(
            "Invalid request body: hourly_rate must be a number of at least 0.",
            [Detail("hourly_rate", "must be a number of at least 0", "minimum", {"limit": 0})],
            code="minimum",
            params={"limit": 0},
        )
    if rate != rate.quantize(Decimal("0.01")):
        raise Invalid(
            "Invalid request body: hourly_rate has more than 2 decimals.",
            [Detail("hourly_rate", "at most 2 decimals", "hourly_rate.decimals")],
            code="hourly_rate.decimals",
        )
    return rate.quantize(Decimal("0.01"))


def rate_json(person: Person) -> float | None:
    """``person``'s hourly rate as a JSON number (None: no rate)."""
    return None if person.hourly_rate is None else float(person.hourly_rate)


def audited(person: Person) -> dict:
    """What the audit log keeps of a person: their representation, and their rate when they have one.

    Person entries are read by owners only (a team admin's share of the log
    holds their teams' kinds), so the rate may be there.
    """
    body = person_json(person)
    if person.hourly_rate is not None:
        body["hourly_rate"] = rate_json(person)
    return body


def feed_link_opens_preferences(until, today) -> bool:
    """Whether a person's feed link (the old personal link) still opens their preferences on
    ``today`` (``until``, FEED_LINK_PREFERENCES_UNTIL, included; None: the transition has ended)."""
    return until is not None and today <= until
