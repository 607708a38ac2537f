"""The systemd units: accepted by this systemd, and saying what the manual says.

``systemd-analyze verify`` runs on copies of the units in a temporary
directory, with ExecStart= pointed at the installed ``plantao`` script
(verify insists that the executable exists). It exits 0 even for unknown
keys or unparsable values, so the tests also require it to print nothing
about our files.
"""

from __future__ import annotations

import gzip
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .system_tools import SYSTEMD_DIR, require_tool, tool_environment

PLANTAO_UNIT = SYSTEMD_DIR / "plantao.service"
WORKER_UNIT = SYSTEMD_DIR / "plantao-worker.service"
BACKUP_UNIT = SYSTEMD_DIR / "plantao-backup.service"
BACKUP_TIMER = SYSTEMD_DIR / "plantao-backup.timer"
CADDY_DROP_IN = SYSTEMD_DIR / "caddy.service.d" / "plantao.conf"
PRODUCTION_SCRIPT = "/opt/plantao/venv/bin/plantao"


def parse_unit(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) for every assignment, in order, as systemd reads them.

    Keys may repeat (Environment=, EnvironmentFile=), so this is a list and
    not a mapping. A line ending in a backslash continues on the next one.
    """
    entries: list[tuple[str, str, str]] = []
    section = ""
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def values(entries, section: str, key: str) -> list[str]:
    return [value for sec, k, value in entries if sec == section and k == key]


def value(entries, section: str, key: str) -> str:
    found = values(entries, section, key)
    assert len(found) == 1, f"{key}= must appear once in [{section}], found {found}"
    return found[0]


def words(entries, section: str, key: str) -> set[str]:
    return {word for v in values(entries, section, key) for word in v.split()}


def plantao_script() -> tuple[str, bool]:
    """The installed ``plantao`` console script, and whether it is the real one."""
    beside_python = Path(sys.executable).parent / "plantao"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python), True
    on_path = shutil.which("plantao")
    if on_path:
        return on_path, True
    return "", False


@pytest.fixture
def unit_dir(tmp_path: Path) -> Path:
    """Copies of the units, with the production script path made real."""
    script, real = plantao_script()
    if not real:
        # Before `pip install -e .` there is no script: a stand-in lets the
        # rest of the unit be verified (test_plantao_script_is_installed
        # reports the gap).
        stand_in = tmp_path / "bin" / "plantao"
        stand_in.parent.mkdir()
        stand_in.write_text("#!/bin/sh\nexit 0\n")
        stand_in.chmod(0o755)
        script = str(stand_in)
    units = tmp_path / "units"
    units.mkdir()
    for unit in (PLANTAO_UNIT, WORKER_UNIT, BACKUP_UNIT, BACKUP_TIMER):
        text = unit.read_text(encoding="utf-8").replace(PRODUCTION_SCRIPT, script)
        (units / unit.name).write_text(text, encoding="utf-8")
    return units


def verify(units: list[Path], home: Path, **env: str) -> None:
    systemd_analyze = require_tool("systemd-analyze", "systemd")
    result = subprocess.run(
        [systemd_analyze, "verify", *map(str, units)],
        env=tool_environment(home, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Lines about other units of the host are not ours to judge; any line
    # naming one of our files is a warning ("Unknown key", "Failed to parse",
    # "is not executable", ...).
    ours = [
        line
        for line in output.splitlines()
        if any(unit.name in line or str(unit.parent) in line for unit in units)
    ]
    assert not ours, "\n".join(ours)


# --- systemd-analyze verify --------------------------------------------------


def test_plantao_service_verifies(unit_dir, tool_home):
    verify([unit_dir / "plantao.service"], tool_home)


def test_worker_service_verifies(unit_dir, tool_home):
    verify([unit_dir / "plantao-worker.service"], tool_home)
    assert value(parse_unit(WORKER_UNIT), "Service", "ExecStart") == f"{PRODUCTION_SCRIPT} worker"


def test_backup_service_and_timer_verify(unit_dir, tool_home):
    verify([unit_dir / "plantao-backup.service", unit_dir / "plantao-backup.timer"], tool_home)


def test_verify_reports_unknown_options(tmp_path, tool_home):
    """The check above would catch a misspelt option: guard the guard."""
    unit = tmp_path / "broken.service"
    unit.write_text("[Service]\nExecStart=/bin/true\nProtectSystem=bogus\nNoSuchOption=1\n")
    with pytest.raises(AssertionError, match="NoSuchOption|bogus"):
        verify([unit], tool_home)


def test_caddy_drop_in_verifies(tmp_path, tool_home):
    """The drop-in applies cleanly to a caddy.service (a stub stands in for Debian's)."""
    units = tmp_path / "units"
    (units / "caddy.service.d").mkdir(parents=True)
    (units / "caddy.service").write_text("[Service]\nExecStart=/bin/true\n")
    shutil.copy(CADDY_DROP_IN, units / "caddy.service.d" / "plantao.conf")
    verify([units / "caddy.service"], tool_home, SYSTEMD_UNIT_PATH=f"{units}:")
    assert values(parse_unit(CADDY_DROP_IN), "Service", "EnvironmentFile") == ["/etc/caddy/plantao.env"]


def test_plantao_script_is_installed():
    """The verify tests above ran against the real console script."""
    script, real = plantao_script()
    if not real:
        pytest.skip("the plantao console script is not installed (pip install -e .): verified a stand-in")
    assert Path(script).name == "plantao"


# --- What the manual promises, read from the original files ------------------


@pytest.fixture(scope="module")
def plantao_unit():
    return parse_unit(PLANTAO_UNIT)


def test_runs_the_venv_script_as_opc(plantao_unit):
    assert value(plantao_unit, "Service", "ExecStart") == f"{PRODUCTION_SCRIPT} serve"
    assert value(plantao_unit, "Service", "User") == "opc"
    assert value(plantao_unit, "Service", "Group") == "opc"
    assert value(plantao_unit, "Service", "WorkingDirectory") == "/opt/plantao"
    assert value(plantao_unit, "Service", "Restart") == "always"
    assert value(plantao_unit, "Service", "RestartSec") == "5"
    assert value(plantao_unit, "Install", "WantedBy") == "multi-user.target"


def test_starts_after_network_and_docker_without_requiring_docker(plantao_unit):
    for key in ("After", "Wants"):
        assert {"network-online.target", "docker.service"} <= words(plantao_unit, "Unit", key), key
    assert "docker.service" not in words(plantao_unit, "Unit", "Requires")
    assert "docker.service" not in words(plantao_unit, "Unit", "BindsTo")


def test_configuration_is_injected_by_systemd(plantao_unit):
    assert "-/opt/plantao/.env" in values(plantao_unit, "Service", "EnvironmentFile")
    environment = words(plantao_unit, "Service", "Environment")
    assert {"PLANTAO_ENV=production", "PLANTAO_DATA_DIR=/opt/plantao/var"} <= environment
    text = PLANTAO_UNIT.read_text(encoding="utf-8")
    assert re.search(r"^#\s*Environment=\S*DB_PASS=", text, re.M), "a commented Environment= example"


def test_is_hardened(plantao_unit):
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "ReadWritePaths": "/opt/plantao/var",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictSUIDSGID": "yes",
        "LockPersonality": "yes",
    }
    actual = {key: value(plantao_unit, "Service", key) for key in expected}
    assert actual == expected


def test_keeps_no_capabilities(plantao_unit):
    """Caddy terminates TLS: unlike the Go version, no CAP_NET_BIND_SERVICE."""
    assert value(plantao_unit, "Service", "CapabilityBoundingSet") == ""
    assert value(plantao_unit, "Service", "AmbientCapabilities") == ""
    assert not any("CAP_" in v for _, _, v in plantao_unit)


@pytest.fixture(scope="module")
def backup_unit():
    return parse_unit(BACKUP_UNIT)


def test_backup_dumps_through_docker_exec(backup_unit):
    assert value(backup_unit, "Service", "Type") == "oneshot"
    assert value(backup_unit, "Service", "User") == "opc"
    command = value(backup_unit, "Service", "ExecStart")
    assert "docker exec openlabs_postgres pg_dump -U" in command
    assert "/opt/plantao/backups" in words(backup_unit, "Service", "ReadWritePaths")


def test_backup_timer_runs_daily_and_catches_up(tool_home):
    timer = parse_unit(BACKUP_TIMER)
    assert value(timer, "Timer", "Persistent") == "true"
    assert value(timer, "Install", "WantedBy") == "timers.target"
    calendar = value(timer, "Timer", "OnCalendar")
    systemd_analyze = require_tool("systemd-analyze", "systemd")
    result = subprocess.run(
        [systemd_analyze, "calendar", "--iterations=2", calendar],
        env=tool_environment(tool_home),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    elapses = re.findall(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)", result.stdout)
    assert len(elapses) == 2 and elapses[0][1] == elapses[1][1], result.stdout


# --- The backup command itself, run with a stand-in docker -------------------


def backup_script(entries) -> list[str]:
    """ExecStart= as systemd hands it to the kernel: specifiers and $$ resolved.

    The unit must not leave a bare "$" or "%" for systemd to expand: every one
    is meant for bash.
    """
    command = value(entries, "Service", "ExecStart")
    assert not re.search(r"\$(?!\$)", command.replace("$$", "")), "unescaped $ in ExecStart"
    assert "%" not in command.replace("%%", ""), "unescaped % (a systemd specifier) in ExecStart"
    return shlex.split(command.replace("%%", "%").replace("$$", "$"))


def run_backup(tmp_path: Path, backup_unit, docker_body: str, **env: str) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir(exist_ok=True)
    docker = bin_dir / "docker"
    docker.write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path}/docker-calls"\n{docker_body}\n')
    docker.chmod(docker.stat().st_mode | stat.S_IEXEC)
    environment = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "BACKUP_DIR": str(tmp_path / "backups"),
        "BACKUP_KEEP_DAYS": "14",
        **env,
    }
    (tmp_path / "backups").mkdir(exist_ok=True)
    return subprocess.run(
        backup_script(backup_unit), env=environment, capture_output=True, text=True, timeout=30
    )


def test_backup_writes_a_dated_dump_and_prunes_old_ones(tmp_path, backup_unit):
    backups = tmp_path / "backups"
    backups.mkdir()
    month_ago = time.time() - 30 * 86400
    old = backups / "plantao_plantao_2020-01-01_0315.sql.gz"
    recent = backups / "plantao_plantao_recent.sql.gz"
    unrelated = backups / "keep-me.sql.gz"
    for path in (old, recent, unrelated):
        path.write_bytes(b"")
    for path in (old, unrelated):
        os.utime(path, (month_ago, month_ago))

    result = run_backup(
        tmp_path, backup_unit, 'echo "-- dump of $6 by $5"', DB_USER="admin", DB_NAME="plantao"
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "docker-calls").read_text().split() == [
        "exec", "openlabs_postgres", "pg_dump", "-U", "admin", "plantao",
    ]
    dumps = sorted(backups.glob("plantao_plantao_20*.sql.gz"))
    assert len(dumps) == 1 and re.fullmatch(r"plantao_plantao_\d{4}-\d\d-\d\d_\d{4}\.sql\.gz", dumps[0].name)
    assert gzip.decompress(dumps[0].read_bytes()).decode() == "-- dump of plantao by admin\n"
    assert not old.exists(), "dumps older than BACKUP_KEEP_DAYS are deleted"
    assert recent.exists() and unrelated.exists()
    assert "backup written" in result.stdout


def test_backup_fails_without_leaving_a_partial_dump(tmp_path, backup_unit):
    result = run_backup(
        tmp_path, backup_unit, 'echo "partial"; echo "pg_dump: error" >&2; exit 1',
        DB_USER="admin", DB_NAME="plantao",
    )
    assert result.returncode != 0
    assert list((tmp_path / "backups").iterdir()) == []


def test_backup_names_the_missing_variable(tmp_path, backup_unit):
    result = run_backup(tmp_path, backup_unit, "exit 0", DB_NAME="plantao")
    assert result.returncode != 0
    assert "DB_USER is not set" in result.stderr
