"""The monthly on-call hours report for payroll: figures computed by hand, who sees what, closing.

November 2026, two teams:

- ``sp`` (São Paulo, Brazilian holidays: Friday the 20th is Consciência
  Negra; plus its own holiday on Monday the 30th);
- ``ny`` (New York, US holidays: Thursday the 26th is Thanksgiving; clocks
  go back 02:00 -> 01:00 on Sunday the 1st).

The stored roster of that month (past, so written as an older roster left
it, as ``test_api_roster`` does for history), by hand:

- Ana, sp, Thu 19th 09:00 -> Sat 21st 09:00 (48 h, flagged), on leave Fri
  20th 12:00-18:00: Thu 09-22 weekday day 13, 22-24 night 2; Fri holiday 24 - 6
  = 18; Sat 00-09 Saturday 9: 42 h.
- Ana, ny, Sat Oct 31st 20:00 EDT -> Sun Nov 1st 08:00 EST: inside November
  Sunday 00:00 -> 08:00, nine real hours (the clocks went back): Sunday 9.
- Bruno, sp, a swap Sat 7th 09:00 -> Sun 8th 09:00: Saturday 15, Sunday 9.
- Bruno, sp, an override Mon 30th 20:00 -> Tue Dec 1st 08:00: inside November
  20:00-24:00 of the team's own holiday: holiday 4.
- Carla, ny, Wed 25th 18:00 -> Thu 26th 12:00 EST: Wed day 4, night 2;
  Thanksgiving 12: 18 h.  Her October shift is outside the month.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import webtest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from plantao.models import Leave, Override, Shift, Team
from plantao.services.accounts import AccountService
from plantao.engine.holidays import holiday_calendar
from plantao.services.context import ServiceContext
from tests.functional.conftest import csrf_of

SP = ZoneInfo("America/Sao_Paulo")
NY = ZoneInfo("America/New_York")
REPORT = "/api/v1/reports/hours"
ACCOUNT_PASSWORD = "correct horse battery staple"
FIGURES = ("total_hours", "weekday_day_hours", "weekday_night_hours", "saturday_hours", "sunday_hours",
           "holiday_hours", "shifts", "override_hours", "swap_hours")


def at(tz, *fields) -> datetime:
    return datetime(*fields, tzinfo=tz)


@pytest.fixture
def november(admin, make_team, make_person, clean_engine, testapp):
    """The scenario of the module docstring; answers the people's JSON by name."""
    make_team("sp", name="São Paulo", holidays={"custom": [{"date": "2026-11-30", "name": "Aniversário"}]})
    make_team("ny", name="New York", timezone="America/New_York", holidays={"country": "US"})
    people = {name: make_person(name) for name in ("Ana", "Bruno", "Carla")}
    ana, bruno, carla = (people[name]["id"] for name in ("Ana", "Bruno", "Carla"))
    with Session(clean_engine) as session, session.begin():
        teams = dict(session.execute(select(Team.slug, Team.id)).all())
        swap = Override(team_id=teams["sp"], person_id=bruno, role="primary", start=at(SP, 2026, 11, 7, 9),
                        end=at(SP, 2026, 11, 8, 9), reason="", swap_id="3f1c0c1e-swap")
        cover = Override(team_id=teams["sp"], person_id=bruno, role="primary", start=at(SP, 2026, 11, 30, 20),
                         end=at(SP, 2026, 12, 1, 8), reason="")
        session.add_all([swap, cover])
        session.flush()
        stored = [
            ("sp", ana, at(SP, 2026, 11, 19, 9), at(SP, 2026, 11, 21, 9), "rotation", None),
            ("ny", ana, at(NY, 2026, 10, 31, 20), at(NY, 2026, 11, 1, 8), "rotation", None),
            ("sp", bruno, at(SP, 2026, 11, 7, 9), at(SP, 2026, 11, 8, 9), "override", swap.id),
            ("sp", bruno, at(SP, 2026, 11, 30, 20), at(SP, 2026, 12, 1, 8), "override", cover.id),
            ("ny", carla, at(NY, 2026, 11, 25, 18), at(NY, 2026, 11, 26, 12), "rotation", None),
            ("ny", carla, at(NY, 2026, 10, 24, 9), at(NY, 2026, 10, 25, 9), "rotation", None),
        ]
        for number, (slug, person, start, end, source, override) in enumerate(stored):
            session.add(Shift(team_id=teams[slug], person_id=person, role="primary", start=start, end=end,
                              source=source, override_id=override, key=f"history-{number}", sequence=0))
        session.add(Leave(person_id=ana, start=at(SP, 2026, 11, 20, 12), end=at(SP, 2026, 11, 20, 18), reason=""))
    return people


def by_name(report: dict) -> dict:
    return {entry["person"]["name"]: entry for entry in report["people"]}


def figures(entry: dict) -> dict:
    return {name: entry[name] for name in FIGURES}


def hours(total, day=0, night=0, saturday=0, sunday=0, holiday=0, shifts=1, override=0, swap=0) -> dict:
    return {"total_hours": total, "weekday_day_hours": day, "weekday_night_hours": night, "saturday_hours": saturday,
            "sunday_hours": sunday, "holiday_hours": holiday, "shifts": shifts, "override_hours": override,
            "swap_hours": swap}


ANA = hours(51, day=13, night=2, saturday=9, sunday=9, holiday=18, shifts=2)
BRUNO = hours(28, saturday=15, sunday=9, holiday=4, shifts=2, override=4, swap=24)
CARLA = hours(18, day=4, night=2, holiday=12)


# -- the figures ------------------------------------------------------------------------


def test_each_persons_hours_of_the_month_split_by_hand(admin, november):
    report = admin.get(REPORT, params={"month": "2026-11"}).json

    assert report["month"] == "2026-11" and report["closed"] is False and report["team"] is None
    people = by_name(report)
    assert list(people) == ["Ana", "Bruno", "Carla"]
    assert figures(people["Ana"]) == ANA
    assert figures(people["Bruno"]) == BRUNO
    assert figures(people["Carla"]) == CARLA
    assert (people["Bruno"]["override_shifts"], people["Bruno"]["swap_shifts"]) == (1, 1)
    assert people["Ana"]["person"] == {"id": november["Ana"]["id"], "name": "Ana"}
    assert report["totals"] == {**hours(97, day=17, night=4, saturday=24, sunday=18, holiday=34, shifts=5,
                                        override=4, swap=24), "override_shifts": 1, "swap_shifts": 1}


def test_the_partition_sums_to_the_total_in_each_team_too(admin, november):
    ana = by_name(admin.get(REPORT, params={"month": "2026-11"}).json)["Ana"]
    teams = {row["team"]["slug"]: row for row in ana["teams"]}
    assert figures(teams["sp"]) == hours(42, day=13, night=2, saturday=9, holiday=18)
    assert figures(teams["ny"]) == hours(9, sunday=9)
    assert teams["ny"]["team"] == {"slug": "ny", "name": "New York", "timezone": "America/New_York"}


def test_a_standby_period_over_24_hours_is_flagged_in_the_teams_zone(admin, november):
    people = by_name(admin.get(REPORT, params={"month": "2026-11"}).json)
    assert people["Ana"]["long_shifts"] == [
        {"team": "sp", "start": "2026-11-19T09:00:00-03:00", "end": "2026-11-21T09:00:00-03:00", "hours": 48.0}
    ]
    # Exactly 24 hours is within the law.
    assert people["Bruno"]["long_shifts"] == [] and people["Carla"]["long_shifts"] == []


def test_one_team_only(admin, november):
    report = admin.get(REPORT, params={"month": "2026-11", "team": "ny"}).json
    assert report["team"] == "ny"
    people = by_name(report)
    assert list(people) == ["Ana", "Carla"]
    assert figures(people["Ana"]) == hours(9, sunday=9)


def test_october_counts_only_what_falls_inside_it(admin, november):
    people = by_name(admin.get(REPORT, params={"month": "2026-10"}).json)
    # Ana's New York night: Sat 20:00 -> Sun 00:00 EDT is October's; Carla's Sat 09:00 -> Sun 09:00.
    assert figures(people["Ana"]) == hours(4, saturday=4)
    assert figures(people["Carla"]) == hours(24, saturday=15, sunday=9)
    assert set(people) == {"Ana", "Carla"}


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ({"month": "2026-13"}, 400, "month must be a month as YYYY-MM"),
        ({"month": "nov"}, 400, "month must be a month as YYYY-MM"),
        ({"month": "2026-11", "team": "nope"}, 404, "No team with slug 'nope'"),
    ],
)
def test_bad_parameters_get_a_clear_answer(admin, november, query, status, message):
    answer = admin.get(REPORT, params=query, status=status)
    assert message in answer.json["error"]


def test_without_a_month_it_is_the_previous_one(admin, november, today):
    last = today.replace(day=1) - timedelta(days=1)
    assert admin.get(REPORT).json["month"] == f"{last.year:04d}-{last.month:02d}"


# -- rates and the value column ---------------------------------------------------------


def test_rates_add_a_value_column_for_owners_only(admin, november, testapp, reader):
    assert "value" not in by_name(admin.get(REPORT, params={"month": "2026-11"}).json)["Ana"]
    admin.patch(f"/api/v1/people/{november['Ana']['id']}", {"hourly_rate": 30})
    admin.patch(f"/api/v1/people/{november['Bruno']['id']}", {"hourly_rate": 45.5})

    report = admin.get(REPORT, params={"month": "2026-11"}).json
    people = by_name(report)
    assert report["values"] is True and report["standby_factor"] == "1/3"
    assert (people["Ana"]["hourly_rate"], people["Ana"]["value"]) == (30.0, 510.0)  # 51 h × 30 / 3
    assert (people["Bruno"]["hourly_rate"], people["Bruno"]["value"]) == (45.5, 424.67)  # 28 × 45.50 / 3
    assert (people["Carla"]["hourly_rate"], people["Carla"]["value"]) == (None, None)
    assert report["totals"]["value"] == 934.67

    for client in (reader("team_admin"), reader("read_token")):
        seen = client.get(REPORT, params={"month": "2026-11"}).json
        assert seen["values"] is False
        assert all("hourly_rate" not in entry and "value" not in entry for entry in seen["people"])
        assert "value" not in seen["totals"]


def test_the_rate_is_an_owners_field_of_people(admin, november, reader, testapp, admin_headers):
    ana = november["Ana"]["id"]
    assert admin.patch(f"/api/v1/people/{ana}", {"hourly_rate": 30.25}).json["hourly_rate"] == 30.25
    assert admin.get(f"/api/v1/people/{ana}").json["hourly_rate"] == 30.25
    assert all("hourly_rate" in p for p in admin.get("/api/v1/people").json["people"])
    for client in (reader("team_admin"), reader("read_token"), testapp):
        assert "hourly_rate" not in client.get(f"/api/v1/people/{ana}").json
        assert all("hourly_rate" not in p for p in client.get("/api/v1/people").json["people"])
    answer = admin.patch(f"/api/v1/people/{ana}", {"hourly_rate": 1.005}, status=422)
    assert "2 decimals" in answer.json["error"]
    admin.patch(f"/api/v1/people/{ana}", {"hourly_rate": -1}, status=422)
    # Python's JSON reader takes NaN: it is no rate either.
    testapp.patch(f"/api/v1/people/{ana}", '{"hourly_rate": NaN}', status=422,
                  headers={**admin_headers, "Content-Type": "application/json"})
    assert admin.patch(f"/api/v1/people/{ana}", {"hourly_rate": None}).json["hourly_rate"] is None


# -- who sees what ----------------------------------------------------------------------


@pytest.fixture
def reader(app, admin, settings, plugins, clean_engine, november, admin_headers):
    """``reader(who)``: a client of ``team_admin`` (of sp), ``read_token``, ``ny_token`` or ``viewer``."""
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create(
            {"name": "Tiago", "email": "tiago@example.com", "password": ACCOUNT_PASSWORD,
             "role": "team_admin", "teams": ["sp"]}
        )
        AccountService(ServiceContext(session, settings, plugins)).create(
            {"name": "Vera", "email": "vera@example.com", "password": ACCOUNT_PASSWORD, "role": "viewer"}
        )
        session.commit()
    owner = webtest.TestApp(app)
    secrets = {
        name: owner.post_json("/api/v1/tokens", {"name": name, "scopes": ["read"], **teams},
                              headers=admin_headers).json["token"]
        for name, teams in (("read_token", {}), ("ny_token", {"teams": ["ny"]}))
    }

    def client(who: str):
        browser = webtest.TestApp(app)
        if who in ("team_admin", "viewer"):
            form = browser.get("/admin/login").forms[0]
            form["email"] = "tiago@example.com" if who == "team_admin" else "vera@example.com"
            form["password"] = ACCOUNT_PASSWORD
            form.submit(status=303)
            return browser
        browser.authorization = ("Bearer", secrets[who])
        return browser

    return client


def test_a_team_admin_sees_only_the_hours_in_their_teams(reader):
    client = reader("team_admin")
    people = by_name(client.get(REPORT, params={"month": "2026-11"}).json)
    assert list(people) == ["Ana", "Bruno"]
    assert figures(people["Ana"]) == hours(42, day=13, night=2, saturday=9, holiday=18)
    assert figures(people["Bruno"]) == BRUNO
    answer = client.get(REPORT, params={"month": "2026-11", "team": "ny"}, status=403)
    assert "own teams" in answer.json["error"]
    client.get(REPORT, params={"month": "2026-11", "team": "nope"}, status=404)


def test_read_tokens_read_it_within_their_teams(reader):
    assert list(by_name(reader("read_token").get(REPORT, params={"month": "2026-11"}).json)) == [
        "Ana", "Bruno", "Carla"]
    people = by_name(reader("ny_token").get(REPORT, params={"month": "2026-11"}).json)
    assert list(people) == ["Ana", "Carla"] and people["Ana"]["total_hours"] == 9


def test_viewers_and_strangers_do_not(reader, testapp):
    reader("viewer").get(REPORT, params={"month": "2026-11"}, status=403)
    reader("viewer").get(REPORT + ".csv", params={"month": "2026-11"}, status=403)
    testapp.get(REPORT, params={"month": "2026-11"}, status=401)


# -- closing ----------------------------------------------------------------------------


def test_a_closed_month_answers_its_stored_figures(admin, november, clean_engine, testapp, audit_log):
    admin.patch(f"/api/v1/people/{november['Ana']['id']}", {"hourly_rate": 30})
    closed = admin.post(REPORT + "/close", {"month": "2026-11"}, status=201).json
    assert closed["closed"] is True and closed["closed_by"] == "admin-token" and closed["closed_at"]
    assert figures(by_name(closed)["Ana"]) == ANA

    # The roster and the rates change afterwards: the paid month does not.
    with Session(clean_engine) as session, session.begin():
        session.execute(delete(Shift).where(Shift.key == "history-4"))
    admin.patch(f"/api/v1/people/{november['Ana']['id']}", {"hourly_rate": 99})
    report = admin.get(REPORT, params={"month": "2026-11"}).json
    assert report["closed"] is True and report["closed_by"] == "admin-token"
    assert figures(by_name(report)["Carla"]) == CARLA
    assert by_name(report)["Ana"]["value"] == 510.0
    assert admin.get(REPORT, params={"month": "2026-11", "team": "ny"}).json["closed"] is True

    (entry,) = [e for e in audit_log() if e["entity"] == "hours_report"]
    assert (entry["action"], entry["entity_id"], entry["after"]["total_hours"]) == ("close", "2026-11", 97.0)


def test_closing_twice_an_open_month_or_without_the_right(admin, november, reader, today):
    admin.post(REPORT + "/close", {"month": "2026-11"}, status=201)
    assert "closed already" in admin.post(REPORT + "/close", {"month": "2026-11"}, status=409).json["error"]
    this_month = f"{today.year:04d}-{today.month:02d}"
    answer = admin.post(REPORT + "/close", {"month": this_month}, status=422)
    assert "has not ended" in answer.json["error"]
    admin.post(REPORT + "/close", {"month": "2026-13"}, status=422)
    admin.post(REPORT + "/close", {}, status=422)
    for who in ("team_admin", "read_token", "viewer"):
        client = reader(who)
        headers = {"X-CSRF-Token": csrf_of(client.get("/admin/login", {"next": "/"}))} if who != "read_token" else {}
        answer = client.post_json(REPORT + "/close", {"month": "2026-10"}, headers=headers, status=403)
        assert "Only an owner" in answer.json["error"]


# -- CSV --------------------------------------------------------------------------------


def test_the_csv_in_both_dialects(admin, november):
    ana, carla = november["Ana"]["id"], november["Carla"]["id"]
    admin.patch(f"/api/v1/people/{ana}", {"hourly_rate": 30})

    answer = admin.get(REPORT + ".csv", params={"month": "2026-11", "team": "ny"})
    assert answer.content_type == "text/csv"
    assert answer.headers["Content-Disposition"] == 'attachment; filename="hours-2026-11-ny.csv"'
    assert answer.body == (
        "\ufeffId;Nome;Horas de sobreaviso;Horas diurnas (seg-sex);Horas noturnas (seg-sex, 22h-5h);"
        "Horas de sábado;Horas de domingo;Horas de feriado;Plantões;Horas de substituições;Horas de trocas;"
        "Plantões acima de 24 h;Equipes;Valor da hora;Valor do sobreaviso\r\n"
        f"{ana};Ana;9,00;0,00;0,00;0,00;9,00;0,00;1;0,00;0,00;0;New York;30,00;90,00\r\n"
        f"{carla};Carla;18,00;4,00;2,00;0,00;0,00;12,00;1;0,00;0,00;0;New York;;\r\n"
    ).encode("utf-8")

    english = admin.get(REPORT + ".csv", params={"month": "2026-11", "team": "ny", "dialect": "excel"})
    assert english.body == (
        "\ufeffId,Name,On-call hours,Weekday day hours,Weekday night hours,Saturday hours,Sunday hours,"
        "Holiday hours,Shifts,Override hours,Swap hours,Shifts over 24 h,Teams,Hourly rate,Standby pay\r\n"
        f"{ana},Ana,9.00,0.00,0.00,0.00,9.00,0.00,1,0.00,0.00,0,New York,30.00,90.00\r\n"
        f"{carla},Carla,18.00,4.00,2.00,0.00,0.00,12.00,1,0.00,0.00,0,New York,,\r\n"
    ).encode("utf-8")


def test_the_csv_of_a_reader_without_rates_has_no_value_column(reader):
    body = reader("read_token").get(REPORT + ".csv", params={"month": "2026-11"}).body.decode("utf-8-sig")
    header, *rows = body.splitlines()
    assert header.endswith(";Equipes") and len(rows) == 3
    assert rows[0].split(";")[1:4] == ["Ana", "51,00", "13,00"]


def test_an_unknown_dialect_is_a_clear_400(admin, november):
    answer = admin.get(REPORT + ".csv", params={"month": "2026-11", "dialect": "lotus"}, status=400)
    assert "Unknown CSV dialect 'lotus'" in answer.json["error"]


# -- through the API, in a month ahead ----------------------------------------------------


def test_a_rotation_and_an_override_made_through_the_api(admin, make_team, make_person, make_rotation, today, local):
    """A one-person daily rotation covers next month whole; an override takes six weekday hours of it."""
    make_team("infra")
    ana, caio = make_person("Ana"), make_person("Caio")
    make_rotation("infra", [ana], policy="daily", start=local(today))
    first = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    holidays = holiday_calendar(first.year, first.year)
    weekday = next(first + timedelta(days=n) for n in range(28)
                   if (first + timedelta(days=n)).weekday() < 5 and first + timedelta(days=n) not in holidays)
    admin.post("/api/v1/teams/infra/overrides", {"person": caio["id"], "start": local(weekday, "10:00"),
                                                  "end": local(weekday, "16:00")}, status=201)
    month = f"{first.year:04d}-{first.month:02d}"

    people = by_name(admin.get(REPORT, params={"month": month}).json)

    days = calendar.monthrange(first.year, first.month)[1]
    assert people["Ana"]["total_hours"] == days * 24 - 6  # São Paulo has had no DST since 2019
    assert figures(people["Caio"]) == hours(6, day=6, override=6)
    assert people["Caio"]["override_shifts"] == 1
    assert sum(people["Ana"][name] for name in FIGURES[1:6]) == people["Ana"]["total_hours"]


def test_a_shift_wholly_on_leave_is_no_shift_of_the_month(admin, november, clean_engine):
    with Session(clean_engine) as session, session.begin():
        session.add(Leave(person_id=november["Carla"]["id"], start=at(NY, 2026, 11, 25), end=at(NY, 2026, 11, 27),
                          reason=""))
    people = by_name(admin.get(REPORT, params={"month": "2026-11"}).json)
    assert list(people) == ["Ana", "Bruno"]
