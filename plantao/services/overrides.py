"""Overrides and swaps: somebody else takes a stretch of the roster."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from ..datetimes import DateTimeError, parse_instant, zone
from ..models import Override, Person, Shift, Team
from . import audit
from .context import ServiceContext
from .errors import Detail, Invalid, NotFound
from .locking import lock_team
from .representations import override_json
from .roster import RosterService, refuse_past_only
from .validation import ID_SCHEMA, validate

OVERRIDE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["person", "start", "end"],
    "properties": {
        "person": {**ID_SCHEMA, "description": "who takes over"},
        "start": {"type": "string", "description": "date-time with offset, or local to the team"},
        "end": {"type": "string", "description": "exclusive"},
        "role": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$", "default": "primary"},
        "reason": {"type": "string", "maxLength": 500},
    },
}

SWAP_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["shifts"],
    "properties": {
        "shifts": {
            "type": "array",
            "items": ID_SCHEMA,
            "minItems": 2,
            "maxItems": 2,
            "description": "ids of two shifts whose holders trade places",
        },
        "reason": {"type": "string", "maxLength": 500},
    },
}


class OverrideService:
    """Overrides of a team's roster; a swap records two overrides at once."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession

    def list(self, team: Team, after_id: int = 0, limit: int = 100) -> list[Override]:
        return list(
            self.dbsession.scalars(
                select(Override)
                .where(Override.team_id == team.id, Override.id > after_id)
                .order_by(Override.id)
                .limit(limit)
            )
        )

    def ending_after(self, team: Team, moment: datetime) -> list[Override]:
        """The team's overrides that end after ``moment``, by start."""
        return list(
            self.dbsession.scalars(
                select(Override).where(Override.team_id == team.id, Override.end > moment).order_by(Override.start)
            )
        )

    def get(self, team: Team, override_id: int) -> Override:
        override = self.dbsession.get(Override, override_id)
        if override is None or override.team_id != team.id:
            raise NotFound(
                f"Team {team.slug!r} has no override with id {override_id}.",
                code="not_found.override",
                params={"team": team.slug, "id": override_id},
            )
        return override

    def create(self, team: Team, body: dict) -> Override:
        validate(OVERRIDE_SCHEMA, body)
        lock_team(self.dbsession, team)
        tz = zone(team.timezone)
        errors = []
        person = self.dbsession.get(Person, body["person"])
        if person is None:
            errors.append(
                Detail("person", f"no person with id {body['person']}", "unknown_person", {"id": body["person"]})
            )
        elif not person.active:
            errors.append(Detail("person", f"{person.name} is deactivated", "deactivated", {"name": person.name}))
        try:
            start = parse_instant(body["start"], tz)
            end = parse_instant(body["end"], tz)
        except DateTimeError as error:
            errors.append(Detail.of("start/end", error))
        else:
            if end <= start:
                errors.append(Detail("end", "must be after start", "after_start"))
        if errors:
            raise Invalid(
                "Invalid override: " + "; ".join(f"{e['field']} {e['message']}" for e in errors),
                errors,
                code="invalid.override",
            )
        refuse_past_only("This override", start, end, tz)
        override = Override(
            team_id=team.id,
            person_id=person.id,
            role=body.get("role", "primary"),
            start=start,
            end=end,
            reason=body.get("reason", ""),
        )
        return self._save(team, [override])[0]

    def swap(self, team: Team, body: dict) -> list[Override]:
        """The holders of two shifts trade places: two overrides sharing a swap id."""
        validate(SWAP_SCHEMA, body)
        lock_team(self.dbsession, team)
        first_id, second_id = body["shifts"]
        shifts = [self.dbsession.get(Shift, shift_id) for shift_id in (first_id, second_id)]
        for shift_id, shift in zip((first_id, second_id), shifts):
            if shift is None or shift.team_id != team.id:
                raise NotFound(
                    f"Team {team.slug!r} has no shift with id {shift_id}.",
                    code="not_found.shift",
                    params={"team": team.slug, "id": shift_id},
                )
        first, second = shifts
        if first.person_id == second.person_id:
            raise Invalid("Both shifts belong to the same person; there is nothing to swap.", code="same_person_swap")
        for shift in shifts:
            refuse_past_only(f"Shift {shift.id}", shift.start, shift.end, zone(team.timezone))
        swap_id = str(uuid.uuid4())
        reason = body.get("reason", "")
        overrides = [
            Override(team_id=team.id, person_id=second.person_id, role=first.role,
                     start=first.start, end=first.end, reason=reason, swap_id=swap_id),
            Override(team_id=team.id, person_id=first.person_id, role=second.role,
                     start=second.start, end=second.end, reason=reason, swap_id=swap_id),
        ]
        return self._save(team, overrides)

    def delete(self, team: Team, override: Override) -> None:
        """Remove an override; removing one half of a swap removes both."""
        lock_team(self.dbsession, team, override)
        partners = [override]
        if override.swap_id:
            partners = list(self.dbsession.scalars(select(Override).where(Override.swap_id == override.swap_id)))
        # Deleting what has ended changes nothing: the roster keeps its past.
        # (Half of a swap may have ended while the other half still counts.)
        refusals = []
        for item in partners:
            try:
                refuse_past_only(f"Override {item.id}", item.start, item.end, zone(team.timezone))
            except Invalid as refusal:
                refusals.append(refusal)
        if len(refusals) == len(partners):
            raise refusals[0]
        stretches = [(item.start, item.end) for item in partners]
        deleted = [item.id for item in partners]
        for item in partners:
            audit.record(self.dbsession, self.ctx.actor, "delete", "override", item.id, override_json(item, team), None)
            self.dbsession.delete(item)
        self.dbsession.flush()
        # Only the time the overrides covered can change hands.
        RosterService(self.ctx).materialize(team, stretches=stretches, deleted_overrides=deleted)

    def record(self, team: Team, overrides: list[Override]) -> list[Override]:
        """Store overrides already checked by the caller (a swap of parts of shifts, say), with
        the team locked, each audited, and regenerate the stretches they cover."""
        lock_team(self.dbsession, team)
        return self._save(team, overrides)

    def _save(self, team: Team, overrides: list[Override]) -> list[Override]:
        self.dbsession.add_all(overrides)
        self.dbsession.flush()
        for override in overrides:
            audit.record(self.dbsession, self.ctx.actor, "create", "override", override.id, None, override_json(override, team))
        # Only the time the overrides cover can change hands.
        RosterService(self.ctx).materialize(team, stretches=[(o.start, o.end) for o in overrides],
                                            added_overrides=overrides)
        return overrides
