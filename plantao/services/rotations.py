"""Rotations: who takes turns, following which policy, from when.

Parameters, members, rules and restrictions live in dated versions: a change
``effective_from`` a date (now by default) applies from then on and leaves the
roster before it as it was.
"""

from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..datetimes import DateTimeError, parse_instant, utcnow, zone
from ..engine.materialize import effective_instant
from ..models import Person, Rotation, RotationVersion, Team
from ..models.rotation import people_named
from . import audit
from .fairness import measure_roster
from .gaps import gaps_between
from .context import ServiceContext
from .errors import Detail, Invalid, NotFound
from .locking import lock_team
from .representations import rotation_json
from .roster import RosterService
from .validation import ID_SCHEMA, MAX_ID, name_schema, schema_errors, validate

CLOCK_PATTERN = "^([01][0-9]|2[0-3]):[0-5][0-9]$"

RESTRICTIONS_SCHEMA = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "description": "active only on these weekdays (0 = Monday) and/or between these local times; "
    "an end before the start crosses midnight (19:00-07:00)",
    "properties": {
        "weekdays": {
            "type": ["array", "null"],
            "items": {"type": "integer", "minimum": 0, "maximum": 6},
            "uniqueItems": True,
        },
        "start_time": {"type": ["string", "null"], "pattern": CLOCK_PATTERN},
        "end_time": {"type": ["string", "null"], "pattern": CLOCK_PATTERN},
        "turn_mode": {
            "enum": ["calendar", "active"],
            "default": "calendar",
            "description": "calendar: turns follow the calendar rhythm; active: the turn advances only on active time",
        },
    },
}

#: The most members one rotation takes.  Every write regenerates the team's
#: horizon, and the engine weighs each member for each slot: 10,000 members
#: on an hourly rotation made one override take most of a minute.  No real
#: on-call rotation comes near this; split a larger group into teams.
MAX_MEMBERS = 200

ROTATION_PROPERTIES = {
    "name": name_schema(),
    "role": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$", "default": "primary"},
    "policy": {"type": "string", "minLength": 1},
    "params": {"type": "object", "default": {}},
    "members": {"type": "array", "items": ID_SCHEMA, "uniqueItems": True, "maxItems": MAX_MEMBERS},
    "start": {"type": "string", "description": "date-time with offset, or local to the team"},
    "priority": {"type": "integer", "minimum": -1000, "maximum": 1000, "default": 0},
    "rules": {
        "description": "opt-in rules: {name: params} or a list of names",
        "anyOf": [
            {"type": "object", "additionalProperties": {"type": "object"}},
            {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        ],
    },
    "restrictions": RESTRICTIONS_SCHEMA,
}

ROTATION_CREATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "policy"],
    "properties": ROTATION_PROPERTIES,
}

ROTATION_UPDATE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **ROTATION_PROPERTIES,
        "effective_from": {"type": "string", "description": "when the change applies; default now"},
    },
}

ROTATION_PREVIEW_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["policy"],
    "properties": {
        **ROTATION_UPDATE_SCHEMA["properties"],
        "id": {**ID_SCHEMA, "description": "preview a change to this rotation instead of a new one"},
        "name": {**name_schema(), "minLength": 0},
    },
}

VERSIONED_FIELDS = ("params", "members", "rules", "restrictions")
#: What belongs to the rotation as a whole and so cannot change from a date.
UNDATED_FIELDS = ("name", "role", "priority", "policy", "start")


def _rules_dict(value) -> dict:
    if isinstance(value, list):
        return {name: {} for name in value}
    return dict(value or {})


def _version_restriction(restrictions: dict | None) -> tuple[dict | None, str]:
    if not restrictions:
        return None, "calendar"
    restrictions = dict(restrictions)
    turn_mode = restrictions.pop("turn_mode", "calendar") or "calendar"
    kept = {k: v for k, v in restrictions.items() if v is not None}
    return (kept or None), turn_mode


class RotationService:
    """Creating, changing, previewing and removing a team's rotations."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession
        self.roster = RosterService(ctx)

    def get(self, team: Team, rotation_id: int) -> Rotation:
        rotation = self.dbsession.scalar(
            select(Rotation)
            .where(Rotation.id == rotation_id, Rotation.team_id == team.id)
            .options(selectinload(Rotation.versions))
        )
        if rotation is None:
            raise NotFound(
                f"Team {team.slug!r} has no rotation with id {rotation_id}.",
                code="not_found.rotation",
                params={"team": team.slug, "id": rotation_id},
            )
        return rotation

    def list(self, team: Team, after_id: int = 0, limit: int = 100) -> list[Rotation]:
        return list(
            self.dbsession.scalars(
                select(Rotation)
                .where(Rotation.team_id == team.id, Rotation.id > after_id)
                .options(selectinload(Rotation.versions))
                .order_by(Rotation.id)
                .limit(limit)
            )
        )

    def names(self, team: Team) -> dict[int, str]:
        """``{id: name}`` of the team's rotations."""
        rows = self.dbsession.execute(select(Rotation.id, Rotation.name).where(Rotation.team_id == team.id))
        return {row.id: row.name for row in rows}

    def roles(self, team: Team) -> set[str]:
        """The roles the team's rotations fill."""
        return set(self.dbsession.scalars(select(Rotation.role).where(Rotation.team_id == team.id)))

    @staticmethod
    def version_at(rotation: Rotation, moment: datetime | None = None) -> RotationVersion:
        """The version in effect at ``moment`` (now), or the first one if none is yet."""
        moment = moment or utcnow()
        versions = sorted(rotation.versions, key=lambda v: v.effective_from)
        current = versions[0]
        for version in versions:
            if version.effective_from <= moment:
                current = version
        return current

    def json(self, rotation: Rotation, team: Team) -> dict:
        return rotation_json(rotation, team, self.version_at(rotation))

    # -- writes ---------------------------------------------------------------

    def create(self, team: Team, body: dict) -> Rotation:
        validate(ROTATION_CREATE_SCHEMA, body)
        lock_team(self.dbsession, team)
        rotation = self.build(team, body)
        self.dbsession.add(rotation)
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "create", "rotation", rotation.id, None, self.json(rotation, team))
        self.roster.materialize(team)
        return rotation

    def update(self, team: Team, rotation: Rotation, body: dict) -> Rotation:
        return self.update_from(team, rotation, body)[0]

    def update_from(self, team: Team, rotation: Rotation, body: dict) -> tuple[Rotation, datetime | None]:
        """Change ``rotation``; also answers the instant a dated change actually took effect.

        That instant is ``effective_from`` when it lies ahead, else (in the
        past, or not given) the first whole minute at or after now: the
        roster never changes hands at the second of a request, and the past
        stays as it was.  ``None`` when nothing dated was asked or changed.
        """
        validate(ROTATION_UPDATE_SCHEMA, body)
        lock_team(self.dbsession, team, rotation)
        before = self.json(rotation, team)
        applied_from = self.change(team, rotation, body)
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "update", "rotation", rotation.id, before, self.json(rotation, team))
        self.roster.materialize(team)
        return rotation, applied_from

    def delete(self, team: Team, rotation: Rotation) -> None:
        lock_team(self.dbsession, team, rotation)
        audit.record(self.dbsession, self.ctx.actor, "delete", "rotation", rotation.id, self.json(rotation, team), None)
        self.dbsession.delete(rotation)
        self.dbsession.flush()
        self.roster.materialize(team)

    def preview(self, team: Team, body: dict) -> dict:
        """What creating (or, with ``id``, changing) a rotation would do; nothing saved."""
        validate(ROTATION_PREVIEW_SCHEMA, body)
        body = dict(body)
        rotation_id = body.pop("id", None)
        rotations = self.roster.rotations(team)
        if rotation_id is None:
            body.setdefault("name", "preview")
            candidate = self.build(team, body)
            # Not saved: an id of its own, above any stored one, keeps it apart.
            candidate.id = max((r.id for r in rotations), default=0) + 1_000_000
            rotations.append(candidate)
        else:
            stored = self.get(team, rotation_id)
            candidate = self._detached_copy(stored)
            self.change(team, candidate, body)
            rotations = [candidate if r.id == stored.id else r for r in rotations]
        preview = self.roster.preview(team, rotations)
        preview["fairness"] = self.fairness_change(team, rotations, preview)
        return preview

    def fairness_change(self, team: Team, rotations: list[Rotation], preview: dict) -> dict:
        """The fairness figures of the roster ahead, stored and as the change would leave it."""
        now = preview["now"]
        end = now + self.roster.horizon
        tz = zone(team.timezone)
        holidays = self.roster.holidays(team, now.year, end.year)
        people = {
            person
            for rotation in rotations
            for version in rotation.versions
            for person in people_named(version.members, version.params)
        }
        stored_gaps = gaps_between(self.dbsession, team, now, end)
        figures = {}
        for name, shifts, gaps in (
            ("before", preview["before"], stored_gaps),
            ("after", preview["after"], preview["result"].gaps),
        ):
            gap_hours = sum(
                (min(gap.end, end) - max(gap.start, now)).total_seconds() / 3600
                for gap in gaps if gap.end > now and gap.start < end
            )
            figures[name] = measure_roster(
                shifts, tz=tz, holidays=holidays, start=now, end=end, people=people, gap_hours=gap_hours
            )
        ids = {figure.person_id for measured in figures.values() for figure in measured.people}
        names = dict(self.dbsession.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
        return {
            "before": figures["before"].as_json(names),
            "after": figures["after"].as_json(names),
            "start": now,
            "end": end,
        }

    def problems(self, team: Team, body: dict, rotation: Rotation | None = None) -> list[Detail]:
        """Every problem of a creation body (or, with ``rotation``, of a change to it) at once.

        The schema's errors come first, then the checks of each part the
        schema found well formed: dates, the policy and its parameters, rules,
        people and restrictions.  :meth:`create` and :meth:`update` stop at
        the first stage that fails; a form shows all of this in one round
        instead.  Nothing is changed, and an empty list promises nothing the
        roster computation may still refuse.
        """
        errors = schema_errors(ROTATION_UPDATE_SCHEMA if rotation else ROTATION_CREATE_SCHEMA, body)
        if not isinstance(body, dict):
            return errors
        broken = {error["field"].split(".")[0] for error in errors}

        def sound(name: str) -> bool:
            return name in body and name not in broken

        tz = zone(team.timezone)
        for name in ("start", "effective_from"):
            if sound(name):
                self._instant(body[name], tz, name, errors)
        policy = None
        if sound("policy"):
            policy = self._policy(body["policy"], errors)
        elif rotation is not None and "policy" not in body:
            policy = self.ctx.plugins.policies.get(rotation.policy)
        params = body["params"] if sound("params") else {}
        if policy is not None and sound("params"):
            errors.extend(self._check_params(policy, params, "params"))
        if sound("rules"):
            rules = _rules_dict(body["rules"])
            errors.extend(self._check_rules(rules))
            if policy is not None:
                errors.extend(self._check_compatible(policy, rules))
        errors.extend(self._check_people(body["members"] if sound("members") else [], params))
        if sound("restrictions"):
            errors.extend(self._check_restriction(_version_restriction(body["restrictions"])[0]))
        return errors

    # -- building and changing --------------------------------------------------

    def build(self, team: Team, body: dict) -> Rotation:
        """A new, unsaved rotation from a validated body (422 on semantic errors)."""
        tz = zone(team.timezone)
        errors: list[dict] = []
        start = self._instant(body.get("start"), tz, "start", errors) or utcnow().replace(second=0, microsecond=0)
        policy = self._policy(body["policy"], errors)
        params = dict(body.get("params") or {})
        rules = _rules_dict(body.get("rules"))
        members = list(body.get("members") or [])
        restriction, turn_mode = _version_restriction(body.get("restrictions"))
        if policy is not None:
            errors.extend(self._check_params(policy, params, "params"))
            errors.extend(self._check_compatible(policy, rules))
        errors.extend(self._check_rules(rules))
        errors.extend(self._check_people(members, params))
        errors.extend(self._check_restriction(restriction))
        if errors:
            raise Invalid(_summary("Invalid rotation", errors), errors, code="invalid.rotation")
        rotation = Rotation(
            team_id=team.id,
            name=body["name"],
            role=body.get("role", "primary"),
            policy=body["policy"],
            priority=body.get("priority", 0),
            start=start,
        )
        rotation.versions.append(
            RotationVersion(
                effective_from=start,
                params=params,
                members=members,
                rules=rules,
                restriction=restriction,
                turn_mode=turn_mode,
            )
        )
        return rotation

    def change(self, team: Team, rotation: Rotation, body: dict) -> datetime | None:
        """Apply an update body to ``rotation`` (stored or a detached copy).

        Returns the instant the dated part took effect (see :meth:`update_from`).
        """
        tz = zone(team.timezone)
        errors: list[dict] = []
        dated = self._instant(body.get("effective_from"), tz, "effective_from", [])
        # Changing these now honours any date up to now (the past is frozen
        # anyway); a later date cannot be honoured, so it is refused.
        if dated is not None and dated > max(rotation.start, utcnow()):
            undatable = [name for name in UNDATED_FIELDS if name in body and self._changes(rotation, name, body[name], tz)]
            if undatable:
                errors.append(
                    Detail(
                        "effective_from",
                        f"{', '.join(undatable)} cannot change from a date: change them "
                        "without effective_from, or create a new rotation starting then",
                        "rotation.date_locked",
                        {"fields": ", ".join(undatable)},
                    )
                )
        for name in ("name", "role", "priority"):
            if name in body:
                setattr(rotation, name, body[name])
        if "start" in body:
            start = self._instant(body["start"], tz, "start", errors)
            if start is not None:
                rotation.start = start
                self._restart_versions(rotation, start)
        now = utcnow()
        asked = self._instant(body.get("effective_from"), tz, "effective_from", errors)
        effective_from = asked if asked is not None and asked >= now else effective_instant(now)
        effective_from = max(effective_from, rotation.start)

        policy_name = body.get("policy", rotation.policy)
        policy = self._policy(policy_name, errors)
        changed = {name: body[name] for name in VERSIONED_FIELDS if name in body}
        if "rules" in changed:
            changed["rules"] = _rules_dict(changed["rules"])
            errors.extend(self._check_rules(changed["rules"]))
        if "restrictions" in changed:
            restriction, turn_mode = _version_restriction(changed.pop("restrictions"))
            changed["restriction"] = restriction
            changed["turn_mode"] = turn_mode
            errors.extend(self._check_restriction(restriction))
        errors.extend(self._check_people(changed.get("members", []), changed.get("params", {})))
        if errors:
            raise Invalid(_summary("Invalid rotation change", errors), errors, code="invalid.rotation_change")

        if changed:
            # A change holds from effective_from on: the version starting
            # then, and every later one, take the new values.
            self._version_from(rotation, effective_from)
            for later in rotation.versions:
                if later.effective_from >= effective_from:
                    for name, value in changed.items():
                        setattr(later, name, copy.deepcopy(value))
        if policy_name != rotation.policy:
            rotation.policy = policy_name
            # Another policy's report (and its stored roster) is not this one's.
            rotation.solver = None
        if policy is not None:
            for version in rotation.versions:
                problems = self._check_params(policy, version.params or {}, "params")
                problems += self._check_compatible(policy, version.rules or {})
                if problems:
                    summary = _summary("Invalid rotation change", problems)
                    raise Invalid(summary, problems, code="invalid.rotation_change")
        return effective_from if changed or "effective_from" in body else None

    @staticmethod
    def _changes(rotation: Rotation, name: str, value, tz) -> bool:
        """Whether ``value`` differs from the rotation's current ``name``."""
        if name == "start":
            try:
                return parse_instant(value, tz) != rotation.start
            except DateTimeError:
                return True
        return value != getattr(rotation, name)

    def _restart_versions(self, rotation: Rotation, start: datetime) -> None:
        """Make the versions begin at ``start``.

        Of the versions dated at or before the new start, the latest one is
        what holds then; the older ones never take effect and are dropped.
        """
        versions = sorted(rotation.versions, key=lambda v: v.effective_from)
        before = [v for v in versions if v.effective_from <= start] or versions[:1]
        for dropped in before[:-1]:
            rotation.versions.remove(dropped)
            if dropped in self.dbsession:
                self.dbsession.delete(dropped)
        before[-1].effective_from = start

    def _version_from(self, rotation: Rotation, effective_from: datetime) -> RotationVersion:
        """The version starting exactly at ``effective_from``, created from the one before."""
        for version in rotation.versions:
            if version.effective_from == effective_from:
                return version
        base = self.version_at(rotation, effective_from)
        version = RotationVersion(
            effective_from=effective_from,
            params=copy.deepcopy(base.params),
            members=list(base.members or []),
            rules=copy.deepcopy(base.rules),
            restriction=copy.deepcopy(base.restriction),
            turn_mode=base.turn_mode,
        )
        rotation.versions.append(version)
        rotation.versions.sort(key=lambda v: v.effective_from)
        return version

    @staticmethod
    def _detached_copy(rotation: Rotation) -> Rotation:
        copy_ = Rotation(
            id=rotation.id,
            team_id=rotation.team_id,
            name=rotation.name,
            role=rotation.role,
            policy=rotation.policy,
            priority=rotation.priority,
            start=rotation.start,
            # Its planner's stored roster stays preferred, as on a real save.
            solver=copy.deepcopy(rotation.solver),
        )
        copy_.versions = [
            RotationVersion(
                effective_from=v.effective_from,
                params=copy.deepcopy(v.params),
                members=list(v.members or []),
                rules=copy.deepcopy(v.rules),
                restriction=copy.deepcopy(v.restriction),
                turn_mode=v.turn_mode,
            )
            for v in rotation.versions
        ]
        return copy_

    # -- checks ---------------------------------------------------------------

    def _instant(self, value, tz, field: str, errors: list) -> datetime | None:
        if value is None:
            return None
        try:
            return parse_instant(value, tz)
        except DateTimeError as error:
            errors.append(Detail.of(field, error))
            return None

    def _policy(self, name: str, errors: list):
        policy = self.ctx.plugins.policies.get(name)
        if policy is None:
            available = sorted(self.ctx.plugins.policies)
            errors.append(
                Detail(
                    "policy",
                    f"unknown policy {name!r}; available: {', '.join(available)}",
                    "unknown_policy",
                    {"name": name, "options": ", ".join(available)},
                    available=available,
                )
            )
        return policy

    @staticmethod
    def _check_params(declaration, params: dict, field: str) -> list[dict]:
        return [
            Detail(f"{field}.{e['field']}" if e["field"] != "(body)" else field, e["message"], e.code, e.params)
            for e in schema_errors(declaration.params_schema, params)
        ]

    @staticmethod
    def _check_compatible(policy, rules: dict) -> list[dict]:
        """The rules ``policy`` refuses because it does their job itself (422)."""
        return [
            Detail(
                f"rules.{name}",
                f"the {policy.name!r} policy already does what {name!r} does: remove the rule",
                "rule_incompatible",
                {"name": name, "policy": policy.name},
            )
            for name in sorted(set(rules) & policy.incompatible_rules)
        ]

    def _check_rules(self, rules: dict) -> list[dict]:
        errors = []
        available = sorted(name for name, rule in self.ctx.plugins.rules.items() if not rule.always_on)
        for name, params in rules.items():
            rule = self.ctx.plugins.rules.get(name)
            if rule is None:
                errors.append(
                    Detail(
                        f"rules.{name}",
                        f"unknown rule {name!r}; available: {', '.join(available)}",
                        "unknown_rule",
                        {"name": name, "options": ", ".join(available)},
                    )
                )
                continue
            errors.extend(self._check_params(rule, params, f"rules.{name}"))
        return errors

    def _check_people(self, members: list, params: dict) -> list[dict]:
        wanted = {("members", m) for m in members}
        for key, value in params.items():
            if key.endswith("members") and isinstance(value, list):
                wanted.update((f"params.{key}", m) for m in value if isinstance(m, int))
        ids = {person_id for _, person_id in wanted if 0 < person_id <= MAX_ID}
        known = set(self.dbsession.scalars(select(Person.id).where(Person.id.in_(ids)))) if ids else set()
        return [
            Detail(field, f"no person with id {person_id}", "unknown_person", {"id": person_id})
            for field, person_id in sorted(wanted)
            if person_id not in known
        ]

    @staticmethod
    def _check_restriction(restriction: dict | None) -> list[dict]:
        if not restriction:
            return []
        start, end = restriction.get("start_time"), restriction.get("end_time")
        if (start is None) != (end is None):
            return [Detail("restrictions", "start_time and end_time go together", "times_together")]
        if start is not None and start == end:
            return [Detail("restrictions", "start_time and end_time must differ", "times_differ")]
        if restriction.get("weekdays") == []:
            return [Detail("restrictions.weekdays", "must name at least one weekday", "weekday_required")]
        return []


def _summary(prefix: str, errors: list[dict]) -> str:
    return f"{prefix}: " + "; ".join(f"{e['field']} {e['message']}" for e in errors[:5])
