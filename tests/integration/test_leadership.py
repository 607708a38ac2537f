"""One instance at a time keeps the roster horizon, and another takes over when it dies.

The job's leader holds a PostgreSQL session advisory lock on a connection of
its own (:class:`plantao.leadership.Leadership`); the server drops it with the
leader's connection, so the next try of another instance takes the job.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import pytest
from sqlalchemy import text

from plantao import horizon
from plantao.db import create_database_engine
from plantao.horizon import HorizonKeeper
from plantao.leadership import Leadership, lock_key

#: Generous: the server notices a killed process's socket at once on loopback.
TAKEOVER_BOUND = 30.0


@pytest.fixture
def pg_engine(postgresql_url):
    engine = create_database_engine(postgresql_url)
    yield engine
    engine.dispose()


def test_sqlite_serves_one_instance_so_it_always_leads(tmp_path):
    engine = create_database_engine(f"sqlite:///{tmp_path / 'one.sqlite'}")
    assert Leadership(engine, "horizon").lead() and Leadership(engine, "horizon").lead()
    engine.dispose()


def test_lock_keys_are_stable_and_distinct():
    assert lock_key("horizon") == lock_key("horizon") != lock_key("scheduler")
    assert -(2**63) <= lock_key("a very long job name") < 2**63


@pytest.mark.postgresql
def test_one_of_two_instances_leads_until_it_lets_go(postgresql_url, pg_engine):
    other_engine = create_database_engine(postgresql_url)
    first, second = Leadership(pg_engine, "horizon"), Leadership(other_engine, "horizon")
    try:
        assert first.lead() is True
        assert first.lead() is True  # kept, not taken twice
        assert second.lead() is False
        first.release()
        assert second.lead() is True
        assert first.lead() is False
    finally:
        first.release()
        second.release()
        other_engine.dispose()


@pytest.mark.postgresql
def test_a_leader_that_loses_its_connection_notices_and_takes_the_lock_again(pg_engine, caplog):
    leader = Leadership(pg_engine, "horizon")
    try:
        assert leader.lead()
        pid = leader.connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with pg_engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        assert leader.lead() is True  # nobody else held it meanwhile
        assert "lost the horizon lock" in caplog.text
    finally:
        leader.release()


LEADER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from plantao.db import create_database_engine
    from plantao.leadership import Leadership
    leadership = Leadership(create_database_engine(sys.argv[1]), "horizon")
    print("leading" if leadership.lead() else "not leading", flush=True)
    time.sleep(600)
    """
)


@pytest.mark.postgresql
def test_when_the_leading_process_dies_another_instance_takes_over(postgresql_url, pg_engine, capsys):
    process = subprocess.Popen(
        [sys.executable, "-c", LEADER_SCRIPT, postgresql_url], stdout=subprocess.PIPE, text=True
    )
    follower = Leadership(pg_engine, "horizon")
    try:
        assert process.stdout.readline().strip() == "leading"
        assert follower.lead() is False
        process.kill()
        process.wait(timeout=30)
        killed = time.monotonic()
        while not follower.lead():
            assert time.monotonic() - killed < TAKEOVER_BOUND, "nobody took over the horizon"
            time.sleep(0.05)
        took = time.monotonic() - killed
        with capsys.disabled():  # the figure belongs in the run's output, not only in a failure
            print(f"\n[leadership] the horizon was taken over {took:.2f} s after its leader was killed")
    finally:
        follower.release()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        process.stdout.close()


class FakeRegistry(dict):
    """What the keeper reads: the engine (the refresh itself is recorded, not run)."""


@pytest.mark.postgresql
def test_of_two_horizon_keepers_only_the_leader_refreshes(postgresql_url, pg_engine, monkeypatch):
    other_engine = create_database_engine(postgresql_url)
    rounds: list[str] = []
    monkeypatch.setattr(horizon, "refresh_stale_teams", lambda registry: rounds.append(registry["name"]))
    monkeypatch.setattr(horizon, "settle_due_requests", lambda registry: 0)
    keepers = [
        HorizonKeeper(FakeRegistry(dbengine=engine, name=name), interval=0.02)
        for engine, name in ((pg_engine, "a"), (other_engine, "b"))
    ]
    try:
        for keeper in keepers:
            keeper.start()
        deadline = time.monotonic() + 10
        while len(rounds) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        # While both run. Once the leader stops it lets go, and the other one
        # may rightly take over in the instant before it notices its own stop.
        while_both_ran = list(rounds)
    finally:
        for keeper in keepers:
            keeper.stop()
        for keeper in keepers:
            keeper.join(timeout=10)
        other_engine.dispose()
    assert len(while_both_ran) >= 10
    assert len(set(while_both_ran)) == 1, while_both_ran


def test_the_keeper_stops_and_lets_go(tmp_path, monkeypatch):
    engine = create_database_engine(f"sqlite:///{tmp_path / 'one.sqlite'}")
    released = threading.Event()
    monkeypatch.setattr(horizon, "refresh_stale_teams", lambda registry: None)
    monkeypatch.setattr(horizon, "settle_due_requests", lambda registry: 0)
    keeper = HorizonKeeper(FakeRegistry(dbengine=engine), interval=0.01)
    monkeypatch.setattr(keeper.leadership, "release", released.set)  # what the thread does on its way out
    try:
        keeper.start()
        keeper.stop()
        keeper.join(timeout=10)
    finally:
        engine.dispose()
    assert not keeper.is_alive() and released.is_set()
