"""Bad input of any kind is answered in plain words, never with a 500.

Each request here is one an integrator could plausibly send by mistake
(or a client could forge); the answer is the one 4xx JSON error the API
gives that case (400 what cannot be read: query parameters, cursors, the
body's encoding; 404 an id that names nothing; 422 a body that is read but
invalid) and the stored data stays as it was.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

HUGE = 10**20


def forged_cursor(position: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def assert_refused(response, status: int):
    """``response`` is the JSON error ``status``, with its message and details."""
    assert response.status_int == status, f"{response.status}: {response.text[:300]}"
    assert response.content_type == "application/json"
    assert response.json["error"] and "details" in response.json


@pytest.fixture
def roster(make_team, make_person, make_rotation, monday, local):
    make_team("infra")
    people = [make_person("A"), make_person("B")]
    make_rotation("infra", people, start=local(monday))
    return people


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/people/{HUGE}",
        f"/api/v1/people/{HUGE}/leave",
        f"/api/v1/teams/infra/rotations/{HUGE}",
    ],
)
def test_an_id_too_large_for_the_database_in_the_path_is_a_404(testapp, roster, url):
    assert_refused(testapp.get(url, expect_errors=True), 404)


@pytest.mark.parametrize(
    "url, body",
    [
        ("/api/v1/teams/infra", {"fallback_person": HUGE}),
        ("/api/v1/teams/infra/overrides", {"person": HUGE, "start": "2030-01-01", "end": "2030-01-02"}),
        ("/api/v1/teams/infra/swaps", {"shifts": [HUGE, HUGE + 1]}),
        ("/api/v1/teams/infra/rotations", {"name": "Big", "policy": "weekly", "members": [HUGE]}),
        ("/api/v1/teams/infra/rotations/preview", {"policy": "weekly", "members": [HUGE]}),
    ],
)
def test_an_id_too_large_for_the_database_in_the_body_is_a_422(admin, roster, audit_log, url, body):
    entries = len(audit_log())
    send = admin.patch if url == "/api/v1/teams/infra" else admin.post

    # The schema bounds ids to the database's integer: refused before any query.
    assert_refused(send(url, body, expect_errors=True), 422)
    assert len(audit_log()) == entries


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/teams",
        "/api/v1/people",
        "/api/v1/teams/infra/rotations",
        "/api/v1/teams/infra/overrides",
    ],
)
def test_a_forged_cursor_beyond_any_id_is_a_400(testapp, roster, url):
    response = testapp.get(url, params={"cursor": forged_cursor({"after": HUGE})}, expect_errors=True)
    assert_refused(response, 400)
    assert "cursor" in response.json["error"]


@pytest.mark.parametrize(
    "position",
    [
        {"start": "2030-01-01T00:00:00", "id": 1},
        {"start": "not a date", "id": 1},
        {"start": "2030-01-01T00:00:00+00:00", "id": "one"},
        {"start": "2030-01-01T00:00:00+00:00"},
        ["2030-01-01T00:00:00+00:00", 1],
    ],
)
def test_a_forged_shifts_cursor_is_a_400(testapp, roster, position):
    response = testapp.get("/api/v1/teams/infra/shifts", params={"cursor": forged_cursor(position)}, expect_errors=True)
    assert_refused(response, 400)


def test_an_instant_centuries_away_is_refused_in_plain_words(testapp, roster):
    response = testapp.get("/api/v1/teams/infra/oncall", params={"at": "9999-12-31"}, status=400)
    assert "outside the years" in response.json["error"]


def test_a_far_but_plausible_instant_is_a_gap_with_nobody_on_call(testapp, roster):
    body = testapp.get("/api/v1/teams/infra/oncall", params={"at": "2199-12-31"}).json
    assert body["oncall"] == [] and body["gap"] is True


@pytest.mark.parametrize("at", ["9999-12-31T23:00", "0001-01-01T00:00+14:00"])
def test_an_instant_beyond_the_edge_of_the_calendar_in_utc_is_a_400(testapp, roster, at):
    # 23:00 on 31 December 9999 in São Paulo is in the year 10000 in UTC.
    response = testapp.get("/api/v1/teams/infra/oncall", params={"at": at}, expect_errors=True)
    assert_refused(response, 400)
    assert "outside the years" in response.json["error"]


@pytest.mark.parametrize(
    "params",
    [{"start": "9999-12-30"}, {"start": "9999-12-25", "end": "9999-12-31"}, {"start": "0001-01-01", "end": "0001-01-02"}],
)
def test_a_shifts_interval_at_the_edge_of_the_calendar_is_a_400(testapp, roster, params):
    response = testapp.get("/api/v1/teams/infra/shifts", params=params, expect_errors=True)
    assert_refused(response, 400)
    assert "outside the years" in response.json["error"]


@pytest.mark.parametrize("start", ["9999-12-20T09:00", "9999-12-31T23:30"])
def test_a_rotation_starting_at_the_end_of_the_calendar_is_a_422(admin, testapp, roster, audit_log, start):
    entries = len(audit_log())

    response = admin.post(
        "/api/v1/teams/infra/rotations", {"name": "Late", "policy": "weekly", "start": start}, expect_errors=True
    )

    assert_refused(response, 422)
    assert "outside the years" in response.json["error"]
    assert len(testapp.get("/api/v1/teams/infra/rotations").json["rotations"]) == 1
    assert len(audit_log()) == entries


@pytest.mark.parametrize(
    "holidays",
    [{"country": "BR", "subdivision": "XX"}, {"country": "ZZ"}, {"custom": [{"date": "2030-02-30", "name": "x"}]},
     {"custom": [{"date": "2030-01-01", "name": "a"}, {"date": "2030-01-01", "name": "b"}]}],
)
def test_an_unknown_holiday_calendar_is_a_422_and_the_team_is_unchanged(admin, testapp, roster, audit_log, holidays):
    before = testapp.get("/api/v1/teams/infra").json
    entries = len(audit_log())

    response = admin.patch("/api/v1/teams/infra", {"holidays": holidays}, expect_errors=True)

    assert_refused(response, 422)
    assert testapp.get("/api/v1/teams/infra").json == before
    assert len(audit_log()) == entries


def test_leave_at_the_edge_of_the_calendar_is_a_422(admin, roster, audit_log):
    entries = len(audit_log())

    response = admin.post(
        f"/api/v1/people/{roster[0]['id']}/leave", {"start": "9999-12-31T22:00", "end": "9999-12-31T23:00"},
        expect_errors=True,
    )

    assert_refused(response, 422)
    assert "outside the years" in response.json["error"]
    assert admin.get(f"/api/v1/people/{roster[0]['id']}/leave").json["leave"] == []
    assert len(audit_log()) == entries


def test_an_override_at_the_edge_of_the_calendar_is_a_422(admin, testapp, roster, audit_log):
    entries = len(audit_log())

    response = admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": roster[0]["id"], "start": "9999-12-31T22:00", "end": "9999-12-31T23:00"},
        expect_errors=True,
    )

    assert_refused(response, 422)
    assert "outside the years" in response.json["error"]
    assert testapp.get("/api/v1/teams/infra/overrides").json["overrides"] == []
    assert len(audit_log()) == entries


def test_a_body_that_is_not_utf8_is_a_400(testapp, admin_headers):
    response = testapp.post(
        "/api/v1/people", b'{"name": "\xff\xfe"}',
        headers={**admin_headers, "Content-Type": "application/json"}, expect_errors=True,
    )
    assert_refused(response, 400)
    assert "Malformed JSON" in response.json["error"]
    assert testapp.get("/api/v1/people", headers=admin_headers).json["people"] == []


def test_an_unknown_plugin_kind_is_a_400(testapp):
    response = testapp.get("/api/v1/plugins", params={"kind": "teleporters"}, expect_errors=True)
    assert_refused(response, 400)
    assert "teleporters" in response.json["error"]


def test_an_unknown_api_url_is_a_json_404(testapp):
    response = testapp.get("/api/v1/rosters", status=404)
    assert response.json["error"]


def test_changing_the_start_past_a_later_version_is_applied(
    admin, make_team, make_person, make_rotation, monday, local, audit_log
):
    make_team("infra")
    a, b, c = make_person("A"), make_person("B"), make_person("C")
    rotation = make_rotation("infra", [a, b], start=local(monday))
    admin.patch(
        f"/api/v1/teams/infra/rotations/{rotation['id']}",
        {"members": [a["id"], b["id"], c["id"]], "effective_from": local(monday + timedelta(weeks=2))},
    )
    entries = len(audit_log())

    response = admin.patch(
        f"/api/v1/teams/infra/rotations/{rotation['id']}",
        {"start": local(monday + timedelta(weeks=4))},
        expect_errors=True,
    )

    assert response.status_int == 200, f"{response.status}: {response.text[:300]}"
    assert response.json["start"] == local(monday + timedelta(weeks=4))
    assert len(audit_log()) == entries + 1
