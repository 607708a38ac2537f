"""``plantao worker`` processes: exactly once with several, nothing lost when one dies.

Real processes against a real PostgreSQL (and SQLite for the single-worker
rule), delivering to a local webhook receiver.  Every process is killed by
its PID in ``finally``; every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text

from plantao import schema
from plantao.db import create_database_engine, get_session_factory
from plantao.models import Base, ChannelConfig, Delivery, OutboxEvent, Team
from plantao.notifications.events import team_payload

from notification_support import WEBHOOK_SECRET

pytestmark = pytest.mark.slow

WAIT = 25.0


def worker_env(database_url: str, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "NOTIFY_", "SMTP_", "PLANTAO_"))}
    env.update(
        DATABASE_URL=database_url,
        PLANTAO_DATA_DIR=str(tmp_path / "var"),
        ADMIN_PASSWORD="worker test password",
        NOTIFY_POLL_SECONDS="1",
        NOTIFY_LEASE_SECONDS="5",
        NOTIFY_BACKOFF_SECONDS="1",
        PYTHONWARNINGS="ignore",
    )
    return env


def start_worker(env, tmp_path, name: str) -> subprocess.Popen:
    with open(tmp_path / f"{name}.log", "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "plantao.cli", "worker", "--name", name],
            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if process.poll() is None:
        os.kill(process.pid, sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for(condition, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def pg_engine(postgresql_url):
    engine = create_database_engine(postgresql_url)
    schema.upgrade(engine)
    try:
        yield engine
    finally:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "roster_state")
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()


def seed(engine, receiver_url: str, events: int) -> None:
    """A team with a webhook and ``events`` coverage-gap events waiting in the outbox."""
    factory = get_session_factory(engine)
    with factory() as db, db.begin():
        team = Team(slug="ops", name="Ops", timezone="America/Sao_Paulo", holiday_country="BR")
        db.add(team)
        db.flush()
        db.add(ChannelConfig(team_id=team.id, channel="webhook", enabled=True, language="en",
                             params={"url": f"{receiver_url}/hook", "secret": WEBHOOK_SECRET},
                             events=["coverage_gap"]))
        start = datetime(2031, 1, 1, tzinfo=timezone.utc).isoformat()
        for number in range(events):
            db.add(OutboxEvent(kind="coverage_gap", team_id=team.id,
                               payload={"team": team_payload(team),
                                        "gaps": [{"role": f"role-{number}", "start": start, "end": start}]}))


def statuses(engine) -> Counter:
    with get_session_factory(engine)() as db:
        return Counter(db.scalars(select(Delivery.status)))


@pytest.mark.postgresql
def test_two_workers_deliver_each_notification_exactly_once(pg_engine, postgresql_url, receiver, tmp_path):
    events = 40
    seed(pg_engine, receiver.url, events)
    env = worker_env(postgresql_url, tmp_path)
    workers = [start_worker(env, tmp_path, f"w{n}") for n in (1, 2)]
    try:
        assert wait_for(lambda: statuses(pg_engine)["sent"] == events), (
            statuses(pg_engine), (tmp_path / "w1.log").read_text()[-2000:]
        )
        time.sleep(1.5)  # a duplicate would arrive within a poll or two
    finally:
        for worker in workers:
            stop(worker, signal.SIGTERM)
    keys = Counter(r.headers["idempotency-key"] for r in receiver.on("/hook"))
    assert len(keys) == events and set(keys.values()) == {1}
    with get_session_factory(pg_engine)() as db:
        by_worker = Counter(db.scalars(select(Delivery.claimed_by)))
    assert set(by_worker) <= {"w1", "w2"}
    assert all(worker.returncode == 0 for worker in workers)


@pytest.mark.postgresql
def test_a_worker_killed_mid_send_loses_nothing(pg_engine, postgresql_url, receiver, tmp_path):
    seed(pg_engine, receiver.url, 1)
    receiver.hang_first = 3.0
    env = worker_env(postgresql_url, tmp_path)
    first = start_worker(env, tmp_path, "doomed")
    second = None
    try:
        assert wait_for(lambda: receiver.requests), (tmp_path / "doomed.log").read_text()[-2000:]
        stop(first, signal.SIGKILL)
        assert statuses(pg_engine) == Counter({"sending": 1})
        second = start_worker(env, tmp_path, "heir")
        assert wait_for(lambda: statuses(pg_engine) == Counter({"sent": 1})), (tmp_path / "heir.log").read_text()
    finally:
        stop(first)
        if second is not None:
            stop(second, signal.SIGTERM)
    # At least once: the receiver may see the interrupted copy too, always with the same key.
    assert {r.headers["idempotency-key"] for r in receiver.on("/hook")} == {"plantao-1-webhook-team"}
    with get_session_factory(pg_engine)() as db:
        delivery = db.scalars(select(Delivery)).one()
        assert delivery.claimed_by == "heir" and [a.worker for a in delivery.attempt_log] == ["heir"]


def test_a_second_worker_on_sqlite_refuses_to_start(tmp_path):
    url = f"sqlite:///{tmp_path / 'plantao.sqlite3'}"
    env = worker_env(url, tmp_path)
    first = start_worker(env, tmp_path, "first")
    try:
        lock = tmp_path / "plantao.sqlite3.dispatcher.lock"
        assert wait_for(lambda: lock.exists() and lock.read_text().strip()), (tmp_path / "first.log").read_text()
        second = subprocess.run(
            [sys.executable, "-m", "plantao.cli", "worker"],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )
        assert second.returncode == 5
        assert "another dispatcher" in second.stderr and "SQLite allows only one" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        stop(first, signal.SIGTERM)
    assert first.returncode == 0


def test_serve_keeps_the_dispatcher_lock_it_checked(tmp_path, monkeypatch, plugins):
    from plantao.cli import _start_dispatcher_thread
    from plantao.config import Settings
    from plantao.notifications.dispatcher import DispatcherLocked, DispatcherThread, SQLiteLock

    url = f"sqlite:///{tmp_path / 'plantao.sqlite3'}"
    settings = Settings(database_url=url, admin_password="worker test password", data_dir=tmp_path / "var",
                        session_secret="test-session-secret-" + "x" * 32)
    started = []
    monkeypatch.setattr(DispatcherThread, "start", lambda thread: started.append(thread))
    _start_dispatcher_thread(settings, plugins, None)
    (thread,) = started
    try:
        # Between serve's check and the thread's first round, no worker may take the lock.
        with pytest.raises(DispatcherLocked):
            SQLiteLock(url).acquire()
        # The thread lets it go when it stops.
        thread.dispatcher.stop()
        thread.run()
        other = SQLiteLock(url)
        other.acquire()
        other.release()
    finally:
        thread.dispatcher.lock.release()
