"""The database schema: alembic is its only source.

``upgrade`` brings a database to the newest migration.  On PostgreSQL it
holds an advisory lock meanwhile, so instances started together migrate one
after the other; on a SQLite file, a lock on ``<file>.migrate-lock`` beside
it does the same for processes started together (``serve`` and ``worker``).  It refuses to touch a database that holds tables but no
alembic version (the first version's ``escala_db``, or another application's
database): nothing foreign is ever altered.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from .resources import MIGRATIONS_DIR

# An arbitrary constant: the key of the PostgreSQL advisory lock held while
# migrating ("plantao" in ASCII).
MIGRATION_LOCK_KEY = 0x706C616E74616F


class ForeignDatabaseError(Exception):
    """The database has tables that are not Plantão's."""

    def __init__(self, tables: list[str]):
        self.tables = tables
        shown = ", ".join(sorted(tables)[:8]) + (", ..." if len(tables) > 8 else "")
        super().__init__(
            f"The database is not empty and was not created by Plantão (it has no "
            f"alembic_version table; found: {shown}). Refusing to alter it. Point "
            f"DB_NAME or DATABASE_URL to a new, empty database; see docs/operacao.md, "
            f"'Migração a partir da versão em Go'."
        )


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def at_head(self) -> bool:
        return self.current == self.head


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def status(engine: Engine) -> SchemaStatus:
    with engine.connect() as connection:
        return SchemaStatus(current=current_revision(connection), head=head_revision())


def ensure_not_foreign(connection: Connection) -> None:
    tables = inspect(connection).get_table_names()
    if tables and "alembic_version" not in tables:
        raise ForeignDatabaseError(tables)


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    """Hold an exclusive lock beside a SQLite file: SQLite has no advisory locks."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(engine: Engine, revision: str = "head") -> SchemaStatus:
    """Migrate the database to ``revision`` and return the new status."""
    with _sqlite_file_lock(engine), engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            ensure_not_foreign(connection)
            command.upgrade(alembic_config(connection), revision)
            connection.commit()
            return SchemaStatus(current=current_revision(connection), head=head_revision())
        finally:
            if postgres:
                connection.rollback()
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                connection.commit()
