"""API tokens in the admin panel: an owner lists, creates and revokes them.

The secret of a new token is shown once, in the answer to the form: not in
a flash, not in a URL, and the answer is not to be cached.  Only owners see
the page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.models import ApiToken, AuditEntry
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext

from tests.functional.conftest import SAO_PAULO

PASSWORD = "correct horse battery staple"


@pytest.fixture
def teams(api):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})


def tick(form, name: str, value: str) -> None:
    for field in form.fields[name]:
        if field._value == value:
            field.checked = True


def secret_on(page) -> str:
    return page.html.find(id="new-secret")["value"]


def test_a_new_tokens_secret_is_shown_once_and_works(admin, app, teams, clean_engine):
    form = admin.get("/admin/tokens").forms[1]
    form["name"] = "Monitoramento"
    tick(form, "scopes", "write")
    tick(form, "teams", "infra")
    page = form.submit(status=200)
    secret = secret_on(page)
    assert secret.startswith("plt_")
    assert page.headers["Cache-Control"] == "no-store"
    assert "Copie o segredo agora" in page.text
    # Nowhere else: not in a flash for the next page, not in the list, not in the audit log.
    again = admin.get("/admin/tokens")
    assert secret not in again.text and "Monitoramento" in again.text
    with Session(clean_engine) as session:
        token = session.scalar(select(ApiToken))
        assert ([team.slug for team in token.teams], token.scopes, token.created_by) == (
            ["infra"], ["write"], "admin-session")
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "api_token")).all()
        assert [entry.action for entry in entries] == ["create"]
        assert secret not in str(entries[0].after)

    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "203.0.113.9"})
    headers = {"Authorization": f"Bearer {secret}"}
    client.post_json("/api/v1/teams/web/overrides", {}, headers=headers, status=403)
    listed = admin.get("/admin/tokens")
    assert "203.0.113.9" in listed.text  # its last use, and where from


def test_an_expiry_is_read_in_the_instances_zone(admin, teams, clean_engine):
    moment = (datetime.now(ZoneInfo(SAO_PAULO)) + timedelta(days=30)).replace(second=0, microsecond=0, tzinfo=None)
    form = admin.get("/admin/tokens").forms[1]
    form["name"], form["expires_at"] = "Temporário", moment.strftime("%Y-%m-%dT%H:%M")
    tick(form, "scopes", "read")
    form.submit(status=200)
    with Session(clean_engine) as session:
        expires_at = session.scalar(select(ApiToken.expires_at))
    assert expires_at == moment.replace(tzinfo=ZoneInfo(SAO_PAULO))


def test_form_errors_show_next_to_the_field_and_nothing_is_saved(admin, teams, clean_engine):
    form = admin.get("/admin/tokens").forms[1]
    form["name"], form["expires_at"] = "Sem escopo", "2001-01-01T10:00"
    page = form.submit(status=422)
    assert "Este campo é obrigatório." in page.html.find(id="f-scopes-error").text  # none ticked
    assert page.forms[1]["name"].value == "Sem escopo"
    assert page.forms[1]["expires_at"].value == "2001-01-01T10:00"

    form = page.forms[1]
    tick(form, "scopes", "read")
    page = form.submit(status=422)
    assert "Deve estar no futuro." in page.html.find(id="f-expires_at-error").text
    assert page.html.find(id="new-secret") is None
    with Session(clean_engine) as session:
        assert session.scalars(select(ApiToken)).all() == []


def test_revoking_a_token(admin, app, teams, csrf):
    form = admin.get("/admin/tokens").forms[1]
    form["name"] = "Script"
    tick(form, "scopes", "read")
    secret = secret_on(form.submit(status=200))
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "203.0.113.10"})
    headers = {"Authorization": f"Bearer {secret}"}
    client.post_json("/api/v1/teams/infra/overrides", {}, headers=headers, status=403)  # known, reads only

    page = admin.get("/admin/tokens")
    revoke = next(f for f in page.forms.values() if "/revoke" in (f.action or ""))
    listed = revoke.submit(status=303).follow()
    assert "Token Script revogado" in listed.text and "Revogado em" in listed.text
    assert "/revoke" not in listed.text  # no button for a revoked token
    refused = client.post_json("/api/v1/teams/infra/overrides", {}, headers=headers, status=401)
    assert refused.json["error"] == "Invalid credentials."

    # Revoked meanwhile in another tab: said on the list, nothing else changes.
    again = admin.post(revoke.action, {"csrf_token": csrf(page)}, status=303).follow()
    assert "Não há token de API válido" in again.text
    admin.post("/admin/tokens/999999/revoke", {"csrf_token": csrf(page)}, status=404)
    # A form without the session's CSRF token saves nothing.
    admin.post("/admin/tokens", {"name": "x", "scopes": "read"}, status=400)


def test_only_owners_see_the_tokens_page(app, browser, teams, api, settings, plugins, clean_engine):
    assert "/admin/login" in browser.get("/admin/tokens", status=303).location
    secret = api.post("/api/v1/tokens", {"name": "w", "scopes": ["write", "notifications"]})["token"]
    # A token (which never holds ``accounts``) is refused like a viewer: sent to the login form.
    assert "/admin/login" in browser.get(
        "/admin/tokens", headers={"Authorization": f"Bearer {secret}"}, status=303).location
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create(
            {"name": "Tiago", "email": "tiago@example.com", "password": PASSWORD, "role": "team_admin",
             "teams": ["infra"]}
        )
        session.commit()
    form = browser.get("/admin/login").forms[0]
    form["email"], form["password"] = "tiago@example.com", PASSWORD
    form.submit(status=303)
    browser.get("/admin/tokens", status=403)
    assert "/admin/tokens" not in browser.get("/admin/teams/infra/calendar").text


def test_the_pages_speak_english_too(admin, teams):
    english = {"Accept-Language": "en"}
    page = admin.get("/admin/tokens", headers=english)
    assert "API tokens" in page.text and "None ticked: every team." in page.text
    accounts = admin.get("/admin/accounts/new", headers=english)
    assert "Teams (for a team admin)" in accounts.text and "Team admin" in accounts.text
