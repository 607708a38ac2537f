"""Overrides and swaps: somebody else takes a stretch of the roster."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from .. import engine as roster_engine
from ..datetimes import DateTimeError, parse_instant, utcnow, zone
from ..models import Override, Person, RosterConflict, RosterGap, Shift, Team
from ..models.revision import CHANGED
from . import audit
from .context import ServiceContext
from .errors import Detail, Invalid, NotFound
from .locking import lock_team
from .representations import override_json
from .roster import RosterService, refuse_past_only
from .rotations import RotationService
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

    def locked_revision(self, team: Team) -> int:
        """Lock ``team`` for a write to come in this transaction and answer its roster revision:
        a Confirm compares it with the revision its preview was computed on, and no other write
        to the team can slip in between."""
        lock_team(self.dbsession, team)
        return team.roster_revision

    def create(self, team: Team, body: dict) -> Override:
        """Store an override and regenerate the stretch it covers."""
        return self._save(team, [self._new_override(team, body)])[0]

    def preview(self, team: Team, body: dict) -> dict:
        """What :meth:`create` would do to the roster, as :meth:`RosterService.preview
        <plantao.services.roster.RosterService.preview>` answers it; nothing is saved.

        The body, its checks and its errors are those of :meth:`create`.
        """
        return self._preview(team, [self._new_override(team, body)])

    def _new_override(self, team: Team, body: dict) -> Override:
        """The override ``body`` asks for, checked (400/422 otherwise) but not stored; the team locked."""
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
        return Override(
            team_id=team.id,
            person_id=person.id,
            role=body.get("role", "primary"),
            start=start,
            end=end,
            reason=body.get("reason", ""),
        )

    def swap(self, team: Team, body: dict) -> list[Override]:
        """The holders of two shifts trade places: two overrides sharing a swap id."""
        return self._save(team, self._swap_overrides(team, body))

    def preview_swap(self, team: Team, body: dict) -> dict:
        """What :meth:`swap` would do to the roster (both halves), as :meth:`preview` answers it;
        nothing is saved."""
        return self._preview(team, self._swap_overrides(team, body))

    def _swap_overrides(self, team: Team, body: dict) -> list[Override]:
        """The two overrides of the swap ``body`` asks for, checked but not stored; the team locked."""
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
        return [
            Override(team_id=team.id, person_id=second.person_id, role=first.role,
                     start=first.start, end=first.end, reason=reason, swap_id=swap_id),
            Override(team_id=team.id, person_id=first.person_id, role=second.role,
                     start=second.start, end=second.end, reason=reason, swap_id=swap_id),
        ]

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

    def _save(self, team: Team, overrides: list[Override], now: datetime | None = None) -> list[Override]:
        self.dbsession.add_all(overrides)
        self.dbsession.flush()
        for override in overrides:
            audit.record(self.dbsession, self.ctx.actor, "create", "override", override.id, None, override_json(override, team))
        # Only the time the overrides cover can change hands.
        RosterService(self.ctx).materialize(team, now, stretches=[(o.start, o.end) for o in overrides],
                                            added_overrides=overrides)
        return overrides

    def _preview(self, team: Team, overrides: list[Override]) -> dict:
        """What storing ``overrides`` would do to the roster; nothing is saved.

        The write itself (:meth:`_save`: audit, regeneration, gaps, outbox)
        runs in a savepoint that is then rolled back, so a preview cannot
        disagree with the write it announces.  Its answer is that of
        :meth:`RosterService.preview <plantao.services.roster.RosterService.preview>`
        (what :func:`~plantao.services.representations.preview_json` reads):
        the stored shifts before and after compared by key, the gaps and
        conflicts ahead and the window planners' reports as the write would
        store them, and the fairness figures before and after.
        """
        roster = RosterService(self.ctx)
        now = utcnow()
        rotations = roster.rotations(team)
        before = _frozen_shifts(roster.stored_from(team, now), now)
        # A savepoint takes its rows back, but not the session's flag that the
        # team's revision must move at commit (plantao.models.revision); the
        # roster in memory's patch goes with the rollback itself.
        flagged = self.dbsession.info.get(CHANGED)
        flagged = None if flagged is None else set(flagged)
        try:
            with self.dbsession.begin_nested() as savepoint:
                self._save(team, overrides, now)
                after = _frozen_shifts(roster.stored_from(team, now), now)
                # Copied before the rollback: the rows it adds disappear with it.
                gaps = tuple(
                    roster_engine.Gap(role=g.role, start=g.start, end=g.end)
                    for g in self.dbsession.scalars(
                        select(RosterGap).where(RosterGap.team_id == team.id, RosterGap.end > now).order_by(RosterGap.start)
                    )
                )
                conflicts = tuple(
                    roster_engine.RuleConflict(rotation_id=c.rotation_id, role=c.role, start=c.start, end=c.end,
                                               rule=c.rule, message=c.message)
                    for c in self.dbsession.scalars(
                        select(RosterConflict)
                        .where(RosterConflict.team_id == team.id, RosterConflict.end > now)
                        .order_by(RosterConflict.start)
                    )
                )
                reports = {rotation.id: dict(rotation.solver) for rotation in rotations if rotation.solver is not None}
                # Nothing of it stays: the savepoint goes, and everything it wrote with it.
                savepoint.rollback()
        finally:
            if flagged is None:
                self.dbsession.info.pop(CHANGED, None)
            else:
                self.dbsession.info[CHANGED] = flagged
        preview = {
            "diff": roster_engine.diff_rosters(before, after),
            "result": roster_engine.RosterResult(gaps=gaps, conflicts=conflicts, reports=reports),
            "before": before,
            "after": after,
            "now": now,
        }
        # The rotation preview's figures, from the same two rosters.
        preview["fairness"] = RotationService(self.ctx).fairness_change(team, rotations, preview)
        return preview


def _frozen_shifts(rows: list[Shift], now: datetime) -> list[roster_engine.RosterShift]:
    """The stored shifts not ended at ``now``, copied: a regeneration changes the rows in place."""
    return [
        roster_engine.RosterShift(
            role=row.role, person_id=row.person_id, start=row.start, end=row.end, source=row.source,
            key=row.key, rotation_id=row.rotation_id, override_id=row.override_id,
        )
        for row in rows
        if row.end > now
    ]
