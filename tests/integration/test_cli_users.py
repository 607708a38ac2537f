"""`plantao users`: the operator's way to the named accounts (embedded SQLite).

The password is never an argument: scripts pipe it as one line of stdin.
"""

from __future__ import annotations

import pytest

from tests.integration.test_cli import plantao

PASSWORD = "plantao-correct-horse-42"


def refused(result, message: str) -> None:
    assert result.returncode == 1, result
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.fixture
def instance(tmp_path):
    """A migrated instance with the demo's team ``demo`` and the owner ana@example.org."""
    assert plantao(tmp_path, "demo").returncode == 0
    created = plantao(
        tmp_path, "users", "create", "--name", "Ana", "--email", "Ana@Example.org", "--role", "owner",
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    assert "ana@example.org (owner)" in created.stdout
    return tmp_path


def test_create_reads_the_password_from_stdin_and_list_shows_each_account(instance):
    created = plantao(
        instance, "users", "create", "--name", "Bia Souza", "--email", "bia@example.org",
        "--role", "team_admin", "--team", "demo", stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    listed = plantao(instance, "users", "list")
    assert listed.returncode == 0
    assert [line.split("\t") for line in listed.stdout.splitlines()] == [
        ["1", "ana@example.org", "Ana", "owner", "-", "active"],
        ["2", "bia@example.org", "Bia Souza", "team_admin", "demo", "active"],
    ]
    assert PASSWORD not in created.stdout + created.stderr + listed.stdout


def test_disable_and_enable_show_in_the_list(instance):
    disabled = plantao(instance, "users", "disable", "ANA@example.org")
    assert disabled.returncode == 0 and "disabled" in disabled.stdout
    assert plantao(instance, "users", "list").stdout.split("\t")[-1].strip() == "disabled"
    assert plantao(instance, "users", "enable", "ana@example.org").returncode == 0
    assert plantao(instance, "users", "list").stdout.split("\t")[-1].strip() == "active"


def test_set_password_takes_a_new_strong_password(instance):
    changed = plantao(instance, "users", "set-password", "ana@example.org", stdin="another-long-passphrase-7\n")
    assert changed.returncode == 0 and "Password of ana@example.org changed" in changed.stdout
    refused(plantao(instance, "users", "set-password", "ana@example.org", stdin="qwerty123456\n"), "most common passwords")


def test_the_operators_mistakes_end_in_a_message_and_exit_1(instance):
    create = ["users", "create", "--name", "X", "--role", "viewer"]
    refused(plantao(instance, *create, "--email", "ana@example.org", stdin=PASSWORD + "\n"), "already exists")
    weak = plantao(instance, *create, "--email", "x@example.org", stdin="short-pw\n")
    refused(weak, "The password is shorter than 12 characters")
    assert "short-pw" not in weak.stderr
    refused(plantao(instance, *create, "--email", "x@example.org", stdin=""), "No password on standard input")
    team_admin = ["users", "create", "--name", "X", "--email", "x@example.org", "--role", "team_admin"]
    refused(plantao(instance, *team_admin, "--team", "nope", stdin=PASSWORD + "\n"), "no team with slug 'nope'")
    refused(plantao(instance, *team_admin, stdin=PASSWORD + "\n"), "a team_admin needs at least one team")
    boss = ["users", "create", "--name", "X", "--email", "x@example.org", "--role", "boss"]
    refused(plantao(instance, *boss, stdin=PASSWORD + "\n"), "role must be one of owner, team_admin, viewer")
    for action in ("disable", "enable"):
        refused(plantao(instance, "users", action, "nobody@example.org"), "No account with email 'nobody@example.org'")
    refused(
        plantao(instance, "users", "set-password", "nobody@example.org", stdin=PASSWORD + "\n"),
        "No account with email",
    )
    # Nothing of the refused commands was kept.
    assert len(plantao(instance, "users", "list").stdout.splitlines()) == 1


def test_an_unmigrated_database_is_refused_not_migrated(tmp_path):
    result = plantao(tmp_path, "users", "list")
    refused(result, "run `plantao db upgrade` first")
    current = plantao(tmp_path, "db", "current")
    assert "no Plantão schema yet" in current.stdout
