"""SQLite writers take turns instead of failing with "database is locked".

Requests that may write, and the work of ``run_in_transaction``, begin with
the database's write lock (``BEGIN IMMEDIATE``, :func:`plantao.db.writing`),
and the writers of one process queue on a lock of their own before that:
SQLite's busy handler retries at random and could starve one writer past
its timeout under load.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from plantao.db import _writer_lock, create_database_engine, writing


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_database_engine(f"sqlite:///{tmp_path / 'writers.sqlite'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (1, 0)"))
    yield engine
    engine.dispose()


def counter(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT value FROM counter")).scalar_one()


def test_writers_that_hold_the_database_longer_than_its_busy_timeout_all_commit(sqlite_engine):
    # SQLite alone would give up on each waiting writer after 100 ms.
    event.listen(sqlite_engine, "connect", lambda dbapi, record: dbapi.execute("PRAGMA busy_timeout=100"))
    writer, start, errors = writing(sqlite_engine), threading.Barrier(4), []

    def write() -> None:
        start.wait()
        try:
            with writer.connect() as connection, connection.begin():
                value = connection.execute(text("SELECT value FROM counter")).scalar_one()
                time.sleep(0.3)  # what a slow regeneration does while holding the lock
                connection.execute(text("UPDATE counter SET value = :value"), {"value": value + 1})
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    # Each read what the one before it wrote: no update was lost.
    assert counter(sqlite_engine) == 4


def test_a_writer_that_fails_or_is_closed_uncommitted_lets_the_next_one_in(sqlite_engine):
    writer = writing(sqlite_engine)
    with pytest.raises(RuntimeError), writer.connect() as connection, connection.begin():
        connection.execute(text("UPDATE counter SET value = 5"))
        raise RuntimeError("the view failed")
    session = Session(bind=writer)
    session.execute(text("UPDATE counter SET value = 7"))
    session.close()

    taken: list[bool] = []

    def try_lock() -> None:
        lock = _writer_lock(sqlite_engine.url)
        taken.append(lock.acquire(blocking=False))
        if taken[-1]:
            lock.release()

    thread = threading.Thread(target=try_lock)
    thread.start()
    thread.join()
    assert taken == [True]
    assert counter(sqlite_engine) == 0


def test_readers_take_no_write_lock(sqlite_engine):
    # GET requests' sessions: nothing is locked by reading.
    with sqlite_engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT value FROM counter")).scalar_one()
        with writing(sqlite_engine).connect() as other, other.begin():
            other.execute(text("UPDATE counter SET value = 1"))
    assert counter(sqlite_engine) == 1
