"""Database engines and the per-request session.

Every request gets one SQLAlchemy session joined to its pyramid_tm
transaction: views never commit; the transaction commits when the view
returns and aborts when it raises.  Serialization failures are retried by
pyramid_retry.
"""

from __future__ import annotations

import threading

import transaction
import zope.sqlalchemy
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings
from .diagnostics import is_read_only_server


def create_database_engine(url: str, **kwargs) -> Engine:
    """An engine that survives a database restart and behaves on SQLite.

    ``pool_pre_ping`` replaces connections the server dropped, so the app
    outlives a PostgreSQL restart without being restarted itself; a
    connection whose server turned read-only (a failover) is dropped at its
    first refused write.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT})
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        event.listen(engine, "commit", _release_writer_lock)
        event.listen(engine, "rollback", _release_writer_lock)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("connect_args", {
        "connect_timeout": 5,
        "application_name": "plantao",
        # A server gone without a word (its VM lost) must not hold a pooled
        # connection for the kernel's minutes: TCP keepalives and a send
        # timeout give up on it within about 20 seconds.
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 3,
        "keepalives_count": 3,
        "tcp_user_timeout": 20000,
    })
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "handle_error", _drop_read_only_connection)
    event.listen(engine, "connect", _use_read_only_connection_once)
    return engine


def standby_engine(url: str) -> Engine | None:
    """For a URL naming several hosts for writes (``target_session_attrs=read-write``),
    an engine that reads from whichever of them answers, standbys included; else None.

    The roster in memory reads through it while no primary answers (a
    failover under way): a synchronous standby already holds every write
    that was acknowledged.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or parsed.query.get("target_session_attrs") != "read-write":
        return None
    reads = parsed.update_query_dict({"target_session_attrs": "any"})
    return create_database_engine(reads.render_as_string(hide_password=False), pool_size=2, max_overflow=2)


def _use_read_only_connection_once(dbapi_connection, connection_record) -> None:
    # A connection opened while the server only reads (a standby, a
    # demoted primary not yet replaced) serves the request that opened it
    # and is not pooled, so the first write after the server (or the one
    # the host name now points to) takes writes again gets a fresh one.
    # PostgreSQL 14 and later report both settings when the session starts:
    # no query is needed.
    status = getattr(getattr(dbapi_connection, "info", None), "parameter_status", None)
    if status is None:
        return  # a driver other than psycopg2
    if "on" in (status("in_hot_standby"), status("default_transaction_read_only")):
        connection_record.invalidate(soft=True)


def _drop_read_only_connection(context) -> None:
    # A primary demoted by a failover keeps its connections open and answers
    # pre-ping, but refuses every write.  Treating the refusal as a
    # disconnect discards that connection and the rest of the pool (all
    # opened to the same old primary), so the next checkout connects anew
    # and libpq's target_session_attrs=read-write finds the new primary.
    if is_read_only_server(context.original_exception):
        context.is_disconnect = True


#: Execution option of an engine whose transactions will write (see :func:`writing`).
WRITES = "plantao_writes"


def writing(engine: Engine) -> Engine:
    """``engine`` for transactions that will write.

    On SQLite they take the database's write lock when they begin (``BEGIN
    IMMEDIATE``), so a write request reads and writes one consistent state
    and concurrent writers queue.  Within one process they queue on a lock
    of their own first: SQLite's busy handler retries at random and could
    starve one writer past its timeout under load ("database is locked"),
    while waiting threads take the lock in turn.  PostgreSQL ignores the
    option (its writers lock rows: see ``services/locking.py``).
    """
    return engine.execution_options(**{WRITES: True})


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    # SQLite enforces foreign keys only when asked, per connection; WAL lets
    # readers go on while a writer commits.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000:.0f}")
    cursor.close()


#: How long a SQLite writer waits for the database (seconds).
SQLITE_BUSY_TIMEOUT = 15.0

# One lock per database file: the writers of this process take turns.
_WRITER_LOCKS: dict[str, threading.RLock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()
_HELD = "plantao.writer_lock"


def _writer_lock(url) -> threading.RLock:
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(str(url), threading.RLock())


def _begin_sqlite(connection) -> None:
    # Other transactions keep the driver's own behaviour: it begins one only
    # before the first write, so their reads hold no snapshot that could go
    # stale.  (Its implicit BEGIN is skipped when one is already open.)
    if not connection.get_execution_options().get(WRITES):
        return
    lock = _writer_lock(connection.engine.url)
    # Past the timeout SQLite's own busy wait takes over (and reports it).
    if lock.acquire(timeout=SQLITE_BUSY_TIMEOUT):
        connection.info[_HELD] = lock
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except Exception:
        _release_writer_lock(connection)
        raise


def _release_writer_lock(connection) -> None:
    lock = connection.info.pop(_HELD, None)
    if lock is not None:
        lock.release()


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


#: Session.info key: the zope.sqlalchemy listeners a session was registered with.
_TRANSACTION_EVENTS = "plantao.transaction_events"


def get_tm_session(session_factory, transaction_manager) -> Session:
    """A session joined to ``transaction_manager``.

    Outside a request (the CLI, scripts, the worker) use it with a manager of
    your own::

        with transaction.manager as tm:
            dbsession = get_tm_session(factory, tm)
            ...
    """
    dbsession = session_factory()
    dbsession.info[_TRANSACTION_EVENTS] = zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def execute_write(dbsession: Session, statement, values: dict) -> None:
    """Run a table statement that writes (built once, given only ``values``) in the session's
    transaction, and mark the session written (:func:`mark_written`).

    For rows nothing reads back in the transaction that writes them (audit
    entries, notification events): the unit of work for one row, or building
    the statement each time, costs more than sending it.
    """
    dbsession.connection().execute(statement, values)
    mark_written(dbsession)


def mark_written(dbsession: Session) -> None:
    """Tell the transaction manager that ``dbsession`` wrote through a table statement.

    zope.sqlalchemy counts a transaction as a write from the ORM's flushes
    and statements only: one whose only write was a table statement on the
    session's connection (an audit entry, say) would be rolled back at its
    end.  A session that no transaction manager governs needs nothing.
    """
    events = dbsession.info.get(_TRANSACTION_EVENTS)
    if events is not None:
        events.mark_changed(dbsession)


#: Methods that never write: their transactions begin as plain readers.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def includeme(config) -> None:
    """Wire the engine, pyramid_tm and pyramid_retry into the app."""
    plantao_settings: Settings = config.registry.plantao_settings
    settings = config.get_settings()
    # The transaction manager comes from the request, never a thread-local.
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    settings.setdefault("retry.attempts", 3)
    # Naming the user on each transaction would resolve the identity of
    # every request, even those that never write.
    settings.setdefault("tm.annotate_user", False)
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    engine = config.registry.get("dbengine") or create_database_engine(plantao_settings.database_url)
    session_factory = get_session_factory(engine)
    config.registry["dbengine"] = engine
    config.registry["dbsession_factory"] = session_factory

    writer_engine = writing(engine)

    def dbsession(request) -> Session:
        if request.method in SAFE_METHODS:
            return get_tm_session(session_factory, request.tm)
        return get_tm_session(lambda: session_factory(bind=writer_engine), request.tm)

    config.add_request_method(dbsession, reify=True)


def run_in_transaction(registry, work):
    """Run ``work(dbsession)`` in a transaction of its own and return its result.

    For code outside a request: the CLI, start-up tasks and the worker.
    """
    manager = transaction.TransactionManager(explicit=True)
    factory = registry["dbsession_factory"]
    with manager:
        dbsession = get_tm_session(lambda: factory(bind=writing(registry["dbengine"])), manager)
        return work(dbsession)
