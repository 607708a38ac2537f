"""Database engines and the per-request session.

Every request gets one SQLAlchemy session joined to its pyramid_tm
transaction: views never commit; the transaction commits when the view
returns and aborts when it raises.  Serialization failures are retried by
pyramid_retry.
"""

from __future__ import annotations

import transaction
import zope.sqlalchemy
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from .config import Settings


def create_database_engine(url: str, **kwargs) -> Engine:
    """An engine that survives a database restart and behaves on SQLite.

    ``pool_pre_ping`` replaces connections the server dropped, so the app
    outlives a PostgreSQL restart without being restarted itself.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 15})
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("connect_args", {"connect_timeout": 5, "application_name": "plantao"})
    return create_engine(url, pool_pre_ping=True, **kwargs)


#: Execution option of an engine whose transactions will write (see :func:`writing`).
WRITES = "plantao_writes"


def writing(engine: Engine) -> Engine:
    """``engine`` for transactions that will write.

    On SQLite they begin with ``BEGIN IMMEDIATE``: a transaction that read
    first and then tried to write would find its snapshot stale whenever
    another writer committed meanwhile, and SQLite answers that with
    "database is locked" at once, without waiting.  Taking the write lock
    at the start makes concurrent writers queue (up to the busy timeout)
    instead.  PostgreSQL ignores the option.
    """
    return engine.execution_options(**{WRITES: True})


def _configure_sqlite(dbapi_connection, connection_record) -> None:
    # The driver would emit its own deferred BEGIN; SQLAlchemy emits it
    # instead (_begin_sqlite), so a writer can ask for BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    # SQLite enforces foreign keys only when asked, per connection; WAL lets
    # readers go on while a writer commits.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def _begin_sqlite(connection) -> None:
    writes = connection.get_execution_options().get(WRITES)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager) -> Session:
    """A session joined to ``transaction_manager``.

    Outside a request (the CLI, scripts, the worker) use it with a manager of
    your own::

        with transaction.manager as tm:
            dbsession = get_tm_session(factory, tm)
            ...
    """
    dbsession = session_factory()
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


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
