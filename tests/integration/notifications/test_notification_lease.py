"""Two dispatchers and a slow receiver: a claim covers only what is being sent (issue 10, item 5).

A dispatcher that claimed a whole batch at once, with one ``claimed_at``,
sent it one delivery after the other; behind a receiver that takes seconds
to answer, the lease of the last ones ran out while they still waited, and
the other dispatcher claimed and sent them a second time.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from plantao.config import Settings
from plantao.db import get_session_factory
from plantao.notifications.dispatcher import Dispatcher

from test_notification_workers import pg_engine, seed, statuses, wait_for  # noqa: F401 (pg_engine is a fixture)

#: How long the receiver takes to answer each request.
SLOW = 3.0


@pytest.fixture
def slow_receiver():
    """A webhook receiver that answers every request after ``SLOW`` seconds; yields (url, keys received)."""
    keys: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server API)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                keys.append(self.headers["Idempotency-Key"])
            time.sleep(SLOW)
            try:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", keys
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.postgresql
@pytest.mark.slow
def test_two_dispatchers_behind_a_slow_receiver_send_nothing_twice(pg_engine, postgresql_url, plugins, tmp_path,
                                                                    slow_receiver):
    url, keys = slow_receiver
    deliveries = 6
    seed(pg_engine, url, deliveries)
    # Each send takes 3 s and the lease is 12 s: six deliveries claimed at
    # once by one dispatcher would still be waiting, the last two, when
    # their lease runs out.
    settings = Settings(database_url=postgresql_url, admin_password="lease test password", data_dir=tmp_path,
                        session_secret="lease-test-secret-" + "x" * 32)
    settings = dataclasses.replace(settings, notify_lease_seconds=12, notify_poll_seconds=0.5,
                                   notify_backoff_seconds=1)
    factory = get_session_factory(pg_engine)
    dispatchers = [Dispatcher(factory, settings, plugins, name=f"d{n}") for n in (1, 2)]
    threads = [threading.Thread(target=d.run_forever, daemon=True) for d in dispatchers]
    for thread in threads:
        thread.start()
    try:
        assert wait_for(lambda: statuses(pg_engine)["sent"] == deliveries, timeout=60), statuses(pg_engine)
        time.sleep(1.5)  # a duplicate claimed last would have reached the receiver by now
    finally:
        for dispatcher in dispatchers:
            dispatcher.stop()
        for thread in threads:
            thread.join(timeout=30)
    assert len(keys) == deliveries and set(Counter(keys).values()) == {1}, Counter(keys)
