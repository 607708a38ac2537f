"""Gaps and conflicts stored with the materialized roster.

:func:`store_gaps` runs inside :meth:`RosterService.materialize
<plantao.services.roster.RosterService.materialize>` with the engine's
result, so the rows change exactly when the shifts do.  The gaps API, the
admin report and the dispatcher read them back with an index
(:func:`gaps_between`, :func:`conflicts_between`); none of them runs the
engine.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from ..engine.materialize import effective_instant
from ..models import RosterConflict, RosterGap, Shift, Team
from ..notifications.events import COVERAGE_GAP
from ..notifications.outbox import add_event
from .context import ServiceContext


def store_gaps(
    dbsession: Session, team: Team, result, now: datetime, *, stored: list[RosterGap] | None = None,
    conflicts_stored: bool | None = None,
) -> tuple[list[RosterGap], list[RosterConflict]]:
    """Make the stored gaps and conflicts from ``now`` on those of the engine's ``result``.

    Gaps that ended are history and stay.  A gap still wanted keeps its row,
    and so its start and whether it was announced: the engine reports an
    ongoing gap from the start of the window it was asked for, so a gap
    that began before ``now`` is the same gap as the stored one in progress.
    Whatever part of an announced gap is no longer wanted is covered now:
    one ``coverage_gap`` event with ``resolved`` lists those parts.  Returns
    the rows it left (flushed): every gap and conflict that had not ended
    at ``now``, as now stored; the ones that had are as they were.
    ``stored``: the team's gap rows not ended at ``now``, when the caller
    has already read them; ``conflicts_stored``: whether the team has
    conflicts not ended at ``now``, when the caller knows.
    """
    if stored is None:
        stored = list(
            dbsession.scalars(select(RosterGap).where(RosterGap.team_id == team.id, RosterGap.end > now))
        )
    stored = sorted(stored, key=lambda row: (row.start, row.id))
    by_start = {(row.role, row.start): row for row in stored}
    in_progress = {row.role: row for row in stored if row.start <= now}
    kept: set[int] = set()
    added: list[RosterGap] = []
    removed: set[int] = set()
    resolved = []
    for gap in result.gaps:
        if gap.end <= now:
            continue
        row = by_start.get((gap.role, gap.start))
        if row is None and gap.start <= now:
            row = in_progress.get(gap.role)
        if row is not None and row.id not in kept:
            kept.add(row.id)
            if row.announced_at is not None and gap.end < row.end:
                # Covered from gap.end on (an override from the next minute, say).
                resolved.append({"role": row.role, "start": gap.end.isoformat(), "end": row.end.isoformat()})
            if row.end != gap.end:
                row.end = gap.end
            continue
        start = gap.start
        if start <= now:
            # The engine starts an ongoing gap at the window it was asked for,
            # that is at the clock of this write: the gap really began where
            # the role was last covered, a roster boundary.
            start = _uncovered_since(dbsession, team, gap.role, now)
            if start >= gap.end:
                continue
        added.append(RosterGap(team_id=team.id, role=gap.role, start=start, end=gap.end))
        dbsession.add(added[-1])

    for row in stored:
        if row.id in kept:
            continue
        # A change already under way takes effect at the next whole minute
        # (see plantao.engine.materialize): so does the cover of a gap.
        covered_from = max(row.start, effective_instant(now))
        if covered_from >= row.end:
            continue
        if row.announced_at is not None:
            resolved.append({"role": row.role, "start": covered_from.isoformat(), "end": row.end.isoformat()})
        if row.start < covered_from:
            row.end = covered_from  # what was uncovered until then stays on record
        else:
            dbsession.delete(row)
            removed.add(row.id)
    if resolved:
        add_event(dbsession, COVERAGE_GAP, team, {"gaps": resolved, "resolved": True})

    if conflicts_stored is not False:
        dbsession.execute(
            delete(RosterConflict)
            .where(RosterConflict.team_id == team.id, RosterConflict.end > now)
            .execution_options(synchronize_session=False)
        )
    conflicts = [
        RosterConflict(team_id=team.id, rotation_id=c.rotation_id, role=c.role, start=c.start, end=c.end,
                       rule=c.rule, message=c.message)
        for c in result.conflicts
        if c.end > now
    ]
    dbsession.add_all(conflicts)
    dbsession.flush()
    return [*(row for row in stored if row.id not in removed), *added], conflicts


def _uncovered_since(dbsession: Session, team: Team, role: str, now: datetime) -> datetime:
    """Where a gap under way at ``now`` began: the end of the role's last shift, else the next whole minute."""
    last = dbsession.scalar(
        select(func.max(Shift.end)).where(Shift.team_id == team.id, Shift.role == role, Shift.end <= now)
    )
    return last if last is not None else effective_instant(now)


def _window(model, team: Team, start: datetime, end: datetime, after, limit):
    query = select(model).where(model.team_id == team.id, model.start < end, model.end > start)
    if after is not None:
        query = query.where(or_(model.start > after[0], and_(model.start == after[0], model.id > after[1])))
    query = query.order_by(model.start, model.id)
    return query if limit is None else query.limit(limit)


def gaps_between(
    dbsession: Session, team: Team, start: datetime, end: datetime, *,
    after: tuple[datetime, int] | None = None, limit: int | None = None,
) -> list[RosterGap]:
    """Stored gaps overlapping ``[start, end)`` by start, then id, after ``after`` (start, id)."""
    return list(dbsession.scalars(_window(RosterGap, team, start, end, after, limit)))


def conflicts_between(
    dbsession: Session, team: Team, start: datetime, end: datetime, *,
    after: tuple[datetime, int] | None = None, limit: int | None = None,
) -> list[RosterConflict]:
    """Stored conflicts overlapping ``[start, end)`` by start, then id, after ``after`` (start, id)."""
    return list(dbsession.scalars(_window(RosterConflict, team, start, end, after, limit)))


def _in_window(rows, start: datetime, end: datetime, after, limit) -> list:
    """What :func:`_window` selects, from rows in memory ordered by (start, id)."""
    found = []
    for row in rows:
        if row.start >= end:
            break
        if row.end > start and (after is None or (row.start, row.id) > after):
            found.append(row)
            if limit is not None and len(found) >= limit:
                break
    return found


class GapService:
    """The stored gaps and conflicts of a team, as the gaps API and the admin report read them:
    from the roster in memory when it holds the interval."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.read_model = ctx.roster

    @property
    def dbsession(self):
        """The request's session, opened only when a read must go to the database."""
        return self.ctx.dbsession

    def _in_memory(self, team, start: datetime):
        if self.read_model is None:
            return None
        roster = self.read_model.snapshot().teams.get(team.id)
        return roster if roster is not None and roster.covers(start) else None

    def gaps(
        self, team, start: datetime, end: datetime, *,
        after: tuple[datetime, int] | None = None, limit: int | None = None,
    ) -> list:
        """Gaps overlapping ``[start, end)`` by start, then id, after ``after`` (start, id)."""
        if (roster := self._in_memory(team, start)) is not None:
            return _in_window(roster.gaps, start, end, after, limit)
        return gaps_between(self.dbsession, team, start, end, after=after, limit=limit)

    def conflicts(
        self, team, start: datetime, end: datetime, *,
        after: tuple[datetime, int] | None = None, limit: int | None = None,
    ) -> list:
        """Conflicts overlapping ``[start, end)`` by start, then id, after ``after`` (start, id)."""
        if (roster := self._in_memory(team, start)) is not None:
            return _in_window(roster.conflicts, start, end, after, limit)
        return conflicts_between(self.dbsession, team, start, end, after=after, limit=limit)
