"""Serialising the writes to a team: every write takes the team's row lock first.

A write to a team inserts rows that reference it (an override, a rotation,
shifts, outbox events) and then regenerates its roster, which locks the
team row ``FOR UPDATE``.  On PostgreSQL each of those inserts takes a
``KEY SHARE`` lock on the team row; two writers holding it could not then
both upgrade it, and PostgreSQL would abort one of them as a deadlock.  So
a write method locks the team before it inserts anything that references
it, and two writes to one team simply run one after the other.

SQLite has no row locks (``FOR UPDATE`` is not emitted there): a no-op
update of the team takes its database-wide write lock instead, so there too
the whole write, its reads included, runs after the one before it commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, select, update
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session

from ..models import Team
from .errors import NotFound

# Session.info key: the ids of the teams this transaction has locked (and reloaded).
LOCKED = "plantao.locked_teams"


def lock_team(dbsession: Session, team: Team, *reload) -> Team:
    """Lock ``team``'s row until the transaction ends, and reload it if it changed since it was read.

    Call it first in every service method that writes to a team.  Waiting
    for the lock means another write to the team committed meanwhile: the
    team, and the team's rows in ``reload`` (the override or rotation being
    changed, read before the lock), are reloaded so that this write starts
    from what it committed.  One of them removed meanwhile is a 404.
    """
    if holds_lock(dbsession, team):
        pass  # locked earlier in this transaction: held as committed since
    elif dbsession.get_bind().dialect.name == "sqlite":
        dbsession.execute(
            update(Team).where(Team.id == team.id).values(slug=Team.slug),
            execution_options={"synchronize_session": False},
        )
        dbsession.refresh(team)
    else:
        # Every change to a team moves its roster revision (see
        # plantao.models.revision), so the revision alone, read under the
        # lock, says whether the team (and its holidays) must be read again.
        held = team.__dict__.get("roster_revision")
        locked = dbsession.execute(
            select(Team.roster_revision).where(Team.id == team.id).with_for_update()
        ).first()
        if held is None or locked is None or locked[0] != held:
            dbsession.refresh(team, with_for_update=True)
    _held(dbsession, team)
    for instance in reload:
        identity = instance.id
        try:
            dbsession.refresh(instance)
        except InvalidRequestError:
            what = type(instance).__name__.lower()
            raise NotFound(
                f"The {what} {identity} was just removed by another request.",
                code="removed_meanwhile",
                params={"what": what, "id": identity},
            ) from None
    return team


def locked_team(dbsession: Session, slug: str) -> Team | None:
    """The team named ``slug`` read and locked in one statement (``None`` when there is none):
    what a write reads first, so that :func:`lock_team` has nothing left to do."""
    if dbsession.get_bind().dialect.name == "sqlite":
        team = dbsession.scalar(select(Team).where(Team.slug == slug))
        return lock_team(dbsession, team) if team is not None else None
    # Populated afresh: a copy of the row read earlier in the session would
    # not show what the lock waited for.
    team = dbsession.scalar(
        select(Team).where(Team.slug == slug).with_for_update().execution_options(populate_existing=True)
    )
    if team is not None:
        _held(dbsession, team)
    return team


def _held(dbsession: Session, team: Team) -> None:
    """Note that this transaction holds ``team``'s lock (see :func:`holds_lock`)."""
    dbsession.info.setdefault(LOCKED, set()).add(team.id)


def lock_teams(dbsession: Session, teams: Iterable[Team]) -> list[Team]:
    """Lock several teams, always in id order (so that two such writes cannot deadlock)."""
    ordered = sorted(teams, key=lambda team: team.id)
    for team in ordered:
        lock_team(dbsession, team)
    return ordered


def holds_lock(dbsession: Session, team: Team) -> bool:
    """Whether this transaction already locked ``team`` (so it holds the team as committed, and no
    other writer can change it until the end)."""
    return team.id in dbsession.info.get(LOCKED, ())


@event.listens_for(Session, "after_transaction_end")
def _locks_released(dbsession: Session, transaction) -> None:
    # Row locks last until the outermost transaction ends...
    if transaction.parent is None:
        dbsession.info.pop(LOCKED, None)


@event.listens_for(Session, "after_soft_rollback")
def _savepoint_locks_released(dbsession: Session, previous_transaction) -> None:
    # ...but PostgreSQL releases those taken in a savepoint rolled back:
    # the next write locks (and reloads) its team again.
    dbsession.info.pop(LOCKED, None)
