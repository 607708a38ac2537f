"""The materialized roster: turning stored rotations into stored shifts.

The engine is pure; this service feeds it from the database and writes its
answer back.  Shifts are stored for a horizon ahead (``PLANTAO_HORIZON_DAYS``)
so that "who is on call" and the feeds are index reads.  Regenerating never
touches a shift that has already ended, never cuts a shift at the instant of
a write (see :mod:`plantao.engine.materialize` for the boundary rules),
keeps a shift's identity (its ``key``) when its holder or times change, and
bumps its ``sequence`` so calendar clients notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from .. import engine as roster_engine
from ..datetimes import isoformat, utcnow
from ..engine.materialize import Handover, effective_instant, plan_materialization
from ..models import Leave, Override, Person, Rotation, Shift, Team
from ..notifications.outbox import record_roster_changes
from ..models.revision import bump_revision
from .context import ServiceContext
from .errors import Detail, Invalid
from .gaps import store_gaps

#: How long "for good" lasts for somebody who left.
FOREVER = timedelta(days=365 * 100)

#: A team whose stored roster ends sooner than this before the horizon is
#: extended by the horizon keeper (plantao.horizon), so the horizon moves
#: forward with time.
REFRESH_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class ShiftState:
    """A stored shift's values before a regeneration changed them."""

    person_id: int
    role: str
    start: datetime
    end: datetime
    source: str


@dataclass
class MaterializeReport:
    """What a regeneration changed in the stored roster.

    ``changed`` pairs the previous holder with each stored shift that was
    reassigned or whose times moved; ``previous`` holds every changed
    shift's former values by shift id, ``cuts`` the instant from which
    each role's roster changed (a roster boundary, or the first whole minute
    after the write when the change began before it), and ``handovers``
    each stretch of time that changed hands, from whom to whom (what a
    partial override takes from the holder, say).
    """

    added: list[Shift] = field(default_factory=list)
    removed: list[Shift] = field(default_factory=list)
    changed: list[tuple[int | None, Shift]] = field(default_factory=list)
    previous: dict[int, ShiftState] = field(default_factory=dict)
    cuts: dict[str, datetime] = field(default_factory=dict)
    handovers: list[Handover] = field(default_factory=list)

    @property
    def touched(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def refuse_past_only(what: str, start: datetime, end: datetime, tz, now: datetime | None = None) -> None:
    """Raise a 422 when a write covering ``[start, end)`` could only change the past.

    The past is kept as it happened, and what has already begun changes
    hands only from the next whole minute, so such a write would store a
    record that changes nothing.
    """
    now = now or utcnow()
    takes_effect = start if start >= now else effective_instant(now)
    if end > takes_effect:
        return
    if end <= now:
        message = f"{what} ended at {isoformat(end, tz)}: it would only change the past, which is kept as it was."
        code, params = "past_only.ended", {"end": isoformat(end, tz)}
    else:
        code, params = "past_only.before_next_minute", {"end": isoformat(end, tz), "from": isoformat(takes_effect, tz)}
        message = (
            f"{what} ends at {isoformat(end, tz)}, before the next whole minute "
            f"({isoformat(takes_effect, tz)}) from which a change already begun takes effect: "
            "it would only change the past."
        )
    raise Invalid(message, [Detail("end", message, code, params)], code=code, params=params)


def restriction_spec(data: dict | None) -> roster_engine.Restriction | None:
    if not data:
        return None
    weekdays = data.get("weekdays")
    return roster_engine.Restriction(
        weekdays=frozenset(weekdays) if weekdays is not None else None,
        start_time=time.fromisoformat(data["start_time"]) if data.get("start_time") else None,
        end_time=time.fromisoformat(data["end_time"]) if data.get("end_time") else None,
    )


def rotation_spec(rotation: Rotation) -> roster_engine.RotationSpec:
    """The engine's view of a rotation (stored or not yet saved)."""
    versions = tuple(
        roster_engine.RotationVersionSpec(
            effective_from=version.effective_from,
            params=dict(version.params or {}),
            members=tuple(version.members or ()),
            rules={name: dict(params or {}) for name, params in (version.rules or {}).items()},
            restriction=restriction_spec(version.restriction),
            turn_mode=version.turn_mode or "calendar",
        )
        for version in sorted(rotation.versions, key=lambda v: v.effective_from)
    )
    return roster_engine.RotationSpec(
        id=rotation.id,
        name=rotation.name,
        policy=rotation.policy,
        anchor=rotation.start,
        versions=versions,
        role=rotation.role or "primary",
        priority=rotation.priority or 0,
    )


class RosterService:
    """Computes, previews and stores team rosters."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession
        self.settings = ctx.settings
        self.plugins = ctx.plugins

    @property
    def horizon(self) -> timedelta:
        return timedelta(days=self.settings.horizon_days)

    # -- engine input -------------------------------------------------------

    def rotations(self, team: Team) -> list[Rotation]:
        return list(
            self.dbsession.scalars(
                select(Rotation)
                .where(Rotation.team_id == team.id)
                .options(selectinload(Rotation.versions))
                .order_by(Rotation.id)
            )
        )

    def roster_input(
        self,
        team: Team,
        *,
        rotations: Sequence[Rotation] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> roster_engine.RosterInput:
        """Everything the engine needs about ``team``, read from the database."""
        rotations = self.rotations(team) if rotations is None else list(rotations)
        specs = tuple(rotation_spec(rotation) for rotation in rotations)
        # Overrides and leave matter from the first rotation's start (the
        # engine replays from there) or from the window asked for, whichever
        # is earlier: an override may well precede every rotation.
        earliest = min([spec.anchor for spec in specs] + [since or utcnow()])
        until = until or utcnow() + self.horizon
        overrides = self.dbsession.scalars(
            select(Override).where(Override.team_id == team.id, Override.end > earliest)
        ).all()
        leaves = [
            roster_engine.LeaveSpec(person_id=l.person_id, start=l.start, end=l.end, reason=l.reason)
            for l in self.dbsession.scalars(select(Leave).where(Leave.end > earliest))
        ]
        # Somebody who left is away from the day they left on, like an
        # endless leave: the turns before stay as they were and the others
        # take theirs without reshuffling the order.
        departed = dict(
            self.dbsession.execute(select(Person.id, Person.deactivated_at).where(Person.active.is_(False))).all()
        )
        for person_id, since in departed.items():
            since = since or earliest
            leaves.append(roster_engine.LeaveSpec(person_id=person_id, start=since, end=since + FOREVER, reason="left"))
        kept_overrides = []
        for o in overrides:
            end = min(o.end, departed[o.person_id] or earliest) if o.person_id in departed else o.end
            if end > o.start:
                kept_overrides.append(
                    roster_engine.OverrideSpec(id=o.id, person_id=o.person_id, start=o.start, end=end, role=o.role)
                )
        return roster_engine.RosterInput(
            tz=team.timezone,
            holidays=self.holidays(team, earliest.year - 1, until.year + 1),
            rotations=specs,
            overrides=tuple(kept_overrides),
            leaves=tuple(leaves),
            fallback_person=None if team.fallback_person_id in departed else team.fallback_person_id,
        )

    def holidays(self, team: Team, first_year: int, last_year: int) -> dict:
        """The team's holidays (national, state, optional and its own) by date."""
        return roster_engine.holiday_calendar(
            first_year,
            last_year,
            country=team.holiday_country,
            subdivision=team.holiday_subdivision,
            optional=team.holiday_optional,
            custom=[(h.day, h.name) for h in team.custom_holidays],
        )

    def compute(
        self,
        team: Team,
        start: datetime,
        end: datetime,
        *,
        rotations: Sequence[Rotation] | None = None,
    ) -> roster_engine.RosterResult:
        """The engine's roster for ``[start, end)``; nothing is stored."""
        data = self.roster_input(team, rotations=rotations, since=start, until=end)
        try:
            return roster_engine.build_roster(
                data, start, end, policies=self.plugins.policies, rules=self.plugins.rules
            )
        except (ValueError, ArithmeticError) as error:
            # Parameters the schema let through may still be impossible
            # (a shift length past the end of the calendar, say).
            # A plugin's (or DateTimeError's) own code says more than "uncomputable".
            code = getattr(error, "code", None)
            raise Invalid(
                f"The roster cannot be computed: {error}",
                code=code if isinstance(code, str) else "roster_uncomputable",
                params={"detail": str(error)},
            ) from None

    # -- materialization ----------------------------------------------------

    def stored_from(self, team: Team, now: datetime) -> list[Shift]:
        """The stored shifts a regeneration may touch: those not ended before ``now``."""
        return list(
            self.dbsession.scalars(
                select(Shift).where(Shift.team_id == team.id, Shift.end >= now).order_by(Shift.start)
            )
        )

    def materialize(self, team: Team, now: datetime | None = None) -> MaterializeReport:
        """Regenerate the stored roster of ``team`` from ``now`` to the horizon."""
        now = now or utcnow()
        # The horizon's end is where an open-ended fallback shift stops, so
        # it is a whole minute too, like every boundary the clock may draw.
        horizon_end = effective_instant(now) + self.horizon
        # One regeneration of a team at a time: a second writer waits here
        # and then computes from the first one's committed team and shifts
        # (SQLite serializes writers anyway).
        self.dbsession.refresh(team, with_for_update=True)
        result = self.compute(team, now, horizon_end)
        wanted = [shift for shift in result.shifts if shift.end > now]
        report = self._store(team, wanted, now)
        # The people concerned hear of it only if this transaction commits.
        record_roster_changes(self.dbsession, team, report, now, self.settings)
        # -- gaps and conflicts are stored with the shifts (plantao.services.gaps) --
        store_gaps(self.dbsession, team, result, now)
        # -- end of the gaps and conflicts --
        team.materialized_until = horizon_end
        # Even when no shift moved, what the roster in memory holds of the
        # team may have (its roles, its horizon, its gaps): it reloads the team.
        bump_revision(self.dbsession, team)
        return report

    def refresh_if_stale(self, team: Team, now: datetime | None = None) -> bool:
        """Extend the horizon when time has eaten into it; True when it did."""
        now = now or utcnow()
        until = team.materialized_until
        if until is not None and until - now >= self.horizon - REFRESH_MARGIN:
            return False
        self.materialize(team, now)
        return True

    def materialize_teams(self, teams: Iterable[Team], now: datetime | None = None) -> None:
        for team in teams:
            self.materialize(team, now)

    def _store(self, team: Team, wanted: list, now: datetime) -> MaterializeReport:
        """Make the stored shifts from ``now`` on follow ``wanted``.

        See :func:`plantao.engine.materialize.plan_materialization` for what
        changes and from when; this applies the plan to the stored rows.
        """
        report = MaterializeReport()
        stored = self.stored_from(team, now)
        plan = self._plan(team, stored, wanted, now)
        report.cuts = dict(plan.cuts)
        report.handovers = list(plan.handovers)
        for row, new in plan.update:
            report.previous[row.id] = ShiftState(
                person_id=row.person_id, role=row.role, start=row.start, end=row.end, source=row.source
            )
            before_person = row.person_id
            row.person_id = new.person_id
            row.start = new.start
            row.end = new.end
            row.source = new.source
            row.rotation_id = new.rotation_id
            row.override_id = new.override_id
            row.sequence = (row.sequence or 0) + 1
            row.updated_at = now
            report.changed.append((before_person, row))
        for row in plan.delete:
            self.dbsession.delete(row)
            report.removed.append(row)
        for new in plan.insert:
            shift = Shift(
                team_id=team.id,
                person_id=new.person_id,
                role=new.role,
                start=new.start,
                end=new.end,
                source=new.source,
                rotation_id=new.rotation_id,
                override_id=new.override_id,
                key=new.key,
                sequence=0,
                updated_at=now,
            )
            self.dbsession.add(shift)
            report.added.append(shift)
        self.dbsession.flush()
        return report

    def _plan(self, team: Team, stored: list[Shift], wanted: list, now: datetime):
        """The materialization plan, with every key already used by an ended shift kept clear."""
        keys = {shift.key for shift in wanted}
        taken = self._ended_keys(team, keys, now)
        ended = self._ended_since(team, min((s.start for s in wanted if s.start < now), default=now), now)
        plan = plan_materialization(stored, wanted, now, taken, ended)
        # A continuation key may itself clash with an ended shift's: plan
        # again with those keys known (rare, and settled in a round or two).
        for _ in range(5):
            clashing = self._ended_keys(team, {shift.key for shift in plan.insert} - taken, now)
            if not clashing:
                break
            taken |= clashing
            plan = plan_materialization(stored, wanted, now, taken, ended)
        return plan

    def _ended_since(self, team: Team, since: datetime, now: datetime) -> list[Shift]:
        """Shifts that ended between ``since`` and ``now``."""
        if since >= now:
            return []
        return list(
            self.dbsession.scalars(
                select(Shift).where(Shift.team_id == team.id, Shift.end < now, Shift.end > since)
            )
        )

    def _ended_keys(self, team: Team, keys: set[str], now: datetime) -> set[str]:
        """Which of ``keys`` already name shifts that ended."""
        found: set[str] = set()
        ordered = sorted(keys)
        for offset in range(0, len(ordered), 500):
            chunk = ordered[offset : offset + 500]
            found.update(
                self.dbsession.scalars(
                    select(Shift.key).where(Shift.team_id == team.id, Shift.end < now, Shift.key.in_(chunk))
                )
            )
        return found

    # -- previews -----------------------------------------------------------

    def preview(self, team: Team, rotations: Sequence[Rotation], now: datetime | None = None) -> dict:
        """What the stored roster would become with ``rotations``; nothing is saved.

        Returns the added, removed and reassigned shifts (engine shifts and
        stored shifts compared by key) plus the gaps and conflicts ahead.
        """
        now = now or utcnow()
        result = self.compute(team, now, effective_instant(now) + self.horizon, rotations=rotations)
        wanted = [shift for shift in result.shifts if shift.end > now]
        stored = self.stored_from(team, now)
        # Compared with what would be stored, not with the engine's raw
        # answer, so the preview shows exactly what saving would change.
        would_be = self._plan(team, stored, wanted, now).result(stored)
        diff = roster_engine.diff_rosters(
            [shift for shift in stored if shift.end > now], [shift for shift in would_be if shift.end > now]
        )
        return {"diff": diff, "result": result}


def teams_involving(dbsession: Session, person_id: int) -> list[Team]:
    """Teams whose roster may change when ``person_id`` changes (leave, deactivation)."""
    team_ids = set(
        dbsession.scalars(select(Override.team_id).where(Override.person_id == person_id))
    )
    team_ids.update(dbsession.scalars(select(Team.id).where(Team.fallback_person_id == person_id)))
    for rotation in dbsession.scalars(select(Rotation).options(selectinload(Rotation.versions))):
        if any(_mentions(version, person_id) for version in rotation.versions):
            team_ids.add(rotation.team_id)
    if not team_ids:
        return []
    return list(dbsession.scalars(select(Team).where(Team.id.in_(team_ids)).order_by(Team.id)))


def _mentions(version, person_id: int) -> bool:
    if person_id in (version.members or ()):
        return True
    # Policies keep extra member orders in their parameters (the split
    # policy's night order, say): any list of ids named *members counts.
    return any(
        key.endswith("members") and isinstance(value, list) and person_id in value
        for key, value in (version.params or {}).items()
    )
