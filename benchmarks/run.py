"""How fast Plantão answers, measured on a realistic data set (``make bench``).

One run builds a data set of many teams with years of history, serves the
real application through waitress in a process of its own, and loads it from
this process with concurrent keep-alive connections.  It prints requests per
second and p50/p99 latency of a bare Pyramid "hello" view (the ceiling of
waitress and Pyramid on this machine, served by the same process with the
same number of threads), of ``oncall`` and of ``shifts``, each as a ratio to
the bare view; then how long materializing a year of a 50-member rotation
takes, through the service and in the pure engine.

The benchmark never touches your data: by default it creates a database of
its own (on the local PostgreSQL when one answers at 127.0.0.1:5432 with
trust authentication, else in a temporary SQLite file) and drops it at the
end.  ``--database-url`` points it at another one, which must have no teams.

    .venv/bin/python benchmarks/run.py            # the full run, < 5 minutes
    .venv/bin/python benchmarks/run.py --quick    # a smoke run, < 1 minute
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import math
import multiprocessing
import os
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from plantao import engine as roster_engine
from plantao import schema
from plantao.config import ConfigurationError, Settings, load_settings
from plantao.db import create_database_engine
from plantao.engine.policies import wall_clock
from plantao.models import Override, Person, Rotation, RotationVersion, Shift, Team
from plantao.plugins import build_registry
from plantao.services.context import ServiceContext
from plantao.services.roster import RosterService

POSTGRES_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
HANDOFF = time_of_day(9, 0)
# Zones of the teams: Brazil's, with and without daylight-saving history.
ZONES = ("America/Sao_Paulo", "America/Manaus", "America/Recife", "America/Cuiaba", "America/Belem")
SUBDIVISIONS = (None, None, "SP", "RJ", "MG")


# -- the database -----------------------------------------------------------------


@dataclass
class Database:
    url: str
    description: str
    cleanup: Callable[[], None]


def postgres_reachable(admin_url: str) -> bool:
    engine = create_engine(admin_url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "use SQLite instead"
        return False
    finally:
        engine.dispose()


def temporary_database(admin_url: str) -> Database:
    """A PostgreSQL database of our own when the server answers, else SQLite."""
    if postgres_reachable(admin_url):
        name = f"plantao_bench_{secrets.token_hex(5)}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        url = make_url(admin_url).set(database=name)
        return Database(
            url.render_as_string(hide_password=False),
            f"temporary PostgreSQL database {url.render_as_string(hide_password=True)} (dropped at the end)",
            drop,
        )
    folder = Path(tempfile.mkdtemp(prefix="plantao-bench-"))
    path = folder / "plantao.sqlite3"
    return Database(
        f"sqlite:///{path}",
        f"temporary SQLite file {path} (no PostgreSQL at 127.0.0.1:5432; removed at the end)",
        lambda: shutil.rmtree(folder, ignore_errors=True),
    )


def chosen_database(args) -> Database:
    if args.database_url is None:
        return temporary_database(args.postgres_admin_url)
    url = args.database_url
    if url == "configured":
        url = configured_settings().database_url
    shown = make_url(url).render_as_string(hide_password=True)
    return Database(url, f"{shown} (given; the benchmark's data stays in it)", lambda: None)


def configured_settings() -> Settings:
    try:
        return load_settings(create_data_dir=False)
    except ConfigurationError as error:
        sys.exit(f"benchmark: {error}")


# -- the data set -----------------------------------------------------------------


@dataclass(frozen=True)
class DataSetSize:
    teams: int
    history_years: tuple[int, int]


def build_data_set(engine, settings: Settings, plugins, size: DataSetSize, seed: int, workers: int) -> list[str]:
    """Teams with a few people and a daily or weekly rotation started years ago.

    Shifts that have ended are written in bulk, as rows: they are history,
    which no request recomputes.  The horizon ahead is materialized by the
    real :class:`RosterService`, as the app itself does, in ``workers``
    processes.  Returns the slugs.
    """
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    slugs = [f"team-{number:04d}" for number in range(1, size.teams + 1)]
    started = time.perf_counter()
    history: list[dict] = []
    with Session(engine) as session:
        if session.scalar(select(func.count(Team.id))):
            sys.exit("benchmark: the database already has teams; give an empty one (or none).")
        for first in range(0, size.teams, 200):
            batch = []
            for slug in slugs[first : first + 200]:
                team = Team(
                    slug=slug,
                    name=f"Team {slug[5:]}",
                    timezone=rng.choice(ZONES),
                    holiday_country="BR",
                    holiday_subdivision=rng.choice(SUBDIVISIONS),
                    holiday_optional=False,
                )
                people = [
                    Person(
                        name=f"Person {slug[5:]}-{n}",
                        email=f"p{slug[5:]}.{n}@example.com",
                        phone=f"+55 11 9{rng.randrange(10**7, 10**8)}",
                        chat={},
                        active=True,
                    )
                    for n in range(rng.randint(3, 6))
                ]
                session.add(team)
                session.add_all(people)
                batch.append((team, people))
            session.flush()
            rotations = [_rotation(rng, team, people, size.history_years) for team, people in batch]
            session.add_all(rotations)
            session.flush()
            for (team, _), rotation in zip(batch, rotations):
                history.extend(_history(rotation, ZoneInfo(team.timezone), now))
            session.commit()
    insert_shifts(engine, history)
    print(f"  {size.teams} teams, {len(history):,} past shifts written in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    with Session(engine) as session:
        team_ids = session.scalars(select(Team.id).order_by(Team.id)).all()
    # Each worker opens connections of its own; none may be inherited.
    engine.dispose()
    fields = settings_fields(settings)
    slices = [team_ids[n::workers] for n in range(workers)]
    if workers == 1:
        ahead = materialize_teams(fields, slices[0], now)
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            ahead = sum(pool.map(materialize_teams, [fields] * workers, slices, [now] * workers))
    took = time.perf_counter() - started
    print(
        f"  horizon of {settings.horizon_days} days materialized by RosterService: {ahead:,} shifts "
        f"in {took:.1f} s ({workers} processes, {1000 * took * workers / max(len(team_ids), 1):.0f} ms a team)"
    )
    return slugs


def materialize_teams(fields: dict, team_ids: list[int], now: datetime) -> int:
    """Materialize each team's horizon, one transaction each; the shifts added."""
    settings = settings_from(fields)
    engine = create_database_engine(settings.database_url)
    plugins = build_registry()
    added = 0
    try:
        with Session(engine) as session:
            service = RosterService(ServiceContext(session, settings, plugins))
            for team_id in team_ids:
                added += len(service.materialize(session.get(Team, team_id), now).added)
                session.commit()
    finally:
        engine.dispose()
    return added


def insert_shifts(engine, rows: list[dict]) -> None:
    """Write shift rows fast: COPY on PostgreSQL, one executemany on SQLite."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            connection.execute(Shift.__table__.insert(), rows)
        return
    columns = ("team_id", "person_id", "role", "start", "end", "source", "rotation_id", "key", "sequence",
               "created_at", "updated_at")
    buffer = io.StringIO()
    for row in rows:
        values = [row[name] for name in columns]
        buffer.write("\t".join(
            value.astimezone(timezone.utc).replace(tzinfo=None).isoformat() if isinstance(value, datetime) else str(value)
            for value in values
        ))
        buffer.write("\n")
    buffer.seek(0)
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            quoted = ", ".join(f'"{name}"' for name in columns)
            cursor.copy_expert(f"COPY shifts ({quoted}) FROM STDIN", buffer)
        connection.commit()
    finally:
        connection.close()


def _rotation(rng, team: Team, people: list[Person], years: tuple[int, int]) -> Rotation:
    tz = ZoneInfo(team.timezone)
    policy = "daily" if rng.random() < 0.6 else "weekly"
    first_day = datetime.now(tz).date() - timedelta(days=rng.randint(365 * years[0], 365 * years[1]))
    if policy == "weekly":
        first_day -= timedelta(days=first_day.weekday())  # the default handoff: Monday
    anchor = wall_clock(first_day, HANDOFF, tz)
    rotation = Rotation(team_id=team.id, name=policy.title(), role="primary", policy=policy, priority=0, start=anchor)
    rotation.versions.append(
        RotationVersion(effective_from=anchor, params={}, members=[p.id for p in people], rules={}, restriction=None)
    )
    return rotation


def _history(rotation: Rotation, tz: ZoneInfo, now: datetime) -> Iterator[dict]:
    """The rotation's shifts that ended before ``now``: its members in turn.

    Keys follow the engine's (``r{rotation}:{queue}:{slot}``), so the
    materialized horizon continues this history rather than colliding with it.
    """
    members = rotation.versions[0].members
    period = 1 if rotation.policy == "daily" else 7
    first_day = rotation.start.astimezone(tz).date()
    index = 0
    start = rotation.start
    while True:
        end = wall_clock(first_day + timedelta(days=period * (index + 1)), HANDOFF, tz)
        if end > now:
            return
        yield {
            "team_id": rotation.team_id,
            "person_id": members[index % len(members)],
            "role": "primary",
            "start": start,
            "end": end,
            "source": "rotation",
            "rotation_id": rotation.id,
            "override_id": None,
            "key": f"r{rotation.id}:members:{index}",
            "sequence": 0,
            "created_at": end,
            "updated_at": end,
        }
        index += 1
        start = end


def settings_fields(settings: Settings) -> dict:
    """What another process needs to rebuild ``settings`` (JSON-friendly)."""
    return {
        "database_url": settings.database_url,
        "admin_password": settings.admin_password,
        "data_dir": str(settings.data_dir),
        "session_secret": settings.session_secret,
        "timezone": settings.timezone,
        "horizon_days": settings.horizon_days,
    }


def settings_from(fields: dict) -> Settings:
    return Settings(**{**fields, "data_dir": Path(fields["data_dir"])})


# -- serving ------------------------------------------------------------------------


def hello_app():
    """The ceiling: the smallest Pyramid app, one view, no database."""
    from pyramid.config import Configurator
    from pyramid.response import Response

    def hello(request):
        return Response("Hello", content_type="text/plain")

    with Configurator() as config:
        config.add_route("hello", "/")
        config.add_view(hello, route_name="hello")
    return config.make_wsgi_app()


def serve(config: dict) -> None:
    """The server process: the real app and the bare view, one waitress each."""
    import logging

    # Pyramid still imports pkg_resources; its deprecation is not ours to report here.
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    import waitress

    from plantao.app import make_app
    from plantao.server_log import throttle_queue_warnings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
    # Under load waitress warns about its task queue once per request that
    # waits: as under `plantao serve`, one line a minute with the depth.
    throttle_queue_warnings()
    settings = settings_from(config["settings"])
    engine = create_database_engine(settings.database_url)
    app = make_app(settings, plugins=build_registry(), engine=engine)
    servers = {
        name: waitress.create_server(
            wsgi, host=HOST, port=0, threads=config["threads"], ident="plantao-bench", connection_limit=1000
        )
        for name, wsgi in (("app", app), ("hello", hello_app()))
    }
    for server in servers.values():
        threading.Thread(target=server.run, daemon=True).start()
    print(json.dumps({name: server.effective_port for name, server in servers.items()}), flush=True)
    # The parent closes our stdin when it is done with us.
    sys.stdin.read()


@contextmanager
def server_process(settings: Settings, threads: int) -> Iterator[dict[str, int]]:
    fields = settings_fields(settings)
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", json.dumps({"settings": fields, "threads": threads})],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line:
            sys.exit("benchmark: the server process did not start (see its error above).")
        yield json.loads(line)
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- load ---------------------------------------------------------------------------


#: The ceiling every other measure is divided by: measured in the same run,
#: never a figure from another machine or another day.
BARE_VIEW = "hello (bare Pyramid view)"
SHIFTS_MONTH = "shifts (a month)"
PERSON_FEED = "a person's ics feed, a year (200)"
#: Ratios to the bare view that an endpoint is expected to reach (issue 12).
TARGETS = {"oncall": 0.6, SHIFTS_MONTH: 0.6, PERSON_FEED: 0.6}
#: The median latency one override should reach, alone on the team (issue 12).
OVERRIDE_P50_TARGET_MS = 15


@dataclass
class Measure:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def prime(port: int, template: str, slugs: list[str]) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        for slug in slugs:
            connection.request("GET", template % slug)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                sys.exit(f"benchmark: {template % slug} answered {response.status}")
    finally:
        connection.close()


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return math.nan
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def python_load(name: str, port: int, paths: Callable[[random.Random], str], threads: int, duration: float, warmup: float,
                headers: dict | None = None, expect: int = 200) -> Measure:
    """``threads`` clients on keep-alive connections, each asking as fast as answered."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    begin = threading.Barrier(threads + 1)
    windows: dict[str, float] = {}

    def client(seed: int) -> None:
        rng = random.Random(seed)
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        mine: list[float] = []
        failed = 0
        begin.wait()
        measure_from = windows["from"]
        until = windows["until"]
        while True:
            path = paths(rng)
            sent = time.perf_counter()
            if sent >= until:
                break
            try:
                connection.request("GET", path, headers=headers or {})
                response = connection.getresponse()
                response.read()
                ok = response.status == expect
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
                ok = False
            if sent >= measure_from:
                mine.append(time.perf_counter() - sent)
                failed += not ok
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    windows["from"] = time.perf_counter() + warmup
    windows["until"] = windows["from"] + duration
    begin.wait()
    for worker in workers:
        worker.join()
    latencies.sort()
    return Measure(
        name, len(latencies), errors[0], duration, 1000 * percentile(latencies, 0.50), 1000 * percentile(latencies, 0.99)
    )


WRK_SCRIPT = """
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(id * 7919)
  slugs = {}
  for line in io.lines(args[1]) do slugs[#slugs + 1] = line end
  template = args[2]
end
function request()
  return wrk.format("GET", string.format(template, slugs[math.random(#slugs)]))
end
"""


def wrk_load(name: str, port: int, template: str, slugs_file: Path, script: Path, threads: int, duration: float, warmup: float,
             headers: dict | None = None) -> Measure:
    """The same load from ``wrk`` (C, event loop): its client costs less CPU than ours."""
    base = ["wrk", f"-t{min(threads, 4)}", f"-c{threads}", "-s", str(script),
            *(f"-H{name}: {value}" for name, value in (headers or {}).items()), f"http://{HOST}:{port}"]
    if warmup:
        subprocess.run([*base[:1], f"-d{max(1, round(warmup))}s", *base[1:], "--", str(slugs_file), template],
                       capture_output=True, check=True)
    output = subprocess.run(
        [*base[:1], f"-d{max(1, round(duration))}s", "--latency", *base[1:], "--", str(slugs_file), template],
        capture_output=True, text=True, check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", output).group(1))
    seconds = _wrk_seconds(*re.search(r"requests in ([\d.]+)(\w+)", output).groups())
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    p50 = _wrk_ms(*re.search(r"50%\s+([\d.]+)(\w+)", output).groups())
    p99 = _wrk_ms(*re.search(r"99%\s+([\d.]+)(\w+)", output).groups())
    return Measure(name, requests, failed, seconds, p50, p99)


def _wrk_ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _wrk_seconds(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


# -- materialization ------------------------------------------------------------------


def time_materialization(engine, settings: Settings, plugins, members: int, repeat: int) -> list[tuple[str, float]]:
    """Seconds to materialize a year of a ``members``-person rotation, in full and after one override.

    The full regeneration computes and stores the whole year; an override
    regenerates only the stretch it touches (``RosterService.materialize``
    with ``stretches``), which is what a write waits for.  The issue
    measured 157 ms for the full year of the daily rotation and asks 20 ms
    for the incremental regeneration; the labels say so.  The last team's
    rotation started three years ago, so the engine must reach today
    without replaying the years before.
    """
    year = replace(settings, horizon_days=365)
    figures = []
    now = datetime.now(timezone.utc)
    cases = (("daily", 0), ("weekly", 0), ("daily", 3 * 365))
    for policy, age_days in cases:
        slug = f"bench-{policy}" + (f"-{age_days}d" if age_days else "")
        with Session(engine) as session:
            team = Team(slug=slug, name=f"Bench {slug}", timezone=settings.timezone,
                        holiday_country="BR", holiday_subdivision="SP", holiday_optional=False)
            people = [Person(name=f"Bench {slug} {n}", chat={}, active=True) for n in range(members)]
            session.add(team)
            session.add_all(people)
            session.flush()
            tz = ZoneInfo(team.timezone)
            anchor = wall_clock(datetime.now(tz).date() - timedelta(days=age_days), HANDOFF, tz)
            rotation = Rotation(team_id=team.id, name=policy, role="primary", policy=policy, priority=0, start=anchor)
            rotation.versions.append(RotationVersion(effective_from=anchor, params={},
                                                     members=[p.id for p in people], rules={}, restriction=None))
            session.add(rotation)
            session.commit()
            name = f"{policy}, {members} members" + (f", started {age_days // 365} years ago" if age_days else "")

            service = RosterService(ServiceContext(session, year, plugins))
            started = time.perf_counter()
            report = service.materialize(team, now)
            session.commit()
            first = time.perf_counter() - started
            before = " (157 ms before the incremental work)" if (policy, age_days) == ("daily", 0) else ""
            figures.append((f"{name}, 365 days: full regeneration ({len(report.added)} shifts written){before}", first))

            if not age_days:
                started = time.perf_counter()
                service.materialize(team, now)
                session.commit()
                figures.append((f"{policy}: full regeneration again, nothing changed", time.perf_counter() - started))

            # One override at a time, each on another day ahead: what a
            # write waits for once the override row is in.
            runs = []
            for number in range(repeat):
                day = datetime.now(tz).date() + timedelta(days=20 + 3 * number)
                start = wall_clock(day, time_of_day(14, 0), tz)
                override = Override(team_id=team.id, person_id=people[number % members].id, role="primary",
                                    start=start, end=start + timedelta(hours=2), reason="benchmark")
                session.add(override)
                session.flush()
                started = time.perf_counter()
                service.materialize(team, now, stretches=[(override.start, override.end)])
                session.commit()
                runs.append(time.perf_counter() - started)
            figures.append((f"{name}: after one override, incremental (target < 20 ms, median of {repeat})",
                            statistics.median(runs)))

            if not age_days:
                data = service.roster_input(team, until=now + timedelta(days=365))
                runs = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    result = roster_engine.build_roster(
                        data, now, now + timedelta(days=365), policies=plugins.policies, rules=plugins.rules
                    )
                    runs.append(time.perf_counter() - started)
                figures.append((f"{policy}: engine build_roster for the year ({len(result.shifts)} shifts, "
                                f"median of {repeat})", statistics.median(runs)))
    return figures


# -- exports ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedTarget:
    slug: str
    path: str
    start: datetime
    end: datetime
    #: One of its people's feed over the same year.
    person_path: str = ""


def build_export_team(engine, settings: Settings, plugins, members: int) -> FeedTarget:
    """A team of ``members`` people on a daily rotation, a year of it stored."""
    year = replace(settings, horizon_days=366)
    now = datetime.now(timezone.utc)
    with Session(engine) as session:
        team = Team(slug="bench-export", name="Bench export", timezone=settings.timezone,
                    holiday_country="BR", holiday_subdivision="SP", holiday_optional=False)
        people = [Person(name=f"Pessoa {n:02d}", email=f"pessoa{n}@example.com",
                         phone=f"+55 11 9{n:04d}-0000", chat={}, active=True) for n in range(members)]
        session.add(team)
        session.add_all(people)
        session.flush()
        tz = ZoneInfo(team.timezone)
        today = datetime.now(tz).date()
        anchor = wall_clock(today, HANDOFF, tz)
        rotation = Rotation(team_id=team.id, name="Diário", role="primary", policy="daily", priority=0, start=anchor)
        rotation.versions.append(RotationVersion(effective_from=anchor, params={},
                                                 members=[p.id for p in people], rules={}, restriction=None))
        session.add(rotation)
        session.commit()
        RosterService(ServiceContext(session, year, plugins)).materialize(team, now)
        session.commit()
        person_id = people[0].id
    start, end = today, today + timedelta(days=365)
    query = f"start={start.isoformat()}&end={end.isoformat()}"
    return FeedTarget("bench-export", f"/api/v1/teams/bench-export/export.ics?{query}",
                      wall_clock(start, time_of_day(0), tz), wall_clock(end, time_of_day(0), tz),
                      f"/api/v1/people/{person_id}/export.ics?{query}")


def timed_get(port: int, path: str, headers: dict | None = None) -> tuple:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        return time.perf_counter() - started, response.status, body, response.msg
    finally:
        connection.close()


def measure_exports(port: int, team: FeedTarget, client: str, slugs_file: Path, script: Path, args):
    """Cold and warm single requests, then load on the full feed and on the 304 path."""
    cold, status, body, headers = timed_get(port, team.path)
    if status != 200:
        sys.exit(f"benchmark: {team.path} answered {status}: {body[:300]!r}")
    etag = headers["ETag"]
    warm = statistics.median(timed_get(port, team.path)[0] for _ in range(20))
    revalidations = [timed_get(port, team.path, {"If-None-Match": etag}) for _ in range(20)]
    if any(r[1] != 304 for r in revalidations):
        sys.exit("benchmark: a conditional request did not answer 304")
    not_modified = statistics.median(r[0] for r in revalidations)
    timings = {
        "cold": cold, "warm": warm, "not_modified": not_modified,
        "bytes": len(body), "events": body.count(b"BEGIN:VEVENT"),
    }
    measures = []
    for name, path, extra, expect in (
        ("ics feed, a year (200)", team.path, {}, 200),
        ("ics feed, a year (304)", team.path, {"If-None-Match": etag}, 304),
        (PERSON_FEED, team.person_path, {}, 200),
    ):
        if client == "wrk":
            # The random slug rides along as a parameter the feed ignores.
            measure = wrk_load(name, port, path + "&bench=%s", slugs_file, script, args.threads,
                               args.duration, args.warmup, headers=extra)
        else:
            measure = python_load(name, port, lambda rng, path=path: path, args.threads, args.duration, args.warmup,
                                  headers=extra, expect=expect)
        measures.append(measure)
        print(f"  measured {name}: {measure.per_second:,.0f} requests/s", flush=True)
    return measures, timings


def print_exports(timings: dict, engine, settings: Settings, plugins, team: FeedTarget) -> None:
    """Single-request timings of the year-long feed (its load figures are rows of the table)."""
    from plantao.db import get_session_factory
    from plantao.read_model import ReadModel
    from plantao.services.feeds import FeedRequest, _team_subject, render_feed
    from plantao.services.representations import FULL_CONTACTS

    renders = []
    model = ReadModel(get_session_factory(engine))
    snapshot = model.snapshot()
    subject = _team_subject(snapshot, team.slug)
    request = FeedRequest(kind="team", subject=subject, format=plugins.export_formats["ics"],
                          start=team.start, end=team.end, role=None, person_id=None, params=(),
                          contacts=FULL_CONTACTS, url="", domain="bench")
    for _ in range(3):
        started = time.perf_counter()
        render_feed(request, snapshot, model.session_factory)
        renders.append(time.perf_counter() - started)
    print(f"\nExports: a year of a 50-person daily rotation as ics ({timings['events']} events, "
          f"{timings['bytes'] / 1024:.0f} KiB):")
    print(f"  {'render in process (from memory + icalendar), median of 3':<62} {1000 * statistics.median(renders):8.1f} ms")
    print(f"  {'first request, cold (renders, caches)':<62} {1000 * timings['cold']:8.1f} ms")
    print(f"  {'request again, warm (cached body, 200)':<62} {1000 * timings['warm']:8.1f} ms")
    print(f"  {'conditional request, warm (304)':<62} {1000 * timings['not_modified']:8.1f} ms")


# -- concurrent writes ----------------------------------------------------------------


def measure_concurrent_overrides(port: int, token: str, slug: str, writers: int = 8, writes: int = 20,
                                 days_ahead: int = 2) -> Measure:
    """``writers`` clients posting ``writes`` overrides each to one team at once (distinct hours,
    from ``days_ahead`` days on).

    Writes to a team serialise on its row lock, so this is the latency a
    writer sees while others write to the same team; any non-2xx is an error.
    With one writer it is the cost of one override.
    """
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, body, _ = _request(port, "GET", "/api/v1/people?limit=1", headers)
    if status != 200 or not json.loads(body)["people"]:
        sys.exit(f"benchmark: no person to write overrides for ({status})")
    person = json.loads(body)["people"][0]["id"]
    first = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=days_ahead)
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def writer(number: int) -> None:
        for index in range(writes):
            start = first + timedelta(hours=number * writes + index)
            payload = json.dumps({"person": person, "start": start.isoformat(),
                                  "end": (start + timedelta(hours=1)).isoformat(), "reason": "bench"})
            started = time.perf_counter()
            status, _, _ = _request(port, "POST", f"/api/v1/teams/{slug}/overrides", headers, payload)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                errors[0] += not 200 <= status < 300

    began = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    latencies.sort()
    return Measure(f"{writers} writers x {writes} overrides, 1 team", len(latencies), errors[0], seconds,
                   1000 * percentile(latencies, 0.5), 1000 * percentile(latencies, 0.99))


def _request(port: int, method: str, path: str, headers: dict, body: str | None = None) -> tuple:
    connection = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), response.msg
    finally:
        connection.close()


# -- the run ----------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, help="teams in the data set (default 1000; --quick: 50)")
    parser.add_argument("--duration", type=float, help="seconds of measured load per endpoint (default 5; --quick: 1)")
    parser.add_argument("--warmup", type=float, help="seconds of unmeasured load first (default 1; --quick: 0.3)")
    parser.add_argument("--threads", type=int, default=16, help="concurrent client connections (default 16)")
    parser.add_argument("--server-threads", type=int, default=8,
                        help="waitress threads of each server (default 8, as `plantao serve`)")
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke run")
    parser.add_argument("--client", choices=("auto", "python", "wrk"), default="auto",
                        help="load generator: wrk when installed (auto), or the Python one")
    parser.add_argument("--database-url", help="use this database (it must have no teams); "
                        "'configured' means the one of the configuration (.env, DATABASE_URL...); "
                        "default: a temporary database, dropped at the end")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL,
                        help="server on which to create the temporary database")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="processes materializing the data set (default: one per CPU)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--skip-exports", action="store_true",
                        help="do not measure the exports (a year of a 50-person team as ics)")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    args.teams = args.teams or (50 if quick else 1000)
    args.duration = args.duration or (1.0 if quick else 5.0)
    args.warmup = args.warmup if args.warmup is not None else (0.3 if quick else 1.0)
    args.years = (2, 3)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(json.loads(args.serve))
        return 0
    client = args.client
    if client == "auto":
        client = "wrk" if shutil.which("wrk") else "python"
    elif client == "wrk" and not shutil.which("wrk"):
        sys.exit("benchmark: wrk is not installed (apt install wrk), use --client python")

    configured = configured_settings()
    database = chosen_database(args)
    scratch = Path(tempfile.mkdtemp(prefix="plantao-bench-run-"))
    started = time.perf_counter()
    try:
        print(f"Database: {database.description}")
        settings = Settings(
            database_url=database.url,
            admin_password=secrets.token_urlsafe(16),
            data_dir=scratch,
            session_secret=secrets.token_urlsafe(48),
            timezone=configured.timezone,
            horizon_days=configured.horizon_days,
        )
        engine = create_database_engine(settings.database_url)
        schema.upgrade(engine)
        plugins = build_registry()

        print(f"Data set: {args.teams} teams, rotations started {args.years[0]}-{args.years[1]} years ago")
        slugs = build_data_set(engine, settings, plugins, DataSetSize(args.teams, args.years), args.seed,
                               args.workers)
        export_team = None if args.skip_exports else build_export_team(engine, settings, plugins, 50)

        print(f"Load: {args.threads} concurrent keep-alive connections, {args.duration:g} s per endpoint "
              f"after {args.warmup:g} s of warm-up; client: {client}; waitress threads: {args.server_threads}")
        endpoints = [
            (BARE_VIEW, "hello", "/"),
            # The real app's own floor: its tweens and security, no database.
            ("healthz (the app, no database)", "app", "/healthz"),
            ("oncall", "app", "/api/v1/teams/%s/oncall"),
            ("oncall?at=now (bypasses the cache)", "app", "/api/v1/teams/%s/oncall?at=" + "{at}"),
            ("shifts (this week)", "app", "/api/v1/teams/%s/shifts"),
            (SHIFTS_MONTH, "app", "/api/v1/teams/%s/shifts?start={month}&end={next_month}"),
        ]
        measures = []
        with server_process(settings, args.server_threads) as ports:
            slugs_file = scratch / "slugs.txt"
            slugs_file.write_text("\n".join(slugs) + "\n")
            script = scratch / "random-team.lua"
            script.write_text(WRK_SCRIPT)
            for name, server, template in endpoints:
                today = datetime.now(timezone.utc).date()
                month = today.replace(day=1)
                template = (template.replace("{at}", datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
                            .replace("{month}", month.isoformat())
                            .replace("{next_month}", (month + timedelta(days=32)).replace(day=1).isoformat()))
                if name in ("oncall", SHIFTS_MONTH):
                    # Status pages and integrators poll every team: measure the
                    # steady state, where each team's answer has been asked for once.
                    prime(ports[server], template, slugs)
                if client == "wrk":
                    measure = wrk_load(name, ports[server], template if "%s" in template else template + "?%s",
                                       slugs_file, script, args.threads, args.duration, args.warmup)
                else:
                    if "%s" in template:
                        def paths(rng, template=template):
                            return template % rng.choice(slugs)
                    else:
                        def paths(rng, template=template):
                            return template
                    measure = python_load(name, ports[server], paths, args.threads, args.duration, args.warmup)
                measures.append(measure)
                print(f"  measured {name}: {measure.per_second:,.0f} requests/s", flush=True)
            if export_team is not None:
                export_measures, export_timings = measure_exports(
                    ports["app"], export_team, client, slugs_file, script, args
                )
                measures.extend(export_measures)
            # One client first (the cost of one override), then eight at
            # once, on hours the first did not touch.
            single = measure_concurrent_overrides(ports["app"], settings.admin_password, slugs[0],
                                                  writers=1, writes=10 if args.quick else 40, days_ahead=20)
            writes = measure_concurrent_overrides(ports["app"], settings.admin_password, slugs[0],
                                                  writes=5 if args.quick else 20)

        measures.extend(measure_instances(settings, slugs, client, slugs_file, script, scratch, args))
        print_table(measures)
        bare = next((m for m in measures if m.name == BARE_VIEW), None)
        bare_p50 = f"; the bare view's p50 in this run: {bare.p50_ms:.1f} ms" if bare else ""
        print(f"\nOne override at a time ({single.requests} requests, {single.errors} not 2xx): "
              f"p50 {single.p50_ms:.1f} ms (target < {OVERRIDE_P50_TARGET_MS} ms: "
              f"{'met' if single.p50_ms < OVERRIDE_P50_TARGET_MS else 'missed'}), p99 {single.p99_ms:.0f} ms, "
              f"{single.per_second:.1f} writes/s{bare_p50}")
        print(f"Concurrent writes ({writes.name}): {writes.requests} requests, {writes.errors} not 2xx, "
              f"p50 {writes.p50_ms:.0f} ms, p99 {writes.p99_ms:.0f} ms, {writes.per_second:.1f} writes/s")
        if export_team is not None:
            print_exports(export_timings, engine, settings, plugins, export_team)
        print_read_model(engine, args.teams)


        print("\nMaterialization (a fresh team, rotation starting today):")
        for label, seconds in time_materialization(engine, settings, plugins, 50, 3 if args.quick else 5):
            print(f"  {label:<82} {1000 * seconds:8.0f} ms")
        print_slow_clients(settings, engine, plugins, scratch)
        engine.dispose()
    finally:
        database.cleanup()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"\nTotal time of the run: {time.perf_counter() - started:.0f} s")
    return 0


# -- several instances behind Caddy -------------------------------------------------------


CADDYFILE = """{
	admin off
	auto_https off
}
http://%(host)s:%(port)d {
	reverse_proxy %(upstreams)s {
		lb_policy least_conn
	}
}
"""


@contextmanager
def caddy_in_front(upstreams: list[int], scratch: Path) -> Iterator[int]:
    """Caddy on a free port balancing over ``upstreams`` (ports of app servers), as systemd/ha/Caddyfile does."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    config = scratch / f"Caddyfile-{len(upstreams)}"
    config.write_text(CADDYFILE % {"host": HOST, "port": port,
                                   "upstreams": " ".join(f"{HOST}:{p}" for p in upstreams)})
    process = subprocess.Popen(["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "HOME": str(scratch), "XDG_DATA_HOME": str(scratch),
                                    "XDG_CONFIG_HOME": str(scratch)})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    sys.exit("benchmark: Caddy did not start")
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure_instances(settings: Settings, slugs: list[str], client: str, slugs_file: Path, script: Path,
                      scratch: Path, args) -> list[Measure]:
    """``oncall`` through Caddy with one and with two app processes (one per core, as section 3 allows)."""
    if not shutil.which("caddy"):
        print("\nInstances behind Caddy: skipped (caddy is not installed; `make system-deps` installs it)")
        return []
    template = "/api/v1/teams/%s/oncall"
    measures = []
    with server_process(settings, args.server_threads) as first, server_process(settings, args.server_threads) as second:
        for upstreams in ([first["app"]], [first["app"], second["app"]]):
            with caddy_in_front(upstreams, scratch) as port:
                prime(port, template, slugs)
                name = f"oncall through Caddy, {len(upstreams)} instance{'s' if len(upstreams) > 1 else ''}"
                if client == "wrk":
                    measure = wrk_load(name, port, template, slugs_file, script, args.threads, args.duration,
                                       args.warmup)
                else:
                    measure = python_load(name, port, lambda rng: template % rng.choice(slugs), args.threads,
                                          args.duration, args.warmup)
                measures.append(measure)
                print(f"  measured {name}: {measure.per_second:,.0f} requests/s", flush=True)
    return measures


# -- the roster in memory ----------------------------------------------------------------

#: Resident memory the read model may take for 1,000 teams with three years of history (issue 12).
READ_MODEL_MEMORY_TARGET_MB = 200


def print_read_model(engine, teams: int) -> None:
    """What the roster in memory costs: loading it, its size, and reads as teams grow."""
    import tracemalloc

    from plantao.db import get_session_factory
    from plantao.read_model import ReadModel, RosterSnapshot
    from plantao.services.oncall import RosterCache, shifts_in_memory
    from plantao.services.representations import FULL_CONTACTS

    started = time.perf_counter()
    ReadModel(get_session_factory(engine)).snapshot()
    loaded = time.perf_counter() - started
    # Loaded again to weigh it: tracemalloc slows the load several times.
    tracemalloc.start()
    model = ReadModel(get_session_factory(engine))
    snapshot = model.snapshot()
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    shifts = sum(len(t.shifts) for t in snapshot.teams.values())
    per_1000 = size / max(len(snapshot.teams), 1) * 1000 / 2**20
    print(f"\nRoster in memory ({len(snapshot.teams):,} teams, {shifts:,} shifts from "
          f"{min(t.window_start for t in snapshot.teams.values()):%Y-%m-%d} to the horizon):")
    print(f"  {'loaded at start in':<62} {1000 * loaded:8.0f} ms")
    print(f"  {'memory (Python objects, tracemalloc)':<62} {size / 2**20:8.1f} MB")
    print(f"  {'memory per 1,000 teams':<62} {per_1000:8.1f} MB (target < {READ_MODEL_MEMORY_TARGET_MB} MB)")
    # Flat from 10 to 10,000 teams: the same rosters under more names.
    rosters = list(snapshot.teams.values())
    rng = random.Random(7)
    for count in (10, 1_000, 10_000):
        teams_map = {}
        for n in range(count):
            roster = rosters[n % len(rosters)]
            teams_map[n + 1] = replace(roster, team=replace(roster.team, id=n + 1, slug=f"t{n}"))
        scaled = RosterSnapshot(snapshot.revision, snapshot.people_revision, teams_map,
                                {r.team.slug: r for r in teams_map.values()}, snapshot.people, snapshot.covered_from)

        class Fixed:
            def snapshot(self, scaled=scaled):
                return scaled

            def on_change(self, listener):
                pass  # never changes

        cache = RosterCache(Fixed())
        slugs = [f"t{rng.randrange(count)}" for _ in range(2000)]
        started = time.perf_counter()
        for slug in slugs:
            cache.oncall_body(slug, None, FULL_CONTACTS)
        oncall_us = (time.perf_counter() - started) / len(slugs) * 1e6
        now = datetime.now(timezone.utc)
        started = time.perf_counter()
        for slug in slugs[:500]:
            shifts_in_memory(scaled.by_slug[slug], now - timedelta(days=14), now + timedelta(days=17))
        month_us = (time.perf_counter() - started) / 500 * 1e6
        print(f"  {f'{count:>6,} teams: oncall body / a month of shifts, in process':<62} "
              f"{oncall_us:8.1f} µs / {month_us:.1f} µs")


def print_slow_clients(settings: Settings, engine, plugins, scratch: Path, clients: int = 98) -> None:
    """/healthz while ``clients`` connections trickle a request header, waitress alone and behind Caddy.

    The attack of tests/ops/slow_clients.py (loopback only, bounded), against
    waitress configured as ``plantao serve`` does (CONNECTION_LIMIT 100).
    """
    import logging

    import waitress

    from plantao.app import make_app
    from plantao.cli import waitress_options

    # waitress warns on every connection over its limit: that is the point here.
    logging.getLogger("waitress").setLevel(logging.ERROR)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.ops.slow_clients import TricklingClients, caddy_in_front, healthz_seconds

    def shown(seconds: float | None, timeout: float) -> str:
        return f"{1000 * seconds:.0f} ms" if seconds is not None else f"no answer within {timeout:g} s"

    server = waitress.create_server(make_app(settings, plugins=plugins, engine=engine), host=HOST, port=0,
                                    threads=4, **waitress_options(settings))
    threading.Thread(target=server.run, daemon=True).start()
    print(f"\nSlow clients ({clients} connections trickling a request header), /healthz answers in:")
    try:
        with TricklingClients(server.effective_port, clients):
            alone = healthz_seconds(server.effective_port, timeout=5)
        print(f"  waitress alone (CONNECTION_LIMIT={settings.connection_limit}): {shown(alone, 5)}")
        if not shutil.which("caddy"):
            print("  through Caddy: not measured (caddy is not installed)")
            return
        home = scratch / "caddy-home"
        home.mkdir(exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home)}
        with caddy_in_front(server.effective_port, scratch, env) as (port, _log):
            with TricklingClients(port, clients):
                through = healthz_seconds(port, timeout=10)
        print(f"  through Caddy (systemd/Caddyfile): {shown(through, 10)}")
    finally:
        server.close()


def print_table(measures: list[Measure]) -> None:
    """Every measure with its ratio to the bare view of the same run, and the targets set for it."""
    bare = next(m for m in measures if m.name == BARE_VIEW).per_second
    print()
    header = (f"{'endpoint':<38} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} {'target':>15} "
              f"{'errors':>7}")
    print(header)
    print("-" * len(header))
    for measure in measures:
        ratio = measure.per_second / bare if bare else math.nan
        target = TARGETS.get(measure.name)
        verdict = "" if target is None else f">= {target:.2f} {'meets' if ratio >= target else 'MISSES'}"
        print(f"{measure.name:<38} {measure.per_second:>11,.0f} {measure.p50_ms:>8.2f} {measure.p99_ms:>8.2f} "
              f"{ratio:>8.2f} {verdict:>15} {measure.errors:>7}")
    print(f"('vs bare': requests/s over the {bare:,.0f}/s of the bare view in this run, "
          f"served by the same process with the same threads.)")


if __name__ == "__main__":
    sys.exit(main())
