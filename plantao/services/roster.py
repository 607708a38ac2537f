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
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, lazyload, selectinload

from .. import engine as roster_engine
from ..datetimes import isoformat, utcnow
from ..engine.materialize import Handover, effective_instant, plan_materialization, takes_effect
from ..models import Leave, Override, Person, RosterConflict, RosterGap, Rotation, Shift, Team
from ..notifications.outbox import record_roster_changes
from ..models.revision import CHANGED, PATCHES, bump_revision
from ..models.rotation import people_named
from ..read_model import WINDOW_BEHIND, TeamRoster, prepare_patch
from .context import ServiceContext
from .errors import Detail, Invalid
from .gaps import store_gaps
from .locking import holds_lock

#: How long "for good" lasts for somebody who left.
FOREVER = timedelta(days=365 * 100)

#: How far back a window-planning rotation's stored holders are read at
#: least, for the rules that look at the recent past (min_rest, streaks).
_RULES_LOOK_BACK = timedelta(days=60)

#: How far around the changed stretches an incremental regeneration reads
#: the stored shifts at once (a week's shift and a bit).
_READ_AROUND = timedelta(days=8)

#: The stored shifts a regeneration compares are rows to update, not to
#: show: their holder's row is not joined in.
_WITHOUT_PERSON = lazyload(Shift.person)

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


@dataclass(frozen=True)
class TeamSetup:
    """The engine's input about a team at one revision of it, but the stored roster.

    Its rotations as the engine sees them, its holidays for ``years``, its
    overrides, and the leave (and departures) of the people its roster
    ``named`` then: their rotations' members, its fallback, its overrides'
    people.  A change of any of them moves the team's revision, as a change
    of the team does (see :meth:`plantao.services.people.PersonService.add_leave`).
    A write that changes only overrides knows how it moves (:meth:`after`),
    so the roster in memory carries the setup it leaves from the revision it
    was read at to the one that write commits
    (:meth:`plantao.read_model.ReadModel.held_at`), and the team's next such
    write takes it from there instead of reading all that again.  Teams with
    a window-planning rotation have none: their planner reads the stored
    roster with the rotations.
    """

    rotations: tuple[roster_engine.RotationSpec, ...]
    years: tuple[int, int]
    holidays: dict
    named: frozenset[int]
    leaves: tuple[roster_engine.LeaveSpec, ...]
    departed: dict[int, datetime | None]
    #: As stored, not yet cut where their person left.
    overrides: tuple[roster_engine.OverrideSpec, ...]

    def after(self, added: Sequence[Override] = (), deleted: Iterable[int] = ()) -> TeamSetup:
        """The setup once ``added`` are stored and the overrides ``deleted`` (ids) are not."""
        deleted = set(deleted)
        return replace(self, overrides=(
            *(override for override in self.overrides if override.id not in deleted),
            *(roster_engine.OverrideSpec(id=o.id, person_id=o.person_id, start=o.start, end=o.end, role=o.role)
              for o in added),
        ))


def refuse_past_only(what: str, start: datetime, end: datetime, tz, now: datetime | None = None) -> None:
    """Raise a 422 when a write covering ``[start, end)`` could only change the past.

    The past is kept as it happened, and what has already begun changes
    hands only from the next whole minute, so such a write would store a
    record that changes nothing.
    """
    now = now or utcnow()
    effective = takes_effect(start, now)
    if end > effective:
        return
    if end <= now:
        message = f"{what} ended at {isoformat(end, tz)}: it would only change the past, which is kept as it was."
        code, params = "past_only.ended", {"end": isoformat(end, tz)}
    else:
        code, params = "past_only.before_next_minute", {"end": isoformat(end, tz), "from": isoformat(effective, tz)}
        message = (
            f"{what} ends at {isoformat(end, tz)}, before the next whole minute "
            f"({isoformat(effective, tz)}) from which a change already begun takes effect: "
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
        replan: bool = False,
        now: datetime | None = None,
        setup: TeamSetup | None = None,
    ) -> roster_engine.RosterInput:
        """Everything the engine needs about ``team``, read from the database.

        For policies that plan whole windows (see :meth:`planning`), the
        stored assignment is kept unless ``replan``: then the window from
        ``now`` is planned again (a write that changed the rotations, their
        people or leave), the stored assignment only preferred.  ``setup``
        is the team's setup (see :meth:`team_setup`), already known.
        """
        until = until or utcnow() + self.horizon
        if setup is None:
            rotations = self.rotations(team) if rotations is None else list(rotations)
            specs = tuple(rotation_spec(rotation) for rotation in rotations)
        else:
            rotations, specs = None, setup.rotations
        # Overrides and leave matter from the first rotation's start (the
        # engine replays from there) or from the window asked for, whichever
        # is earlier: an override may well precede every rotation.
        earliest = min([spec.anchor for spec in specs] + [since or utcnow()])
        if setup is None:
            overrides = self._overrides(team, earliest)
        else:
            overrides = [override for override in setup.overrides if override.end > earliest]
        # Only the people the roster can name matter: everybody else's leave
        # (and whether they left) changes nothing here.
        named = _named_people(specs, team, (o.person_id for o in overrides))
        if setup is not None:
            leaves = [leave for leave in setup.leaves if leave.person_id in named and leave.end > earliest]
            departed = {person: since for person, since in setup.departed.items() if person in named}
            if not setup.named.issuperset(named):  # somebody new to the team's overrides
                more_leaves, more_departed = self._away(named - setup.named, earliest)
                leaves.extend(more_leaves)
                departed.update(more_departed)
        else:
            leaves, departed = self._away(named, earliest)
        # Somebody who left is away from the day they left on, like an
        # endless leave: the turns before stay as they were and the others
        # take theirs without reshuffling the order.
        for person_id, since in departed.items():
            since = since or earliest
            leaves.append(roster_engine.LeaveSpec(person_id=person_id, start=since, end=since + FOREVER, reason="left"))
        kept_overrides = []
        for o in overrides:
            if o.person_id not in departed:
                kept_overrides.append(o)
                continue
            end = min(o.end, departed[o.person_id] or earliest)
            if end > o.start:
                kept_overrides.append(replace(o, end=end))
        years = (earliest.year - 1, until.year + 1)
        return roster_engine.RosterInput(
            tz=team.timezone,
            holidays=setup.holidays if setup is not None and setup.years == years else self.holidays(team, *years),
            rotations=specs,
            overrides=tuple(kept_overrides),
            leaves=tuple(leaves),
            fallback_person=None if team.fallback_person_id in departed else team.fallback_person_id,
            planning=self.planning(team, rotations, now or utcnow(), replan=replan) if setup is None else None,
        )

    def team_setup(self, team: Team, now: datetime, until: datetime) -> TeamSetup | None:
        """``team``'s setup for an engine input from ``now`` to ``until`` (see :class:`TeamSetup`),
        read from the database; ``None`` for a team with a window-planning rotation."""
        rotations = self.rotations(team)
        policies = self.plugins.policies
        if any(rotation.policy in policies and policies[rotation.policy].assigns for rotation in rotations):
            return None
        specs = tuple(rotation_spec(rotation) for rotation in rotations)
        earliest = min([spec.anchor for spec in specs] + [now])
        overrides = self._overrides(team, earliest)
        named = _named_people(specs, team, (o.person_id for o in overrides))
        leaves, departed = self._away(named, earliest)
        years = (earliest.year - 1, until.year + 1)
        return TeamSetup(
            rotations=specs,
            years=years,
            holidays=self.holidays(team, *years),
            named=frozenset(named),
            leaves=tuple(leaves),
            departed=departed,
            overrides=tuple(overrides),
        )

    def _overrides(self, team: Team, earliest: datetime) -> list[roster_engine.OverrideSpec]:
        """The team's overrides not ended at ``earliest``, as the engine takes them."""
        # Plain rows: a team collects overrides over the years.
        return [
            roster_engine.OverrideSpec(id=row.id, person_id=row.person_id, start=row.start, end=row.end, role=row.role)
            for row in self.dbsession.execute(
                select(Override.id, Override.person_id, Override.start, Override.end, Override.role)
                .where(Override.team_id == team.id, Override.end > earliest)
            )
        ]

    def _away(self, people: Iterable[int], earliest: datetime) -> tuple[list, dict]:
        """The leave of ``people`` not ended at ``earliest``, and which of them left (with when)."""
        people = sorted(people)
        leaves = [
            roster_engine.LeaveSpec(person_id=row.person_id, start=row.start, end=row.end, reason=row.reason)
            for row in self.dbsession.execute(
                select(Leave.person_id, Leave.start, Leave.end, Leave.reason)
                .where(Leave.person_id.in_(people), Leave.end > earliest)
            )
        ]
        departed = dict(
            self.dbsession.execute(
                select(Person.id, Person.deactivated_at).where(Person.id.in_(people), Person.active.is_(False))
            ).all()
        )
        return leaves, departed

    def planning(
        self, team: Team, rotations: Sequence[Rotation], now: datetime, *, replan: bool
    ) -> roster_engine.PlanningState | None:
        """What the stored roster tells the team's window-planning policies, if it has any.

        The planning window starts at ``now``; before it (or, without
        ``replan``, everywhere) each slot keeps its stored holder.  A rotation
        whose planner made its stored assignment (its ``solver`` report is
        set) has that assignment preferred when it is planned again.
        """
        policies = self.plugins.policies
        planned = [
            rotation for rotation in rotations
            if rotation.policy in policies and policies[rotation.policy].assigns
        ]
        if not planned:
            return None
        lookback = max(
            policies[rotation.policy].history_days(version.params or {})
            for rotation in planned
            for version in rotation.versions
        )
        # The rules read the rotation's recent past (min_rest, a streak), so
        # its stored holders go back a while even without a lookback.
        since = now - max(timedelta(days=lookback), _RULES_LOOK_BACK)
        rows = self.dbsession.execute(
            select(Shift.person_id, Shift.start, Shift.end, Shift.source, Shift.rotation_id)
            .where(Shift.team_id == team.id, Shift.end > since)
            .order_by(Shift.start)
        ).all()
        ids = {rotation.id for rotation in planned}
        assigned: dict[int, list] = {rotation_id: [] for rotation_id in ids}
        worked = []
        for row in rows:
            shift = roster_engine.WorkedShift(person_id=row.person_id, start=row.start, end=row.end)
            if row.end <= now:
                worked.append(shift)
            if row.source == "rotation" and row.rotation_id in ids:
                assigned[row.rotation_id].append(shift)
        return roster_engine.PlanningState(
            start=now,
            # Not planning again keeps every stored holder: a read (the
            # fairness report's replay, say) never runs the solver over them.
            keep_until=now if replan else now + FOREVER,
            horizon=self.horizon,
            assigned={rotation_id: tuple(shifts) for rotation_id, shifts in assigned.items()},
            stable=frozenset(rotation.id for rotation in planned if rotation.solver is not None),
            worked=tuple(worked),
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
        replan: bool = False,
        now: datetime | None = None,
    ) -> roster_engine.RosterResult:
        """The engine's roster for ``[start, end)``; nothing is stored.

        ``replan`` plans the window-planning policies' windows from ``now``
        again (see :meth:`roster_input`).
        """
        data = self.roster_input(team, rotations=rotations, since=start, until=end, replan=replan, now=now)
        return self._build(data, start, end)

    # -- materialization ----------------------------------------------------

    def stored_from(self, team: Team, now: datetime) -> list[Shift]:
        """The stored shifts a regeneration may touch: those not ended before ``now``."""
        return list(
            self.dbsession.scalars(
                select(Shift).where(Shift.team_id == team.id, Shift.end >= now).order_by(Shift.start)
                .options(_WITHOUT_PERSON)
            )
        )

    def materialize(
        self,
        team: Team,
        now: datetime | None = None,
        *,
        stretches: Sequence[tuple[datetime, datetime]] | None = None,
        added_overrides: Sequence[Override] = (),
        deleted_overrides: Sequence[int] = (),
        replan: bool = True,
    ) -> MaterializeReport:
        """Regenerate the stored roster of ``team`` from ``now`` to the horizon.

        ``stretches`` makes it incremental: the write changed the roster's
        input only in those ``[start, end)`` stretches, and in a way that
        cannot reach the rotations' assignments (an override created or
        deleted, a swap: overrides are layered over the rotations, and no
        rule sees them).  Only the shifts around those stretches, and the
        time the horizon gained since the last regeneration, are then
        computed and compared; the stored result is exactly the one a full
        regeneration gives (see :meth:`_windows` for why), provided the
        stored roster was up to date before the write.  Anything else
        (rotations, members, leave, the team) regenerates in full.
        ``added_overrides`` are the overrides the write added and
        ``deleted_overrides`` the ids of those it deleted (the shifts that
        named them, ended ones too, now name none).  Policies that plan
        whole windows plan theirs again (``replan``) on a full regeneration,
        unless told it only extends the horizon; an incremental one keeps
        their stored assignment.
        """
        now = now or utcnow()
        # Another change of the team earlier in this transaction (its
        # rotations, its holidays) is not in what the write leaves in memory.
        changed_before = team.id in self.dbsession.info.get(CHANGED, ())
        # The horizon's end is where an open-ended fallback shift stops, so
        # it is a whole minute too, like every boundary the clock may draw.
        horizon_end = effective_instant(now) + self.horizon
        # One regeneration of a team at a time: a second writer waits here
        # and then computes from the first one's committed team and shifts
        # (SQLite serializes writers anyway).  A write that locked the team
        # first (plantao.services.locking) already holds it as committed.
        if not holds_lock(self.dbsession, team):
            self.dbsession.refresh(team, with_for_update=True)
        partial = None
        stored_gaps = None
        setup = held = None
        if stretches is not None:
            # The roster in memory, when it is the team as this write found
            # it under the lock (and nothing changed it earlier in this
            # transaction), tells what the rows would: its conflicts, and
            # the setup the team's last incremental write carried there.
            if self.ctx.roster is not None and not changed_before:
                held = self.ctx.roster.held_at(team.id, team.roster_revision or 0)
            if held is not None and held.setup is not None:
                setup = held.setup.after(added_overrides, deleted_overrides)
            else:
                setup = self.team_setup(team, now, horizon_end)  # as this write leaves it
            partial = self._windows(team, now, horizon_end, stretches, setup=setup, held=held)
        if partial is None:
            # Extending the horizon plans only the time it gained; any other
            # full regeneration follows a change of the rotations' input.
            result = self.compute(team, now, horizon_end, replan=replan, now=now)
            wanted = [shift for shift in result.shifts if shift.end > now]
            report = self._store(team, wanted, now)
            self._keep_reports(team, result)
        else:
            result, wanted, stored, stored_gaps = partial
            report = self._store(team, wanted, now, stored=stored)
        # The people concerned hear of it only if this transaction commits.
        record_roster_changes(self.dbsession, team, report, now, self.settings)
        # -- gaps and conflicts are stored with the shifts (plantao.services.gaps) --
        gaps, conflicts = store_gaps(
            self.dbsession, team, result, now, stored=stored_gaps,
            conflicts_stored=any(c.end > now for c in held.conflicts) if held is not None and partial else None,
        )
        # -- end of the gaps and conflicts --
        team.materialized_until = horizon_end
        # Even when no shift moved, what the roster in memory holds of the
        # team may have (its roles, its horizon, its gaps): it reloads the team.
        bump_revision(self.dbsession, team)
        if partial is not None and not changed_before:
            # Only shifts, gaps and conflicts changed (overrides): the
            # writer hands the roster in memory its change, rather than the
            # team being read again after the commit.
            patch = prepare_patch(
                self.dbsession, self.ctx.roster, team,
                [*report.added, *(row for _, row in report.changed)], [row.id for row in report.removed],
                since=now, gaps=gaps, conflicts=conflicts,
                added_roles=None if deleted_overrides else {override.role for override in added_overrides},
                deleted_overrides=deleted_overrides, setup=setup,
            )
            if patch is not None:
                self.dbsession.info.setdefault(PATCHES, {})[team.id] = patch
        return report

    def refresh_if_stale(self, team: Team, now: datetime | None = None) -> bool:
        """Extend the horizon when time has eaten into it; True when it did."""
        now = now or utcnow()
        until = team.materialized_until
        if until is not None and until - now >= self.horizon - REFRESH_MARGIN:
            return False
        # Time passing changes no rotation: planners keep what they planned.
        self.materialize(team, now, replan=until is None)
        return True

    def materialize_teams(self, teams: Iterable[Team], now: datetime | None = None) -> None:
        for team in teams:
            self.materialize(team, now)

    def _store(
        self,
        team: Team,
        wanted: list,
        now: datetime,
        *,
        stored: list[Shift] | None = None,
    ) -> MaterializeReport:
        """Make the stored shifts from ``now`` on follow ``wanted``.

        See :func:`plantao.engine.materialize.plan_materialization` for what
        changes and from when; this applies the plan to the stored rows.
        An incremental regeneration passes the ``stored`` rows of its
        windows only; no new shift may take the key of any other.
        """
        report = MaterializeReport()
        partial = stored is not None
        if stored is None:
            stored = self.stored_from(team, now)
        plan = self._plan(team, stored, wanted, now, partial=partial)
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

    def _plan(self, team: Team, stored: list[Shift], wanted: list, now: datetime, *, partial: bool = False):
        """The materialization plan, with every key already used by an ended shift kept clear.

        ``partial``: ``stored`` holds only some of the shifts not ended, so
        the keys of the others are looked up the same way.
        """
        ended = self._ended_since(team, min((s.start for s in wanted if s.start < now), default=now), now)
        # Only a key the plan gives a new row can be another row's already
        # (one that ended, or, ``partial``, one outside ``stored``): those are
        # looked up, and the plan made again with the ones in use, which may
        # give a new row another key to look up (rare, settled in a round or
        # two).  A plan that only moves stored shifts looks up nothing.
        taken: set[str] = set()
        plan = plan_materialization(stored, wanted, now, taken, ended)
        checked: set[str] = set()
        for _ in range(6):
            unchecked = {shift.key for shift in plan.insert} - checked
            clashing = self._ended_keys(team, unchecked, now, live_too=partial) if unchecked else set()
            checked |= unchecked
            if not clashing:
                break
            taken |= clashing
            plan = plan_materialization(stored, wanted, now, taken, ended)
        return plan

    # -- incremental regeneration ---------------------------------------------

    def _windows(
        self,
        team: Team,
        now: datetime,
        horizon_end: datetime,
        stretches: Sequence[tuple[datetime, datetime]],
        *,
        setup: TeamSetup | None = None,
        held: TeamRoster | None = None,
        rounds: int = 8,
    ):
        """What an incremental regeneration computes and compares, or ``None`` for a full one.

        Overrides only change who wins the layering while they last, so the
        engine's roster differs only in the shifts (and gaps) overlapping the
        changed stretches, whole.  Each window starts as a stretch (the time
        the horizon gained is one more) with the stored shifts and gaps it
        overlaps or touches, and grows until its edges are clean:
        no wanted or stored shift or gap crosses an edge, and the wanted
        shifts on either side of it are held by different people (else the
        planner would join them into one shift reaching outside), and no
        stored gap or fallback shift abuts it.  Outside clean windows the
        wanted and stored rosters agree, so the planner, given only the
        windows' shifts (and told to look up every other key in use),
        decides exactly what it decides on the whole horizon; an edge at
        ``now`` or at the horizon is the full regeneration's own.  Uncovered
        time running to a window's edge is not local (the first override of
        a role gives it gaps all along the horizon): then, or when the
        windows keep growing, the answer is ``None`` and the regeneration a
        full one.  Returns the result to store gaps and conflicts from (the
        windows' own, plus the stored ones outside them), the wanted shifts
        the stored rows of the windows, and the team's stored gaps not
        ended at ``now``.  ``setup`` is the team's (see :class:`TeamSetup`);
        ``held``, the roster in memory when it holds the team as this write
        found it, spares reading the conflicts and, when it has none, the gaps.
        """
        until = team.materialized_until
        if until is None or until > horizon_end or until <= now:
            # Never materialized, or the horizon was shortened since: only
            # a full regeneration deletes what now lies beyond it.
            return None
        epsilon = timedelta(microseconds=1)
        # A stretch in the past or beyond the horizon still moves the
        # uncovered time next to it (a gap runs to the nearest coverage):
        # it starts as the instant nearest to it, and grows from there.
        spans = []
        for start, end in stretches:
            start = min(max(start, now), horizon_end - epsilon)
            spans.append((start, max(min(end, horizon_end), start + epsilon)))
        minute = None
        if horizon_end > until:
            spans.append((until, horizon_end))
        elif now < effective_instant(now):
            # The last regeneration was in this same minute (its horizon ends
            # where this one's does): a change of holder it found at its
            # ``now`` takes effect only from the next whole minute, so until
            # then the stored roster may differ from the engine's.  If it
            # deferred one, the current minute is a window too, for the
            # planner to see that.
            minute = (now, effective_instant(now))
        windows = _merged(spans)
        data = self.roster_input(team, since=now, until=horizon_end, now=now, setup=setup) if windows else None
        results: list[roster_engine.RosterResult] = []
        stored: list[Shift] = []
        # Rows to update, unless the roster in memory tells there are none.
        gaps = [] if held is not None and all(gap.end <= now for gap in held.gaps) else self._stored_gaps(team, now)
        # Read a little around each window, so that growing them past a
        # shift or two needs no second query (and the stretch months ahead
        # does not read every shift from now to there).
        fetched = _read_around([*windows, *([minute] if minute else [])], now, horizon_end)
        nearby = self._stored_between(team, now, horizon_end, fetched)
        # A deferred change leaves its mark: the stored roster changes hands
        # (or coverage) before the next whole minute is over, where the
        # old holder's time runs out (that minute, or the end of its shift).
        if minute is not None and any(
            now < instant <= minute[1] for row in [*nearby, *gaps] for instant in (row.start, row.end)
        ):
            windows = _merged([*windows, minute])
        # The stored shifts and gaps a stretch overlaps or touches are what
        # the engine's roster changes there at least, most often exactly:
        # starting from them, the windows are usually clean after one round
        # (growing from the bare stretch took two or three engine runs).
        windows = _merged(
            (max(start, now), min(end, horizon_end))
            for start, end in _grown_to(windows, [row for row in [*nearby, *gaps] if row.end > now])
        )
        for _ in range(rounds if windows else 0):
            # One engine run per window, reaching a microsecond past each
            # edge that is not the full regeneration's, to see the shifts
            # that touch it from outside.
            results = [
                self._build(data, start - epsilon if start > now else start,
                            end + epsilon if end < horizon_end else end)
                for start, end in windows
            ]
            if any(
                _reaches_edge(result, start - epsilon if start > now else None,
                              end + epsilon if end < horizon_end else None)
                for (start, end), result in zip(windows, results)
            ):
                return None
            if not all(any(low <= start and end <= high for low, high in fetched) for start, end in windows):
                fetched = _read_around(windows, now, horizon_end)
                nearby = self._stored_between(team, now, horizon_end, fetched)
            stored = _in_windows(nearby, windows, now, horizon_end)
            grown = []
            for (start, end), result in zip(windows, results):
                inside = [
                    item
                    for item in [*result.shifts, *result.gaps, *stored, *gaps]
                    if item.start < end and item.end > start and item.end > now
                ]
                # Uncovered time stored next to the window may be what the
                # change joins or removes (the last override of a role
                # deleted takes the role's gaps with it).
                uncovered = [*(row for row in nearby if row.source == "fallback"), *gaps]
                inside.extend(
                    item
                    for item in uncovered
                    if (start > now and item.end == start) or (end < horizon_end and item.start == end)
                )
                low = min([start, *(item.start for item in inside)])
                high = max([end, *(item.end for item in inside)])
                if low == start and start > now:
                    low = min([low, *(before.start for before, _ in _joins(result.shifts, start))])
                if high == end and end < horizon_end:
                    high = max([high, *(after.end for _, after in _joins(result.shifts, end))])
                grown.append((max(low, now), min(high, horizon_end)))
            grown = _merged(grown)
            if grown == windows:
                break
            windows = grown
        else:
            if windows:
                return None  # still growing: a full regeneration is as quick
        shifts, gap_items, conflicts = [], [], []
        for (start, end), result in zip(windows, results):
            shifts.extend(s for s in result.shifts if s.start < end and s.end > start and s.end > now)
            gap_items.extend(g for g in result.gaps if g.start < end and g.end > start)
            conflicts.extend(c for c in result.conflicts if c.start < end and c.end > start)

        def outside(item) -> bool:
            return not any(item.start < end and item.end > start for start, end in windows)

        gap_items.extend(
            roster_engine.Gap(role=row.role, start=row.start, end=row.end) for row in gaps if outside(row)
        )
        stored_conflicts = (
            [row for row in held.conflicts if row.end > now] if held is not None
            else self.dbsession.scalars(
                select(RosterConflict).where(RosterConflict.team_id == team.id, RosterConflict.end > now)
            )
        )
        conflicts.extend(
            roster_engine.RuleConflict(
                rotation_id=row.rotation_id, role=row.role, start=row.start, end=row.end,
                rule=row.rule, message=row.message,
            )
            for row in stored_conflicts
            if outside(row)
        )
        result = roster_engine.RosterResult(
            gaps=tuple(sorted(gap_items, key=lambda gap: (gap.start, gap.role))),
            conflicts=tuple(conflicts),
        )
        return result, shifts, stored, gaps

    def _keep_reports(self, team: Team, result: roster_engine.RosterResult) -> None:
        """Keep each planner's report with its rotation (the rotation's API answer shows it)."""
        if not result.reports:
            return
        for rotation in self.rotations(team):
            report = result.reports.get(rotation.id)
            if report is not None and rotation.solver != report:
                rotation.solver = dict(report)

    def _build(self, data: roster_engine.RosterInput, start: datetime, end: datetime) -> roster_engine.RosterResult:
        """The engine's roster of ``data`` for ``[start, end)``, its errors as :class:`Invalid`."""
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

    def _stored_between(
        self, team: Team, now: datetime, horizon_end: datetime, ranges: Sequence[tuple[datetime, datetime]]
    ) -> list[Shift]:
        """The stored shifts not ended before ``now`` that overlap or touch one of ``ranges``, by start.

        A range up to the horizon means everything after it too, as a full
        regeneration reads.
        """
        overlapping = [
            and_(Shift.end >= max(low, now), Shift.start <= high) if high < horizon_end else Shift.end >= max(low, now)
            for low, high in ranges
        ]
        query = select(Shift).where(Shift.team_id == team.id, or_(*overlapping))
        return list(self.dbsession.scalars(query.order_by(Shift.start).options(_WITHOUT_PERSON)))

    def _stored_gaps(self, team: Team, now: datetime) -> list[RosterGap]:
        return list(
            self.dbsession.scalars(select(RosterGap).where(RosterGap.team_id == team.id, RosterGap.end > now))
        )

    def _ended_since(self, team: Team, since: datetime, now: datetime) -> list[Shift]:
        """Shifts that ended between ``since`` and ``now``."""
        if since >= now:
            return []
        return list(
            self.dbsession.scalars(
                select(Shift).where(Shift.team_id == team.id, Shift.end < now, Shift.end > since)
            )
        )

    def _ended_keys(self, team: Team, keys: set[str], now: datetime, *, live_too: bool = False) -> set[str]:
        """Which of ``keys`` already name shifts that ended (or any stored shift, ``live_too``)."""
        found: set[str] = set()
        ordered = sorted(keys)
        for offset in range(0, len(ordered), 500):
            chunk = ordered[offset : offset + 500]
            query = select(Shift.key).where(Shift.team_id == team.id, Shift.key.in_(chunk))
            if not live_too:
                query = query.where(Shift.end < now)
            found.update(self.dbsession.scalars(query))
        return found

    # -- previews -----------------------------------------------------------

    def preview(self, team: Team, rotations: Sequence[Rotation], now: datetime | None = None) -> dict:
        """What the stored roster would become with ``rotations``; nothing is saved.

        Returns the added, removed and reassigned shifts (engine shifts and
        stored shifts compared by key) plus the gaps and conflicts ahead.
        """
        now = now or utcnow()
        result = self.compute(
            team, now, effective_instant(now) + self.horizon, rotations=rotations, replan=True, now=now
        )
        wanted = [shift for shift in result.shifts if shift.end > now]
        stored = self.stored_from(team, now)
        # Compared with what would be stored, not with the engine's raw
        # answer, so the preview shows exactly what saving would change.
        would_be = self._plan(team, stored, wanted, now).result(stored)
        before = [shift for shift in stored if shift.end > now]
        after = [shift for shift in would_be if shift.end > now]
        diff = roster_engine.diff_rosters(before, after)
        return {"diff": diff, "result": result, "before": before, "after": after, "now": now}


def _merged(windows: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The windows sorted, with those that overlap or touch made one."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _read_around(windows, now: datetime, horizon_end: datetime) -> list[tuple[datetime, datetime]]:
    """The ranges of stored shifts to read for ``windows``: each with a little around it."""
    return _merged((max(start - _READ_AROUND, now), min(end + _READ_AROUND, horizon_end)) for start, end in windows)


def _grown_to(windows, rows) -> list[tuple[datetime, datetime]]:
    """Each window grown, once, to take in the rows that overlap or touch it."""
    grown = []
    for start, end in windows:
        touching = [row for row in rows if row.start <= end and row.end >= start]
        grown.append((min([start, *(row.start for row in touching)]), max([end, *(row.end for row in touching)])))
    return grown


def _in_windows(rows: list[Shift], windows, now: datetime, horizon_end: datetime) -> list[Shift]:
    """The rows a full regeneration would compare within the windows.

    A window from ``now`` also takes the shifts ending right then, and one
    reaching the horizon everything after it.
    """

    def inside(row: Shift) -> bool:
        for start, end in windows:
            reaches = end >= horizon_end or row.start < end
            if reaches and (row.end > start or (start == now and row.end >= now)):
                return True
        return False

    return [row for row in rows if inside(row)]


def _reaches_edge(result, start: datetime | None, end: datetime | None) -> bool:
    """Whether uncovered time in ``result`` runs to the edge of the window it was asked through.

    The engine stretches a gap (or the fallback's shift) to the nearest
    coverage; with none before it, or none for a long way after, it stops
    at the window's edge.  Such time is not local to the window (the first
    override of a role changes the gaps of the whole horizon), so the
    regeneration must be a full one.  ``None`` is an edge of the full
    regeneration's own window.
    """
    uncovered = [*result.gaps, *(s for s in result.shifts if s.source == "fallback")]
    return any(item.start == start or item.end == end for item in uncovered)


def _joins(shifts, instant: datetime) -> list[tuple]:
    """The shifts ending at ``instant`` that the planner would join with one starting there.

    Consecutive pieces with the same holder become one stored shift (see
    :func:`plantao.engine.materialize.merge_pieces`).
    """
    starting = {(s.role, s.person_id, s.source): s for s in shifts if s.start == instant}
    return [
        (s, starting[(s.role, s.person_id, s.source)])
        for s in shifts
        if s.end == instant and (s.role, s.person_id, s.source) in starting
    ]


def teams_involving(dbsession: Session, person_id: int) -> list[Team]:
    """Teams whose roster may change when ``person_id`` changes (leave, deactivation)."""
    team_ids = set(
        dbsession.scalars(select(Override.team_id).where(Override.person_id == person_id))
    )
    team_ids.update(dbsession.scalars(select(Team.id).where(Team.fallback_person_id == person_id)))
    # Calendars shown from memory carry the leave of whoever held a shift
    # there lately (a rotation since deleted, say): those teams hear of it too.
    team_ids.update(
        dbsession.scalars(
            select(Shift.team_id).where(Shift.person_id == person_id, Shift.end > utcnow() - WINDOW_BEHIND).distinct()
        )
    )
    for rotation in dbsession.scalars(select(Rotation).options(selectinload(Rotation.versions))):
        if any(_mentions(version, person_id) for version in rotation.versions):
            team_ids.add(rotation.team_id)
    if not team_ids:
        return []
    return list(dbsession.scalars(select(Team).where(Team.id.in_(team_ids)).order_by(Team.id)))


def _named_people(rotations: Iterable[roster_engine.RotationSpec], team: Team, overridden: Iterable[int]) -> set[int]:
    """Everybody ``team``'s roster can name: its rotations' members (of every version),
    its fallback and the people ``overridden`` (its overrides')."""
    named = set(overridden)
    if team.fallback_person_id is not None:
        named.add(team.fallback_person_id)
    for rotation in rotations:
        for version in rotation.versions:
            named |= _version_people(version)
    return named


def _mentions(version, person_id: int) -> bool:
    return person_id in _version_people(version)


def _version_people(version) -> set[int]:
    """The people a rotation version names."""
    return people_named(version.members, version.params)
