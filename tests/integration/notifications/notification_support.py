"""Real local servers for the notification channels, and a roster to notify about.

``receiver`` is an HTTP server standing in for webhook receivers, the
Telegram Bot API and Slack: it records every request, checks nothing by
itself (the tests do) and answers errors or hangs on demand.  ``smtp`` is a
real SMTP server (aiosmtpd) on a free port.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import transaction

from plantao.db import get_session_factory, get_tm_session
from plantao.models import ChannelConfig, Person, Rotation, RotationVersion, Team
from plantao.services.context import ServiceContext
from plantao.services.roster import RosterService
from tests.live_server import free_port

WEBHOOK_SECRET = "s3cret-signing-key-0123456789"
BOT_TOKEN = "123456:TEST-token"


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the local HTTP server got, and how it should answer next."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0
    fail_status: int = 500
    hang_first: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]


def start_receiver(state: Receiver) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (the http.server API)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                hang, state.hang_first = state.hang_first, 0.0
                failing = state.fail_next > 0
                if failing:
                    state.fail_next -= 1
                else:
                    state.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if hang:
                threading.Event().wait(hang)
            status = state.fail_status if failing else 200
            answer = b'{"ok": true}' if status == 200 else b'{"ok": false, "error": "on demand"}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the sender died or gave up waiting: nobody to answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def receiver():
    state = Receiver()
    server = start_receiver(state)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()




@dataclass
class Mailbox:
    hostname: str
    port: int
    messages: list = field(default_factory=list)


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    box = Mailbox("127.0.0.1", 0)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
            box.messages.append(envelope)
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"plantao" and auth_data.password == b"pw"
        return AuthResult(success=ok)

    box.port = free_port()
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=box.port, authenticator=authenticate, auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def session_factory(clean_engine):
    return get_session_factory(clean_engine)


@pytest.fixture
def write(session_factory):
    """``write(work)``: run ``work(dbsession)`` in a committed transaction of its own."""

    def run(work):
        manager = transaction.TransactionManager(explicit=True)
        with manager:
            return work(get_tm_session(session_factory, manager))

    return run


#: A fixed Monday 12:00 UTC (09:00 in São Paulo), far enough ahead to be stable.
T0 = datetime(2031, 3, 3, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def roster(write, settings, plugins):
    """Team "infra" (São Paulo), Ana, Bruno and Carla on a daily rotation from T0 - 2 days."""

    def build(dbsession):
        people = [
            Person(name="Ana", email="ana@example.org", telegram_chat_id="1001", chat={}, active=True),
            Person(name="Bruno", email="bruno@example.org", telegram_chat_id="1002", chat={}, active=True),
            Person(name="Carla", email="carla@example.org", chat={}, active=True),
        ]
        dbsession.add_all(people)
        team = Team(slug="infra", name="Infra", timezone="America/Sao_Paulo", holiday_country="BR")
        dbsession.add(team)
        dbsession.flush()
        rotation = Rotation(team_id=team.id, name="Diário", policy="daily", role="primary", priority=0,
                            start=T0 - timedelta(days=2))
        rotation.versions = [RotationVersion(effective_from=T0 - timedelta(days=2),
                                             params={"handoff_time": "09:00"},
                                             members=[p.id for p in people], rules={}, restriction=None,
                                             turn_mode="calendar")]
        dbsession.add(rotation)
        dbsession.flush()
        RosterService(ServiceContext(dbsession, settings, plugins)).materialize(team, T0 - timedelta(days=2))
        return {"team": team.id, "people": [p.id for p in people]}

    return write(build)


def configure(write, team_id: int, channel: str, params: dict, events=None, language="pt-BR"):
    from plantao.notifications.events import KINDS

    def work(dbsession):
        dbsession.add(ChannelConfig(team_id=team_id, channel=channel, params=params, enabled=True,
                                    events=list(events if events is not None else KINDS), language=language))

    write(work)
