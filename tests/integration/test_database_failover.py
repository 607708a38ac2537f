"""After a failover: several hosts, a demoted primary, dropped connections.

A Patroni failover leaves the old primary running as a standby: connections
still open to it read and refuse every write (``ReadOnlySqlTransaction``).
Here a database of our own, made read-only, stands for that demoted primary:
a write there answers 503 with ``Retry-After``, stores nothing and costs its
connection, so once the database takes writes again the next write succeeds
without a restart.  A connection the server drops under a read is replaced
and the read run once more; a write is never repeated.  A URL naming several
hosts is tried in order, as libpq does, and skips a host that only reads.
"""

from __future__ import annotations

import uuid

import pytest
import webtest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from plantao import schema
from plantao.app import make_app
from plantao.config import load_settings
from plantao.db import create_database_engine
from plantao.plugins import build_registry
from tests.conftest import ADMIN_PASSWORD, require_postgres, run_sql, throwaway_database
from tests.live_server import free_port

pytestmark = pytest.mark.postgresql

HEADERS = {"Authorization": f"Bearer {ADMIN_PASSWORD}"}




@pytest.fixture(scope="module")
def admin_url():
    return require_postgres()


@pytest.fixture
def database(admin_url):
    """A fresh database at the schema's head, as ``(name, url)``; dropped afterwards."""
    with throwaway_database("plantao_failover") as (name, url):
        engine = create_database_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        yield name, url


def make_read_only(admin_url: str, name: str) -> None:
    """The database refuses writes from now on, as a demoted primary does; its sessions end."""
    run_sql(
        admin_url,
        f'ALTER DATABASE "{name}" SET default_transaction_read_only = on',
        # A demoted primary restarts as a standby: every session ends.
        f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()",
    )


def make_writable(admin_url: str, name: str) -> None:
    run_sql(admin_url, f'ALTER DATABASE "{name}" RESET default_transaction_read_only')


def team_slugs(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return sorted(connection.execute(text("SELECT slug FROM teams")).scalars())
    finally:
        engine.dispose()


def client(url: str, tmp_path):
    from plantao.config import Settings

    engine = create_database_engine(url)
    settings = Settings(database_url=url, admin_password=ADMIN_PASSWORD, data_dir=tmp_path)
    return webtest.TestApp(make_app(settings, plugins=build_registry(), engine=engine)), engine


def test_a_write_on_a_read_only_server_answers_503_stores_nothing_and_recovers_without_restart(
    admin_url, database, tmp_path
):
    name, url = database
    app, engine = client(url, tmp_path)
    try:
        assert app.get("/api/v1/teams").status_int == 200  # a pooled connection, opened while writable
        make_read_only(admin_url, name)

        refused = app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS, expect_errors=True)
        assert refused.status_int == 503
        assert refused.headers["Retry-After"].isdigit()
        assert set(refused.json) == {"error", "details"}
        assert "nothing was changed" in refused.json["error"]
        assert team_slugs(url) == []

        # Reads go on while the server only reads.
        assert app.get("/api/v1/teams").status_int == 200

        make_writable(admin_url, name)
        # The connection that met the read-only server was discarded: the
        # next write gets a fresh one, which takes writes.
        created = app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS)
        assert created.status_int == 201
        assert team_slugs(url) == ["ops"]
    finally:
        engine.dispose()


def test_a_pooled_connection_whose_server_turned_read_only_is_discarded_at_the_refused_write(
    admin_url, database, tmp_path
):
    """The connection was opened while the server took writes: pre-ping cannot tell, the refusal does."""
    _, url = database
    app, engine = client(url, tmp_path)
    try:
        assert app.get("/api/v1/teams").status_int == 200
        assert engine.pool.checkedin() == 1
        with engine.connect() as connection:  # the pooled one: its session now only reads
            connection.exec_driver_sql("SET SESSION default_transaction_read_only = on")
            connection.commit()

        refused = app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS, expect_errors=True)
        assert refused.status_int == 503
        assert refused.headers["Retry-After"].isdigit()
        assert team_slugs(url) == []
        assert app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS).status_int == 201
    finally:
        engine.dispose()


def test_a_form_posted_to_a_read_only_server_gets_the_503_page(admin_url, database, tmp_path):
    name, url = database
    app, engine = client(url, tmp_path)
    try:
        login = app.get("/admin/login").forms[0]
        login["password"] = ADMIN_PASSWORD
        login.submit(status=303)
        form = app.get("/admin/teams/new").forms[1]
        form["slug"], form["name"] = "infra", "Infra"
        make_read_only(admin_url, name)

        page = form.submit(status=503)
        assert page.content_type == "text/html"
        assert page.headers["Retry-After"].isdigit()
        assert "<html" in page.text.lower()
        assert team_slugs(url) == []
    finally:
        make_writable(admin_url, name)
        engine.dispose()


class DropFirstConnection:
    """Terminates, from outside, the server session of the first statement run: a connection lost mid-request."""

    def __init__(self, engine, admin_url: str):
        self.admin_url = admin_url
        self.pids: list[int] = []
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        pid = cursor.connection.info.backend_pid
        self.pids.append(pid)
        if len(self.pids) == 1:
            run_sql(self.admin_url, f"SELECT pg_terminate_backend({pid}, 5000)")


def test_a_read_that_loses_its_connection_is_run_once_more_on_a_fresh_one(admin_url, database, tmp_path):
    _, url = database
    app, engine = client(url, tmp_path)
    try:
        app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS)
        dropped = DropFirstConnection(engine, admin_url)
        answer = app.get("/api/v1/teams")
        assert answer.status_int == 200
        assert [team["slug"] for team in answer.json["teams"]] == ["ops"]
        assert len(set(dropped.pids)) == 2, "the read ran again on another connection"
    finally:
        engine.dispose()


def test_a_write_that_loses_its_connection_is_not_repeated_and_answers_503(admin_url, database, tmp_path):
    _, url = database
    app, engine = client(url, tmp_path)
    try:
        dropped = DropFirstConnection(engine, admin_url)
        refused = app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS, expect_errors=True)
        assert refused.status_int == 503
        assert refused.headers["Retry-After"].isdigit()
        assert len(set(dropped.pids)) == 1, "a write is never run twice by the server"
        assert team_slugs(url) == []
        assert app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS).status_int == 201
    finally:
        engine.dispose()


def db_variables(admin_url: str, name: str, hosts: str) -> dict[str, str]:
    parsed = make_url(admin_url)
    return {
        "DB_HOST": hosts,
        "DB_PORT_EXTERNAL": str(parsed.port or 5432),
        "DB_USER": parsed.username or "postgres",
        "DB_PASS": parsed.password or "",
        "DB_NAME": name,
    }


def server_port(url: str) -> int:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT inet_server_port()")).scalar_one()
    finally:
        engine.dispose()


def test_several_db_hosts_are_tried_in_order_past_a_closed_port(admin_url, database, tmp_path):
    name, _ = database
    real = make_url(admin_url)
    real_host, real_port = real.host or "127.0.0.1", real.port or 5432
    closed = free_port()
    settings = load_settings(
        db_variables(admin_url, name, f"127.0.0.1:{closed},{real_host}"),
        dotenv_path=None,
        overrides={"PLANTAO_DATA_DIR": str(tmp_path)},
    )
    assert "target_session_attrs=read-write" in settings.database_url
    assert f"127.0.0.1:{closed}" in settings.safe_database_url
    assert server_port(settings.database_url) == real_port

    app, engine = client(settings.database_url, tmp_path)
    try:
        assert app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS).status_int == 201
        assert app.get("/readyz").json["status"] == "ok"
    finally:
        engine.dispose()


def twice_the_same_host(admin_url: str, name: str, tmp_path):
    """A client whose DB_HOST names the test server twice (``target_session_attrs=read-write``)."""
    real = make_url(admin_url)
    host = f"{real.host or '127.0.0.1'}:{real.port or 5432}"
    settings = load_settings(
        db_variables(admin_url, name, f"{host},{host}"),
        dotenv_path=None,
        overrides={"PLANTAO_DATA_DIR": str(tmp_path)},
    )
    return client(settings.database_url, tmp_path)


def test_with_every_host_read_only_there_is_no_primary_and_a_write_answers_503(admin_url, database, tmp_path):
    """read-write skips a host whose sessions only read: with none left, the answer is a 503."""
    name, _ = database
    app, engine = twice_the_same_host(admin_url, name, tmp_path)
    try:
        make_read_only(admin_url, name)
        refused = app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS, expect_errors=True)
        assert refused.status_int == 503
        assert refused.headers["Retry-After"].isdigit()
        make_writable(admin_url, name)
        assert app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS).status_int == 201
    finally:
        engine.dispose()


def test_plantao_check_shows_every_host_and_never_the_password(admin_url, database, tmp_path):
    import os
    import subprocess
    import sys

    name, _ = database
    real = make_url(admin_url)
    closed = free_port()
    password = "never-shown-" + uuid.uuid4().hex[:8]
    variables = db_variables(admin_url, name, f"127.0.0.1:{closed},{real.host or '127.0.0.1'}")
    # A server that trusts local clients ignores the password; one that asks uses its own.
    variables["DB_PASS"] = real.password or password
    result = subprocess.run(
        [sys.executable, "-m", "plantao.cli", "check"],
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "LANG": "C.UTF-8",
            "PLANTAO_DATA_DIR": str(tmp_path / "var"),
            "ADMIN_PASSWORD": "a-long-enough-admin-password",
            **variables,
        },
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stdout
    assert f"host=127.0.0.1:{closed}&host={real.host or '127.0.0.1'}:{real.port or 5432}" in result.stdout
    assert "target_session_attrs=read-write" in result.stdout
    assert variables["DB_PASS"] not in result.stdout


def test_while_no_primary_answers_the_roster_in_memory_follows_a_standby(admin_url, database, tmp_path):
    """During a failover only standbys answer: the roster in memory reads there, current, not stale."""
    name, _ = database
    app, engine = twice_the_same_host(admin_url, name, tmp_path)
    model = app.app.registry.read_model
    model.freshness = 0.0
    try:
        assert model.standby is not None
        app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS)
        make_read_only(admin_url, name)
        # A write the (old) primary acknowledged just before: the standby has it.
        run_sql(
            make_url(admin_url).set(database=name).render_as_string(hide_password=False),
            "SET default_transaction_read_only = off",
            "UPDATE teams SET name = 'Operações', roster_revision = roster_revision + 1",
            "UPDATE roster_state SET revision = revision + 1",
        )
        answer = app.get("/api/v1/teams/ops/oncall")
        assert "X-Plantao-Stale" not in answer.headers
        ready = app.get("/readyz").json  # writes cannot be taken: degraded, but current
        assert ready["status"] == "degraded" and ready["stale_seconds"] <= 1
        assert model.snapshot().team("ops").team.name == "Operações"
        assert app.post_json("/api/v1/teams", {"slug": "dba", "name": "DBA"}, headers=HEADERS,
                             expect_errors=True).status_int == 503
    finally:
        make_writable(admin_url, name)
        engine.dispose()
