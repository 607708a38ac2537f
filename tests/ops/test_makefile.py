"""The Makefile: `make run` installs what serving needs, `make test` everything.

Read with ``make --dry-run`` against a virtualenv path that does not exist,
so each target shows every command it would run, and nothing is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(target: str, tmp_path: Path) -> list[str]:
    result = subprocess.run(
        ["make", "--dry-run", target, f"VENV={tmp_path / 'venv'}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if "pip install" in line and "--upgrade pip" not in line]


def test_make_run_installs_the_package_without_the_test_extras(tmp_path):
    installs = dry_run("run", tmp_path)
    assert installs and all("[test]" not in line for line in installs), installs


@pytest.mark.parametrize("target", ["test", "install"])
def test_make_test_and_make_install_install_the_test_extras(tmp_path, target):
    installs = dry_run(target, tmp_path)
    assert any('-e ".[test]"' in line for line in installs), installs
