"""TokenDirectory: the live token a ``plt_...`` secret names, and the record of its use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import OperationalError

from plantao.models import ApiToken
from plantao.services.context import Actor, ServiceContext
from plantao.services.login import REMEMBERED_FOR
from plantao.services.teams import TeamService
from plantao.services.tokens import TOUCH_INTERVAL, TokenDirectory, TokenService, token_hash


@pytest.fixture
def ctx(dbsession, settings, plugins):
    return ServiceContext(dbsession, settings, plugins, Actor("owner-token", "192.0.2.1"))


@pytest.fixture
def tokens(ctx):
    return TokenService(ctx)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def directory(clean_engine, clock):
    return TokenDirectory(clean_engine, clock=clock)


def commit(dbsession) -> None:
    """Commit what was done so far (the directory reads on connections of its own) and go on."""
    dbsession.transaction_manager.commit()
    dbsession.transaction_manager.begin()


def create(tokens, dbsession, **body) -> tuple[int, str]:
    token, secret = tokens.create({"name": "CI", "scopes": ["read"], **body})
    token_id = token.id
    commit(dbsession)
    return token_id, secret


class Unreachable:
    """An engine whose database cannot be reached."""

    def _fail(self):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    def connect(self):
        self._fail()

    def begin(self):
        self._fail()


def test_the_right_secret_finds_its_token_with_its_scopes_and_teams(ctx, tokens, dbsession, directory):
    team_service = TeamService(ctx)
    for slug in ("infra", "apps"):
        team_service.create({"slug": slug, "name": slug.title()})
    expires = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=7)
    token_id, secret = create(
        tokens, dbsession, scopes=["write", "read"], teams=["infra", "apps"], expires_at=expires.isoformat()
    )

    record = directory.find(secret)

    assert record is not None
    assert (record.id, record.name) == (token_id, "CI")
    assert record.scopes == frozenset({"read", "write"})
    assert record.team_slugs == ("apps", "infra")
    assert record.expires_at == expires


def test_a_token_without_teams_carries_none_meaning_every_team(tokens, dbsession, directory):
    _, secret = create(tokens, dbsession)
    assert directory.find(secret).team_slugs == ()


def test_only_the_hash_of_the_secret_is_stored(tokens, dbsession):
    token_id, secret = create(tokens, dbsession)
    stored = dbsession.get(ApiToken, token_id)
    assert stored.token_hash == token_hash(secret) and secret not in stored.token_hash
    assert stored.created_by == "owner-token"


@pytest.mark.parametrize(
    "secret", ["plt_wrong", "", "admin-password", None, 42], ids=["wrong", "empty", "no-prefix", "none", "not-text"]
)
def test_anything_else_finds_nothing(tokens, dbsession, directory, secret):
    create(tokens, dbsession)
    assert directory.find(secret) is None


def test_a_secret_without_the_prefix_is_not_even_looked_up(tokens, dbsession, directory):
    _, secret = create(tokens, dbsession)
    directory.engine = Unreachable()
    assert directory.find(secret.removeprefix("plt_")) is None


def test_a_revoked_token_finds_nothing_at_once(tokens, dbsession, directory):
    token_id, secret = create(tokens, dbsession)
    assert directory.find(secret) is not None

    tokens.revoke(tokens.get(token_id))
    commit(dbsession)

    assert directory.find(secret) is None


def test_an_expired_token_finds_nothing(tokens, dbsession, directory, clean_engine):
    expires = datetime.now(timezone.utc) + timedelta(hours=1)
    _, secret = create(tokens, dbsession, expires_at=expires.isoformat())
    assert directory.find(secret) is not None

    later = TokenDirectory(clean_engine, now=lambda: expires + timedelta(seconds=1))

    assert later.find(secret) is None


def test_while_the_database_is_away_a_token_seen_lately_is_remembered(tokens, dbsession, directory, clock):
    token_id, secret = create(tokens, dbsession)
    assert directory.find(secret).id == token_id
    directory.engine = Unreachable()

    clock.now += REMEMBERED_FOR - 1
    assert directory.find(secret).id == token_id

    clock.now += 2
    with pytest.raises(OperationalError):
        directory.find(secret)


def test_while_the_database_is_away_an_unseen_secret_gets_its_error(tokens, dbsession, directory):
    _, secret = create(tokens, dbsession)
    directory.engine = Unreachable()
    with pytest.raises(OperationalError):
        directory.find(secret)


def test_touch_records_when_and_from_where_the_token_was_used(tokens, dbsession, directory):
    token_id, _ = create(tokens, dbsession)

    directory.touch(token_id, "198.51.100.7")

    dbsession.expire_all()
    stored = dbsession.get(ApiToken, token_id)
    assert stored.last_used_from == "198.51.100.7"
    assert datetime.now(timezone.utc) - stored.last_used_at < timedelta(minutes=1)


def test_touch_writes_at_most_once_a_minute_per_token(tokens, dbsession, directory, clock):
    token_id, _ = create(tokens, dbsession)
    directory.touch(token_id, "198.51.100.7")

    clock.now += TOUCH_INTERVAL - 1
    directory.touch(token_id, "203.0.113.9")
    dbsession.expire_all()
    assert dbsession.get(ApiToken, token_id).last_used_from == "198.51.100.7", "too soon: not written"
    commit(dbsession)

    clock.now += 2
    directory.touch(token_id, "203.0.113.9")
    dbsession.expire_all()
    assert dbsession.get(ApiToken, token_id).last_used_from == "203.0.113.9"


def test_touch_swallows_and_logs_a_database_error(tokens, dbsession, directory, caplog):
    token_id, _ = create(tokens, dbsession)
    directory.engine = Unreachable()

    directory.touch(token_id, "198.51.100.7")

    assert "Could not record the use of API token" in caplog.text
