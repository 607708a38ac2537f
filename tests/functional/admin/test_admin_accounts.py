"""Accounts in the admin panel: an owner lists, creates and changes them through the forms.

The forms call the same service as ``plantao users``: every change is in the
audit log (never a password), and a new role or teams, a new password or
disabling the account end its sessions at once.  Only owners see the pages.
"""

from __future__ import annotations

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.models import Account, AuditEntry
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "another long passphrase here"


@pytest.fixture
def make_account(settings, plugins, clean_engine):
    """``make_account(name=..., email=..., role=..., teams=...)``: an account, made as the CLI makes it."""

    def create(**body):
        with Session(clean_engine) as session:
            account = AccountService(ServiceContext(session, settings, plugins)).create({"password": PASSWORD, **body})
            session.commit()
            return account.id

    return create


@pytest.fixture
def teams(api):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})
    return api.post("/api/v1/people", {"name": "Ana"})


def other_browser(app, address: str = "192.0.2.66") -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address})


def log_in_as(browser, email: str, password: str = PASSWORD, **kw):
    form = browser.get("/admin/login").forms[0]
    form["email"], form["password"] = email, password
    return form.submit(**kw)


def tick(form, name: str, value: str) -> None:
    """Tick the checkbox of ``name`` whose value is ``value``."""
    for field in form.fields[name]:
        if field._value == value:
            field.checked = True


def audit_of(clean_engine, account_id: int) -> list[tuple[str, object, object]]:
    with Session(clean_engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "account", AuditEntry.entity_id == str(account_id))
            .order_by(AuditEntry.id)
        ).all()
        return [(entry.action, entry.actor, entry.after) for entry in entries]


def account_row(clean_engine, email: str) -> Account:
    with Session(clean_engine) as session:
        account = session.scalar(select(Account).where(Account.email == email))
        account.team_slugs = [team.slug for team in account.teams]
        return account


def test_an_owner_creates_a_team_admin_who_then_logs_in(admin, app, teams, clean_engine):
    form = admin.get("/admin/accounts/new").forms[1]
    form["name"], form["email"], form["password"] = "Tiago", "Tiago@Example.com", PASSWORD
    form["role"] = "team_admin"
    tick(form, "teams", "infra")
    form["person"] = str(teams["id"])
    listed = form.submit(status=303).follow()
    assert "Conta tiago@example.com criada." in listed.text
    assert "Tiago" in listed.text and "infra" in listed.text and "Ana" in listed.text
    assert "Administrador de equipe" in listed.text

    account = account_row(clean_engine, "tiago@example.com")
    assert (account.role, account.team_slugs, account.person_id) == ("team_admin", ["infra"], teams["id"])
    [(action, actor, after)] = audit_of(clean_engine, account.id)
    assert (action, actor, after["teams"]) == ("create", "admin-session", ["infra"])
    assert PASSWORD not in str(after) and "argon2" not in str(after)

    tiago = other_browser(app)
    answer = log_in_as(tiago, "tiago@example.com", status=303)
    assert answer.location.endswith("/admin/teams/infra/calendar")


def test_a_weak_password_or_a_team_admin_without_teams_is_refused_next_to_the_field(admin, teams, clean_engine):
    form = admin.get("/admin/accounts/new").forms[1]
    form["name"], form["email"], form["password"] = "Tiago", "tiago@example.com", "short"
    form["role"] = "team_admin"
    page = form.submit(status=422)
    assert "Esta senha é fraca demais" in page.text
    assert 'value="short"' not in page.text  # a password is never put back into the page
    assert page.forms[1]["email"].value == "tiago@example.com"

    form = page.forms[1]
    form["password"] = PASSWORD
    page = form.submit(status=422)
    assert "Um administrador de equipe precisa de pelo menos uma equipe." in page.text
    with Session(clean_engine) as session:
        assert session.scalars(select(Account)).all() == []


def test_a_taken_email_is_refused(admin, teams, make_account):
    make_account(name="Olga", email="olga@example.com", role="owner")
    form = admin.get("/admin/accounts/new").forms[1]
    form["name"], form["email"], form["password"], form["role"] = "Outra", " OLGA@example.com", PASSWORD, "viewer"
    page = form.submit(status=409)
    assert "Já existe uma conta com este e-mail." in page.text


def test_changing_the_role_ends_the_accounts_sessions_and_is_audited(admin, app, teams, make_account, clean_engine):
    account_id = make_account(name="Tiago", email="tiago@example.com", role="team_admin", teams=["infra"])
    tiago = other_browser(app)
    log_in_as(tiago, "tiago@example.com", status=303)
    assert tiago.get("/admin/teams/infra/calendar").status_int == 200

    form = admin.get(f"/admin/accounts/{account_id}").forms[1]
    assert form["name"].value == "Tiago"
    tick(form, "teams", "web")
    form["name"] = "Tiago Silva"
    form.submit(status=303)
    account = account_row(clean_engine, "tiago@example.com")
    assert (account.name, account.team_slugs) == ("Tiago Silva", ["infra", "web"])
    assert tiago.get("/admin/teams/infra/calendar").status_int == 303  # logged out: back to the login form

    log_in_as(tiago, "tiago@example.com", status=303)
    form = admin.get(f"/admin/accounts/{account_id}").forms[1]
    form["role"] = "viewer"  # the ticked teams stay ticked, and go with the role
    form.submit(status=303)
    account = account_row(clean_engine, "tiago@example.com")
    assert (account.role, account.team_slugs) == ("viewer", [])
    assert tiago.get("/admin/teams/infra/calendar").status_int == 303
    assert [action for action, *_ in audit_of(clean_engine, account_id)] == ["create", "update", "update"]


def test_disabling_and_enabling_an_account(admin, app, teams, make_account, clean_engine):
    account_id = make_account(name="Olga", email="olga@example.com", role="owner")
    olga = other_browser(app)
    log_in_as(olga, "olga@example.com", status=303)
    assert olga.get("/admin/accounts").status_int == 200

    form = admin.get(f"/admin/accounts/{account_id}").forms[1]
    form["active"] = False
    listed = form.submit(status=303).follow()
    assert "Desativado" in listed.text
    assert olga.get("/admin/accounts").status_int == 303
    log_in_as(olga, "olga@example.com", status=401)

    form = admin.get(f"/admin/accounts/{account_id}").forms[1]
    form["active"] = True
    form.submit(status=303)
    log_in_as(olga, "olga@example.com", status=303)
    actions = [action for action, *_ in audit_of(clean_engine, account_id)]
    assert actions == ["create", "disable", "enable"]  # saving what did not change is not an update


def test_a_new_password_replaces_the_old_one_and_ends_the_sessions(admin, app, teams, make_account, clean_engine):
    account_id = make_account(name="Vera", email="vera@example.com", role="viewer")
    vera = other_browser(app)
    log_in_as(vera, "vera@example.com", status=303)

    form = admin.get(f"/admin/accounts/{account_id}").forms[1]
    form["password"] = "tiny"
    page = form.submit(status=422)
    assert "Esta senha é fraca demais" in page.text and 'value="tiny"' not in page.text
    log_in_as(other_browser(app, "192.0.2.67"), "vera@example.com", status=303)  # still the old one

    form = admin.get(f"/admin/accounts/{account_id}").forms[1]
    form["password"] = NEW_PASSWORD
    form.submit(status=303)
    log_in_as(other_browser(app, "192.0.2.68"), "vera@example.com", status=401)
    log_in_as(other_browser(app, "192.0.2.69"), "vera@example.com", NEW_PASSWORD, status=303)
    entries = audit_of(clean_engine, account_id)
    assert [action for action, *_ in entries] == ["create", "set_password"]
    assert NEW_PASSWORD not in str(entries)


def test_an_unknown_account_is_404(admin, teams):
    admin.get("/admin/accounts/999999", status=404)


def test_only_owners_see_the_accounts_pages(admin, app, teams, make_account):
    make_account(name="Olga", email="olga@example.com", role="owner")
    make_account(name="Tiago", email="tiago@example.com", role="team_admin", teams=["infra"])
    make_account(name="Vera", email="vera@example.com", role="viewer")
    assert 'href="http://localhost/admin/accounts"' in admin.get("/admin/teams").text

    olga = other_browser(app)
    log_in_as(olga, "olga@example.com", status=303)
    page = olga.get("/admin/accounts")
    assert "tiago@example.com" in page.text and 'href="http://localhost/admin/tokens"' in page.text

    tiago = other_browser(app, "192.0.2.70")
    log_in_as(tiago, "tiago@example.com", status=303)
    assert "/admin/accounts" not in tiago.get("/admin/teams/infra/calendar").text
    tiago.get("/admin/accounts", status=403)
    tiago.get("/admin/accounts/new", status=403)

    vera = other_browser(app, "192.0.2.71")
    log_in_as(vera, "vera@example.com", status=303)
    assert "/admin/login" in vera.get("/admin/accounts", status=303).location
    nobody = other_browser(app, "192.0.2.72")
    assert "/admin/login" in nobody.get("/admin/accounts", status=303).location
