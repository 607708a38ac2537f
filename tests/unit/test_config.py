"""Configuration: .env, then the environment, every error reported at once."""

from __future__ import annotations

import stat

import pytest

from plantao.config import ConfigurationError, all_variables, load_settings


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


def test_the_email_channels_smtp_variables_are_read_and_checked_by_the_configuration(tmp_path):
    from plantao_plugins.channels import EmailChannel

    settings = load(tmp_path, {
        "SMTP_HOST": " smtp.example.org ", "SMTP_PORT": "465", "SMTP_SECURITY": "TLS",
        "SMTP_USER": "plantao", "SMTP_PASSWORD": " pw ", "SMTP_FROM": "escala@example.org",
    })
    assert EmailChannel().defaults(settings) == {
        "host": "smtp.example.org", "port": 465, "security": "tls", "user": "plantao",
        "password": " pw ", "from": "escala@example.org",
    }
    assert EmailChannel().defaults(load(tmp_path)) == {}


def test_plugin_variables_are_reported_with_the_core_errors(tmp_path):
    from plantao.plugin_api import Variable

    declared = [
        Variable("PAGER_RETRIES", "retries", "3", {"type": "integer", "minimum": 0, "maximum": 9}),
        Variable("PAGER_URL", "where", None, {"type": "string", "pattern": "^https://"}),
        Variable("PORT", "a plugin cannot take over a core variable"),
    ]
    with pytest.raises(ConfigurationError) as caught:
        load(tmp_path, {"PORT": "eighty", "PAGER_RETRIES": "ten", "PAGER_URL": "http://x"}, variables=declared)
    assert caught.value.errors == [
        "PORT must be a whole number, got 'eighty'",
        "PAGER_RETRIES must be a whole number, got 'ten'",
        "PAGER_URL: 'http://x' does not match '^https://'",
        "PORT is a Plantão variable: a plugin cannot declare it",
    ]
    settings = load(tmp_path, {"PAGER_URL": "https://pager.example.org"}, variables=declared[:2])
    assert settings.plugin_variables == {"PAGER_RETRIES": 3, "PAGER_URL": "https://pager.example.org"}


def test_the_manuals_example_password_warns_in_development(tmp_path):
    settings = load(tmp_path, {"ADMIN_PASSWORD": "admin123"})
    assert any("ADMIN_PASSWORD" in warning for warning in settings.warnings)


def test_development_without_admin_password_generates_one_kept_private_in_the_data_dir(tmp_path):
    first = load(tmp_path, {"ADMIN_PASSWORD": ""})
    kept = tmp_path / "var" / "admin_password"
    assert first.admin_password_generated and first.admin_password_file == kept
    assert len(first.admin_password) >= 20 and kept.read_text().strip() == first.admin_password
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # Nothing untrue is claimed: somebody can log in, with the generated password.
    assert not any("ADMIN_PASSWORD" in warning for warning in first.warnings)
    second = load(tmp_path)
    assert second.admin_password == first.admin_password and not second.admin_password_generated
    # A password of one's own wins, and nothing is generated for it.
    chosen = load(tmp_path, {"ADMIN_PASSWORD": "a-long-and-unguessable-one"})
    assert chosen.admin_password == "a-long-and-unguessable-one" and chosen.admin_password_file is None


def test_an_empty_password_file_is_replaced(tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "admin_password").write_text("\n")
    settings = load(tmp_path)
    assert settings.admin_password and settings.admin_password_generated


def test_without_a_data_dir_an_empty_admin_password_warns_that_nobody_can_log_in(tmp_path):
    settings = load(tmp_path, create_data_dir=False)
    assert settings.admin_password == "" and settings.admin_password_file is None
    assert any("nobody can log in" in warning for warning in settings.warnings)
    assert not (tmp_path / "var").exists()


def test_production_never_generates_an_admin_password(tmp_path):
    with pytest.raises(ConfigurationError, match="ADMIN_PASSWORD is empty"):
        load(tmp_path, {"PLANTAO_ENV": "production"})
    assert not (tmp_path / "var" / "admin_password").exists()


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
    for name in all_variables():
        assert f"{name}=" in example, f"{name} missing from .env.example"


def test_the_readme_configuration_table_lists_every_variable():
    from plantao.resources import PACKAGE_DIR

    readme = (PACKAGE_DIR.parent / "README.md").read_text()
    for name in all_variables():
        assert f"`{name}`" in readme, f"{name} missing from the README"


def _manual_section(start: str, end: str) -> str:
    from plantao.resources import PACKAGE_DIR

    manual = (PACKAGE_DIR.parent / "docs" / "operacao.md").read_text()
    return manual[manual.index(start) : manual.index(end)]


def test_the_operators_manual_variable_table_lists_every_variable():
    table = _manual_section("### 7.1", "### 7.2")
    missing = [name for name in all_variables() if f"| `{name}` |" not in table]
    assert not missing, f"missing from docs/operacao.md, 7.1: {missing}"


def test_the_operators_manual_env_template_sets_the_notification_variables():
    template = _manual_section("### 7.2", "## 8.")
    names = [name for name in all_variables() if name.startswith(("SMTP_", "NOTIFY_")) or name == "PLANTAO_WORKER_IN_SERVE"]
    missing = [name for name in names if f"\n{name}=" not in template]
    assert not missing, f"missing from the .env template of docs/operacao.md, 7.2: {missing}"


def test_the_operators_manual_installs_the_worker_and_lists_its_commands():
    files = _manual_section("## 2.", "## 3.")
    assert "`/etc/systemd/system/plantao-worker.service`" in files
    commands = _manual_section("### 4.1", "### 4.2")
    assert "plantao worker" in commands and "plantao roster refresh" in commands
    deploy = _manual_section("### 5.2", "### 5.3")
    assert "systemd/plantao-worker.service" in deploy
    assert "enable --now plantao plantao-worker" in deploy
