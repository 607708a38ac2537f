"""The wheel is the product: build it, install it elsewhere, run it.

An editable install hides packaging mistakes, because the source tree is
always importable beside it.  These tests build a real wheel, check what it
ships, install it into a fresh virtual environment and run the ``plantao``
command from a directory outside the repository, so only what the wheel
installed can be imported: templates, migrations, static files and the
built-in plugins must all have made it in.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from tests.live_server import free_port, run_checked

pytestmark = pytest.mark.slow

REPO = Path(__file__).parents[2]
DEMO_TEAM = "Plantão de Demonstração"
READY_TIMEOUT = 60
# Everything in the checkout that is not source: never copied into the build.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
    ".pytest_cache", ".hypothesis", "var", ".env", "node_modules", "screenshots",
)




@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built the way a release is, from a copy of the checkout.

    setuptools writes ``build/`` and ``*.egg-info`` next to the sources it
    builds; building a copy keeps the shared checkout clean and makes sure
    no stale ``build/lib`` leaks old files into the wheel.
    """
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    dist = root / "dist"
    run_checked(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", dist, source],
        timeout=600,
        cwd=root,
    )
    wheels = sorted(dist.glob("plantao-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def dist_info_file(wheel: Path, name: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        [path] = [n for n in archive.namelist() if n.endswith(f".dist-info/{name}")]
        return archive.read(path).decode("utf-8")


def entry_points(wheel: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # entry point names are case-sensitive
    parser.read_string(dist_info_file(wheel, "entry_points.txt"))
    return parser


def source_files(folder: str, pattern: str) -> list[str]:
    """Paths (relative to ``folder``) of the repository's files matching ``pattern``."""
    base = REPO / folder
    return sorted(
        path.relative_to(base).as_posix()
        for path in base.glob(pattern)
        if path.is_file() and "__pycache__" not in path.parts
    )


# -- What the wheel contains ------------------------------------------------------


@pytest.mark.parametrize(
    "source_folder, pattern, installed_folder",
    [
        ("templates", "**/*.pt", "plantao/templates"),
        ("alembic", "versions/*.py", "plantao/migrations"),
        ("alembic", "env.py", "plantao/migrations"),
        ("alembic", "script.py.mako", "plantao/migrations"),
        ("plantao/static", "**/*", "plantao/static"),
        ("plugins", "*.py", "plantao_plugins"),
        ("plantao/locale", "*/LC_MESSAGES/*.mo", "plantao/locale"),
    ],
)
def test_wheel_ships_every_file_of_the_source_folder(
    wheel_names, source_folder, pattern, installed_folder
):
    expected = source_files(source_folder, pattern)
    assert expected, f"nothing matches {source_folder}/{pattern} in the checkout"
    missing = [name for name in expected if f"{installed_folder}/{name}" not in wheel_names]
    assert not missing, f"{source_folder}/{pattern} not shipped as {installed_folder}/: {missing}"


def test_wheel_ships_the_builtin_plugins_and_the_files_the_app_loads(wheel_names):
    for name in (
        "plantao_plugins/__init__.py",
        "plantao_plugins/policies.py",
        "plantao_plugins/rules.py",
        "plantao/migrations/env.py",
        "plantao/migrations/script.py.mako",
        "plantao/static/plantao.css",
    ):
        assert name in wheel_names
    assert any(n.startswith("plantao/templates/") and n.endswith(".pt") for n in wheel_names)
    assert any(
        n.startswith("plantao/migrations/versions/") and n.endswith(".py") for n in wheel_names
    )


def test_wheel_ships_every_python_package_of_the_source(wheel_names):
    packages = sorted(
        path.parent.relative_to(REPO).as_posix()
        for path in (REPO / "plantao").rglob("__init__.py")
        if "__pycache__" not in path.parts
    )
    missing = [package for package in packages if f"{package}/__init__.py" not in wheel_names]
    assert missing == [], f"packages missing from setup.cfg [options] packages: {missing}"


def test_wheel_has_no_top_level_source_folders(wheel_names):
    """``alembic/`` or ``plugins/`` at the top would shadow real packages once installed."""
    top_level = {name.split("/", 1)[0] for name in wheel_names}
    for folder in ("alembic", "plugins", "templates", "tests"):
        assert folder not in top_level, f"the wheel installs a top-level {folder}/"
    assert {n for n in top_level if not n.endswith(".dist-info")} == {"plantao", "plantao_plugins"}


def test_wheel_declares_the_command_and_the_builtin_plugins(wheel, wheel_names):
    points = entry_points(wheel)
    assert points["console_scripts"]["plantao"].strip() == "plantao.cli:main"
    plugins = {name: value.strip() for name, value in points["plantao"].items()}
    assert plugins["policies"] == "plantao_plugins.policies"
    assert plugins["rules"] == "plantao_plugins.rules"
    # Every module an entry point names is in the wheel.
    for value in [*plugins.values(), points["console_scripts"]["plantao"]]:
        module = value.split(":")[0]
        assert f"{module.replace('.', '/')}.py" in wheel_names, value


# -- The installed wheel, away from the source tree ---------------------------------


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The ``bin`` folder of a fresh virtual environment holding only the wheel and its dependencies."""
    environment = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True, clear=True).create(environment)
    bin_dir = environment / "bin"
    run_checked([bin_dir / "python", "-m", "pip", "install", "--quiet", wheel], timeout=900)
    return bin_dir


@pytest.fixture(scope="module")
def outside(tmp_path_factory) -> Path:
    """A working directory outside the repository, with no ``.env``."""
    return tmp_path_factory.mktemp("outside")


@pytest.fixture(scope="module")
def environ(outside) -> dict[str, str]:
    """No DB_* or DATABASE_URL: the embedded SQLite database in the data directory."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(outside),
        "LANG": "C.UTF-8",
        "PLANTAO_DATA_DIR": str(outside / "var"),
    }


def test_installed_package_is_imported_from_the_wheel(installed, outside, environ):
    output = run_checked(
        [installed / "python", "-c", "import plantao, plantao_plugins; print(plantao.__file__); print(plantao_plugins.__file__)"],
        timeout=60, cwd=outside, env=environ,
    )
    site_packages = installed.parent / "lib"
    for line in output.split():
        assert Path(line).is_relative_to(site_packages), line
        assert not Path(line).is_relative_to(REPO), line


def test_installed_plugins_lists_the_builtin_plugins(installed, outside, environ):
    listing = run_checked([installed / "plantao", "plugins"], timeout=120, cwd=outside, env=environ)
    assert "Traceback" not in listing
    infos = json.loads(run_checked([installed / "plantao", "plugins", "--json"], timeout=120, cwd=outside, env=environ))
    kinds = {info["kind"] for info in infos}
    modules = {info["module"] for info in infos}
    assert {"rotation_policy", "scheduling_rule"} <= kinds
    assert {"plantao_plugins.policies", "plantao_plugins.rules"} <= modules
    # Found through the distribution's entry points, as a third party's would be.
    assert {info["source"] for info in infos} == {"plantao"}


def test_installed_db_upgrade_creates_the_embedded_database(installed, outside, environ):
    upgrade = run_checked([installed / "plantao", "db", "upgrade"], timeout=120, cwd=outside, env=environ)
    assert "(head)" in upgrade
    assert (outside / "var" / "plantao.sqlite3").is_file()
    current = run_checked([installed / "plantao", "db", "current"], timeout=120, cwd=outside, env=environ)
    assert current.strip().endswith("(head)")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def test_installed_serve_answers_with_the_demo_roster(installed, outside, environ, wheel):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = outside / "serve.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [installed / "plantao", "serve", "--port", str(port), "--demo-if-empty"],
            cwd=outside, env=environ, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        status, body = None, ""
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"plantao serve exited {process.returncode}:\n{log_path.read_text()}",
                    pytrace=False,
                )
            try:
                status, body = get(f"{base}/readyz")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                status = None
            if status == 200:
                break
            time.sleep(0.5)
        else:
            pytest.fail(
                f"/readyz not 200 within {READY_TIMEOUT} s (last: {status} {body}):\n"
                f"{log_path.read_text()}",
                pytrace=False,
            )
        assert json.loads(body)["database"] == "ok"

        status, home = get(f"{base}/")
        assert status == 200, home
        assert DEMO_TEAM in home

        status, health = get(f"{base}/healthz")
        assert status == 200
        assert json.loads(health) == {"status": "ok"}

        # The JSON API, the team page, a feed and the admin login come from
        # the wheel's own subpackages and templates too.
        status, oncall = get(f"{base}/api/v1/teams/demo/oncall")
        assert status == 200 and json.loads(oncall)["oncall"], oncall
        status, team_page = get(f"{base}/teams/demo")
        assert status == 200 and DEMO_TEAM in team_page
        status, feed = get(f"{base}/api/v1/teams/demo/export.ics")
        assert status == 200 and feed.startswith("BEGIN:VCALENDAR")
        status, login = get(f"{base}/admin/login")
        assert status == 200 and 'name="password"' in login

        status, css = get(f"{base}/static/plantao.css")
        assert status == 200
        with zipfile.ZipFile(wheel) as archive:
            assert css == archive.read("plantao/static/plantao.css").decode("utf-8")
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    assert "Traceback" not in log_path.read_text()
