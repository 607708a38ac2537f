"""SQLite writers queue instead of failing: a writing transaction takes the lock first.

In WAL mode a transaction that read, then tries to write after another
writer committed, gets "database is locked" at once (its snapshot is stale,
so waiting cannot help).  Requests that may write, and the work of
``run_in_transaction``, begin with ``BEGIN IMMEDIATE`` instead
(:func:`plantao.db.writing`), so they wait their turn.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from plantao.db import create_database_engine, writing


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_database_engine(f"sqlite:///{tmp_path / 'writers.sqlite'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield engine
    engine.dispose()


def read_then_write(engine, read_done: threading.Event, other_committed: threading.Event) -> None:
    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT value FROM counter")).scalar_one()
        read_done.set()
        other_committed.wait(timeout=5)
        connection.execute(text("UPDATE counter SET value = value + 1"))


def other_writer(engine, read_done: threading.Event, other_committed: threading.Event, errors: list) -> None:
    read_done.wait(timeout=5)
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(text("UPDATE counter SET value = value + 10"))
    except OperationalError as error:  # pragma: no cover - reported below
        errors.append(error)
    finally:
        other_committed.set()


def test_a_deferred_reader_that_writes_after_another_commit_is_refused_at_once(sqlite_engine):
    # The failure the writing engine exists for, shown on a plain one.
    read_done, other_committed, errors = threading.Event(), threading.Event(), []
    thread = threading.Thread(target=other_writer, args=(sqlite_engine, read_done, other_committed, errors))
    thread.start()
    with pytest.raises(OperationalError, match="locked"):
        read_then_write(sqlite_engine, read_done, other_committed)
    thread.join()
    assert errors == []


def test_writing_transactions_queue_and_both_commit(sqlite_engine):
    writer = writing(sqlite_engine)
    read_done, other_committed, errors = threading.Event(), threading.Event(), []
    thread = threading.Thread(target=other_writer, args=(writer, read_done, other_committed, errors))
    thread.start()
    # The other writer now waits for this transaction's lock; this one does
    # not wait for it to commit (it cannot, holding the lock), and commits.
    with writer.connect() as connection, connection.begin():
        connection.execute(text("SELECT value FROM counter")).scalar_one()
        read_done.set()
        connection.execute(text("UPDATE counter SET value = value + 1"))
    thread.join(timeout=20)
    assert errors == []
    with sqlite_engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM counter")).scalar_one() == 11
