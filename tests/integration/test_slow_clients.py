"""waitress as ``plantao serve`` configures it: its limits, and what slow clients do to it.

waitress has no deadline for reading a request header: a connection that
trickles a byte now and then keeps its place for good, and CONNECTION_LIMIT
of them (less the two sockets of waitress' own) stop it from accepting
anybody else. That is the documented limit of running without Caddy in
front (docs/operacao.md); these tests pin it down, and show the server
answers again as soon as the slow clients go. tests/ops/test_caddy.py
runs the same attack through Caddy, which holds it off.
"""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest

from plantao.app import make_app
from plantao.cli import waitress_options
from plantao.config import Settings
from tests.live_server import waitress_in_thread
from tests.ops.slow_clients import LOOPBACK, TricklingClients, healthz_seconds

LIMIT = 20
#: waitress counts its listening socket and its wake-up pipe against the limit.
OWN_SOCKETS = 2


@pytest.fixture
def waitress_port(tmp_path: Path, plugins):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'plantao.sqlite3'}",
        admin_password="correct horse battery staple",
        data_dir=tmp_path,
        session_secret="test-session-secret-" + "x" * 32,
        connection_limit=LIMIT,
        max_request_body_bytes=4096,
    )
    with waitress_in_thread(make_app(settings, plugins=plugins), settings) as port:
        yield port


def test_waitress_gets_the_configured_limits():
    settings = Settings(
        database_url="sqlite://", max_request_body_bytes=5000, channel_timeout_seconds=42, connection_limit=7
    )
    options = waitress_options(settings)
    assert options["max_request_body_size"] == 5000
    assert options["channel_timeout"] == 42
    assert options["connection_limit"] == 7


@pytest.mark.slow
def test_slow_clients_block_waitress_at_its_connection_limit_and_it_recovers_at_once(waitress_port):
    with TricklingClients(waitress_port, LIMIT - OWN_SOCKETS - 1):
        below = healthz_seconds(waitress_port, timeout=10)
    with TricklingClients(waitress_port, LIMIT - OWN_SOCKETS):
        at_limit = healthz_seconds(waitress_port, timeout=2)
    after = healthz_seconds(waitress_port, timeout=10)
    print(f"\n/healthz with waitress alone: {below} s below the limit, {at_limit} at it, {after} s once they left")
    # Generous bounds (a loaded CI machine is slow, not wrong); the figures
    # themselves are printed above and by ``make bench``.
    assert below is not None
    assert at_limit is None, "the documented limit: waitress alone is blocked by CONNECTION_LIMIT - 2 slow clients"
    assert after is not None


@pytest.mark.slow
def test_waitress_refuses_a_chunked_body_over_the_limit(waitress_port):
    connection = http.client.HTTPConnection(LOOPBACK, waitress_port, timeout=10)
    try:
        connection.request(
            "POST",
            "/api/v1/people",
            body=iter([b"x" * 3000, b"x" * 3000]),
            headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    assert response.status == 413
