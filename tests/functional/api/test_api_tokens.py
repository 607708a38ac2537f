"""/api/v1/tokens: owners create API tokens (the secret shown once), list and revoke them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest


def in_days(days: int) -> str:
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(microsecond=0).isoformat()


@pytest.fixture
def make_token(admin):
    """``make_token(name, scopes=[...], ...)``: a token created through the API (its JSON, secret included)."""

    def create(name: str = "CI", **fields) -> dict:
        return admin.post("/api/v1/tokens", {"name": name, "scopes": ["read"], **fields}, status=201).json

    return create


def test_creating_a_token_answers_201_with_its_secret_once(admin, make_team):
    make_team("infra")
    make_team("db")
    expires = in_days(30)

    created = admin.post(
        "/api/v1/tokens",
        {"name": "Grafana", "scopes": ["write", "read"], "teams": ["infra", "db"], "expires_at": expires},
        status=201,
    ).json

    assert created["token"].startswith("plt_")
    assert len(created["token"]) == len("plt_") + 43, "32 random bytes, URL-safe base64"
    assert isinstance(created["id"], int)
    assert created["name"] == "Grafana"
    assert created["scopes"] == ["read", "write"]
    assert created["teams"] == ["db", "infra"], "ordered by slug"
    assert datetime.fromisoformat(created["expires_at"]) == datetime.fromisoformat(expires)
    assert created["created_at"] is not None
    assert created["last_used_at"] is None and created["last_used_from"] is None
    assert created["revoked_at"] is None


def test_two_tokens_never_share_a_secret(make_token):
    assert make_token("a")["token"] != make_token("b")["token"]


def test_the_list_shows_every_token_newest_first_without_secrets(admin, make_token):
    first = make_token("first")
    second = make_token("second", scopes=["notifications"])

    listed = admin.get("/api/v1/tokens").json["tokens"]

    assert [t["id"] for t in listed] == [second["id"], first["id"]]
    assert all("token" not in t for t in listed)
    body = admin.get("/api/v1/tokens").text
    assert first["token"] not in body and second["token"] not in body
    assert listed[0]["teams"] == [] and listed[0]["expires_at"] is None


def test_revoking_a_token_keeps_it_listed_with_revoked_at(admin, make_token):
    token = make_token("old")

    admin.delete(f"/api/v1/tokens/{token['id']}", status=204)

    listed = admin.get("/api/v1/tokens").json["tokens"]
    assert listed[0]["id"] == token["id"] and listed[0]["revoked_at"] is not None


def test_revoking_twice_or_an_unknown_token_is_404(admin, make_token):
    token = make_token("old")
    admin.delete(f"/api/v1/tokens/{token['id']}", status=204)

    again = admin.delete(f"/api/v1/tokens/{token['id']}", status=404).json
    unknown = admin.delete("/api/v1/tokens/999999", status=404).json

    assert "revoked" in again["error"]
    assert "999999" in unknown["error"]


def test_every_write_is_audited_without_the_secret(admin, make_token, audit_log):
    token = make_token("audited")
    admin.delete(f"/api/v1/tokens/{token['id']}", status=204)

    entries = audit_log(entity="api_token")

    assert [e["action"] for e in entries] == ["revoke", "create"]
    assert all(e["actor"] == "admin-token" for e in entries)
    written = json.dumps(entries)
    assert token["token"] not in written
    assert "token_hash" not in written


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"name": "x", "scopes": ["admin"]}, "scopes.0", "must be one of read, write, notifications"),
        ({"name": "x", "scopes": []}, "scopes", "too short"),
        ({"name": "x", "scopes": ["read", "read"]}, "scopes", "non-unique"),
        ({"name": "", "scopes": ["read"]}, "name", "too short"),
        ({"name": "x" * 201, "scopes": ["read"]}, "name", "too long"),
        ({"scopes": ["read"]}, "name", "is required"),
        ({"name": "x", "scopes": ["read"], "teams": ["nowhere"]}, "teams", "no team with slug 'nowhere'"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2020-01-01T00:00:00+00:00"}, "expires_at", "not in the future"),
        ({"name": "x", "scopes": ["read"], "expires_at": "2099-01-01T00:00"}, "expires_at", "has no offset"),
        ({"name": "x", "scopes": ["read"], "expires_at": "soon"}, "expires_at", "is not an ISO 8601"),
        ({"name": "x", "scopes": ["read"], "secret": "mine"}, "secret", "is not a known field"),
    ],
    ids=[
        "bad-scope", "no-scope", "duplicate-scope", "empty-name", "long-name", "no-name",
        "unknown-team", "past-expiry", "expiry-without-offset", "unreadable-expiry", "unknown-field",
    ],
)
def test_invalid_bodies_answer_422_naming_the_field(admin, body, field, words):
    answer = admin.post("/api/v1/tokens", body, status=422).json

    assert any(d["field"] == field and words in d["message"] for d in answer["details"]), answer
    assert admin.get("/api/v1/tokens").json["tokens"] == [], "nothing was created"


def test_without_credentials_every_operation_answers_401(testapp):
    testapp.get("/api/v1/tokens", status=401)
    testapp.post_json("/api/v1/tokens", {"name": "x", "scopes": ["read"]}, status=401)
    testapp.delete("/api/v1/tokens/1", status=401)
