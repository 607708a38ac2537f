"""Who may do what: every write of the API and every admin form, with each kind of credential.

The table below classifies each write (a new one must be added here, or
the test fails): a change to a team (``team``), to a team's notification
settings (``notifications``), deleting a team (``owner_team``), anything
global (people, deliveries, new teams: ``global``), a person's leave
through the API or the panel's leave form (``leave``: a member of infra's)
and accounts and tokens (``accounts``).  Each credential is then allowed exactly what the
issue's table says (allowed: neither 401 nor 403; the empty bodies sent
may well be refused with 422 or 404 after that), on team ``infra``, and
never on team ``web``:

- ``ADMIN_PASSWORD``: everything;
- a team admin of infra (an account's session): its team and notification settings, not deleting it, and its members' leave;
- a ``write`` token of infra: its team, not deleting it; a ``notifications`` token of infra: its notification settings;
- ``VIEWER_PASSWORD`` and a ``read`` token: nothing (403); no credential: 401.

The admin forms are posted the same way from a browser (the owner's, a
team admin's and a viewer's sessions, nobody's: sent to the login form)
and with each token (which a script could send to a form).
"""

from __future__ import annotations

import re

import pytest
import webtest
from sqlalchemy.orm import Session

from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext

from tests.conftest import ADMIN_PASSWORD
from tests.functional.conftest import csrf_of

VIEWER_PASSWORD = "a-viewer-password-for-tests"
ACCOUNT_PASSWORD = "correct horse battery staple"

API_WRITES = {
    ("POST", "/api/v1/teams"): "global",
    ("PATCH", "/api/v1/teams/{slug}"): "team",
    ("DELETE", "/api/v1/teams/{slug}"): "owner_team",
    ("POST", "/api/v1/teams/{slug}/rotations/preview"): "team",
    ("POST", "/api/v1/teams/{slug}/rotations"): "team",
    ("PATCH", "/api/v1/teams/{slug}/rotations/{id}"): "team",
    ("DELETE", "/api/v1/teams/{slug}/rotations/{id}"): "team",
    ("POST", "/api/v1/teams/{slug}/overrides"): "team",
    ("POST", "/api/v1/teams/{slug}/overrides/preview"): "team",
    ("DELETE", "/api/v1/teams/{slug}/overrides/{id}"): "team",
    ("POST", "/api/v1/teams/{slug}/swaps"): "team",
    ("POST", "/api/v1/teams/{slug}/swaps/preview"): "team",
    ("POST", "/api/v1/teams/{slug}/feed-token"): "team",
    # Cover and swap requests: a person acts as themselves through their action link
    # (tests/functional/api/test_api_requests.py); these credentials act for people of their teams.
    ("POST", "/api/v1/teams/{slug}/requests"): "team",
    ("POST", "/api/v1/teams/{slug}/requests/{id}/{action}"): "team",
    ("POST", "/api/v1/teams/{slug}/notification-channels/{channel}/test"): "notifications",
    ("PUT", "/api/v1/teams/{slug}/notification-channels/{channel}"): "notifications",
    ("DELETE", "/api/v1/teams/{slug}/notification-channels/{channel}"): "notifications",
    ("PUT", "/api/v1/teams/{slug}/notification-settings"): "notifications",
    ("POST", "/api/v1/people"): "global",
    ("PATCH", "/api/v1/people/{id}"): "global",
    ("DELETE", "/api/v1/people/{id}"): "global",
    ("POST", "/api/v1/people/{id}/leave"): "leave",
    ("DELETE", "/api/v1/people/{id}/leave/{leave_id}"): "leave",
    ("PUT", "/api/v1/people/{id}/notification-preferences"): "global",
    ("POST", "/api/v1/people/{id}/feed-token"): "global",
    ("POST", "/api/v1/people/{id}/action-token"): "accounts",
    ("POST", "/api/v1/notifications/deliveries/{id}/retry"): "global",
    ("POST", "/api/v1/tokens"): "accounts",
    ("DELETE", "/api/v1/tokens/{id}"): "accounts",
    # Closing a month of the hours report (permission "payroll"): owners only, as accounts.
    ("POST", "/api/v1/reports/hours/close"): "accounts",
}

#: The admin forms (POST), by route name; logging in and out is everybody's.
ADMIN_FORMS = {
    "admin.team.new": "global",
    "admin.team": "team",
    "admin.team.delete": "owner_team",
    "admin.rotation.new": "team",
    "admin.rotation": "team",
    "admin.rotation.delete": "team",
    "admin.overrides": "team",
    "admin.override.delete": "team",
    "admin.calendar.replace": "team",
    "admin.calendar.swap": "team",
    "admin.timeline.override": "team",
    "admin.timeline.swap": "team",
    "admin.request.action": "team",
    "admin.notification_settings": "notifications",
    "admin.channel": "notifications",
    "admin.channel.delete": "notifications",
    "admin.channel.test": "notifications",
    "admin.person.new": "global",
    "admin.person": "global",
    "admin.person.deactivate": "global",
    "admin.person.preferences": "global",
    # The panel's leave form names the person in the body: the view checks they are a member of the
    # team admin's teams (its empty body here is refused with 422 after that); the delete names Ana, of infra.
    "admin.leave": "leave",
    "admin.leave.delete": "leave",
    "admin.delivery.retry": "global",
    "admin.account.new": "accounts",
    "admin.account": "accounts",
    "admin.tokens": "accounts",
    "admin.token.revoke": "accounts",
    # Closing a month from the hours page: owners only ("payroll"), as accounts.
    "admin.reports.hours": "accounts",
}
PUBLIC_FORMS = {"admin.login", "admin.logout"}

#: What each credential may do, on team infra (never on web).
ALLOWED = {
    "admin": {"team", "notifications", "owner_team", "global", "accounts", "leave"},
    "team_admin": {"team", "notifications", "leave"},
    "write_token": {"team"},
    "notifications_token": {"notifications"},
    "read_token": set(),
    "viewer": set(),
    "nobody": set(),
}


#: A person who exists (people's routes look them up before anything else); other ids do not.
PERSON_ID = "1"


def filled(template: str, slug: str) -> str:
    person = "/people/" in template
    values = {"slug": slug, "id": PERSON_ID if person else "999999", "leave_id": "999999", "channel": "webhook",
              "action": "approve"}
    return re.sub(r"\{(\w+)(?::(?:[^{}]|\{[^{}]*\})*)?\}", lambda m: values[m.group(1)], template)


@pytest.fixture
def world(app_with, admin_headers, settings, plugins, clean_engine):
    """An app with a viewer password, teams infra and web, a team admin of infra and three tokens."""
    app = app_with(viewer_password=VIEWER_PASSWORD)
    admin = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.30"})
    for slug in ("infra", "web"):
        admin.post_json("/api/v1/teams", {"slug": slug, "name": slug.title()}, headers=admin_headers)
    person = admin.post_json("/api/v1/people", {"name": "Ana"}, headers=admin_headers).json
    assert str(person["id"]) == PERSON_ID
    admin.post_json("/api/v1/teams/infra/rotations", {"name": "Diária", "policy": "daily", "members": [person["id"]],
                    "start": "2026-01-05T09:00:00-03:00"}, headers=admin_headers)
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create(
            {"name": "Tiago", "email": "tiago@example.com", "password": ACCOUNT_PASSWORD,
             "role": "team_admin", "teams": ["infra"]}
        )
        session.commit()
    secrets = {
        name: admin.post_json("/api/v1/tokens", {"name": name, "scopes": scopes, "teams": ["infra"]},
                              headers=admin_headers).json["token"]
        for name, scopes in (("write_token", ["write"]), ("notifications_token", ["notifications"]),
                             ("read_token", ["read"]))
    }
    return app, secrets


def client(world, who: str):
    """A browser for ``who``: ``(testapp, headers, csrf_token)``."""
    app, secrets = world
    # Each credential from an address of its own: the refusals must not lock anybody out.
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"192.0.2.{40 + list(ALLOWED).index(who)}"})
    bearer = {"admin": ADMIN_PASSWORD, "viewer": VIEWER_PASSWORD, **secrets}.get(who)
    if who == "team_admin":
        form = browser.get("/admin/login").forms[0]
        form["email"], form["password"] = "tiago@example.com", ACCOUNT_PASSWORD
        form.submit(status=303)
    token = csrf_of(browser.get("/admin/login", {"next": "/"}))
    headers = {"X-CSRF-Token": token}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return browser, headers, token


def test_every_write_is_classified(world):
    app, _ = world
    document = webtest.TestApp(app).get("/api/v1/openapi.json").json
    writes = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("post", "put", "patch", "delete")
    }
    assert writes == set(API_WRITES)
    forms = {
        view["introspectable"]["route_name"]
        for view in app.registry.introspector.get_category("views")
        if (view["introspectable"]["route_name"] or "").startswith("admin.")
        and "POST" in (view["introspectable"]["request_methods"] or ())
    }
    assert forms == set(ADMIN_FORMS) | PUBLIC_FORMS


@pytest.mark.parametrize("who", list(ALLOWED))
def test_each_credential_may_write_exactly_what_its_role_allows(world, who):
    browser, headers, _ = client(world, who)
    wrong = []
    for (method, template), kind in API_WRITES.items():
        for slug in ("infra", "web"):
            if "{slug}" not in template and slug == "web":
                continue
            answer = browser.request(filled(template, slug), method=method, headers=headers,
                                     body=b"{}", content_type="application/json", expect_errors=True)
            allowed = kind in ALLOWED[who] and (slug == "infra" or who in ("admin",) or "{slug}" not in template)
            expected = "allowed" if allowed else ("401" if who == "nobody" else "403")
            got = "allowed" if answer.status_int not in (401, 403) else str(answer.status_int)
            if got != expected:
                wrong.append(f"{method} {filled(template, slug)}: {got}, expected {expected}")
    assert wrong == []


@pytest.mark.parametrize("who", ["admin", "team_admin", "viewer", "nobody"])
def test_each_browser_may_post_exactly_the_admin_forms_its_role_allows(world, who):
    app, _ = world
    browser, headers, token = client(world, who)
    if who in ("admin", "viewer"):  # a browser logs in through the form, with the built-in password
        form = browser.get("/admin/login", {"next": "/"}).forms[0]
        form["password"] = ADMIN_PASSWORD if who == "admin" else VIEWER_PASSWORD
        form.submit(status=303)
        token = csrf_of(browser.get("/admin/login", {"next": "/"}))
    mapper = app.registry.getUtility(__import__("pyramid.interfaces", fromlist=["IRoutesMapper"]).IRoutesMapper)
    wrong = []
    for name, kind in ADMIN_FORMS.items():
        template = mapper.get_route(name).pattern
        for slug in ("infra", "web"):
            if "{slug}" not in template and slug == "web":
                continue
            answer = browser.post(filled(template, slug), {"csrf_token": token}, expect_errors=True)
            allowed = kind in ALLOWED[who] and (slug == "infra" or who == "admin" or "{slug}" not in template)
            to_login = answer.status_int == 303 and "/admin/login" in answer.location
            got = "login" if to_login else ("403" if answer.status_int == 403 else "allowed")
            expected = "allowed" if allowed else ("login" if who == "nobody" else "403")
            if got != expected:
                wrong.append(f"POST {filled(template, slug)}: {got}, expected {expected}")
    assert wrong == []


@pytest.mark.parametrize("who", ["write_token", "notifications_token", "read_token"])
def test_each_token_may_post_exactly_the_admin_forms_its_scopes_allow(world, who):
    app, _ = world
    browser, headers, _ = client(world, who)
    mapper = app.registry.getUtility(__import__("pyramid.interfaces", fromlist=["IRoutesMapper"]).IRoutesMapper)
    wrong = []
    for name, kind in ADMIN_FORMS.items():
        template = mapper.get_route(name).pattern
        for slug in ("infra", "web"):
            if "{slug}" not in template and slug == "web":
                continue
            answer = browser.post(filled(template, slug), {}, headers=headers, expect_errors=True)
            allowed = kind in ALLOWED[who] and slug == "infra"
            got = "allowed" if answer.status_int not in (401, 403) and "/admin/login" not in (
                answer.location or "") else str(answer.status_int)
            expected = "allowed" if allowed else "403"
            if got != expected:
                wrong.append(f"POST {filled(template, slug)}: {got}, expected {expected}")
    assert wrong == []
