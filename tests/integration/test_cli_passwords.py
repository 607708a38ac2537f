"""`plantao check` and start-up name every weak password, and why."""

from __future__ import annotations

from tests.integration.test_cli import plantao

WEAK = {"ADMIN_PASSWORD": "a", "VIEWER_PASSWORD": "qwerty123456"}


def test_check_lists_each_weak_password_refused_in_production(tmp_path):
    result = plantao(tmp_path, "check", env={"PLANTAO_ENV": "production", **WEAK})
    assert result.returncode == 2
    assert "[FAIL]" in result.stdout
    assert "ADMIN_PASSWORD is shorter than 12 characters" in result.stdout
    assert "VIEWER_PASSWORD is in the list of the most common passwords" in result.stdout
    assert "qwerty123456" not in result.stdout


def test_check_warns_about_them_in_development(tmp_path):
    result = plantao(tmp_path, "check", env=WEAK)
    assert "[WARN] ADMIN_PASSWORD is shorter than 12 characters" in result.stdout
    assert "[WARN] VIEWER_PASSWORD is in the list of the most common passwords" in result.stdout


def test_production_refuses_to_start_and_says_why(tmp_path):
    result = plantao(tmp_path, "serve", env={"PLANTAO_ENV": "production", **WEAK})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "ADMIN_PASSWORD is shorter than 12 characters" in result.stderr
    assert "VIEWER_PASSWORD is in the list of the most common passwords" in result.stderr
