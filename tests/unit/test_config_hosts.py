"""Several database hosts: DB_HOST lists them, DATABASE_URL may too, libpq finds the primary."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from plantao.config import ConfigurationError, database_hosts, display_database_url, load_settings
from plantao.diagnostics import explain_database_error, is_database_unavailable, is_read_only_server

DB = {"DB_USER": "admin", "DB_PASS": "s3cr:et", "DB_NAME": "escala"}


def load(tmp_path, env):
    return load_settings({"PLANTAO_DATA_DIR": str(tmp_path / "var"), **env}, dotenv_path=None)


def connect_args(url: str) -> dict:
    """What SQLAlchemy would hand psycopg2 for ``url`` (no connection is made)."""
    return create_engine(url).dialect.create_connect_args(make_url(url))[1]


def test_one_db_host_builds_the_same_url_as_ever(tmp_path):
    settings = load(tmp_path, {"DB_HOST": "localhost", **DB})
    assert settings.database_url == "postgresql+psycopg2://admin:s3cr%3Aet@localhost:15432/escala"
    assert "target_session_attrs" not in settings.database_url


def test_one_db_host_may_name_its_own_port(tmp_path):
    settings = load(tmp_path, {"DB_HOST": "db.internal:5433", **DB})
    assert settings.database_url == "postgresql+psycopg2://admin:s3cr%3Aet@db.internal:5433/escala"


def test_one_bare_ipv6_db_host_is_still_one_host(tmp_path):
    settings = load(tmp_path, {"DB_HOST": "::1", **DB})
    assert make_url(settings.database_url).host == "::1"
    assert make_url(settings.database_url).port == 15432


def test_several_db_hosts_are_tried_in_order_for_the_one_that_takes_writes(tmp_path):
    settings = load(tmp_path, {"DB_HOST": "pg1, pg2:5433", "DB_PORT_EXTERNAL": "5432", **DB})
    url = make_url(settings.database_url)
    assert url.query["host"] == ("pg1:5432", "pg2:5433")  # a bare host takes DB_PORT_EXTERNAL
    assert url.query["target_session_attrs"] == "read-write"
    assert (url.username, url.password, url.database) == ("admin", "s3cr:et", "escala")
    args = connect_args(settings.database_url)
    assert (args["host"], args["port"]) == ("pg1,pg2", "5432,5433")
    assert args["target_session_attrs"] == "read-write"
    assert database_hosts(settings.database_url) == ["pg1:5432", "pg2:5433"]


def test_the_logged_url_shows_every_host_and_never_the_password(tmp_path):
    settings = load(tmp_path, {"DB_HOST": "pg1,pg2:5433", **DB})
    shown = settings.safe_database_url
    assert "s3cr" not in shown
    assert "host=pg1:15432&host=pg2:5433" in shown
    assert "target_session_attrs=read-write" in shown
    assert "admin:***@" in shown


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("pg1,,pg2", "item 2 ('') names no host"),
        ("pg1,", "item 2 ('') names no host"),
        ("pg1:x", "'pg1:x' has no valid port"),
        ("pg1:0,pg2", "'pg1:0' has no valid port"),
        ("pg1,pg2:70000", "'pg2:70000' has no valid port"),
        ("pg1:,pg2", "'pg1:' has no valid port"),
        ("pg1:1:2,pg2", "'pg1:1:2' is not host or host:port"),
    ],
)
def test_a_bad_db_host_item_is_one_clear_error_among_the_others(tmp_path, value, problem):
    with pytest.raises(ConfigurationError) as caught:
        load(tmp_path, {"DB_HOST": value, "PORT": "nope", **DB})
    message = str(caught.value)
    assert "PORT must be a whole number" in message  # reported together with the rest
    db_host_errors = [error for error in caught.value.errors if error.startswith("DB_HOST")]
    assert len(db_host_errors) == 1
    assert problem in db_host_errors[0]
    assert "s3cr" not in message


def test_a_database_url_with_several_hosts_gets_read_write(tmp_path):
    settings = load(tmp_path, {"DATABASE_URL": "postgresql://u:pw@/d?host=pg1:5432&host=pg2:5433"})
    url = make_url(settings.database_url)
    assert url.drivername == "postgresql+psycopg2"
    assert url.query["host"] == ("pg1:5432", "pg2:5433")
    assert url.query["target_session_attrs"] == "read-write"


def test_the_operators_own_target_session_attrs_is_kept(tmp_path):
    settings = load(
        tmp_path, {"DATABASE_URL": "postgresql://u:pw@/d?host=pg1:5432&host=pg2:5433&target_session_attrs=primary"}
    )
    assert make_url(settings.database_url).query["target_session_attrs"] == "primary"


def test_a_libpq_style_url_listing_hosts_in_the_authority_is_understood(tmp_path):
    settings = load(tmp_path, {"DATABASE_URL": "postgresql://u:p%40ss@pg1:5432,pg2:5433/d?sslmode=require"})
    url = make_url(settings.database_url)
    assert url.query["host"] == ("pg1:5432", "pg2:5433")
    assert (url.password, url.database, url.query["sslmode"]) == ("p@ss", "d", "require")
    assert url.query["target_session_attrs"] == "read-write"
    assert "p@ss" not in settings.safe_database_url and "p%40ss" not in settings.safe_database_url


def test_a_single_host_database_url_is_left_as_it_was(tmp_path):
    settings = load(tmp_path, {"DATABASE_URL": "postgresql://u@h:5432/d"})
    assert settings.database_url == "postgresql+psycopg2://u@h:5432/d"
    assert database_hosts(settings.database_url) == ["h:5432"]


def test_a_password_in_the_query_is_masked_too():
    shown = display_database_url("postgresql+psycopg2:///d?host=pg1&host=pg2&password=hunter2")
    assert "hunter2" not in shown and "password=***" in shown


def test_sqlite_has_no_hosts():
    assert database_hosts("sqlite:///var/plantao.sqlite3") == []


class ReadOnlySqlTransaction(Exception):
    pgcode = "25006"


class Wrapped(Exception):
    def __init__(self, orig):
        super().__init__(str(orig))
        self.orig = orig


def test_a_write_refused_by_a_read_only_server_is_the_database_being_unavailable():
    error = Wrapped(ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction"))
    assert is_read_only_server(error)
    assert is_database_unavailable(error)
    assert not is_read_only_server(Wrapped(ValueError("other")))


def test_a_failure_on_several_hosts_names_them_all():
    url = "postgresql+psycopg2://u:s3cretpw@/d?host=pg1:5432&host=pg2:5433&target_session_attrs=read-write"
    message = explain_database_error(Wrapped(Exception("connection refused")), url)
    assert "pg1:5432, pg2:5433" in message
    assert "s3cret" not in message


def test_a_comma_in_a_password_is_not_a_host_list(tmp_path):
    settings = load(tmp_path, {"DATABASE_URL": "postgresql://u:p,w@h:5432/d"})
    url = make_url(settings.database_url)
    assert (url.password, url.host, url.port, dict(url.query)) == ("p,w", "h", 5432, {})


def test_no_host_taking_writes_is_explained_as_a_failover():
    url = "postgresql+psycopg2://u@/d?host=pg1:5432&host=pg2:5433&target_session_attrs=read-write"
    message = explain_database_error(
        Wrapped(Exception('connection to server at "pg2" (10.0.0.2), port 5433 failed: session is read-only')), url
    )
    assert "None of the PostgreSQL hosts pg1:5432, pg2:5433 takes writes" in message
