"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``TEST_DATABASE_URL`` (default: the local server at
127.0.0.1:5432).  Each test session creates a database of its own there and
drops it at the end.  Without a reachable server the PostgreSQL half skips
with the reason, unless ``REQUIRE_POSTGRES=1`` (set by ``.ci/run``), where it
fails.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import itertools
import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from unittest import mock

# Chameleon compiles a template again for every app that renders it, and
# the suite builds an app per test: measured, most of a page test's time
# went to compiling the same templates over and over.  With a directory
# cache Chameleon stores each compiled template as a module named by the
# digest of its source (so an edited template is compiled anew) and loads
# it from there; set before anything imports chameleon, inherited by the
# suite's worker processes and the servers it starts.
if "CHAMELEON_CACHE" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["CHAMELEON_CACHE"] = tempfile.mkdtemp(prefix="plantao-chameleon-")
    atexit.register(shutil.rmtree, os.environ["CHAMELEON_CACHE"], ignore_errors=True)

import pytest
import transaction
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from plantao import schema
from plantao.config import Settings, normalise_database_url
from plantao.db import create_database_engine, get_session_factory, get_tm_session
from plantao.models import Base

hypothesis_settings.register_profile("plantao", deadline=None, max_examples=60)
hypothesis_settings.load_profile("plantao")

# Every test leaves a few hundred objects alive (registries, template and
# roster caches of the apps it built), and each full pass of the garbage
# collector walks all of them: measured, about a fifth of the suite's time
# went to those passes, growing as the run went on.  Freezing what is alive
# after collection and every FREEZE_EVERY tests takes it out of the passes;
# a frozen object is never freed, which a test process can afford (it
# changes no finalizer's timing for the objects tests create and drop).
FREEZE_EVERY = 100
_finished = itertools.count(1)


def pytest_collection_finish(session):
    gc.collect()
    gc.freeze()


def pytest_runtest_logfinish(nodeid, location):
    if next(_finished) % FREEZE_EVERY == 0:
        gc.collect()
        gc.freeze()


ADMIN_PASSWORD = "correct horse battery staple"
DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@contextlib.contextmanager
def statements(engine):
    """The SQL statements ``engine`` runs inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def postgres_admin_url() -> str:
    return normalise_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_POSTGRES_URL)


def require_postgres() -> str:
    """The admin URL of a reachable PostgreSQL, or skip (fail under REQUIRE_POSTGRES=1)."""
    url = postgres_admin_url()
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "no usable server"
        reason = f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {error}"
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    finally:
        engine.dispose()
    return url


def run_sql(url: str, *statements: str) -> None:
    """Run ``statements`` on ``url`` outside any transaction (CREATE DATABASE needs that)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


@contextlib.contextmanager
def session_at(engine, clock: dict, clock_readers: Iterable[str]) -> Iterator[Session]:
    """A session in a transaction rolled back at the end, while ``utcnow`` in the
    modules ``clock_readers`` answers ``clock["now"]`` (the property tests move it
    between writes); a module that does not read the clock is left alone."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection)
    try:
        with contextlib.ExitStack() as stack:
            for module in clock_readers:
                if hasattr(importlib.import_module(module), "utcnow"):
                    stack.enter_context(mock.patch(f"{module}.utcnow", lambda: clock["now"]))
            yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@contextlib.contextmanager
def throwaway_database(prefix: str, *, create: bool = True) -> Iterator[tuple[str, str]]:
    """A PostgreSQL database of the caller's own, as ``(name, url)``, dropped afterwards.

    With ``create=False`` only the name is reserved: the caller creates it
    (a database that appears late), and it is still dropped at the end.
    """
    admin_url = require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    if create:
        run_sql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield name, make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        run_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgresql_url():
    """The URL of a fresh PostgreSQL database for this test session."""
    with throwaway_database("plantao_test") as (_, url):
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'plantao.sqlite3'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request):
    """Parametrizes every database test over both backends."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="session")
def engine(database_url):
    engine = create_database_engine(database_url)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


def _empty_tables(engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables if name != "roster_state")
            connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                if name != "roster_state":
                    connection.execute(text(f'DELETE FROM "{name}"'))
            if _has_sequence(connection):
                connection.execute(text("DELETE FROM sqlite_sequence"))
        connection.execute(text("UPDATE roster_state SET revision = 0"))


def _has_sequence(connection) -> bool:
    return bool(
        connection.execute(
            text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
        ).first()
    )


@pytest.fixture
def clean_engine(engine):
    """The session's engine, with every table emptied after the test."""
    yield engine
    _empty_tables(engine)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


@pytest.fixture
def settings(database_url, data_dir) -> Settings:
    return Settings(
        database_url=database_url,
        admin_password=ADMIN_PASSWORD,
        data_dir=data_dir,
        session_secret="test-session-secret-" + "x" * 32,
        timezone="America/Sao_Paulo",
    )


@pytest.fixture(scope="session")
def plugins():
    from plantao.plugins import build_registry

    return build_registry()


@pytest.fixture
def app(settings, clean_engine, plugins):
    from plantao.app import make_app

    return make_app(settings, plugins=plugins, engine=clean_engine)


@pytest.fixture
def serve_behind_proxy(settings, plugins, clean_engine):
    """``serve_behind_proxy(trusted_proxy)``: the app under a real waitress; answers its port."""
    import contextlib
    import dataclasses

    from plantao.app import make_app
    from tests.live_server import waitress_in_thread

    with contextlib.ExitStack() as servers:

        def start(trusted_proxy: str) -> int:
            proxied = dataclasses.replace(settings, trusted_proxy=trusted_proxy)
            app = make_app(proxied, plugins=plugins, engine=clean_engine)
            return servers.enter_context(waitress_in_thread(app, proxied))

        yield start


@pytest.fixture
def testapp(app):
    """A WebTest client of the whole app, as an anonymous visitor."""
    import webtest

    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})


@pytest.fixture
def admin_headers():
    return {"Authorization": f"Bearer {ADMIN_PASSWORD}"}


@pytest.fixture
def dbsession(clean_engine):
    """A session outside any request, committed with ``transaction.commit()``."""
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    session = get_tm_session(get_session_factory(clean_engine), manager)
    session.transaction_manager = manager
    yield session
    if manager.isDoomed() or manager.get().status == "Active":
        manager.abort()
