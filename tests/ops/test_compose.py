"""docker-compose.yml: the PostgreSQL the manual describes, bound to loopback.

The structure is checked with PyYAML on the file as written (with its
``${...}`` references), then, when a Compose implementation is installed,
``config`` renders it with a sample ``.env`` exactly as ``docker compose up``
would. ``config`` needs no Docker engine.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .system_tools import REPO_ROOT, require_tool, tool_environment

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def postgres(compose) -> dict:
    services = [s for s in compose["services"].values() if s.get("container_name") == "openlabs_postgres"]
    assert len(services) == 1, "exactly one service must be named openlabs_postgres"
    return services[0]


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_image_is_postgres_15(postgres):
    assert postgres["image"] == "postgres:15"


def test_restarts_unless_stopped(postgres):
    assert postgres["restart"] == "unless-stopped"


def test_port_is_published_on_loopback_only(postgres):
    ports = postgres["ports"]
    assert len(ports) == 1
    mapping = ports[0]
    assert isinstance(mapping, str), "use the short string syntax: 127.0.0.1:host:container"
    match = re.fullmatch(r"127\.0\.0\.1:\$\{DB_PORT_EXTERNAL(:-(?P<default>\d+))?\}:5432", mapping)
    assert match, f"port mapping {mapping!r} must bind 127.0.0.1 and use DB_PORT_EXTERNAL"
    assert match["default"] == "15432", "DB_PORT_EXTERNAL must default to 15432, as in the manual"


@pytest.mark.parametrize(
    ("postgres_variable", "dotenv_variable"),
    [("POSTGRES_USER", "DB_USER"), ("POSTGRES_PASSWORD", "DB_PASS"), ("POSTGRES_DB", "DB_NAME")],
)
def test_credentials_come_from_the_application_env(postgres, postgres_variable, dotenv_variable):
    value = _environment(postgres)[postgres_variable]
    # ${DB_USER}, or ${DB_USER:?message} which stops compose when it is unset.
    assert re.fullmatch(rf"\$\{{{dotenv_variable}(:\?[^}}]*)?\}}", value), value


def test_data_lives_in_a_declared_named_volume(compose, postgres):
    targets = {}
    for volume in postgres["volumes"]:
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume["source"], volume["target"]
        targets[target] = source
    source = targets.get("/var/lib/postgresql/data")
    assert source, "the data directory must be a volume"
    assert not source.startswith((".", "/", "~")), "use a named volume, not a bind mount"
    assert source in (compose.get("volumes") or {}), f"volume {source!r} must be declared at the top level"


def test_healthcheck_uses_pg_isready_with_user_and_database(postgres):
    check = postgres["healthcheck"]
    command = check["test"]
    text = " ".join(command) if isinstance(command, list) else command
    assert "pg_isready" in text
    assert re.search(r"-U\s+\S+", text) and re.search(r"-d\s+\S+", text), text
    if isinstance(command, list):
        assert command[0] in ("CMD", "CMD-SHELL")


# --- Rendered by a real Compose implementation -------------------------------


def _compose_command() -> list[str]:
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30
        )
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    if legacy:
        return [legacy]
    # Neither the v2 plugin nor v1: require_tool skips here, fails in CI.
    return [require_tool("docker-compose", "docker-compose")]


def _render(tmp_path: Path, home: Path, dotenv: str | None) -> subprocess.CompletedProcess:
    project = tmp_path / "plantao"
    project.mkdir()
    shutil.copy(COMPOSE_FILE, project / "docker-compose.yml")
    if dotenv is not None:
        (project / ".env").write_text(dotenv, encoding="utf-8")
    return subprocess.run(
        [*_compose_command(), "config"],
        cwd=project,
        env=tool_environment(home),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_renders_with_the_dotenv(tmp_path, tool_home):
    result = _render(
        tmp_path,
        tool_home,
        "DB_USER=admin\nDB_PASS=s3nha-longa\nDB_NAME=plantao\nDB_PORT_EXTERNAL=25432\n",
    )
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    service = rendered["services"]["postgres"]
    assert _environment(service) == {
        "POSTGRES_USER": "admin",
        "POSTGRES_PASSWORD": "s3nha-longa",
        "POSTGRES_DB": "plantao",
    }
    (port,) = service["ports"]
    if isinstance(port, str):  # docker-compose v1
        assert port.startswith("127.0.0.1:25432:5432"), port
    else:  # docker compose v2 long syntax
        assert (port["host_ip"], str(port["published"]), int(port["target"])) == ("127.0.0.1", "25432", 5432)


def test_compose_port_defaults_to_15432(tmp_path, tool_home):
    result = _render(tmp_path, tool_home, "DB_USER=admin\nDB_PASS=x\nDB_NAME=plantao\n")
    assert result.returncode == 0, result.stderr
    (port,) = yaml.safe_load(result.stdout)["services"]["postgres"]["ports"]
    published = port.split(":")[1] if isinstance(port, str) else str(port["published"])
    assert published == "15432"


def test_compose_refuses_to_start_without_credentials(tmp_path, tool_home):
    result = _render(tmp_path, tool_home, None)
    assert result.returncode != 0
    assert "DB_USER" in result.stderr + result.stdout
