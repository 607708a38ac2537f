"""One instance at a time: jobs that several Plantão processes must not all run.

Several ``plantao serve`` processes may share one PostgreSQL (issue "Always
answering"); some background jobs are better done by one of them only,
such as extending every team's roster horizon.  The instance that holds a
PostgreSQL *session* advisory lock does the job.  It holds the lock on a
connection of its own for as long as it lives: if the process dies, the
server drops that connection and the lock with it, and the next try of any
other instance takes over.  Nothing needs to be told or cleaned up.

On SQLite only one instance serves a database file, so it always leads.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable advisory-lock key for ``name`` (its first eight bytes, big-endian, as a signed bigint)."""
    return int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "big", signed=True)


class Leadership:
    """Whether this process is the one doing job ``name``.

    :meth:`lead` is cheap to call before each round of the job: it keeps the
    lock once taken (checking the connection still holds it) and otherwise
    tries to take it without waiting.
    """

    def __init__(self, engine: Engine, name: str):
        self.engine = engine
        self.name = name
        self.key = lock_key(name)
        self.connection: Connection | None = None
        self.lock = threading.Lock()

    def lead(self) -> bool:
        """True when this process holds the job's lock (taking it if it is free)."""
        if self.engine.dialect.name != "postgresql":
            return True
        with self.lock:
            if self.connection is not None and self._still_held():
                return True
            return self._try_take()

    def _still_held(self) -> bool:
        try:
            self.connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            # The server went away (a restart, a failover): the lock went with
            # the connection, so somebody else may hold it by now.
            log.warning("lost the %s lock with its database connection", self.name)
            self._drop()
            return False

    def _try_take(self) -> bool:
        try:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError:
            return False
        try:
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
        except SQLAlchemyError:
            connection.invalidate()
            connection.close()
            return False
        if not taken:
            connection.close()
            return False
        self.connection = connection
        log.info("this instance now runs %s (it holds its lock)", self.name)
        return True

    def release(self) -> None:
        """Let another instance take the job (at shutdown)."""
        with self.lock:
            if self.connection is None:
                return
            try:
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except SQLAlchemyError:
                pass  # the lock went with the connection anyway
            self._drop()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        try:
            # A session lock must not outlive its holder in the pool: the
            # connection is closed for good, not returned.
            connection.invalidate()
            connection.close()
        except SQLAlchemyError:
            pass
