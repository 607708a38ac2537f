"""Whether the database answers and its schema is current: what ``/readyz`` reports."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from ..diagnostics import database_readiness


class DatabaseHealth:
    """The readiness probe's view of the database, on the app's engine (a connection of its own)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def readiness(self) -> tuple[int, dict]:
        """``(status, body)``: 200 when the database answers at the newest migration, else 503 saying why."""
        return database_readiness(self.engine)
