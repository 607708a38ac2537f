"""The roster revision: one row, the flag that moves it, and each process's view of it.

One row (:class:`RosterState`) holds a revision that grows with every roster
change, on any instance.  Services only flag their session
(:func:`bump_revision`); the revision is incremented once, just before that
transaction commits (a listener on every :class:`~sqlalchemy.orm.Session`),
and :class:`RosterRevision` is how one process reads it, at most once per
:data:`FRESHNESS` seconds.

It sits with the models, beneath the services that flag it and beneath
:mod:`plantao.caches`, which builds the caches on it and drops them when
this instance commits a change.
"""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Callable

from sqlalchemy import Integer, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from .meta import Base


class RosterState(Base):
    """One row whose revision grows with every roster change, anywhere.

    Instances compare it with the revision their in-process caches were built
    from, so a change committed by one instance reaches the others quickly
    without each request asking the database for the roster itself.
    """

    __tablename__ = "roster_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)


#: How long another instance's change may take to show here.
FRESHNESS = 1.0

# Session.info keys: a roster change is pending in this transaction; the
# transaction being committed carries one.
CHANGED = "plantao.roster_changed"
COMMITTING = "plantao.roster_committing"


def bump_revision(dbsession: Session) -> None:
    """Tell every instance that some roster changed (their caches compare this).

    The shared revision row is incremented once, just before the transaction
    commits, so that writers lock it last and briefly: locking it while
    regenerating teams would deadlock writers that touch several teams.
    The application's own caches are dropped as soon as the transaction
    commits (see :func:`plantao.caches.includeme`), so the change is served at once.
    """
    dbsession.info[CHANGED] = True


def current_revision(dbsession: Session) -> int:
    """The shared roster revision, as stored."""
    return dbsession.scalar(select(RosterState.revision).where(RosterState.id == 1)) or 0


@event.listens_for(Session, "before_commit")
def _increment_revision(dbsession: Session) -> None:
    # Every session, whichever factory made it (the app's, the CLI's, a
    # test's): a flagged transaction must never commit without its increment.
    # A savepoint's release is no commit: the increment waits for the real one.
    if dbsession.in_nested_transaction():
        return
    if dbsession.info.pop(CHANGED, False):
        dbsession.info[COMMITTING] = True
        dbsession.execute(
            update(RosterState).where(RosterState.id == 1).values(revision=RosterState.revision + 1)
        )


class RosterRevision:
    """This process's view of the roster revision, shared by its caches."""

    def __init__(self, session_factory: Callable[[], Session], freshness: float = FRESHNESS):
        self.session_factory = session_factory
        self.freshness = freshness
        self.known: int | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()
        self.listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (a cache's ``clear``) whenever the revision moves or is invalidated."""
        self.listeners.append(listener)

    def current(self) -> int:
        """The revision, re-read at most once per ``freshness`` seconds and at
        once after this instance committed a roster change."""
        now = clock.monotonic()
        if self.known is None or now - self.checked_at >= self.freshness:
            # A short session of its own, outside any request transaction.
            with self.session_factory() as dbsession:
                revision = current_revision(dbsession)
            with self.lock:
                changed = revision != self.known
                self.known = revision
                self.checked_at = now
            if changed:
                self._notify()
        return self.known

    def invalidate(self) -> None:
        """Forget everything (called after this instance commits a roster change)."""
        with self.lock:
            self.checked_at = 0.0
        self._notify()

    def _notify(self) -> None:
        for listener in self.listeners:
            listener()
