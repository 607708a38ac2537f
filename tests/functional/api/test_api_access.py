"""Who may read and write: the admin token, the viewer token, a private roster."""

from __future__ import annotations

import pytest
import webtest

VIEWER_PASSWORD = "viewer secret with enough words"


@pytest.fixture
def private_app(app_with):
    """A client of an app whose roster only logged-in readers see."""
    app = app_with(public_roster=False, viewer_password=VIEWER_PASSWORD)
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.20"})


@pytest.fixture
def viewer_headers():
    return {"Authorization": f"Bearer {VIEWER_PASSWORD}"}


WRITES = [
    ("post", "/api/v1/teams", {"slug": "infra", "name": "Infra"}),
    ("patch", "/api/v1/teams/infra", {"name": "Renamed"}),
    ("post", "/api/v1/people", {"name": "Ana"}),
    ("post", "/api/v1/teams/infra/rotations", {"name": "Main", "policy": "weekly"}),
    ("post", "/api/v1/teams/infra/rotations/preview", {"policy": "weekly"}),
    ("post", "/api/v1/teams/infra/overrides", {"person": 1, "start": "2030-01-01", "end": "2030-01-02"}),
    ("post", "/api/v1/teams/infra/swaps", {"shifts": [1, 2]}),
]


@pytest.mark.parametrize("method, url, body", WRITES)
def test_a_write_without_credentials_is_a_401_with_a_json_error(testapp, make_team, audit_log, method, url, body):
    make_team("infra")
    entries = len(audit_log())

    response = getattr(testapp, f"{method}_json")(url, body, status=401)

    assert response.content_type == "application/json"
    assert "Authorization" in response.json["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert len(audit_log()) == entries


@pytest.mark.parametrize("method, url, body", WRITES)
def test_a_write_with_a_wrong_password_is_a_401_saying_so(testapp, make_team, audit_log, method, url, body):
    make_team("infra")
    entries = len(audit_log())

    response = getattr(testapp, f"{method}_json")(
        url, body, headers={"Authorization": "Bearer correct horse battery stapl"}, status=401
    )

    assert response.json["error"] == "Invalid credentials."
    assert len(audit_log()) == entries


def test_deleting_without_credentials_is_a_401(testapp, make_team, make_person):
    make_team("infra")
    ana = make_person("Ana")
    testapp.delete("/api/v1/teams/infra", status=401)
    testapp.delete(f"/api/v1/people/{ana['id']}", status=401)
    assert testapp.get("/api/v1/teams/infra").json["slug"] == "infra"
    assert testapp.get(f"/api/v1/people/{ana['id']}").json["active"] is True


def test_the_audit_log_is_for_the_admin_only(testapp, admin_headers):
    assert testapp.get("/api/v1/audit", status=401).json["error"]
    assert testapp.get("/api/v1/audit", headers=admin_headers).json == {"entries": [], "next": None}


def test_a_private_roster_is_closed_to_anonymous_readers(private_app, admin_headers):
    private_app.post_json("/api/v1/teams", {"slug": "infra", "name": "Infra"}, headers=admin_headers, status=201)

    for url in ("/api/v1/teams", "/api/v1/teams/infra", "/api/v1/people", "/api/v1/teams/infra/oncall",
                "/api/v1/teams/infra/shifts", "/api/v1/plugins"):
        response = private_app.get(url, status=401)
        assert response.json["error"], url


def test_a_private_roster_opens_to_the_viewer_token_for_reading_only(private_app, admin_headers, viewer_headers):
    private_app.post_json("/api/v1/teams", {"slug": "infra", "name": "Infra"}, headers=admin_headers, status=201)

    assert private_app.get("/api/v1/teams/infra", headers=viewer_headers).json["slug"] == "infra"
    private_app.patch_json("/api/v1/teams/infra", {"name": "Mine"}, headers=viewer_headers, status=403)
    private_app.get("/api/v1/audit", headers=viewer_headers, status=403)


def test_the_viewer_token_sees_contacts(private_app, admin_headers, viewer_headers):
    ana = private_app.post_json(
        "/api/v1/people", {"name": "Ana", "email": "ana@example.org"}, headers=admin_headers, status=201
    ).json
    assert private_app.get(f"/api/v1/people/{ana['id']}", headers=viewer_headers).json["email"] == "ana@example.org"


def test_without_public_contacts_anonymous_readers_see_no_phone_either(app_with, admin_headers):
    app = webtest.TestApp(app_with(public_contacts=False))
    ana = app.post_json(
        "/api/v1/people",
        {"name": "Ana", "email": "ana@example.org", "phone": "+55 11 90000-0001", "telegram_chat_id": "42"},
        headers=admin_headers,
        status=201,
    ).json

    seen = app.get(f"/api/v1/people/{ana['id']}").json

    assert seen["name"] == "Ana"
    assert seen["email"] is None and seen["phone"] is None and seen["telegram_chat_id"] is None


def test_the_audit_log_names_the_credential_and_the_client_address(private_app, admin_headers):
    private_app.post_json("/api/v1/teams", {"slug": "infra", "name": "Infra"}, headers=admin_headers, status=201)

    entry = private_app.get("/api/v1/audit", headers=admin_headers).json["entries"][0]

    assert entry["actor"] == "admin-token"
    assert entry["client_addr"] == "192.0.2.20"
    assert entry["action"] == "create" and entry["entity"] == "team"


def test_the_audit_log_is_paginated_newest_first(admin, make_team):
    for slug in ("alpha", "bravo", "charlie"):
        make_team(slug)

    first = admin.get("/api/v1/audit", params={"limit": 2}).json
    second = admin.get("/api/v1/audit", params={"limit": 2, "cursor": first["next"]}).json

    assert [e["entity_id"] for e in first["entries"] + second["entries"]] == ["charlie", "bravo", "alpha"]
    assert second["next"] is None
