"""GET /api/v1/teams/{slug}/fairness (and .csv): how evenly a team's roster shares the burden.

The scene: a weekly rotation of Ana and Bruno from a Monday 09:00, Carla
covering Ana from Tuesday 09:00 to Wednesday 09:00 of the first week (a
plain override: who it replaced comes from the rotations), and the team's
own holiday on the second Wednesday.  Over those two weeks, by hand:

- Ana: 2 shifts (the override cuts hers in two), 168 − 24 = 144 hours,
  7 nights of 7 hours less the one Carla took (42), the weekend (48), and
  one override given;
- Bruno: 1 shift, 168 hours, 49 night hours, 48 weekend hours and the 24
  hours of the holiday;
- Carla: 1 shift, 24 hours, 7 of them at night, one override taken.
"""

from __future__ import annotations

import csv
import io
import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import webtest
from sqlalchemy.orm import Session

from plantao.engine import holiday_calendar
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext
from plantao.services.fairness import SCORE_WEIGHTS

from tests.conftest import ADMIN_PASSWORD

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
ADMIN = {"Authorization": f"Bearer {ADMIN_PASSWORD}"}
VIEWER_PASSWORD = "a-viewer-password-for-fairness"
ACCOUNT_PASSWORD = "correct horse battery staple"


def quiet_monday(monday: date) -> date:
    """The first Monday from ``monday`` whose next 15 days hold no national holiday (the scene's
    only holiday is the team's own)."""
    national = holiday_calendar(monday.year, monday.year + 1, country="BR")
    while any(monday + timedelta(days=n) in national for n in range(15)):
        monday += timedelta(weeks=1)
    return monday


@pytest.fixture
def scene(testapp, monday):
    first = quiet_monday(monday)
    holiday = first + timedelta(days=9)  # the second Wednesday
    testapp.post_json("/api/v1/teams", {
        "slug": "infra", "name": "Infra", "timezone": "America/Sao_Paulo",
        "holidays": {"country": "BR", "custom": [{"date": holiday.isoformat(), "name": "Aniversário"}]},
    }, headers=ADMIN)
    testapp.post_json("/api/v1/teams", {"slug": "web", "name": "Web"}, headers=ADMIN)
    ana, bruno, carla = (testapp.post_json("/api/v1/people", {"name": name}, headers=ADMIN).json
                         for name in ("Ana", "Bruno", "Carla"))
    testapp.post_json("/api/v1/teams/infra/rotations", {
        "name": "Semanal", "policy": "weekly", "members": [ana["id"], bruno["id"]],
        "start": f"{first.isoformat()}T09:00", "params": {"handoff_weekday": 0, "handoff_time": "09:00"},
    }, headers=ADMIN)
    tuesday = first + timedelta(days=1)
    testapp.post_json("/api/v1/teams/infra/overrides", {
        "person": carla["id"], "start": f"{tuesday.isoformat()}T09:00",
        "end": f"{(tuesday + timedelta(days=1)).isoformat()}T09:00",
    }, headers=ADMIN)
    return {
        "ana": ana, "bruno": bruno, "carla": carla,
        "start": f"{first.isoformat()}T09:00", "end": f"{(first + timedelta(days=14)).isoformat()}T09:00",
    }


def period(scene) -> dict:
    return {"start": scene["start"], "end": scene["end"]}


def test_the_figures_of_a_hand_built_roster(testapp, scene):
    answer = testapp.get("/api/v1/teams/infra/fairness", params=period(scene), headers=ADMIN).json
    assert answer["team"] == "infra"
    assert answer["start"] == datetime.fromisoformat(scene["start"]).replace(tzinfo=SAO_PAULO).isoformat()
    assert answer["end"] == datetime.fromisoformat(scene["end"]).replace(tzinfo=SAO_PAULO).isoformat()
    assert answer["roster_until"] == answer["end"]
    people = {row["name"]: row for row in answer["people"]}
    assert [row["name"] for row in answer["people"]] == ["Ana", "Bruno", "Carla"]
    figures = ("shifts", "hours", "night_hours", "weekend_hours", "holiday_hours", "overrides_taken", "overrides_given")
    assert {name: tuple(row[key] for key in figures) for name, row in people.items()} == {
        "Ana": (2, 144, 42, 48, 0, 0, 1),
        "Bruno": (1, 168, 49, 48, 24, 0, 0),
        "Carla": (1, 24, 7, 0, 0, 1, 0),
    }
    assert people["Ana"]["id"] == scene["ana"]["id"]
    assert answer["gap_hours"] == 0 and answer["uncovered"] == 0
    assert answer["held_hours"] == 336
    hours = answer["measures"]["hours"]
    assert (hours["min"], hours["max"], hours["mean"], hours["spread"]) == (24, 168, 112, 144)
    # The score, from its formula in the README.
    cvs = {}
    for measure in SCORE_WEIGHTS:
        values = [row[measure] for row in answer["people"]]
        mean = statistics.fmean(values)
        if mean > 0:
            cvs[measure] = min(1, statistics.pstdev(values) / mean)
    imbalance = sum(SCORE_WEIGHTS[m] * cv for m, cv in cvs.items()) / sum(SCORE_WEIGHTS[m] for m in cvs)
    assert answer["imbalance"] == pytest.approx(imbalance, abs=1e-4)
    assert answer["score"] == pytest.approx(100 * (1 - imbalance), abs=0.05)
    assert 0 < answer["score"] < 100


def test_a_swap_gives_each_its_partners_shift(testapp, scene):
    first = date.fromisoformat(scene["start"][:10])
    shifts = testapp.get("/api/v1/teams/infra/shifts", params=period(scene)).json["shifts"]
    ana = next(s for s in shifts if s["person"]["name"] == "Ana" and s["start"].startswith(
        (first + timedelta(days=2)).isoformat()))
    bruno = next(s for s in shifts if s["person"]["name"] == "Bruno")
    testapp.post_json("/api/v1/teams/infra/swaps", {"shifts": [ana["id"], bruno["id"]]}, headers=ADMIN)
    people = {row["name"]: row for row in testapp.get(
        "/api/v1/teams/infra/fairness", params=period(scene), headers=ADMIN).json["people"]}
    # Each took the other's shift and gave their own; Carla's override still counts for Ana.
    assert (people["Ana"]["overrides_taken"], people["Ana"]["overrides_given"]) == (1, 2)
    assert (people["Bruno"]["overrides_taken"], people["Bruno"]["overrides_given"]) == (1, 1)


def test_the_default_period_is_the_last_90_days_and_the_next_90(testapp, scene):
    answer = testapp.get("/api/v1/teams/infra/fairness", headers=ADMIN).json
    midnight = datetime.combine(datetime.now(SAO_PAULO).date(), time(0), tzinfo=SAO_PAULO)
    assert answer["start"] == (midnight - timedelta(days=90)).isoformat()
    assert answer["end"] == (midnight + timedelta(days=90)).isoformat()
    # Both weeks of the scene lie within it.
    assert {row["name"]: row["hours"] for row in answer["people"]}["Carla"] == 24
    only_start = testapp.get("/api/v1/teams/infra/fairness", params={"start": "2030-01-01"}, headers=ADMIN).json
    assert only_start["end"].startswith("2030-06-30")


@pytest.mark.parametrize("params", [
    {"start": "yesterday"},
    {"end": "2026-13-01"},
    {"start": "2026-03-01", "end": "2026-02-01"},
    {"start": "2026-03-01", "end": "2026-03-01"},
    {"start": "2020-01-01", "end": "2023-01-03"},
    {"start": "1000-01-01"},
])
def test_bad_periods_answer_400(testapp, scene, params):
    answer = testapp.get("/api/v1/teams/infra/fairness", params=params, headers=ADMIN, status=400).json
    assert answer["error"]
    testapp.get("/api/v1/teams/infra/fairness.csv", params=params, headers=ADMIN, status=400)


def test_three_years_is_the_longest_period(testapp, scene):
    testapp.get("/api/v1/teams/infra/fairness", params={"start": "2024-01-01", "end": "2027-01-01"}, headers=ADMIN)


def test_an_unknown_team_or_dialect(testapp, scene):
    testapp.get("/api/v1/teams/nope/fairness", headers=ADMIN, status=404)
    answer = testapp.get("/api/v1/teams/infra/fairness.csv", params={"dialect": "xlsx"}, headers=ADMIN, status=400)
    assert "excel-br" in answer.json["error"]


def test_the_csv_in_both_dialects(testapp, scene):
    brazilian = testapp.get("/api/v1/teams/infra/fairness.csv", params=period(scene), headers=ADMIN)
    assert brazilian.content_type == "text/csv"
    assert "attachment" in brazilian.headers["Content-Disposition"]
    assert brazilian.body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(brazilian.body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Id", "Pessoa", "Plantões", "Horas", "Horas noturnas (22h-5h)", "Horas em fins de semana",
                       "Horas em feriados", "Substituições assumidas", "Substituições cedidas"]
    assert rows[1][1:] == ["Ana", "2", "144,00", "42,00", "48,00", "0,00", "0", "1"]
    assert [row[1] for row in rows[1:]] == ["Ana", "Bruno", "Carla"]

    english = testapp.get("/api/v1/teams/infra/fairness.csv", params={**period(scene), "dialect": "excel"},
                          headers=ADMIN)
    rows = list(csv.reader(io.StringIO(english.body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Id", "Person", "Shifts", "Hours"]
    assert rows[2][1:] == ["Bruno", "1", "168.00", "49.00", "48.00", "24.00", "0", "0"]


# -- who may read it --------------------------------------------------------------------


@pytest.fixture
def private(app_with, scene, settings, plugins, clean_engine, testapp):
    """The scene's database behind an app with a viewer password; Tiago, team admin of infra; tokens."""
    app = app_with(viewer_password=VIEWER_PASSWORD)
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create(
            {"name": "Tiago", "email": "tiago@example.com", "password": ACCOUNT_PASSWORD,
             "role": "team_admin", "teams": ["infra"]}
        )
        session.commit()
    tokens = {
        name: testapp.post_json("/api/v1/tokens", {"name": name, "scopes": scopes, **extra},
                                headers=ADMIN).json["token"]
        for name, scopes, extra in (("infra-read", ["read"], {"teams": ["infra"]}), ("any-read", ["read"], {}),
                                    ("notify", ["notifications"], {}))
    }
    return app, tokens


def test_owners_team_admins_and_read_tokens_read_it_viewers_do_not(private):
    app, tokens = private
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.90"})
    for slug in ("infra", "web"):
        client.get(f"/api/v1/teams/{slug}/fairness", headers=ADMIN, status=200)
        client.get(f"/api/v1/teams/{slug}/fairness", headers={"Authorization": f"Bearer {tokens['any-read']}"})
    limited = {"Authorization": f"Bearer {tokens['infra-read']}"}
    client.get("/api/v1/teams/infra/fairness", headers=limited, status=200)
    client.get("/api/v1/teams/web/fairness", headers=limited, status=403)
    client.get("/api/v1/teams/web/fairness.csv", headers=limited, status=403)
    client.get("/api/v1/teams/infra/fairness", headers={"Authorization": f"Bearer {tokens['notify']}"}, status=403)
    viewer = {"Authorization": f"Bearer {VIEWER_PASSWORD}"}
    client.get("/api/v1/teams/infra/fairness", headers=viewer, status=403)
    client.get("/api/v1/teams/infra/fairness.csv", headers=viewer, status=403)
    client.get("/api/v1/teams/infra/fairness", status=401)

    team_admin = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.91"})
    form = team_admin.get("/admin/login").forms[0]
    form["email"], form["password"] = "tiago@example.com", ACCOUNT_PASSWORD
    form.submit(status=303)
    assert team_admin.get("/api/v1/teams/infra/fairness").json["team"] == "infra"
    team_admin.get("/api/v1/teams/infra/fairness.csv", status=200)
    assert team_admin.get("/api/v1/teams/web/fairness", status=403).json["error"]
    # A team they do not administer is refused before it is looked up.
    team_admin.get("/api/v1/teams/nope/fairness", status=403)
