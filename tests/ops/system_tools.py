"""Locating the system tools the operations checks run, and their environment.

The tools come from Debian packages (``.ci/debian-packages.txt``). On a
developer's machine a missing tool skips its check; in CI, or with
``REQUIRE_SYSTEM_TOOLS=1``, it fails it, so a green CI run really ran them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SYSTEMD_DIR = REPO_ROOT / "systemd"


def system_tools_required() -> bool:
    """Whether a missing tool is a failure (CI, REQUIRE_SYSTEM_TOOLS=1)."""
    ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return ci or os.environ.get("REQUIRE_SYSTEM_TOOLS") == "1"


def require_tool(name: str, package: str | None = None) -> str:
    """Path of the executable ``name``; skip, or fail in CI, when missing."""
    path = shutil.which(name)
    if path:
        return path
    reason = f"{name!r} is not installed (Debian package {package or name!r})"
    if system_tools_required():
        pytest.fail(f"{reason}; CI/REQUIRE_SYSTEM_TOOLS=1 requires it", pytrace=False)
    pytest.skip(reason)


def tool_environment(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment for external tools, isolated from the caller's.

    Nothing of the developer's configuration (DB_*, DOMAIN_NAME, ...) leaks
    in, and tools that keep state under $HOME (caddy) write into ``home``.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


@contextlib.contextmanager
def running(command: list[str], log: Path, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """``command`` in the background, its output in ``log``; stopped (then killed) on the way out."""
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
