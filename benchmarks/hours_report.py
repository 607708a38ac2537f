"""How long the monthly on-call hours report takes for 1,000 people × a month (``make bench``).

It builds a month of stored roster in a database of its own (PostgreSQL when
one answers at 127.0.0.1:5432 with trust authentication, else a temporary
SQLite file; dropped at the end): 100 teams of 10 people in zones with and
without DST, each with a daily primary shift (09:00 handoff) and a weekly
secondary one (flagged as over 24 hours), some of them overrides and swaps,
and some leave.  Then it times :meth:`PayrollService.report` (every team, as
an owner sees it, with rates) and the CSV of it, best of a few runs.

    .venv/bin/python benchmarks/hours_report.py
    .venv/bin/python benchmarks/hours_report.py --people 200   # smaller
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import tempfile
import time
import warnings
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))
from run import POSTGRES_ADMIN_URL, temporary_database  # noqa: E402  (the benchmarks' own database)

from plantao import schema  # noqa: E402
from plantao.config import Settings  # noqa: E402
from plantao.db import create_database_engine  # noqa: E402
from plantao.engine.policies import wall_clock  # noqa: E402
from plantao.models import Leave, Override, Person, Shift, Team  # noqa: E402
from plantao.plugins import build_registry  # noqa: E402
from plantao.services.context import ServiceContext  # noqa: E402
from plantao.services.payroll import PayrollService, previous_month  # noqa: E402
from plantao.spreadsheets import render_csv  # noqa: E402
from plantao.views.api.reports import HOURS_COLUMNS, VALUE_COLUMNS, csv_rows  # noqa: E402

ZONES = ("America/Sao_Paulo", "America/Manaus", "America/New_York", "Europe/Lisbon", "America/Recife")
TEAM_SIZE = 10


def build_month(engine, people: int, month: str, seed: int) -> None:
    """``people // 10`` teams of ten with a month (and its edges) of stored shifts."""
    rng = random.Random(seed)
    year, number = map(int, month.split("-"))
    first = date(year, number, 1)
    with Session(engine) as session, session.begin():
        persons = [Person(name=f"Person {n:05d}", chat={}, active=True,
                          hourly_rate=Decimal(rng.randrange(2000, 9000)) / 100 if n % 3 else None)
                   for n in range(people)]
        session.add_all(persons)
        teams = [Team(slug=f"team-{n:04d}", name=f"Team {n:04d}", timezone=ZONES[n % len(ZONES)],
                      holiday_subdivision=("SP", None, "RJ")[n % 3]) for n in range(people // TEAM_SIZE)]
        session.add_all(teams)
        session.flush()
        shifts, leave = [], []
        for index, team in enumerate(teams):
            tz = ZoneInfo(team.timezone)
            members = persons[index * TEAM_SIZE:(index + 1) * TEAM_SIZE]
            for day in range(-1, 32):
                start = wall_clock(first + timedelta(days=day), time_of_day(9), tz)
                end = wall_clock(first + timedelta(days=day + 1), time_of_day(9), tz)
                shifts.append((team, members[day % 8], "primary", start, end))
            for week in range(-1, 6):
                start = wall_clock(first + timedelta(weeks=week), time_of_day(18), tz)
                shifts.append((team, members[8 + week % 2], "secondary", start, start + timedelta(weeks=1)))
            leave.append(Leave(person_id=members[rng.randrange(8)].id, reason="",
                               start=wall_clock(first + timedelta(days=rng.randrange(25)), time_of_day(0), tz),
                               end=wall_clock(first + timedelta(days=rng.randrange(25, 28)), time_of_day(0), tz)))
        session.add_all(leave)
        overrides = {}
        for number_, (team, person, role, start, end) in enumerate(shifts):
            if number_ % 17 == 0:
                overrides[number_] = Override(team_id=team.id, person_id=person.id, role=role, start=start, end=end,
                                              reason="", swap_id=secrets.token_hex(8) if number_ % 34 == 0 else None)
        session.add_all(overrides.values())
        session.flush()
        session.execute(insert(Shift), [
            {"team_id": team.id, "person_id": person.id, "role": role, "start": start, "end": end,
             "source": "override" if n in overrides else "rotation",
             "override_id": overrides[n].id if n in overrides else None, "key": f"bench-{n}", "sequence": 0}
            for n, (team, person, role, start, end) in enumerate(shifts)
        ])
        print(f"Data set: {len(persons)} people, {len(teams)} teams, {len(shifts)} shifts, {len(leave)} leaves "
              f"around {month}")


def time_report(engine, settings: Settings, month: str, repeat: int) -> None:
    plugins = build_registry()
    timings, csv_timings, report = [], [], None
    for _ in range(repeat):
        with Session(engine) as session:
            service = PayrollService(ServiceContext(session, settings, plugins))
            started = time.perf_counter()
            report = service.report(month, rates=True)
            timings.append(time.perf_counter() - started)
            started = time.perf_counter()
            body = render_csv(HOURS_COLUMNS + (VALUE_COLUMNS if report["values"] else ()), csv_rows(report),
                              "excel-br")
            csv_timings.append(time.perf_counter() - started)
    people = len(report["people"])
    print(f"Hours report, {people:,} people × {month}: {min(timings) * 1000:,.0f} ms (best of {repeat}; "
          f"median {sorted(timings)[len(timings) // 2] * 1000:,.0f} ms); its CSV {min(csv_timings) * 1000:,.0f} ms "
          f"({len(body):,} bytes); {report['totals']['total_hours']:,.0f} hours in all")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000, help="people in the data set (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the report; the best is shown (default 3)")
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)
    database = temporary_database(args.postgres_admin_url)
    scratch = Path(tempfile.mkdtemp(prefix="plantao-bench-hours-"))
    try:
        print(f"Database: {database.description}")
        settings = Settings(database_url=database.url, data_dir=scratch)
        engine = create_database_engine(settings.database_url)
        schema.upgrade(engine)
        month = previous_month(datetime.now(ZoneInfo(settings.timezone)).date())
        build_month(engine, args.people, month, args.seed)
        time_report(engine, settings, month, args.repeat)
        engine.dispose()
    finally:
        database.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
