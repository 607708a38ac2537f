"""The first run of a fresh clone: the installed ``plantao serve``, as a new user starts it.

No ``.env`` and no ``ADMIN_PASSWORD``: the log shows a generated password
once, with the login URL, and that password opens the admin panel; the next
start only says where it is kept.  Both on the embedded SQLite database and
on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from tests.conftest import throwaway_database
from tests.live_server import PLANTAO, Server, free_port

pytestmark = pytest.mark.slow

GENERATED = re.compile(r"generated one: (\S+)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_env(request):
    """No database variable (embedded SQLite), or a PostgreSQL database of the test's own."""
    if request.param == "sqlite":
        yield {}
        return
    with throwaway_database("plantao_first_run") as (_, url):
        yield {"DATABASE_URL": url}


def log_in(port: int, password: str) -> str:
    """Log in through the admin form (with its CSRF token); the path the browser ends on."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    base = f"http://127.0.0.1:{port}"
    with opener.open(f"{base}/admin/login", timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"password": password, "csrf_token": token}).encode()
    try:
        with opener.open(f"{base}/admin/login", data=body, timeout=10) as response:
            page = response.read().decode()
            path = urllib.parse.urlsplit(response.url).path
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    assert 'name="password"' not in page
    return path


@pytest.fixture
def start(tmp_path, database_env):
    servers = []

    def run() -> Server:
        server = Server(tmp_path, database_env, free_port())
        servers.append(server)
        return server

    yield run
    for server in servers:
        server.stop()


def test_a_fresh_clone_prints_a_generated_password_once_and_it_opens_the_admin_panel(tmp_path, start):
    first = start()
    log = first.wait_until_serving()
    port = first.port

    found = GENERATED.search(log)
    assert found, log
    password = found.group(1)
    assert f"http://127.0.0.1:{port}/admin/login" in log
    assert "ADMIN_PASSWORD in .env" in log
    # The old, untrue warning is gone.
    assert "anybody who read the manual" not in log
    # Where to look first, and that the demo team was loaded.
    assert f"Who is on call: http://127.0.0.1:{port}/" in log
    assert "Demo data loaded" in log and f"http://127.0.0.1:{port}/teams/demo" in log

    kept = tmp_path / "var" / "admin_password"
    assert kept.read_text().strip() == password
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600

    assert log_in(port, password) == "/admin/teams"
    assert log_in(port, "not-the-password") == "HTTP 401"
    first.stop()

    second = start()
    again = second.wait_until_serving()
    assert password not in again
    assert not GENERATED.search(again)
    assert str(kept) in again and "already has teams" in again
    assert log_in(second.port, password) == "/admin/teams"


def serve_on_a_taken_port(tmp_path, **env) -> tuple[subprocess.CompletedProcess, int]:
    """``plantao serve`` on a port another socket holds: its result and the port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(PLANTAO), "serve", "--port", str(port)],
            cwd=tmp_path,
            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PLANTAO_DATA_DIR": str(tmp_path / "var"), **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
    return result, port


def test_a_port_in_use_ends_serve_with_a_plain_message(tmp_path):
    result, port = serve_on_a_taken_port(tmp_path, ADMIN_PASSWORD="a-strong-test-password")
    assert result.returncode == 6, result.stderr
    assert f"Cannot listen on 127.0.0.1:{port}: the port is already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_two_servers_started_together_on_an_empty_database_both_serve_one_demo(start):
    # Issue 10, item 16: the loser of the race sees the demo and goes on.
    first, second = start(), start()
    logs = [first.wait_until_serving(), second.wait_until_serving()]
    assert sum("Demo data loaded" in log for log in logs) == 1, logs
    for server in (first, second):
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/api/v1/teams", timeout=10) as response:
            teams = json.loads(response.read())["teams"]
        assert [team["slug"] for team in teams] == ["demo"]
    # Both kept the one generated password.
    password = GENERATED.search("".join(logs)).group(1)
    assert log_in(first.port, password) == log_in(second.port, password) == "/admin/teams"


def test_a_first_run_that_cannot_listen_still_shows_the_password_it_generated(tmp_path):
    result, _ = serve_on_a_taken_port(tmp_path)
    assert result.returncode == 6, result.stderr
    found = GENERATED.search(result.stderr + result.stdout)
    assert found, result.stderr
    assert (tmp_path / "var" / "admin_password").read_text().strip() == found.group(1)
