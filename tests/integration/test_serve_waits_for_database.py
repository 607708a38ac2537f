"""``plantao serve`` started before its database answers: it listens, says why it waits, and catches up.

The database is one that does not exist yet on a running PostgreSQL (as a
fresh Compose volume still initialising would be): the instance answers
503 with ``Retry-After`` and the reason, ``/healthz`` stays up, and once the
database exists it migrates, loads the demo and serves, with no restart.
A rejected password still ends ``serve`` with exit code 3 at once.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest
from sqlalchemy.engine import make_url

from plantao.cli import EXIT_DATABASE
from tests.conftest import require_postgres, run_sql, throwaway_database
from tests.live_server import Server, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]


def get(port: int, path: str, accept: str = "application/json") -> tuple[int, dict, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def missing_database():
    """A database name nobody created yet, on the real server; dropped after the test."""
    with throwaway_database("plantao_late", create=False) as (name, url):
        yield name, url


def test_serve_answers_503_until_its_database_exists_then_serves_without_a_restart(tmp_path, missing_database):
    name, url = missing_database
    server = Server(tmp_path, {"DATABASE_URL": url, "ADMIN_PASSWORD": "x" * 24}, free_port())
    try:
        server.wait_until_serving()
        assert "not answering yet" in server.log

        status, _, body = get(server.port, "/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"})
        status, _, body = get(server.port, "/readyz")
        assert status == 503 and json.loads(body)["status"] == "starting", body
        assert name in json.loads(body)["error"]

        status, headers, body = get(server.port, "/api/v1/teams")
        assert status == 503, body
        assert headers.get("Retry-After") == "5"
        assert "is starting" in json.loads(body)["error"] and name in json.loads(body)["error"]
        status, headers, body = get(server.port, "/", accept="text/html")
        assert status == 503 and "text/html" in headers["Content-Type"], body
        assert headers.get("Retry-After") == "5"

        run_sql(require_postgres(), f'CREATE DATABASE "{name}"')
        deadline = time.monotonic() + 60
        while get(server.port, "/readyz")[0] != 200:
            assert time.monotonic() < deadline, server.log
            time.sleep(0.3)
        status, _, body = get(server.port, "/api/v1/teams")
        assert status == 200 and [team["slug"] for team in json.loads(body)["teams"]] == ["demo"], body
        assert "The database answers: serving every request" in server.log
        assert "Traceback" not in server.log
    finally:
        server.stop()


def test_a_rejected_password_still_ends_serve_with_exit_code_3(tmp_path):
    admin_url = make_url(require_postgres())
    role = f"plantao_role_{uuid.uuid4().hex[:8]}"
    url = admin_url.set(username=role, password="wrong-" + uuid.uuid4().hex).render_as_string(hide_password=False)
    server = Server(tmp_path, {"DATABASE_URL": url, "ADMIN_PASSWORD": "x" * 24}, free_port())
    try:
        server.process.wait(timeout=60)
    finally:
        server.stop()
    assert server.process.returncode == EXIT_DATABASE, server.log
    assert "not answering yet" not in server.log
