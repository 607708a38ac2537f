"""The roster revisions: the rows and the flag that moves them.

One row (:class:`RosterState`) holds a revision that grows with every roster
change, on any instance, and a people revision; each team has its own
``roster_revision``.  Services only flag their session
(:func:`bump_revision`, naming the team); the revisions are incremented
once, just before that transaction commits (a listener on every
:class:`~sqlalchemy.orm.Session`).  Each process's roster in memory
(:mod:`plantao.read_model`) looks at the shared row at most once per
:data:`FRESHNESS` seconds and reloads the teams whose revision moved.

It sits with the models, beneath the services that flag it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, bindparam, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .meta import Base, utcnow
from .team import Team


class RosterState(Base):
    """One row whose revision grows with every roster change, anywhere.

    Instances compare it with the revision their in-process caches were built
    from, so a change committed by one instance reaches the others quickly
    without each request asking the database for the roster itself.
    """

    __tablename__ = "roster_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    #: Grows when anybody's name, contacts or feed token change.
    people_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


#: How long another instance's change may take to show here.
FRESHNESS = 1.0

# Session.info keys: the teams whose roster changed in this transaction
# (a set of ids), whether people changed; the transaction being committed
# carries a change.
CHANGED = "plantao.roster_changed"
PEOPLE_CHANGED = "plantao.people_changed"
COMMITTING = "plantao.roster_committing"
# Rosters in memory prepared by the writer itself: {team id: patch} (see
# plantao.read_model.RosterPatch); a later change to the team voids its patch.
PATCHES = "plantao.roster_patches"


@dataclass
class Committing:
    """What the transaction being committed changed: each team's new revision and the time
    stamped with it (``{team id: (roster_revision, updated_at)}``, ``None`` for a team deleted),
    and whether people changed."""

    people: bool = False
    teams: dict[int, tuple[int, datetime] | None] = field(default_factory=dict)


def bump_revision(dbsession: Session, team=None, *, people: bool = False) -> None:
    """Tell every instance that ``team``'s roster changed (or, ``people=True``,
    that somebody's name, contacts or feed token did).

    ``team`` is a :class:`~plantao.models.Team` or its id.  The team's
    ``roster_revision`` and the shared revision row are incremented once,
    just before the transaction commits, so that writers lock them last and
    briefly (teams in id order, the shared row last: locking them while
    regenerating would deadlock writers that touch several teams).  Each
    instance's in-memory roster then reloads only the teams that moved; this
    instance's is refreshed as soon as the transaction commits (see
    :func:`plantao.caches.includeme`), so the change is served at once.
    """
    changed = dbsession.info.setdefault(CHANGED, set())
    if team is not None:
        team_id = team if isinstance(team, int) else team.id
        changed.add(team_id)
        dbsession.info.get(PATCHES, {}).pop(team_id, None)
    if people:
        dbsession.info[PEOPLE_CHANGED] = True


def current_revisions(dbsession: Session) -> tuple[int, int]:
    """The shared roster revision and people revision, as stored."""
    row = dbsession.execute(
        select(RosterState.revision, RosterState.people_revision).where(RosterState.id == 1)
    ).first()
    return (row[0], row[1]) if row is not None else (0, 0)


@event.listens_for(Session, "before_commit")
def _increment_revision(dbsession: Session) -> None:
    # Every session, whichever factory made it (the app's, the CLI's, a
    # test's): a flagged transaction must never commit without its increment.
    # A savepoint's release is no commit: the increment waits for the real one.
    if dbsession.in_nested_transaction():
        return
    teams = dbsession.info.pop(CHANGED, None)
    people = dbsession.info.pop(PEOPLE_CHANGED, False)
    if teams is None and not people:
        return
    committing = dbsession.info[COMMITTING] = Committing(people=people)
    committed = committing.teams
    stamp = utcnow()
    # Table statements on the transaction's connection: the session has
    # nothing to keep in step with them (the rows' objects are not read
    # again in this transaction), so the ORM's statement machinery is spared.
    # What the session still holds goes first, as an ORM statement's
    # autoflush would send it: the stamp below must be the team's last word.
    dbsession.flush()
    connection = dbsession.connection()
    returning = connection.dialect.update_returning
    for team_id in sorted(teams or ()):
        # The new revision (and the time stamped with it) are what the
        # writer's own roster in memory takes (plantao.caches).
        values = {"team": team_id, "stamp": stamp}
        if returning:
            row = connection.execute(_BUMP_TEAM_RETURNING, values).first()
        else:  # SQLite before 3.35
            connection.execute(_BUMP_TEAM, values)
            row = connection.execute(_TEAM_REVISION, values).first()
        committed[team_id] = (row[0], stamp) if row is not None else None  # None: deleted
    connection.execute(_BUMP_ROSTER_AND_PEOPLE if people else _BUMP_ROSTER)


# Built once, given only their values: building a statement costs more than sending it.
_TEAMS, _STATE = Team.__table__, RosterState.__table__
_BUMP_TEAM = (
    update(_TEAMS).where(_TEAMS.c.id == bindparam("team"))
    .values(roster_revision=_TEAMS.c.roster_revision + 1, updated_at=bindparam("stamp"))
)
_BUMP_TEAM_RETURNING = _BUMP_TEAM.returning(_TEAMS.c.roster_revision)
_TEAM_REVISION = select(_TEAMS.c.roster_revision).where(_TEAMS.c.id == bindparam("team"))
_BUMP_ROSTER = update(_STATE).where(_STATE.c.id == 1).values(revision=_STATE.c.revision + 1)
_BUMP_ROSTER_AND_PEOPLE = _BUMP_ROSTER.values(people_revision=_STATE.c.people_revision + 1)


@event.listens_for(Session, "after_transaction_end")
def _forget_commit(dbsession: Session, transaction) -> None:
    # What the commit stamped was for the after_commit listeners, and the
    # writer's patches for that commit only: neither may reach the
    # session's next transaction.
    if transaction.parent is None:
        dbsession.info.pop(COMMITTING, None)
        dbsession.info.pop(PATCHES, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_patches(dbsession: Session, previous_transaction) -> None:
    # A rolled-back savepoint takes its rows with it: a patch prepared
    # inside it would show them.  Without patches the teams are read again.
    dbsession.info.pop(PATCHES, None)
