"""The plantao command, as an operator meets it (embedded SQLite, no services)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from plantao.schema import head_revision
from tests.plugin_distribution import PluginDistribution


def plantao(tmp_path, *args, env=None, stdin=""):
    """The real command in ``tmp_path`` (embedded SQLite there); ``stdin`` is what is piped to it."""
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PLANTAO_DATA_DIR": str(tmp_path / "var"),
        "ADMIN_PASSWORD": "a-strong-test-password",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "plantao.cli", *args],
        cwd=tmp_path,
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_current_says_the_database_is_empty_until_upgraded(tmp_path):
    before = plantao(tmp_path, "db", "current")
    assert before.returncode == 1 and "no Plantão schema yet" in before.stdout
    assert plantao(tmp_path, "db", "upgrade").returncode == 0
    after = plantao(tmp_path, "db", "current")
    assert after.returncode == 0 and after.stdout.strip() == f"{head_revision()} (head)"


def test_demo_loads_once_and_then_refuses_to_mix_into_existing_data(tmp_path):
    first = plantao(tmp_path, "demo")
    assert first.returncode == 0 and "Demo data loaded" in first.stdout
    again = plantao(tmp_path, "demo")
    assert again.returncode == 1 and "already has teams" in again.stderr
    assert plantao(tmp_path, "demo", "--if-empty").returncode == 0


def test_check_diagnoses_a_healthy_instance(tmp_path):
    plantao(tmp_path, "db", "upgrade")
    result = plantao(tmp_path, "check")
    assert result.returncode == 0, result.stdout
    assert "schema at head" in result.stdout and "Everything looks fine." in result.stdout


def test_check_lists_the_variables_plugins_declare_without_showing_secrets(tmp_path):
    env = {"SMTP_HOST": "smtp.example.org", "SMTP_PASSWORD": "smtp-secret-value"}
    result = plantao(tmp_path, "check", env=env)
    line = next(line for line in result.stdout.splitlines() if "plugin variables:" in line)
    assert "SMTP_HOST=smtp.example.org" in line and "SMTP_PORT=587" in line and "SMTP_USER (unset)" in line
    assert "SMTP_PASSWORD=********" in line and "smtp-secret-value" not in result.stdout


def test_check_reports_a_bad_plugin_variable_with_the_core_ones(tmp_path):
    result = plantao(tmp_path, "check", env={"SMTP_PORT": "smtp", "PORT": "eighty"})
    assert result.returncode != 0
    assert "SMTP_PORT must be a whole number" in result.stdout and "PORT must be a whole number" in result.stdout


def test_check_warns_loudly_about_the_manuals_example_password(tmp_path):
    result = plantao(tmp_path, "check", env={"ADMIN_PASSWORD": "admin123"})
    assert "[WARN] ADMIN_PASSWORD is the manual's example value" in result.stdout


@pytest.mark.parametrize("password", ["", "admin123"])
def test_production_refuses_to_start_with_a_weak_admin_password(tmp_path, password):
    result = plantao(tmp_path, "serve", env={"PLANTAO_ENV": "production", "ADMIN_PASSWORD": password})
    assert result.returncode == 2
    assert "ADMIN_PASSWORD" in result.stderr and "Traceback" not in result.stderr


def test_every_configuration_error_is_reported_in_one_go(tmp_path):
    result = plantao(tmp_path, "serve", env={"PORT": "http", "PLANTAO_TIMEZONE": "Brasil/Recife"})
    assert result.returncode == 2
    assert "PORT must be a whole number" in result.stderr
    assert "PLANTAO_TIMEZONE is not a known IANA time zone" in result.stderr
    assert "Traceback" not in result.stderr


def test_dotenv_in_the_working_directory_is_read_and_the_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("PLANTAO_TIMEZONE=Europe/Lisbon\nPORT=not-a-port\n")
    result = plantao(tmp_path, "check", env={"PORT": "8081"})
    assert "time zone Europe/Lisbon" in result.stdout


def test_plugins_lists_each_kind_with_its_source_package(tmp_path):
    result = plantao(tmp_path, "plugins")
    assert result.returncode == 0
    assert "rotation_policy:" in result.stdout and "scheduling_rule:" in result.stdout
    assert "weekly" in result.stdout and "[plantao]" in result.stdout


def test_roster_refresh_materializes_every_team(tmp_path):
    plantao(tmp_path, "demo")
    result = plantao(tmp_path, "roster", "refresh", "--all")
    assert result.returncode == 0 and "1 team(s)" in result.stdout


def test_a_broken_plugin_is_reported_without_a_traceback(tmp_path):
    # Declared, but the module its entry point names was never installed.
    broken = PluginDistribution(
        "broken-plugin", "broken_plugin_module", {"broken": "broken_plugin_module"}, version="1.0"
    )
    site = broken.write_dist_info(tmp_path / "site")
    result = plantao(tmp_path, "plugins", env={"PYTHONPATH": str(site)})
    assert result.returncode == 4
    assert "broken_plugin_module" in result.stderr and "Traceback" not in result.stderr
