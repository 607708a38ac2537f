"""Configuration: .env, then the environment, every error reported at once."""

from __future__ import annotations

import stat

import pytest

from plantao.config import VARIABLES, ConfigurationError, load_settings


def load(tmp_path, env=None, **kwargs):
    environ = {"PLANTAO_DATA_DIR": str(tmp_path / "var"), **(env or {})}
    return load_settings(environ, dotenv_path=kwargs.pop("dotenv_path", None), **kwargs)


def test_with_no_database_configured_an_embedded_sqlite_file_lives_in_the_data_dir(tmp_path):
    settings = load(tmp_path)
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'plantao.sqlite3'}"
    assert (settings.host, settings.port, settings.timezone, settings.env) == (
        "127.0.0.1",
        8080,
        "America/Sao_Paulo",
        "development",
    )


def test_the_manuals_db_variables_build_a_psycopg2_url_on_port_15432_by_default(tmp_path):
    settings = load(
        tmp_path, {"DB_HOST": "localhost", "DB_USER": "admin", "DB_PASS": "s3cr:et", "DB_NAME": "escala"}
    )
    assert settings.database_url == "postgresql+psycopg2://admin:s3cr%3Aet@localhost:15432/escala"
    assert settings.database_dialect == "postgresql"
    assert "s3cr" not in settings.safe_database_url


def test_database_url_overrides_the_db_variables_and_is_normalised_to_psycopg2(tmp_path):
    settings = load(
        tmp_path,
        {"DB_HOST": "ignored", "DB_USER": "x", "DB_NAME": "y", "DATABASE_URL": "postgresql://u@h:5432/d"},
    )
    assert settings.database_url == "postgresql+psycopg2://u@h:5432/d"
    assert load(tmp_path, {"DATABASE_URL": "postgres://u@h/d"}).database_url.startswith(
        "postgresql+psycopg2://"
    )
    assert load(tmp_path, {"DATABASE_URL": "sqlite:///x.db"}).database_url == "sqlite:///x.db"


def test_dotenv_is_read_and_the_process_environment_wins(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=9000\nPLANTAO_TIMEZONE=Europe/Lisbon\n")
    settings = load(tmp_path, {"PORT": "9100"}, dotenv_path=dotenv)
    assert settings.port == 9100
    assert settings.timezone == "Europe/Lisbon"


def test_all_configuration_errors_are_reported_together_naming_each_variable(tmp_path):
    with pytest.raises(ConfigurationError) as caught:
        load(
            tmp_path,
            {
                "PORT": "eighty",
                "DB_PORT_EXTERNAL": "70000",
                "PLANTAO_TIMEZONE": "Mars/Olympus",
                "PLANTAO_ENV": "staging",
                "DB_HOST": "db",
            },
        )
    message = str(caught.value)
    for expected in ("PORT", "DB_PORT_EXTERNAL", "PLANTAO_TIMEZONE", "PLANTAO_ENV", "DB_USER", "DB_NAME"):
        assert expected in message
    assert len(caught.value.errors) == 6


@pytest.mark.parametrize("password", ["", "admin123"])
def test_a_weak_admin_password_warns_in_development(tmp_path, password):
    settings = load(tmp_path, {"ADMIN_PASSWORD": password})
    assert any("ADMIN_PASSWORD" in warning for warning in settings.warnings)


@pytest.mark.parametrize("password", ["", "admin123"])
def test_a_weak_admin_password_refuses_production(tmp_path, password):
    with pytest.raises(ConfigurationError, match="ADMIN_PASSWORD"):
        load(tmp_path, {"ADMIN_PASSWORD": password, "PLANTAO_ENV": "production"})


def test_a_strong_password_gives_no_warning_and_is_never_in_the_error_text(tmp_path):
    settings = load(tmp_path, {"ADMIN_PASSWORD": "a-long-and-unguessable-one"})
    assert settings.warnings == ()
    with pytest.raises(ConfigurationError) as caught:
        load(tmp_path, {"ADMIN_PASSWORD": "a-long-and-unguessable-one", "PORT": "x"})
    assert "unguessable" not in str(caught.value)


def test_the_session_secret_is_generated_once_and_kept_private(tmp_path):
    first = load(tmp_path).session_secret
    second = load(tmp_path).session_secret
    assert first == second and len(first) >= 32
    mode = (tmp_path / "var" / "session_secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert load(tmp_path, {"SESSION_SECRET": "given"}).session_secret == "given"


def test_env_example_documents_every_variable():
    from plantao.resources import PACKAGE_DIR

    example = (PACKAGE_DIR.parent / ".env.example").read_text()
    for name in VARIABLES:
        assert f"{name}=" in example, f"{name} missing from .env.example"


def test_the_readme_configuration_table_lists_every_variable():
    from plantao.resources import PACKAGE_DIR

    readme = (PACKAGE_DIR.parent / "README.md").read_text()
    for name in VARIABLES:
        assert f"`{name}`" in readme, f"{name} missing from the README"
