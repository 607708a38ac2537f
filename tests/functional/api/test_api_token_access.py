"""What an API token may do: ``Authorization: Bearer plt_...`` within its scopes and teams.

A ``read`` token reads (a private roster too); a ``write`` token changes the
teams it names (every team when it names none), never people, leave or
other global things, and never deletes a team; a ``notifications`` token
changes only its teams' notification settings.  No token manages tokens or
accounts.  A revoked or expired token opens nothing; the audit log names the
token.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import webtest
from sqlalchemy.orm import Session

from plantao.datetimes import utcnow
from plantao.models import AuditEntry


@pytest.fixture
def teams(testapp, admin_headers):
    """Teams infra and web, a person, a daily rotation in infra."""
    for slug in ("infra", "web"):
        testapp.post_json("/api/v1/teams", {"slug": slug, "name": slug.title()}, headers=admin_headers)
    person = testapp.post_json("/api/v1/people", {"name": "Ana"}, headers=admin_headers).json["id"]
    testapp.post_json(
        "/api/v1/teams/infra/rotations",
        {"name": "Diária", "policy": "daily", "members": [person], "start": utcnow().replace(microsecond=0).isoformat()},
        headers=admin_headers,
    )
    return {"person": person}


@pytest.fixture
def token(testapp, admin_headers, teams):
    """``token(scopes, teams=None)``: a new token's ``Authorization`` header."""

    def make(scopes, team_slugs=None, name=None):
        body = {"name": name or f"script {'+'.join(scopes)}", "scopes": scopes}
        if team_slugs is not None:
            body["teams"] = team_slugs
        secret = testapp.post_json("/api/v1/tokens", body, headers=admin_headers, status=201).json["token"]
        return {"Authorization": f"Bearer {secret}"}

    return make


def override(teams, days: int = 2) -> dict:
    start = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    return {"person": teams["person"], "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}


def test_a_write_token_changes_its_teams_only(testapp, token, teams, clean_engine):
    headers = token(["write"], ["infra"], name="deploy bot")
    testapp.post_json("/api/v1/teams/infra/overrides", override(teams), headers=headers, status=201)
    with Session(clean_engine) as session:
        entry = session.query(AuditEntry).filter_by(entity="override").one()
    assert entry.actor == "token:deploy bot"

    refused = testapp.post_json("/api/v1/teams/web/overrides", override(teams), headers=headers, status=403)
    assert "scopes and teams" in refused.json["error"]
    testapp.post_json("/api/v1/people", {"name": "Zé"}, headers=headers, status=403)
    testapp.post_json("/api/v1/teams", {"slug": "dba", "name": "DBA"}, headers=headers, status=403)
    assert "Only an owner" in testapp.delete("/api/v1/teams/infra", headers=headers, status=403).json["error"]
    testapp.get("/api/v1/teams/infra/notification-settings", headers=headers, status=403)


def test_a_write_token_without_teams_writes_to_every_team(testapp, token, teams):
    headers = token(["write"])
    testapp.post_json("/api/v1/teams/web/overrides", override(teams), headers=headers, status=201)


def test_a_read_token_reads_a_private_roster_and_writes_nothing(app_with, token, teams):
    headers = token(["read"])
    private = webtest.TestApp(app_with(public_roster=False))
    assert private.get("/api/v1/teams/infra/oncall", headers=headers).status_int == 200
    private.get("/api/v1/teams/infra/oncall", status=401)
    private.post_json("/api/v1/teams/infra/overrides", override(teams), headers=headers, status=403)


def test_a_notifications_token_reaches_only_its_teams_notification_settings(testapp, token, teams):
    headers = token(["notifications"], ["infra"])
    assert testapp.get("/api/v1/teams/infra/notification-settings", headers=headers).status_int == 200
    testapp.get("/api/v1/teams/web/notification-settings", headers=headers, status=403)
    testapp.post_json("/api/v1/teams/infra/overrides", override(teams), headers=headers, status=403)


def test_no_token_manages_tokens(testapp, token):
    headers = token(["read", "write", "notifications"])
    refused = testapp.post_json("/api/v1/tokens", {"name": "more", "scopes": ["write"]}, headers=headers, status=403)
    assert "Only an owner" in refused.json["error"]
    testapp.get("/api/v1/tokens", headers=headers, status=403)


def test_a_revoked_token_opens_nothing_at_once(testapp, admin_headers, teams):
    created = testapp.post_json("/api/v1/tokens", {"name": "old", "scopes": ["write"]}, headers=admin_headers).json
    headers = {"Authorization": f"Bearer {created['token']}"}
    testapp.post_json("/api/v1/teams/infra/overrides", override(teams), headers=headers, status=201)
    testapp.delete(f"/api/v1/tokens/{created['id']}", headers=admin_headers, status=204)
    testapp.post_json("/api/v1/teams/infra/overrides", override(teams, days=3), headers=headers, status=401)


def test_a_wrong_token_counts_as_a_wrong_password(testapp, teams):
    for _ in range(5):
        testapp.get("/api/v1/tokens", headers={"Authorization": "Bearer plt_not-a-real-token"}, status=401)
    testapp.get("/api/v1/tokens", headers={"Authorization": "Bearer plt_not-a-real-token"}, status=429)


def test_the_last_use_of_a_token_is_listed(testapp, admin_headers, token):
    headers = token(["read"], name="status page")
    testapp.get("/api/v1/teams/infra/oncall", headers=headers)
    listed = testapp.get("/api/v1/tokens", headers=admin_headers).json
    mine = next(t for t in (listed["tokens"] if isinstance(listed, dict) else listed) if t["name"] == "status page")
    assert mine["last_used_at"] is not None and mine["last_used_from"]
    assert "token" not in mine
