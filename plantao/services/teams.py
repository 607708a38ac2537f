"""Creating, changing and removing teams."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..datetimes import DateTimeError, utcnow, zone
from ..engine import holiday_calendar
from ..models import CustomHoliday, Person, Team
from . import audit
from .context import ServiceContext
from .errors import Conflict, Detail, Invalid, NotFound
from .locking import lock_team, locked_team
from .representations import team_json
from ..models.revision import bump_revision
from .roster import RosterService
from .validation import MAX_ID, name_schema, validate

SLUG_PATTERN = "^[a-z0-9][a-z0-9-]{0,62}$"
#: Slugs that would collide with fixed URLs (``/admin/teams/new``).
RESERVED_SLUGS = frozenset({"new"})

HOLIDAYS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "country": {"type": "string", "pattern": "^[A-Z]{2}$", "default": "BR"},
        "subdivision": {"type": ["string", "null"], "maxLength": 10},
        "optional": {"type": "boolean", "default": False},
        "custom": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["date", "name"],
                "properties": {
                    "date": {"type": "string", "format": "date"},
                    "name": name_schema(),
                },
            },
        },
    },
}

TEAM_PROPERTIES = {
    "slug": {"type": "string", "pattern": SLUG_PATTERN},
    "name": name_schema(),
    "timezone": {"type": "string", "minLength": 1, "description": "IANA zone; default PLANTAO_TIMEZONE"},
    "holidays": HOLIDAYS_SCHEMA,
    "fallback_person": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
    "swap_approval": {
        "enum": ["none", "admin"],
        "description": "admin: an accepted cover or swap request waits for a team admin's approval",
    },
}

TEAM_CREATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["slug", "name"],
    "properties": TEAM_PROPERTIES,
}

TEAM_UPDATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {k: v for k, v in TEAM_PROPERTIES.items() if k != "slug"},
}


class TeamService:
    """Teams: their zone, holiday calendar and fallback person."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession

    def get(self, slug: str, *, lock: bool = False) -> Team:
        """The team named ``slug``, or :class:`NotFound`; with ``lock``, locked for a write in the
        same statement (see :mod:`plantao.services.locking`).  Its own holidays are read when first
        asked for: most writes to a team never need them (see
        :class:`plantao.services.roster.TeamSetup`)."""
        if lock:
            team = locked_team(self.dbsession, slug)
        else:
            team = self.dbsession.scalar(select(Team).where(Team.slug == slug))
        if team is None:
            raise NotFound(f"No team with slug {slug!r}.", code="not_found.team", params={"slug": slug})
        return team

    def list(self, after_id: int = 0, limit: int = 100) -> list[Team]:
        return list(
            self.dbsession.scalars(
                select(Team).where(Team.id > after_id).order_by(Team.id).limit(limit)
            )
        )

    def by_name(self) -> list[Team]:
        """Every team, by name: the pickers and filters of the admin panel."""
        return list(self.dbsession.scalars(select(Team).order_by(Team.name)))

    def create(self, body: dict) -> Team:
        validate(TEAM_CREATE_SCHEMA, body)
        if body["slug"] in RESERVED_SLUGS:
            raise Invalid(
                f"The slug {body['slug']!r} is reserved; choose another.",
                [Detail("slug", "is reserved", "reserved_slug", {"slug": body["slug"]})],
                code="reserved_slug",
                params={"slug": body["slug"]},
            )
        if self.dbsession.scalar(select(Team.id).where(Team.slug == body["slug"])):
            raise self._slug_taken(body["slug"])
        team = Team(slug=body["slug"], name=body["name"], timezone=self.ctx.settings.timezone)
        team.holiday_country = "BR"
        team.holiday_optional = False
        team.swap_approval = "none"
        self._apply(team, body)
        # Two creations of one slug at once both pass the check above; the
        # unique index stops the second at its insert.  The savepoint keeps
        # the transaction usable to tell that case from any other.
        try:
            with self.dbsession.begin_nested():
                self.dbsession.add(team)
                self.dbsession.flush()
        except IntegrityError:
            if self.dbsession.scalar(select(Team.id).where(Team.slug == body["slug"])):
                raise self._slug_taken(body["slug"]) from None
            raise
        audit.record(self.dbsession, self.ctx.actor, "create", "team", team.slug, None, team_json(team))
        RosterService(self.ctx).materialize(team)
        return team

    def update(self, team: Team, body: dict) -> Team:
        validate(TEAM_UPDATE_SCHEMA, body)
        lock_team(self.dbsession, team)
        before = team_json(team)
        self._apply(team, body)
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "update", "team", team.slug, before, team_json(team))
        RosterService(self.ctx).materialize(team)
        # The team's name and zone show in cached answers and feeds too.
        bump_revision(self.dbsession, team)
        return team

    def delete(self, team: Team) -> None:
        lock_team(self.dbsession, team)
        audit.record(self.dbsession, self.ctx.actor, "delete", "team", team.slug, team_json(team), None)
        self.dbsession.delete(team)
        self.dbsession.flush()
        bump_revision(self.dbsession, team.id)

    @staticmethod
    def _slug_taken(slug: str) -> Conflict:
        return Conflict(
            f"A team with slug {slug!r} already exists.", {"field": "slug"}, code="slug_taken", params={"slug": slug}
        )

    def _apply(self, team: Team, body: dict) -> None:
        errors = []
        if "name" in body:
            team.name = body["name"]
        if "timezone" in body:
            try:
                zone(body["timezone"])
                team.timezone = body["timezone"]
            except DateTimeError as error:
                errors.append(Detail.of("timezone", error))
        if "swap_approval" in body:
            team.swap_approval = body["swap_approval"]
        if "fallback_person" in body:
            person_id = body["fallback_person"]
            person = self.dbsession.get(Person, person_id) if person_id is not None else None
            if person_id is not None and person is None:
                errors.append(
                    Detail("fallback_person", f"no person with id {person_id}", "unknown_person", {"id": person_id})
                )
            elif person is not None and not person.active:
                errors.append(
                    Detail("fallback_person", f"{person.name} is deactivated", "deactivated", {"name": person.name})
                )
            else:
                # Only a valid id is set: the custom holidays below flush,
                # and an unknown one would fail there as a foreign key.
                team.fallback_person_id = person_id
        holidays = body.get("holidays")
        if holidays is not None:
            team.holiday_country = holidays.get("country", team.holiday_country or "BR")
            if "subdivision" in holidays:
                team.holiday_subdivision = holidays["subdivision"] or None
            if "optional" in holidays:
                team.holiday_optional = holidays["optional"]
            try:
                this_year = utcnow().year
                holiday_calendar(
                    this_year,
                    this_year,
                    country=team.holiday_country,
                    subdivision=team.holiday_subdivision,
                    optional=team.holiday_optional,
                )
            except ValueError as error:
                region = {"country": team.holiday_country, "subdivision": team.holiday_subdivision}
                errors.append(Detail("holidays", str(error), "holidays.region", region))
            if "custom" in holidays:
                errors.extend(self._set_custom_holidays(team, holidays["custom"]))
        if errors:
            summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
            raise Invalid(f"Invalid team: {summary}", errors, code="invalid.team")

    def _set_custom_holidays(self, team: Team, custom: list[dict]) -> list[dict]:
        days: dict[date, str] = {}
        for index, item in enumerate(custom):
            try:
                day = date.fromisoformat(item["date"])
            except ValueError:
                return [Detail(f"holidays.custom.{index}.date", f"{item['date']!r} is not a date", "not_a_date",
                               {"value": item["date"]})]
            if day in days:
                return [Detail(f"holidays.custom.{index}.date", f"{day} is listed twice", "date_twice",
                               {"date": day.isoformat()})]
            days[day] = item["name"]
        team.custom_holidays.clear()
        self.dbsession.flush()
        team.custom_holidays.extend(CustomHoliday(day=day, name=name) for day, name in sorted(days.items()))
        return []


def teams_by_slug(dbsession: Session, slugs: list[str], errors: list[Detail], field: str = "teams") -> list[Team]:
    """The teams named by ``slugs``, by slug; each unknown slug adds an ``unknown_team`` error to ``errors``."""
    found = {team.slug: team for team in dbsession.scalars(select(Team).where(Team.slug.in_(slugs)))} if slugs else {}
    for slug in slugs:
        if slug not in found:
            errors.append(Detail(field, f"no team with slug {slug!r}", "unknown_team", {"slug": slug}))
    return [found[slug] for slug in sorted(found)]
