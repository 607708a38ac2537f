"""Named accounts log in with their email and password, and act within their role.

``ADMIN_PASSWORD`` and ``VIEWER_PASSWORD`` keep working as before (the
login form with the email left blank, ``Authorization: Bearer``); an
account's role decides what its session may do: an owner everything, a
team admin the teams they administer (writes elsewhere are 403), a viewer
only reads.  Disabling an account ends its sessions at once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import webtest
from sqlalchemy.orm import Session

from plantao.datetimes import utcnow
from plantao.models import AuditEntry
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext

from tests.conftest import ADMIN_PASSWORD
from tests.functional.conftest import csrf_of

PASSWORD = "correct horse battery staple"


@pytest.fixture
def accounts(scene, api, settings, plugins, clean_engine):
    """Owner Olga, team admin Tiago (of infra), viewer Vera; a second team, web."""
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})

    def create(**body):
        with Session(clean_engine) as session:
            account = AccountService(ServiceContext(session, settings, plugins)).create({"password": PASSWORD, **body})
            session.commit()
            return account.id

    return {
        "owner": create(name="Olga", email="olga@example.com", role="owner"),
        "team_admin": create(name="Tiago", email="Tiago@Example.com", role="team_admin", teams=["infra"]),
        "viewer": create(name="Vera", email="vera@example.com", role="viewer"),
    }


def log_in_as(browser, email: str, password: str = PASSWORD, **kw):
    form = browser.get("/admin/login").forms[0]
    form["email"] = email
    form["password"] = password
    return form.submit(**kw)


def override_body(scene, days: int = 3) -> dict:
    start = (utcnow() + timedelta(days=days)).replace(microsecond=0)
    return {"person": scene["people"][1]["id"], "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat()}


def api_post(browser, url: str, body: dict, **kw):
    """A JSON write from the logged-in browser (its session, its CSRF token)."""
    token = csrf_of(browser.get("/admin/login", {"next": "/"}))
    return browser.post_json(url, body, headers={"X-CSRF-Token": token}, **kw)


def test_an_owner_logs_in_with_email_and_the_audit_log_names_the_account(browser, accounts, scene, clean_engine):
    answer = log_in_as(browser, "  OLGA@example.com ", status=303)
    assert answer.location.endswith("/admin")
    api_post(browser, "/api/v1/teams/infra/overrides", override_body(scene), status=201)
    with Session(clean_engine) as session:
        entry = session.query(AuditEntry).filter_by(entity="override").order_by(AuditEntry.id.desc()).first()
    assert entry.actor == "account:olga@example.com"


def test_a_wrong_email_or_password_is_refused_without_saying_which(browser, accounts):
    for email, password in (("olga@example.com", "wrong password here"), ("nobody@example.com", PASSWORD)):
        page = log_in_as(browser, email, password, status=401)
        assert "E-mail ou senha incorretos." in page.text


def test_the_built_in_passwords_still_log_in_with_the_email_left_blank(browser, login, accounts):
    assert login(browser, status=303).location.endswith("/admin")


def test_a_team_admin_writes_to_their_team_only(browser, accounts, scene):
    answer = log_in_as(browser, "tiago@example.com", status=303)
    assert answer.location.endswith("/admin/teams/infra/calendar")
    calendar = browser.get(answer.location)  # their team's calendar, in the panel
    # The panel's sections are their teams (and logging out), not the owner's ones.
    assert 'href="http://localhost/admin/teams/infra/calendar"' in calendar.text
    assert "/admin/logout" in calendar.text and "/admin/teams/web" not in calendar.text
    assert 'href="http://localhost/admin/people"' not in calendar.text
    for section in ("rotations", "overrides", "notifications"):
        assert browser.get(f"/admin/teams/infra/{section}").status_int == 200
    assert browser.get("/admin/teams/web/calendar", status=403)
    api_post(browser, "/api/v1/teams/infra/overrides", override_body(scene), status=201)

    elsewhere = api_post(browser, "/api/v1/teams/web/overrides", override_body(scene), status=403)
    assert "teams they administer" in elsewhere.json["error"]
    api_post(browser, "/api/v1/teams", {"slug": "dba", "name": "DBA"}, status=403)
    api_post(browser, "/api/v1/people", {"name": "Zé"}, status=403)
    token = csrf_of(browser.get("/admin/login", {"next": "/"}))
    gone = browser.delete("/api/v1/teams/infra", headers={"X-CSRF-Token": token}, status=403)
    assert "Only an owner" in gone.json["error"]
    # Reads are everybody's; accounts and tokens are an owner's.
    assert browser.get("/api/v1/teams/web/oncall").status_int == 200
    browser.get("/api/v1/tokens", status=403)


def test_a_viewer_account_reads_and_may_not_write(browser, accounts, scene):
    log_in_as(browser, "vera@example.com", status=303)
    assert browser.get("/teams/infra").status_int == 200
    api_post(browser, "/api/v1/teams/infra/overrides", override_body(scene), status=403)


def test_disabling_an_account_ends_its_sessions_at_once(browser, accounts, scene, settings, plugins, clean_engine):
    log_in_as(browser, "olga@example.com", status=303)
    assert browser.get("/admin/teams").status_int == 200
    with Session(clean_engine) as session:
        service = AccountService(ServiceContext(session, settings, plugins))
        service.disable(service.get(accounts["owner"]))
        session.commit()
    assert browser.get("/admin/teams").status_int == 303  # back to the login form
    page = log_in_as(browser, "olga@example.com", status=401)
    assert "E-mail ou senha incorretos." in page.text


def test_an_owner_accounts_session_needs_the_csrf_token_for_a_persons_preferences(browser, accounts, scene):
    """The preferences route takes a person's own link without a CSRF token; a session still needs it."""
    log_in_as(browser, "olga@example.com", status=303)
    person = scene["people"][0]["id"]
    url = f"/api/v1/people/{person}/notification-preferences"
    refused = browser.put_json(url, {}, status=400)
    assert "CSRF" in refused.json["error"]
    token = csrf_of(browser.get("/admin/login", {"next": "/"}))
    browser.put_json(url, {}, headers={"X-CSRF-Token": token}, status=(200, 422))


def test_wrong_passwords_for_an_account_count_together_from_every_address(app, accounts):
    for number in range(5):
        elsewhere = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": f"198.51.100.{number + 1}"})
        log_in_as(elsewhere, "olga@example.com", "not her password at all", status=401)
    fresh = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.99"})
    locked = log_in_as(fresh, "olga@example.com", status=429)
    assert locked.headers["Retry-After"]
    # The built-in password, from that address, is not held back by her account's lockout.
    form = fresh.get("/admin/login").forms[0]
    form["password"] = ADMIN_PASSWORD
    form.submit(status=303)


def test_the_audit_log_filters_by_who_wrote(browser, accounts, scene, api, admin_headers, testapp):
    log_in_as(browser, "tiago@example.com", status=303)
    api_post(browser, "/api/v1/teams/infra/overrides", override_body(scene), status=201)
    by_tiago = testapp.get("/api/v1/audit", {"actor": "account:tiago@example.com"}, headers=admin_headers).json
    assert [(e["actor"], e["entity"]) for e in by_tiago["entries"]] == [("account:tiago@example.com", "override")]
    everybody = testapp.get("/api/v1/audit", headers=admin_headers).json["entries"]
    assert {e["actor"] for e in everybody} >= {"account:tiago@example.com", "admin-token"}

    owner = webtest.TestApp(browser.app, extra_environ={"REMOTE_ADDR": "192.0.2.77"})
    log_in_as(owner, "olga@example.com", status=303)
    page = owner.get("/admin/audit", {"actor": "account:tiago@example.com"})
    assert page.status_int == 200
    assert 'value="account:tiago@example.com" selected' in page.text
    assert page.text.count('class="card"') == 1


def test_a_team_admin_manages_the_leave_of_their_teams_members_only(browser, accounts, scene, api):
    outsider = api.post("/api/v1/people", {"name": "Zeca"})
    log_in_as(browser, "tiago@example.com", status=303)
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    leave = {"start": start.isoformat(), "end": (start + timedelta(days=2)).isoformat()}
    member = scene["people"][0]["id"]  # in infra's rotation
    created = api_post(browser, f"/api/v1/people/{member}/leave", leave, status=201).json
    token = csrf_of(browser.get("/admin/login", {"next": "/"}))
    browser.delete(f"/api/v1/people/{member}/leave/{created['id']}", headers={"X-CSRF-Token": token}, status=204)
    refused = api_post(browser, f"/api/v1/people/{outsider['id']}/leave", leave, status=403)
    assert "their teams' members" in refused.json["error"]
    # The person themselves are an owner's to change.
    browser.patch_json(f"/api/v1/people/{member}", {"name": "Ana Maria"}, headers={"X-CSRF-Token": token}, status=403)
