"""Alembic is the only source of the schema, and it never touches a stranger's database."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from plantao import schema
from plantao.db import create_database_engine
from plantao.models import Base


def test_models_and_migrations_agree(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_the_schema_is_at_head_and_upgrading_again_changes_nothing(engine):
    before = schema.status(engine)
    assert before.at_head
    assert schema.upgrade(engine) == before


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database of its own, empty, on the same backend as ``database_url``."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'other.sqlite3'}"
        return
    name = f"{url.database}_other"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_foreign_database_is_refused_and_left_untouched(empty_database):
    engine = create_database_engine(empty_database)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE plantonistas (id integer primary key, nome text)"))
        connection.execute(text("INSERT INTO plantonistas VALUES (1, 'Ana')"))
    with pytest.raises(schema.ForeignDatabaseError, match="plantonistas"):
        schema.upgrade(engine)
    with engine.connect() as connection:
        assert inspect(connection).get_table_names() == ["plantonistas"]
        assert connection.execute(text("SELECT nome FROM plantonistas")).scalar() == "Ana"
    engine.dispose()


def test_an_empty_database_is_migrated_from_scratch(empty_database):
    engine = create_database_engine(empty_database)
    assert schema.status(engine).current is None
    assert schema.upgrade(engine).at_head
    engine.dispose()


def test_instances_starting_together_migrate_one_after_the_other(empty_database):
    if make_url(empty_database).get_backend_name() != "postgresql":
        pytest.skip("the advisory lock exists on PostgreSQL only; SQLite runs one instance")
    engines = [create_database_engine(empty_database) for _ in range(3)]
    results, errors = [], []

    def start(engine):
        try:
            results.append(schema.upgrade(engine))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(result.at_head for result in results) and len(results) == 3
    for engine in engines:
        engine.dispose()
