"""Named accounts: who logs in by email and password, with which role, over which teams.

Driven through :class:`AccountService` on SQLite and PostgreSQL alike; the
sessions an account opens are real rows of ``login_sessions``.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from plantao import schema
from plantao.db import create_database_engine
from plantao.models import Account, AuditEntry, LoginSession
from plantao.services import accounts as accounts_module
from plantao.services.accounts import AccountService
from plantao.services.context import Actor, ServiceContext
from plantao.services.errors import Conflict, Invalid, NotFound
from plantao.services.login import LoginSessions
from plantao.services.people import PersonService
from plantao.services.teams import TeamService
from tests.conftest import throwaway_database

PASSWORD = "plantao-correct-horse-42"
NEW_PASSWORD = "another-long-passphrase-7"


@pytest.fixture
def ctx(dbsession, settings, plugins):
    return ServiceContext(dbsession, settings, plugins, Actor("test"))


@pytest.fixture
def accounts(ctx):
    return AccountService(ctx)


@pytest.fixture
def sessions(clean_engine):
    return LoginSessions(clean_engine, max_age=timedelta(hours=8))


@pytest.fixture
def teams(ctx):
    service = TeamService(ctx)
    return [service.create({"slug": slug, "name": slug.title()}) for slug in ("infra", "apps")]


def commit(dbsession) -> None:
    """Commit what was done so far and go on in a new transaction (sessions open on connections of their own).

    The session is closed at the commit: objects read before it are read again.
    """
    dbsession.transaction_manager.commit()
    dbsession.transaction_manager.begin()


def owner(accounts, **extra) -> Account:
    return accounts.create({"name": "Ana", "email": "ana@example.org", "password": PASSWORD, "role": "owner", **extra})


# -- creating ---------------------------------------------------------------------------------


def test_an_account_is_created_active_with_its_email_lower_cased_and_stripped(accounts):
    account = accounts.create(
        {"name": "Ana", "email": "  Ana.Silva@Example.ORG ", "password": PASSWORD, "role": "owner"}
    )
    assert (account.email, account.role, account.active, account.teams) == (
        "ana.silva@example.org", "owner", True, []
    )
    assert accounts.by_email("ANA.SILVA@example.org ") is account
    assert accounts.get(account.id) is account


def test_the_password_is_stored_as_an_argon2id_hash_only(accounts):
    account = owner(accounts)
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash
    assert PasswordHasher().verify(account.password_hash, PASSWORD)


def test_a_taken_email_in_any_case_is_a_409_duplicate_email(accounts):
    owner(accounts)
    with pytest.raises(Conflict) as raised:
        accounts.create({"name": "Other", "email": "ANA@example.org", "password": PASSWORD, "role": "viewer"})
    assert (raised.value.status, raised.value.code) == (409, "duplicate_email")
    assert raised.value.params == {"email": "ana@example.org"}


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short-pw", "shorter than 12 characters"), ("qwerty123456", "most common passwords")],
)
def test_a_weak_password_is_refused_with_the_reason_and_never_echoed(accounts, password, reason):
    with pytest.raises(Invalid) as raised:
        accounts.create({"name": "Ana", "email": "ana@example.org", "password": password, "role": "owner"})
    error = raised.value
    assert (error.status, error.code) == (422, "weak_password")
    assert reason in error.message
    assert password not in error.message and password not in json.dumps(error.details)


def test_a_team_admin_needs_teams_and_only_a_team_admin_has_them(accounts, teams):
    body = {"name": "Bia", "email": "bia@example.org", "password": PASSWORD, "role": "team_admin"}
    with pytest.raises(Invalid) as missing:
        accounts.create(body)
    assert [d.code for d in missing.value.details] == ["teams_required"]
    with pytest.raises(Invalid) as unknown:
        accounts.create({**body, "teams": ["infra", "nope"]})
    assert [(d.code, d.params) for d in unknown.value.details] == [("unknown_team", {"slug": "nope"})]
    with pytest.raises(Invalid) as not_allowed:
        accounts.create({**body, "role": "viewer", "teams": ["infra"]})
    assert [d.code for d in not_allowed.value.details] == ["teams_not_allowed"]
    account = accounts.create({**body, "teams": ["infra", "apps"]})
    assert [team.slug for team in account.teams] == ["apps", "infra"]


def test_an_account_may_be_linked_to_a_person_of_the_roster(accounts, ctx):
    ana = PersonService(ctx).create({"name": "Ana"})
    assert owner(accounts, person=ana.id).person is ana
    with pytest.raises(Invalid) as raised:
        accounts.create({"name": "X", "email": "x@example.org", "password": PASSWORD, "role": "viewer", "person": 999})
    assert [d.code for d in raised.value.details] == ["unknown_person"]


def test_an_unknown_email_or_id_is_not_found(accounts):
    with pytest.raises(NotFound):
        accounts.by_email("nobody@example.org")
    with pytest.raises(NotFound):
        accounts.get(42)


def test_list_answers_every_account_by_id(accounts, teams):
    owner(accounts)
    accounts.create({"name": "Bia", "email": "bia@example.org", "password": PASSWORD, "role": "viewer"})
    assert [a.email for a in accounts.list()] == ["ana@example.org", "bia@example.org"]


# -- logging in -------------------------------------------------------------------------------


def test_authenticate_answers_the_account_for_the_right_password_only(accounts):
    account = owner(accounts)
    assert accounts.authenticate(" ANA@example.org", PASSWORD) is account
    assert accounts.authenticate("ana@example.org", PASSWORD + "x") is None
    assert accounts.authenticate("ana@example.org", "") is None


def test_a_disabled_account_never_authenticates_until_enabled(accounts):
    account = owner(accounts)
    accounts.disable(account)
    assert accounts.authenticate("ana@example.org", PASSWORD) is None
    accounts.enable(account)
    assert accounts.authenticate("ana@example.org", PASSWORD) is account


def test_an_unknown_email_costs_one_argon2_verification_too(accounts, monkeypatch):
    verified = []
    real = accounts_module._verifies
    monkeypatch.setattr(accounts_module, "_verifies", lambda h, p: verified.append(h) or real(h, p))
    assert accounts.authenticate("nobody@example.org", PASSWORD) is None
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_a_hash_with_outdated_parameters_is_replaced_at_login(accounts):
    account = owner(accounts)
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    account.password_hash = weaker.hash(PASSWORD)
    assert accounts.authenticate("ana@example.org", PASSWORD) is account
    assert not accounts_module.HASHER.check_needs_rehash(account.password_hash)
    assert accounts.authenticate("ana@example.org", PASSWORD) is account


# -- what ends an account's sessions ----------------------------------------------------------


@pytest.fixture
def logged_in(accounts, sessions, dbsession):
    """Ana's account (committed) with two open sessions, and the shared admin's session beside them."""
    account_id = owner(accounts).id
    commit(dbsession)
    tokens = [sessions.open("account", "192.0.2.1", account_id=account_id) for _ in range(2)]
    admin = sessions.open("admin", "192.0.2.2")
    return accounts.get(account_id), tokens, admin


def test_a_session_records_the_account_that_opened_it(logged_in, dbsession):
    account, tokens, admin = logged_in
    rows = dbsession.scalars(select(LoginSession).order_by(LoginSession.id)).all()
    assert [row.account_id for row in rows] == [account.id, account.id, None]


def test_disabling_an_account_ends_its_sessions_and_no_others(accounts, sessions, dbsession, logged_in):
    account, tokens, admin = logged_in
    accounts.disable(account)
    commit(dbsession)
    assert [sessions.subject(token) for token in tokens] == [None, None]
    assert sessions.subject(admin) == "admin"
    assert accounts.authenticate("ana@example.org", PASSWORD) is None


def test_a_new_password_ends_the_accounts_sessions_and_replaces_the_old(accounts, sessions, dbsession, logged_in):
    account, tokens, admin = logged_in
    accounts.set_password(account, NEW_PASSWORD)
    commit(dbsession)
    assert [sessions.subject(token) for token in tokens] == [None, None]
    assert accounts.authenticate("ana@example.org", PASSWORD) is None
    assert accounts.authenticate("ana@example.org", NEW_PASSWORD).id == account.id


def test_a_weak_new_password_changes_nothing(accounts, sessions, dbsession, logged_in):
    account, tokens, admin = logged_in
    with pytest.raises(Invalid):
        accounts.set_password(account, "qwerty123456")
    assert [sessions.subject(token) for token in tokens] == ["account", "account"]


def test_a_new_role_ends_the_sessions_and_a_new_name_does_not(accounts, sessions, dbsession, logged_in, teams):
    account, tokens, admin = logged_in
    accounts.update(account, {"name": "Ana Silva"})
    commit(dbsession)
    assert [sessions.subject(token) for token in tokens] == ["account", "account"]
    accounts.update(accounts.get(account.id), {"role": "team_admin", "teams": ["infra"]})
    commit(dbsession)
    assert [sessions.subject(token) for token in tokens] == [None, None]
    changed = accounts.get(account.id)
    assert (changed.name, changed.role, [team.slug for team in changed.teams]) == ("Ana Silva", "team_admin", ["infra"])


def test_leaving_team_admin_drops_the_teams(accounts, teams):
    account = accounts.create(
        {"name": "Bia", "email": "bia@example.org", "password": PASSWORD, "role": "team_admin", "teams": ["apps"]}
    )
    accounts.update(account, {"role": "viewer"})
    assert (account.role, account.teams) == ("viewer", [])
    with pytest.raises(Invalid):
        accounts.update(account, {"role": "team_admin"})


def test_sessions_end_for_an_account_in_a_transaction_of_their_own_too(sessions, logged_in):
    account, tokens, admin = logged_in
    assert sessions.end_for_account(account.id) == 2
    assert [sessions.subject(token) for token in tokens] == [None, None]
    assert sessions.subject(admin) == "admin"


# -- the audit log ----------------------------------------------------------------------------


def test_the_audit_log_records_every_change_and_never_a_secret(accounts, dbsession, teams):
    account = owner(accounts)
    accounts.update(account, {"role": "team_admin", "teams": ["infra"]})
    accounts.set_password(account, NEW_PASSWORD)
    accounts.disable(account)
    accounts.enable(account)
    entries = dbsession.scalars(
        select(AuditEntry).where(AuditEntry.entity == "account").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update", "set_password", "disable", "enable"]
    assert entries[0].after["email"] == "ana@example.org" and entries[0].actor == "test"
    logged = json.dumps([[e.before, e.after] for e in entries])
    assert PASSWORD not in logged and NEW_PASSWORD not in logged
    assert "argon2" not in logged and "password_hash" not in logged


# -- the migration ----------------------------------------------------------------------------


@pytest.fixture
def fresh_database(database_url, tmp_path):
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    with throwaway_database("plantao_accounts") as (_, url):
        yield url


def test_the_accounts_migration_goes_down_and_up_again(fresh_database):
    engine = create_database_engine(fresh_database)
    try:
        schema.upgrade(engine)
        with engine.begin() as connection:
            command.downgrade(schema.alembic_config(connection), "0008")
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
            columns = [c["name"] for c in inspect(connection).get_columns("login_sessions")]
        assert "accounts" not in tables and "account_teams" not in tables and "account_id" not in columns
        assert schema.upgrade(engine).at_head
        with engine.connect() as connection:
            keys = inspect(connection).get_foreign_keys("login_sessions")
        assert [(k["referred_table"], k["options"].get("ondelete")) for k in keys] == [("accounts", "CASCADE")]
    finally:
        engine.dispose()
