"""Concurrent writers and hostile names never get a 500 (issue 10, items 1, 10, 12, 13).

The concurrent tests drive the whole app from several threads at once, each
with a WebTest client of its own on the one app (so on one engine and
connection pool, like waitress' threads).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

import icalendar
import pytest
import webtest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from plantao.models import Shift


def at_local(day: date, clock: str = "09:00") -> datetime:
    """``clock`` on ``day`` in São Paulo, the zone of the teams created here."""
    return datetime.combine(day, time_of_day.fromisoformat(clock), tzinfo=ZoneInfo("America/Sao_Paulo"))


def run_together(count: int, work) -> list:
    """``work(number)`` in ``count`` threads released at the same instant; their results in order."""
    results: list = [None] * count
    start = threading.Barrier(count)

    def run(number: int) -> None:
        start.wait()
        try:
            results[number] = work(number)
        except Exception as error:  # reported by the assertion, not lost in a thread
            results[number] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    return results


@pytest.fixture
def client(app, admin_headers):
    """``client()``: a new admin client of the same app, for one thread."""

    def make() -> webtest.TestApp:
        return webtest.TestApp(
            app, extra_environ={"REMOTE_ADDR": "192.0.2.10", "HTTP_AUTHORIZATION": admin_headers["Authorization"]}
        )

    return make


def overlapping_shifts(engine, team_id: int) -> list[tuple]:
    """Stored shifts of one role that overlap another: a consistent roster has none."""
    with Session(engine) as session:
        shifts = session.scalars(select(Shift).where(Shift.team_id == team_id).order_by(Shift.role, Shift.start))
        found, last = [], {}
        for shift in shifts:
            previous = last.get(shift.role)
            if previous is not None and shift.start < previous.end:
                found.append((previous.id, previous.start, previous.end, shift.id, shift.start, shift.end))
            if previous is None or shift.end > previous.end:
                last[shift.role] = shift
        return found


def team_id(engine, slug: str) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT id FROM teams WHERE slug = :slug"), {"slug": slug})


# -- 1: concurrent writes to one team ----------------------------------------------------


@pytest.mark.slow
def test_eight_writers_posting_overrides_to_one_team_all_succeed_and_the_roster_stays_whole(
    client, make_team, make_person, make_rotation, shifts_of, monday, clean_engine
):
    make_team("infra")
    people = [make_person(name, phone=None) for name in ("Ana", "Bruno", "Carla")]
    make_rotation("infra", people, start=at_local(monday).isoformat(), policy="daily")
    writers, writes = 8, 20

    def write(number: int) -> list[int]:
        app = client()
        statuses = []
        for index in range(writes):
            # Distinct one-hour slots, interleaved between writers.
            start = at_local(monday, "10:00") + timedelta(hours=3 * (index * writers + number))
            response = app.post_json(
                "/api/v1/teams/infra/overrides",
                {"person": people[(number + index) % 3]["id"], "start": start.isoformat(),
                 "end": (start + timedelta(hours=1)).isoformat()},
                expect_errors=True,
            )
            statuses.append(response.status_int)
        return statuses

    results = run_together(writers, write)

    statuses = Counter(status for result in results for status in (result if isinstance(result, list) else [result]))
    assert statuses == Counter({201: writers * writes}), statuses
    assert overlapping_shifts(clean_engine, team_id(clean_engine, "infra")) == []
    shifts = shifts_of("infra", at_local(monday).isoformat(), at_local(monday + timedelta(days=30)).isoformat())
    assert len([s for s in shifts if s["source"] == "override"]) == writers * writes


def test_six_rotations_created_at_once_on_one_team_all_succeed(client, make_team, make_person, monday, clean_engine):
    make_team("infra")
    people = [make_person(name, phone=None) for name in ("Ana", "Bruno")]

    def create(number: int) -> int:
        return client().post_json(
            "/api/v1/teams/infra/rotations",
            {"name": f"Rodízio {number}", "policy": "daily", "role": f"role-{number % 3}", "priority": number,
             "members": [p["id"] for p in people], "start": at_local(monday).isoformat()},
            expect_errors=True,
        ).status_int

    assert run_together(6, create) == [201] * 6
    assert len(client().get("/api/v1/teams/infra/rotations").json["rotations"]) == 6
    assert overlapping_shifts(clean_engine, team_id(clean_engine, "infra")) == []


def test_writes_to_a_team_lock_it_before_inserting_anything(client, make_team, make_person, monday, clean_engine):
    """A write waits for the team's lock before its first insert (the order that avoids deadlocks)."""
    if clean_engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole writes")
    make_team("infra")
    ana = make_person("Ana", phone=None)
    with clean_engine.connect() as holder:
        holder.execute(text("SELECT id FROM teams WHERE slug = 'infra' FOR UPDATE"))
        done = []
        start = at_local(monday, "10:00")
        writer = threading.Thread(target=lambda: done.append(client().post_json(
            "/api/v1/teams/infra/overrides",
            {"person": ana["id"], "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
            expect_errors=True,
        ).status_int))
        writer.start()
        try:
            with clean_engine.connect() as observer:
                for _ in range(300):  # until the writer waits for a lock (at most 30 s)
                    blocked = observer.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    ))
                    if blocked or not writer.is_alive():
                        break
                    observer.rollback()  # pg_stat_activity is a snapshot per transaction
                    time.sleep(0.1)
                # The write waits for the team before inserting its override:
                # an insert first would hold a lock on the overrides table here
                # (and a KEY SHARE on the team row that its FOR UPDATE upgrades).
                inserting = observer.scalar(text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = 'overrides' AND l.mode = 'RowExclusiveLock' "
                    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ))
            assert blocked and done == [] and inserting == 0
        finally:
            holder.rollback()
            writer.join(timeout=30)
    assert done == [201]


def test_reading_a_teams_overrides_never_waits_for_its_lock(client, make_team, clean_engine):
    """Only writes lock the team as they read it: a GET or a HEAD goes on while a write holds it."""
    if clean_engine.dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole writes")
    make_team("infra")
    with clean_engine.connect() as holder:
        holder.execute(text("SELECT id FROM teams WHERE slug = 'infra' FOR UPDATE"))
        try:
            answers = []
            reader = threading.Thread(target=lambda: answers.extend(
                client().request("/api/v1/teams/infra/overrides", method=method).status_int
                for method in ("GET", "HEAD")
            ))
            reader.start()
            reader.join(timeout=20)
            assert answers == [200, 200]
        finally:
            holder.rollback()
            reader.join(timeout=30)


# -- 13: one slug created eight times at once ----------------------------------------------


def test_eight_creations_of_one_slug_at_once_make_one_team_and_seven_409s(client):
    def create(number: int):
        response = client().post_json("/api/v1/teams", {"slug": "infra", "name": f"Infra {number}"}, expect_errors=True)
        return response.status_int, response.json

    results = run_together(8, create)

    assert sorted(status for status, _ in results) == [201] + [409] * 7, results
    conflicts = [body for status, body in results if status == 409]
    assert all(body["details"] == {"field": "slug"} and "infra" in body["error"] for body in conflicts)
    assert len(client().get("/api/v1/teams").json["teams"]) == 1


# -- 10: an unknown fallback person with custom holidays -------------------------------------


def test_an_unknown_fallback_person_with_custom_holidays_is_a_422_naming_it(admin, make_team):
    make_team("infra")

    response = admin.patch(
        "/api/v1/teams/infra",
        {"fallback_person": 999999, "holidays": {"custom": [{"date": "2031-05-02", "name": "Aniversário"}]}},
        status=422,
    )

    assert [d["field"] for d in response.json["details"]] == ["fallback_person"]
    assert "999999" in response.json["error"]
    team = admin.get("/api/v1/teams/infra").json
    assert team["fallback_person"] is None and team["holidays"]["custom"] == []


def test_an_unknown_fallback_person_on_creation_with_custom_holidays_is_a_422(admin):
    response = admin.post(
        "/api/v1/teams",
        {"slug": "infra", "name": "Infra", "fallback_person": 999999,
         "holidays": {"custom": [{"date": "2031-05-02", "name": "Aniversário"}]}},
        status=422,
    )
    assert [d["field"] for d in response.json["details"]] == ["fallback_person"]
    admin.get("/api/v1/teams/infra", status=404)


# -- 12: names are one line; stored ones with a line break still export ------------------------

BROKEN_NAMES = ["Infra\nNoite", "Infra\r", "Tab\there", "Nul-free\x1b[31m", "Linha\u2028nova", "C1\x85"]


@pytest.mark.parametrize("name", BROKEN_NAMES)
def test_a_name_with_a_line_break_or_control_character_is_a_422_naming_the_field(admin, make_team, make_person, name):
    make_team("infra")
    ana = make_person("Ana", phone=None)
    attempts = [
        ("post", "/api/v1/teams", {"slug": "other", "name": name}, "name"),
        ("patch", "/api/v1/teams/infra", {"name": name}, "name"),
        ("patch", "/api/v1/teams/infra", {"holidays": {"custom": [{"date": "2031-05-02", "name": name}]}},
         "holidays.custom.0.name"),
        ("post", "/api/v1/people", {"name": name}, "name"),
        ("patch", f"/api/v1/people/{ana['id']}", {"name": name}, "name"),
        ("post", "/api/v1/teams/infra/rotations", {"name": name, "policy": "daily", "members": [ana["id"]]}, "name"),
    ]
    for method, url, body, field in attempts:
        response = getattr(admin, method)(url, body, status=422)
        assert response.json["details"] == [
            {"field": field, "message": "must be a single line, without control characters"}
        ], (url, response.json)
    assert admin.get("/api/v1/teams/infra").json["name"] == "Infra"
    assert admin.get(f"/api/v1/people/{ana['id']}").json["name"] == "Ana"


def test_names_with_accents_dashes_and_emoji_are_still_welcome(admin):
    name = "Plantão — Operações 24×7 🚨"
    assert admin.post("/api/v1/teams", {"slug": "ops", "name": name}, status=201).json["name"] == name


def test_a_stored_name_with_a_line_break_still_exports_as_ics(testapp, make_team, make_person, make_rotation,
                                                               monday, clean_engine):
    make_team("infra")
    ana = make_person("Ana", phone=None)
    make_rotation("infra", [ana], start=at_local(monday).isoformat(), policy="daily")
    # Written before names were checked, or by hand in the database.
    with clean_engine.begin() as connection:
        connection.execute(text("UPDATE teams SET name = :name"), {"name": "Infra\nNoite\r\n\x07"})
        connection.execute(text("UPDATE people SET name = :name, chat = :chat"),
                           {"name": "Ana\r\nSouza", "chat": '{"slack": "@ana\\nx"}'})
        # What the operators' manual says to run after editing by hand.
        connection.execute(text("UPDATE teams SET roster_revision = roster_revision + 1"))
        connection.execute(text("UPDATE roster_state SET revision = revision + 1, people_revision = people_revision + 1"))
    # Another writer's change shows within a second; no need to wait here.
    testapp.app.registry.read_model.refresh()

    for url in ("/api/v1/teams/infra/export.ics", f"/api/v1/people/{ana['id']}/export.ics"):
        response = testapp.get(url, status=200)
        calendar = icalendar.Calendar.from_ical(response.body)
        events = calendar.walk("VEVENT")
        assert events, url
        assert str(events[0]["SUMMARY"]).startswith("Ana Souza — plantão Infra Noite"), events[0]["SUMMARY"]
        assert all(ord(c) >= 32 or c in "\r\n" for c in response.text)
    team_calendar = icalendar.Calendar.from_ical(testapp.get("/api/v1/teams/infra/export.ics").body)
    assert str(team_calendar["X-WR-CALNAME"]) == "Plantão — Infra Noite"


def test_one_override_deleted_twice_at_once_is_a_204_and_a_404(client, make_team, make_person, monday):
    make_team("infra")
    ana = make_person("Ana", phone=None)
    start = at_local(monday, "10:00")
    override = client().post_json("/api/v1/teams/infra/overrides", {
        "person": ana["id"], "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(),
    }).json

    statuses = run_together(2, lambda number: client().delete(
        f"/api/v1/teams/infra/overrides/{override['id']}", expect_errors=True
    ).status_int)

    assert sorted(statuses) == [204, 404]


def test_one_rotation_deleted_and_changed_at_once_is_never_a_500(client, make_team, make_person, monday):
    make_team("infra")
    people = [make_person(name, phone=None) for name in ("Ana", "Bruno")]
    rotation = client().post_json("/api/v1/teams/infra/rotations", {
        "name": "Main", "policy": "daily", "members": [p["id"] for p in people], "start": at_local(monday).isoformat(),
    }).json
    url = f"/api/v1/teams/infra/rotations/{rotation['id']}"

    def act(number: int) -> int:
        app = client()
        if number == 0:
            return app.delete(url, expect_errors=True).status_int
        return app.patch_json(url, {"members": [p["id"] for p in reversed(people)]}, expect_errors=True).status_int

    statuses = run_together(2, act)

    assert statuses[0] == 204 and statuses[1] in (200, 404), statuses


def test_a_rotation_takes_at_most_the_documented_number_of_members(admin, make_team):
    from plantao.services.rotations import MAX_MEMBERS

    make_team("big")
    too_many = list(range(1, MAX_MEMBERS + 2))
    response = admin.post(
        "/api/v1/teams/big/rotations", {"name": "Big", "policy": "weekly", "members": too_many}, status=422
    )
    assert "members" in str(response.json)
    assert admin.get("/api/v1/teams/big/rotations").json["rotations"] == []
