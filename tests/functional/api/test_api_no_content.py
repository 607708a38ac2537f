"""DELETE answers: 204 No Content carries neither a body nor a Content-Type.

WebTest's WSGI lint checks this too (and warnings are errors); these tests
say it outright.
"""

from __future__ import annotations


def test_deleting_a_team_answers_a_bare_204(testapp, admin_headers, make_team):
    make_team("infra")
    response = testapp.delete("/api/v1/teams/infra", headers=admin_headers, status=204)
    assert response.body == b"" and "Content-Type" not in response.headers


def test_deleting_a_rotation_answers_a_bare_204(
    testapp, admin_headers, make_team, make_person, make_rotation, monday, local
):
    make_team("infra")
    rotation = make_rotation("infra", [make_person()], start=local(monday))
    response = testapp.delete(
        f"/api/v1/teams/infra/rotations/{rotation['id']}", headers=admin_headers, status=204
    )
    assert response.body == b"" and "Content-Type" not in response.headers


def test_deleting_an_override_answers_a_bare_204(
    testapp, admin, admin_headers, make_team, make_person, monday, local
):
    make_team("infra")
    ana = make_person("Ana")
    override = admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": ana["id"], "start": local(monday), "end": local(monday, "18:00")},
        status=201,
    ).json
    response = testapp.delete(
        f"/api/v1/teams/infra/overrides/{override['id']}", headers=admin_headers, status=204
    )
    assert response.body == b"" and "Content-Type" not in response.headers


def test_deleting_a_leave_answers_a_bare_204(testapp, admin, admin_headers, make_person, monday, local):
    ana = make_person("Ana")
    leave = admin.post(
        f"/api/v1/people/{ana['id']}/leave", {"start": local(monday), "end": local(monday, "18:00")}, status=201
    ).json
    response = testapp.delete(
        f"/api/v1/people/{ana['id']}/leave/{leave['id']}", headers=admin_headers, status=204
    )
    assert response.body == b"" and "Content-Type" not in response.headers
