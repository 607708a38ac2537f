"""The first version's troubleshooting cases, as behaviour of the ``plantao`` command.

The Go version's manual listed what goes wrong on a first start: the
database container is not running, the password in the service does not
match the one that created the database, and the old ``escala_db`` is still
what ``DB_NAME`` points to.  Each case here runs the real command in a
process of its own, with an environment we control, and checks that the
operator gets a message naming what to look at, a non-zero exit and never a
traceback or the password.

The password cases need a server that checks passwords: the machine's own
PostgreSQL trusts every local connection, so a throwaway server is started
with ``initdb --auth=scram-sha-256`` for this module.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL

from plantao import schema
from tests.conftest import run_sql
from tests.live_server import free_port

pytestmark = pytest.mark.postgresql

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
EXIT_DATABASE = 3
# Generous: a command that hangs is a failure of its own, reported as such.
COMMAND_TIMEOUT = 90




def require_postgres_binaries() -> None:
    """Skip without the PostgreSQL server binaries (fail under REQUIRE_POSTGRES=1)."""
    missing = [name for name in ("initdb", "pg_ctl", "postgres") if not (POSTGRES_BIN / name).is_file()]
    reason = None
    if missing:
        reason = f"PostgreSQL server binaries missing in {POSTGRES_BIN}: {', '.join(missing)}"
    elif os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            reason = "running as root and there is no 'postgres' user to run initdb as"
    if reason:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


def as_postgres_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass(frozen=True)
class ThrowawayServer:
    host: str
    port: int
    user: str
    password: str
    restart_command: tuple[str, ...] = ()

    def restart(self) -> None:
        """Stop the server abruptly and start it again, as a crash and a restart would."""
        subprocess.run(self.restart_command, check=True, capture_output=True, timeout=120)

    def url(self, database: str = "postgres") -> str:
        return URL.create(
            "postgresql+psycopg2",
            username=self.user,
            password=self.password,
            host=self.host,
            port=self.port,
            database=database,
        ).render_as_string(hide_password=False)

    def execute(self, database: str, *statements: str) -> None:
        run_sql(self.url(database), *statements)


@pytest.fixture(scope="module")
def server():
    """A PostgreSQL server of our own that asks every client for a password."""
    require_postgres_binaries()
    # pytest's tmp_path is not readable by the postgres user; mkdtemp is
    # ours alone, so it is handed over to postgres as a whole.
    base = Path(tempfile.mkdtemp(prefix="plantao-pg-"))
    data = base / "data"
    password = "pg-" + secrets.token_hex(12)
    port = free_port()
    pwfile = base / "pwfile"
    pwfile.write_text(password + "\n")
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (base, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    pg_ctl = [str(POSTGRES_BIN / "pg_ctl"), "-D", str(data)]
    started = False
    try:
        subprocess.run(
            as_postgres_user([
                str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "admin",
                "--auth=scram-sha-256", f"--pwfile={pwfile}", "--no-sync",
            ]),
            cwd=base, check=True, capture_output=True, text=True, timeout=120,
        )
        options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = True
        subprocess.run(
            as_postgres_user([*pg_ctl, "-l", str(base / "server.log"), "-o", options, "-w", "-t", "60", "start"]),
            cwd=base, check=True, capture_output=True, text=True, timeout=120,
        )
        pg = ThrowawayServer(
            host="127.0.0.1",
            port=port,
            user="admin",
            password=password,
            restart_command=tuple(
                as_postgres_user([
                    *pg_ctl, "-l", str(base / "server.log"), "-m", "immediate",
                    "-o", options, "-w", "-t", "60", "restart",
                ])
            ),
        )
        pg.execute("postgres", "CREATE DATABASE plantao", "CREATE DATABASE escala_db")
        yield pg
    except subprocess.CalledProcessError as error:
        log = base / "server.log"
        pytest.fail(
            f"could not start the throwaway PostgreSQL: {error}\n{error.stdout}\n{error.stderr}\n"
            + (log.read_text() if log.is_file() else ""),
            pytrace=False,
        )
    finally:
        if started:
            subprocess.run(
                as_postgres_user([*pg_ctl, "-m", "immediate", "-w", "stop"]),
                cwd=base, capture_output=True, timeout=60,
            )
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def workdir(tmp_path) -> Path:
    """A working directory with no ``.env``, so only the given variables count."""
    path = tmp_path / "work"
    path.mkdir()
    return path


def plantao(workdir: Path, *args: str, **variables: str) -> subprocess.CompletedProcess:
    """Run the ``plantao`` command with a controlled environment; stdout and stderr merged."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
        "PLANTAO_DATA_DIR": str(workdir / "var"),
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-m", "plantao.cli", *args],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


def db_variables(server: ThrowawayServer, password: str, database: str) -> dict[str, str]:
    return {
        "DB_HOST": server.host,
        "DB_PORT_EXTERNAL": str(server.port),
        "DB_USER": server.user,
        "DB_PASS": password,
        "DB_NAME": database,
    }


def assert_clean_failure(result: subprocess.CompletedProcess, password: str) -> None:
    """An operator's message: no traceback, no password."""
    assert "Traceback" not in result.stdout, result.stdout
    assert password not in result.stdout, result.stdout


# -- The database is not running (docker ps shows no openlabs_postgres) --------


@pytest.mark.parametrize("command", ["check", "db upgrade"])
def test_connection_refused_names_host_port_and_docker(workdir, command):
    port = free_port()
    password = "refused-" + secrets.token_hex(8)
    result = plantao(
        workdir, *command.split(),
        DB_HOST="127.0.0.1", DB_PORT_EXTERNAL=str(port),
        DB_USER="plantao", DB_PASS=password, DB_NAME="plantao",
    )
    if command == "db upgrade":
        assert result.returncode == EXIT_DATABASE, result.stdout
    else:
        assert result.returncode != 0, result.stdout
    assert f"127.0.0.1:{port}" in result.stdout
    assert "docker ps" in result.stdout
    assert "15432" in result.stdout
    assert_clean_failure(result, password)


# -- The service's DB_PASS is not the one that created the database ---------------


@pytest.mark.parametrize("command", ["db upgrade", "check"])
def test_wrong_password_names_user_and_where_the_password_lives(server, workdir, command):
    wrong = "wrong-" + secrets.token_hex(8)
    result = plantao(workdir, *command.split(), **db_variables(server, wrong, "plantao"))
    if command == "db upgrade":
        assert result.returncode == EXIT_DATABASE, result.stdout
    else:
        assert result.returncode != 0, result.stdout
    assert "'admin'" in result.stdout
    assert "docker-compose.yml/.env" in result.stdout
    assert f"{server.host}:{server.port}" in result.stdout
    assert_clean_failure(result, wrong)
    # Nor the right one, which the server knows and the command must not.
    assert server.password not in result.stdout


def test_right_password_migrates_to_head(server, workdir):
    """The positive control: the same server and user work with the right password."""
    variables = db_variables(server, server.password, "plantao")
    upgrade = plantao(workdir, "db", "upgrade", **variables)
    assert upgrade.returncode == 0, upgrade.stdout
    assert server.password not in upgrade.stdout
    current = plantao(workdir, "db", "current", **variables)
    assert current.returncode == 0, current.stdout
    assert current.stdout.strip().splitlines()[-1] == f"{schema.head_revision()} (head)"


# -- DB_NAME still points to the Go version's escala_db ---------------------------


@pytest.fixture
def escala_db(server):
    """The old version's database: a table of its own with a row in it."""
    server.execute(
        "escala_db",
        "DROP TABLE IF EXISTS plantonistas",
        "CREATE TABLE plantonistas (id serial PRIMARY KEY, nome text NOT NULL, telefone text)",
        "INSERT INTO plantonistas (nome, telefone) VALUES ('Maria Antônia', '+55 11 90000-0000')",
    )
    return "escala_db"


def assert_untouched(server: ThrowawayServer, database: str) -> None:
    engine = create_engine(server.url(database))
    try:
        with engine.connect() as connection:
            assert inspect(connection).get_table_names() == ["plantonistas"]
            rows = connection.execute(text("SELECT nome, telefone FROM plantonistas")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [("Maria Antônia", "+55 11 90000-0000")]


@pytest.mark.parametrize("command", ["db upgrade", "serve", "check"])
def test_foreign_database_is_refused_and_left_intact(server, workdir, escala_db, command):
    args = command.split()
    if command == "serve":
        # A free port, should serve wrongly get as far as listening.
        args += ["--port", str(free_port())]
    result = plantao(workdir, *args, **db_variables(server, server.password, escala_db))
    if command == "check":
        assert result.returncode != 0, result.stdout
    else:
        assert result.returncode == EXIT_DATABASE, result.stdout
    message = " ".join(result.stdout.split())
    assert "not empty" in message
    assert "no alembic_version table" in message
    assert "Refusing to alter it" in message
    assert "plantonistas" in message
    assert_clean_failure(result, server.password)
    assert_untouched(server, escala_db)


def test_the_app_survives_a_database_restart_without_being_restarted(server, tmp_path):
    """Pre-ping replaces the connections the restarted server dropped."""
    import webtest

    from plantao.app import make_app
    from plantao.config import Settings
    from plantao.db import create_database_engine
    from plantao.plugins import build_registry
    from plantao.schema import upgrade

    engine = create_database_engine(server.url("plantao"))
    upgrade(engine)
    settings = Settings(database_url=server.url("plantao"), admin_password="x" * 20, data_dir=tmp_path)
    app = webtest.TestApp(make_app(settings, plugins=build_registry(), engine=engine))
    assert app.get("/readyz").json["status"] == "ok"
    assert app.get("/api/v1/teams").json == {"teams": [], "next": None}
    server.restart()
    assert app.get("/api/v1/teams").json == {"teams": [], "next": None}
    assert app.get("/readyz").json["status"] == "ok"
    engine.dispose()
