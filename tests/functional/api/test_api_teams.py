"""/api/v1/teams: creating, reading, changing and removing teams."""

from __future__ import annotations

import pytest


def test_creating_a_team_answers_201_with_its_settings_and_the_default_zone(admin):
    response = admin.post("/api/v1/teams", {"slug": "infra", "name": "Infraestrutura"}, status=201)

    assert response.location.endswith("/api/v1/teams/infra")
    assert response.json == {
        "slug": "infra",
        "name": "Infraestrutura",
        "timezone": "America/Sao_Paulo",
        "holidays": {"country": "BR", "subdivision": None, "optional": False, "custom": []},
        "fallback_person": None,
        "swap_approval": "none",
    }


def test_a_team_keeps_the_zone_holidays_and_fallback_person_it_is_given(admin, testapp, make_person):
    ana = make_person("Ana")
    admin.post(
        "/api/v1/teams",
        {
            "slug": "ops-ny",
            "name": "Ops NY",
            "timezone": "America/New_York",
            "holidays": {"country": "US", "subdivision": "NY", "optional": False},
            "fallback_person": ana["id"],
        },
        status=201,
    )

    team = testapp.get("/api/v1/teams/ops-ny").json
    assert team["timezone"] == "America/New_York"
    assert team["holidays"]["country"] == "US" and team["holidays"]["subdivision"] == "NY"
    assert team["fallback_person"] == ana["id"]


def test_anyone_may_read_a_team_when_the_roster_is_public(testapp, make_team):
    make_team("infra")
    assert testapp.get("/api/v1/teams/infra").json["slug"] == "infra"


def test_an_unknown_team_is_a_404_with_a_json_error(testapp):
    response = testapp.get("/api/v1/teams/nope", status=404)
    assert response.content_type == "application/json"
    assert "nope" in response.json["error"] and "details" in response.json


def test_changing_a_team_keeps_what_the_body_does_not_mention(admin, make_team):
    make_team("infra", timezone="Europe/Lisbon")

    changed = admin.patch("/api/v1/teams/infra", {"name": "Infra 24x7"}).json

    assert changed["name"] == "Infra 24x7"
    assert changed["timezone"] == "Europe/Lisbon"


def test_deleting_a_team_removes_it(admin, testapp, make_team):
    make_team("infra")
    admin.delete("/api/v1/teams/infra", status=204)
    testapp.get("/api/v1/teams/infra", status=404)


def test_a_taken_slug_is_a_409_and_the_first_team_is_untouched(admin, testapp, make_team, audit_log):
    make_team("infra", name="First")
    entries = len(audit_log())

    response = admin.post("/api/v1/teams", {"slug": "infra", "name": "Second"}, status=409)

    assert "infra" in response.json["error"]
    assert testapp.get("/api/v1/teams/infra").json["name"] == "First"
    assert len(audit_log()) == entries


@pytest.mark.parametrize(
    "body, field",
    [
        ({"slug": "Not A Slug", "name": "X"}, "slug"),
        ({"slug": "infra"}, "name"),
        ({"slug": "infra", "name": 42}, "name"),
        ({"slug": "infra", "name": "X", "colour": "red"}, "colour"),
        ({"slug": "infra", "name": "X", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"slug": "infra", "name": "X", "fallback_person": 999}, "fallback_person"),
        ({"slug": "infra", "name": "X", "fallback_person": "ana"}, "fallback_person"),
        ({"slug": "infra", "name": "X", "holidays": {"country": "ZZ"}}, "holidays"),
        ({"slug": "infra", "name": "X", "holidays": {"country": "BR", "planet": "Earth"}}, "holidays.planet"),
    ],
)
def test_an_invalid_team_is_a_422_naming_the_field_and_nothing_is_saved(
    admin, testapp, audit_log, body, field
):
    response = admin.post("/api/v1/teams", body, status=422)

    assert response.json["error"]
    assert field in [problem["field"] for problem in response.json["details"]]
    assert testapp.get("/api/v1/teams").json["teams"] == []
    assert audit_log() == []


def test_an_invalid_change_is_a_422_and_the_team_stays_as_it_was(admin, testapp, make_team, audit_log):
    before = make_team("infra", timezone="Europe/Lisbon")
    entries = len(audit_log())

    admin.patch("/api/v1/teams/infra", {"name": "Renamed", "timezone": "Nowhere/Special"}, status=422)

    assert testapp.get("/api/v1/teams/infra").json == before
    assert len(audit_log()) == entries


@pytest.mark.parametrize(
    "raw, content_type",
    [
        (b'{"slug": "infra", "name": ', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"", "application/json"),
        (b"slug=infra&name=Infra", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400_in_plain_words(
    testapp, admin_headers, audit_log, raw, content_type
):
    response = testapp.post(
        "/api/v1/teams", raw, headers={**admin_headers, "Content-Type": content_type}, status=400
    )
    assert response.json["error"]
    assert "details" in response.json
    assert audit_log() == []


def test_teams_are_paginated_with_a_next_cursor(testapp, make_team):
    for slug in ("alpha", "bravo", "charlie", "delta", "echo"):
        make_team(slug)

    first = testapp.get("/api/v1/teams", params={"limit": 2}).json
    second = testapp.get("/api/v1/teams", params={"limit": 2, "cursor": first["next"]}).json
    third = testapp.get("/api/v1/teams", params={"limit": 2, "cursor": second["next"]}).json

    pages = [[team["slug"] for team in page["teams"]] for page in (first, second, third)]
    assert pages == [["alpha", "bravo"], ["charlie", "delta"], ["echo"]]
    assert third["next"] is None


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "lots"}, {"cursor": "not-a-cursor!"}])
def test_a_bad_limit_or_cursor_is_a_400(testapp, params):
    assert testapp.get("/api/v1/teams", params=params, status=400).json["error"]


def test_every_team_write_is_in_the_audit_log_with_before_and_after(admin, make_team, audit_log):
    make_team("infra", name="Infra")
    admin.patch("/api/v1/teams/infra", {"name": "Infra 24x7"})
    admin.delete("/api/v1/teams/infra", status=204)

    entries = audit_log(entity="team")

    assert [(e["action"], e["entity_id"]) for e in entries] == [
        ("delete", "infra"),
        ("update", "infra"),
        ("create", "infra"),
    ]
    delete, update, create = entries
    assert create["before"] is None and create["after"]["name"] == "Infra"
    assert update["before"]["name"] == "Infra" and update["after"]["name"] == "Infra 24x7"
    assert delete["before"]["name"] == "Infra 24x7" and delete["after"] is None
    assert {e["actor"] for e in entries} == {"admin-token"}
    assert {e["client_addr"] for e in entries} == {"192.0.2.10"}
