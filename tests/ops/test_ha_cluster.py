"""The cluster of ``systemd/ha``, built on loopback and failed over under load.

One etcd member, two PostgreSQL 15 nodes run by Patroni from the shipped
template (``systemd/ha/patroni.yml.in``, rendered, then pointed at loopback
addresses, free ports and a scratch directory, with short timers so a
failover takes seconds), two ``plantao serve`` and two ``plantao worker``
against both nodes (a multi-host ``DATABASE_URL``), Caddy in front with the
HA Caddyfile's proxy settings, and a webhook receiver standing in for a
team's integration.

A mixed load runs through Caddy for about a minute (on-call reads, the team
page, the team's calendar feed, overrides written by two clients). A third
of the way in the primary node dies (SIGKILL to its Patroni and its
postmaster together); later one Plantão instance dies too. Then, as issue
#12 §4 says:

- the failover completes; the time from the kill to the first successful
  write is printed;
- no read through Caddy failed;
- nothing answered 500; writes during the failover got 503 with
  ``Retry-After``; every write acknowledged with 2xx is in the database;
- the other instance sees each acknowledged write within 10 s (the lag is
  measured by reading the override's shift through each instance directly,
  and printed);
- the ``roster_changed`` notification of every acknowledged override
  reached the webhook once (a repeat only with the same idempotency key,
  the lease path of ``docs/operacao.md`` 12.2).

Skipped, with the reason, only where Patroni, etcd, Caddy or the PostgreSQL
15 server are not installed (or the test does not run as root, which it
needs to run them as ``postgres``); under ``REQUIRE_HA=1`` (``.ci/run``) or
in CI that is a failure. Every process started is stopped by its PID, and the
scratch directory is removed, also when the test fails.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg2
import pytest
import yaml

from tests.live_server import PLANTAO, Server, free_port

from .system_tools import running, system_tools_required, tool_environment
from .test_ha import (
    CLUSTER_ENV,
    ETCD_TEMPLATE,
    HA_CADDYFILE,
    PATRONI_TEMPLATE,
    SNIPPETS,
    env_file,
    env_file_text,
    render,
)

pytestmark = [pytest.mark.ha, pytest.mark.slow]

#: How long the mixed load runs, and when, counted from its start, the
#: primary node and then one Plantão instance are killed.
LOAD_SECONDS = 60.0
KILL_PRIMARY_AT = 20.0
KILL_INSTANCE_AT = 45.0

#: Issue #12 §4: the other instance sees an acknowledged write within this.
LAG_BOUND = 10.0
#: How soon Caddy stops sending to a killed instance at the latest: the
#: shipped Caddyfile's health_interval plus health_timeout (systemd/ha/Caddyfile).
CADDY_NOTICES = 4.0
#: How long after the load the notifications may take to arrive (a delivery
#: left "sending" by a worker whose commit met the dead primary is sent
#: again once NOTIFY_LEASE_SECONDS has passed).
NOTIFY_LEASE_SECONDS = 10
NOTIFICATION_WAIT = 45.0

#: Patroni's timers in the test: a dead primary's leader key expires after
#: ``ttl``; ``ttl >= loop_wait + 2 * retry_timeout`` as the template says.
DCS_TIMERS = {"ttl": 10, "loop_wait": 1, "retry_timeout": 3}

POSTGRES_USER = "postgres"
ADMIN_PASSWORD = "ha cluster correct horse battery staple"
APP_PASSWORD = "plantao-ha-app-password"
WEBHOOK_SECRET = "ha-webhook-signing-secret"
TEAM = "ha"
#: The reads the clients make through Caddy.
READS = ("oncall", "page", "feed")
#: The first line of a record in the servers' logs.
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
#: Each override takes a slot of its own, so none touches another's.
SLOT = timedelta(minutes=15)


# --- tools ----------------------------------------------------------------------


def ha_required() -> bool:
    """Whether a missing piece of the cluster is a failure (REQUIRE_HA=1, CI)."""
    return os.environ.get("REQUIRE_HA") == "1" or system_tools_required()


def require_ha(condition: bool, reason: str) -> None:
    if condition:
        return
    if ha_required():
        pytest.fail(f"{reason}; REQUIRE_HA=1 requires it", pytrace=False)
    pytest.skip(reason)


def ha_tool(name: str, package: str) -> str:
    path = shutil.which(name)
    require_ha(path is not None, f"{name!r} is not installed (Debian package {package!r})")
    return path


# --- HTTP -----------------------------------------------------------------------


@dataclass
class Answer:
    """One HTTP exchange of the test: what was asked, when, and what came back."""

    kind: str
    method: str
    url: str
    started: float
    ended: float = 0.0
    status: int | None = None
    error: str | None = None
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    def json(self):
        return json.loads(self.body)

    def describe(self) -> str:
        return f"{self.method} {self.url} -> {self.status or self.error}"


def exchange(kind: str, method: str, url: str, payload=None, *, token: bool = False, timeout: float = 20) -> Answer:
    """Send one request; an HTTP error status is an answer, not an exception."""
    headers = {"Accept": "application/json"} if "/api/" in url else {}
    data = None
    if payload is not None:
        data = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {ADMIN_PASSWORD}"
    answer = Answer(kind, method, url, time.monotonic())
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer.status, answer.headers, answer.body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        answer.status, answer.headers, answer.body = error.code, dict(error.headers), error.read()
    except (OSError, ValueError, http.client.HTTPException) as error:  # refused, reset, cut short, timed out
        answer.error = f"{type(error).__name__}: {error}"
    answer.ended = time.monotonic()
    return answer


def api(base: str, method: str, path: str, payload=None) -> dict:
    """A set-up call that must succeed."""
    answer = exchange("setup", method, f"{base}/api/v1{path}", payload, token=True)
    assert answer.status in (200, 201), f"{answer.describe()}: {answer.body[:500]!r}"
    return answer.json()


def wait_for(what: str, check, timeout: float, interval: float = 0.25, log: Path | None = None):
    """Poll ``check`` until it answers something true; fail with ``log``'s tail otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except (OSError, ValueError, KeyError):
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
            pytest.fail(f"{what} not within {timeout:.0f} s\n{tail}", pytrace=False)
        time.sleep(interval)


def get_json(url: str, timeout: float = 2):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


# --- the webhook receiver --------------------------------------------------------


class WebhookReceiver:
    """A team's integration: records every POST with its ``Idempotency-Key`` and answers 200."""

    def __init__(self):
        self.received: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received.append((self.headers.get("Idempotency-Key"), json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # the test prints its own summary
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/plantao"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self) -> list[tuple[str, dict]]:
        with self.lock:
            return list(self.received)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# --- PostgreSQL under Patroni ---------------------------------------------------------


@dataclass
class Node:
    """One PostgreSQL node: its Patroni process and where its postmaster writes."""

    name: str
    ip: str
    port: int
    api_port: int
    data_dir: Path
    config: Path
    log: Path
    process: subprocess.Popen | None = None
    role: str = ""  # as Patroni named it once the cluster had formed

    @property
    def api(self) -> str:
        return f"http://{self.ip}:{self.api_port}"

    def postmaster_pid(self) -> int | None:
        """The running postmaster's PID: the one in postmaster.pid, if that process works in this data directory.

        A killed postmaster leaves its file behind, and its PID may since
        belong to somebody else's process.
        """
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split()[0])
            return pid if os.readlink(f"/proc/{pid}/cwd") == str(self.data_dir) else None
        except (OSError, IndexError, ValueError):
            return None

    def start(self, env: dict):
        # Patroni (and the postmaster it starts) run as postgres, as under
        # Debian's patroni@.service; no runuser in between, so the PID is
        # Patroni's own.
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [shutil.which("patroni"), str(self.config)],
                stdout=output, stderr=subprocess.STDOUT, env=env,
                user=POSTGRES_USER, group=POSTGRES_USER, extra_groups=[],
                cwd=self.data_dir.parent,
            )

    def kill(self):
        """The VM dies: SIGKILL to Patroni and to its postmaster, one right after the other."""
        postmaster = self.postmaster_pid()
        for pid in (self.process.pid, postmaster):
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        """Patroni stops its PostgreSQL on SIGTERM; anything left is killed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        postmaster = self.postmaster_pid()
        if postmaster:
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster, signal.SIGKILL)


def patroni_config(node: Node, other: Node, etcd_port: int, scratch: Path) -> dict:
    """The shipped template, rendered for ``node``, then moved to loopback and made quick."""
    values = {
        **env_file(CLUSTER_ENV),
        "NODE_NAME": node.name,
        "NODE_IP": node.ip,
        "NODE1_IP": node.ip if node.name == "pg1" else other.ip,
        "NODE2_IP": other.ip if node.name == "pg1" else node.ip,
        "ETCD_HOSTS": f"127.0.0.1:{etcd_port}",
        "WAL_ARCHIVE_DIR": str(scratch / "wal-archive"),
    }
    config = yaml.safe_load(render(PATRONI_TEMPLATE, **values))
    config["restapi"]["listen"] = config["restapi"]["connect_address"] = f"{node.ip}:{node.api_port}"
    config["postgresql"]["listen"] = config["postgresql"]["connect_address"] = f"{node.ip}:{node.port}"
    config["postgresql"]["data_dir"] = str(node.data_dir)
    config["postgresql"]["pgpass"] = str(scratch / f"{node.name}.pgpass")
    config["postgresql"]["parameters"]["unix_socket_directories"] = str(scratch / "run")
    dcs = config["bootstrap"]["dcs"]
    dcs.update(DCS_TIMERS)
    # Two small nodes on one test machine.
    dcs["postgresql"]["parameters"].update({"max_connections": 60, "wal_keep_size": "64MB"})
    config["postgresql"]["parameters"]["shared_buffers"] = "32MB"
    return config


def cluster_members(node: Node) -> dict[str, str]:
    """Patroni's view from ``node``: member name -> role."""
    return {m["name"]: m["role"] for m in get_json(f"{node.api}/cluster")["members"]}


# --- processes and scratch space ----------------------------------------------------


def sweep(scratch: Path) -> None:
    """Kill, by PID, any process still working in ``scratch``.

    A SIGKILLed postmaster leaves its backends to notice and exit by
    themselves; this makes sure none of them (nor anything else the test
    started there) outlives the test.
    """
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd == str(scratch) or cwd.startswith(f"{scratch}/"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)


@contextlib.contextmanager
def scratch_directory():
    """A directory postgres may enter (pytest's tmp_path is root's alone); removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="plantao-ha-"))
    try:
        scratch.chmod(0o755)
        yield scratch
    finally:
        sweep(scratch)
        shutil.rmtree(scratch, ignore_errors=True)


def postgres_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.chown(path, POSTGRES_USER, POSTGRES_USER)
    return path


def start_etcd(stack: contextlib.ExitStack, scratch: Path, home: Path) -> int:
    """A single etcd member (the lab layout) from the rendered template; answers its client port."""
    etcd = ha_tool("etcd", "etcd-server")
    client, peer = free_port(), free_port()
    rendered = render(ETCD_TEMPLATE, NODE_IP="127.0.0.1", ETCD_NAME="lab",
                      ETCD_INITIAL_CLUSTER="lab=http://127.0.0.1:2380")
    rendered = rendered.replace(":2379", f":{client}").replace(":2380", f":{peer}")
    rendered = rendered.replace("/var/lib/etcd/default", str(scratch / "etcd"))
    variables = env_file_text(rendered)
    # The listen list repeats 127.0.0.1 on the same port: keep one.
    variables["ETCD_LISTEN_CLIENT_URLS"] = f"http://127.0.0.1:{client}"
    log = scratch / "etcd.log"
    stack.enter_context(running([etcd], log, tool_environment(home, **variables)))
    wait_for("etcd healthy", lambda: get_json(f"http://127.0.0.1:{client}/health").get("health") == "true",
             30, log=log)
    return client


def caddyfile_for_loopback(etc: Path) -> Path:
    """The HA Caddyfile beside its snippets, told to serve plain HTTP on loopback only.

    The site block (its proxy settings, checks and hardening) is the
    shipped one; only the global options gain ``admin off`` (no admin API
    on port 2019) and ``auto_https off``, and the site binds 127.0.0.1.
    """
    text = HA_CADDYFILE.read_text(encoding="utf-8")
    assert text.count("\n{\n") == 1 and text.count("\n{$DOMAIN_NAME} {\n") == 1
    text = text.replace("\n{\n", "\n{\n\tadmin off\n\tauto_https off\n", 1)
    text = text.replace("\n{$DOMAIN_NAME} {\n", "\n{$DOMAIN_NAME} {\n\tbind 127.0.0.1\n", 1)
    etc.mkdir()
    shutil.copy(SNIPPETS, etc / SNIPPETS.name)
    (etc / "Caddyfile").write_text(text, encoding="utf-8")
    return etc / "Caddyfile"


def errors_in(log: str) -> str:
    """The ERROR records of a server's log that carry a traceback (a 500's), whole, for a failure's report."""
    records, current = [], []
    for line in log.splitlines():
        if TIMESTAMP.match(line):
            records.append(current)
            current = []
        current.append(line)
    records.append(current)
    found = [r for r in records if r and " ERROR " in r[0] and any(line.startswith("Traceback") for line in r)]
    return "\n".join("\n".join(r) for r in found)[:12000]


def not_ready_runs(probes: list[Answer]) -> list[list[Answer]]:
    """Consecutive /readyz probes that were not 200, run by run."""
    runs, current = [], []
    for probe in probes:
        if probe.status == 200:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(probe)
    return runs + [current] if current else runs


# --- the load -------------------------------------------------------------------------


@dataclass
class Write:
    """An override a client asked for, and what became of it."""

    slot: int
    person: int
    start: datetime
    end: datetime
    answer: Answer | None = None
    id: int | None = None
    seen: dict = field(default_factory=dict)  # instance name -> lag in seconds


class Load:
    """Readers and writers through Caddy, and a watcher reading each write back from every instance."""

    def __init__(self, caddy: str, instances: dict[str, str], people: list[int], first_slot: datetime):
        self.caddy = caddy
        self.instances = dict(instances)  # name -> base URL; an instance leaves when killed
        self.people = people
        self.first_slot = first_slot
        self.answers: list[Answer] = []
        self.writes: list[Write] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.written = threading.Event()  # the writers are done: the watcher ends with the last one seen
        self.watching: threading.Thread | None = None
        self.slots = itertools.count()
        self.threads: list[threading.Thread] = []

    def record(self, answer: Answer) -> Answer:
        with self.lock:
            self.answers.append(answer)
        return answer

    def reader(self):
        reads = itertools.cycle([
            ("oncall", f"/api/v1/teams/{TEAM}/oncall"),
            ("page", f"/teams/{TEAM}"),
            ("feed", f"/api/v1/teams/{TEAM}/export.ics"),
            ("oncall", f"/api/v1/teams/{TEAM}/oncall"),
            ("page", "/"),
        ])
        while not self.stopped.is_set():
            kind, path = next(reads)
            self.record(exchange(kind, "GET", self.caddy + path))
            time.sleep(0.02)

    def writer(self):
        while not self.stopped.is_set():
            slot = next(self.slots)
            start = self.first_slot + slot * SLOT
            # Neighbouring slots never go to the same person, so two
            # overrides never merge into one shift.
            write = Write(slot, self.people[slot % 2], start, start + SLOT)
            write.answer = self.record(exchange(
                "write", "POST", f"{self.caddy}/api/v1/teams/{TEAM}/overrides",
                {"person": write.person, "start": start.isoformat(), "end": write.end.isoformat(),
                 "role": "primary", "reason": f"ha slot {slot}"},
                token=True,
            ))
            if write.answer.status == 201:
                write.id = write.answer.json()["id"]
            with self.lock:
                self.writes.append(write)
            if write.answer.status != 201:
                time.sleep(0.2)

    def watcher(self):
        """Read every acknowledged write back through each live instance directly, noting when it shows."""
        while not self.written.is_set() or self.pending():
            pending = self.pending()
            if not pending:
                time.sleep(0.05)
                continue
            start = min(w.start for w in pending).isoformat()
            end = max(w.end for w in pending).isoformat()
            with self.lock:
                instances = list(self.instances.items())
            for name, base in instances:
                answer = self.record(exchange(
                    f"lag-{name}", "GET",
                    f"{base}/api/v1/teams/{TEAM}/shifts?" + urllib.parse.urlencode({"start": start, "end": end}),
                    timeout=5,
                ))
                if answer.status != 200:
                    continue
                shown = {s["override_id"] for s in answer.json()["shifts"]}
                for write in pending:
                    if write.id in shown and name not in write.seen:
                        write.seen[name] = answer.ended - write.answer.ended
            # Give up on a write still unseen well past the bound (reported as a failure).
            if self.written.is_set() and all(time.monotonic() - w.answer.ended > 3 * LAG_BOUND
                                             for w in self.pending()):
                break
            time.sleep(0.1)

    def prober(self):
        """What Caddy's active checks see: each live instance's /readyz, twice a second."""
        while not self.stopped.is_set():
            with self.lock:
                instances = list(self.instances.items())
            for name, base in instances:
                self.record(exchange(f"readyz-{name}", "GET", f"{base}/readyz", timeout=2))
            time.sleep(0.5)

    def leave(self, name: str):
        """Instance ``name`` was killed: the watcher stops reading through it."""
        with self.lock:
            del self.instances[name]

    def pending(self) -> list[Write]:
        with self.lock:
            acknowledged = [w for w in self.writes if w.id is not None]
            live = set(self.instances)
        return [w for w in acknowledged if not live <= set(w.seen)]

    def start(self):
        for target in (self.reader, self.reader, self.writer, self.writer, self.prober):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)
        self.watching = threading.Thread(target=self.watcher, daemon=True)
        self.watching.start()

    def stop(self):
        """Stop the clients, then let the watcher finish with the last writes."""
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=30)
        self.written.set()
        if self.watching is not None:
            self.watching.join(timeout=90)


# --- the cluster ---------------------------------------------------------------------------


@dataclass
class Cluster:
    """Everything the test started, and when each part was up."""

    nodes: list[Node]
    primary: Node
    standby: Node
    database_url: str
    servers: dict[str, Server]
    workers: dict[str, subprocess.Popen]
    caddy: str
    receiver: WebhookReceiver
    timings: dict[str, float]


def require_the_cluster_tools() -> None:
    for name, package in (("patroni", "patroni"), ("etcd", "etcd-server"), ("caddy", "caddy")):
        ha_tool(name, package)
    bin_dir = Path(yaml.safe_load(render(PATRONI_TEMPLATE))["postgresql"]["bin_dir"])
    require_ha((bin_dir / "postgres").exists(),
               f"PostgreSQL 15 server binaries are not in {bin_dir} (Debian package postgresql-15)")
    require_ha(os.geteuid() == 0, "the cluster test runs PostgreSQL as user postgres: it must start as root")


def start_nodes(stack: contextlib.ExitStack, pg: Path, scratch: Path, etcd_port: int) -> list[Node]:
    """Both nodes at once: whichever takes the initialize key in etcd runs initdb, the other clones it."""
    nodes = [
        Node(name, ip, free_port(), free_port(), pg / name, pg / f"{name}.yml", scratch / f"{name}.log")
        for name, ip in (("pg1", "127.0.0.2"), ("pg2", "127.0.0.3"))
    ]
    for node, other in ((nodes[0], nodes[1]), (nodes[1], nodes[0])):
        node.config.write_text(yaml.safe_dump(patroni_config(node, other, etcd_port, pg)))
        shutil.chown(node.config, POSTGRES_USER, POSTGRES_USER)
        node.config.chmod(0o600)
    for node in nodes:
        stack.callback(node.stop)
        node.start(tool_environment(pg / "home"))

    def synchronous_pair():
        roles = cluster_members(nodes[0])
        return sorted(roles.values()) == ["leader", "sync_standby"] and roles
    roles = wait_for("a leader and a synchronous standby", synchronous_pair, 120, log=nodes[1].log)
    for node in nodes:
        node.role = roles[node.name]
    return nodes


def create_plantao_database(primary: Node) -> None:
    """Plantão's own role and database, as the manual creates them."""
    connection = psycopg2.connect(host=primary.ip, port=primary.port, user="postgres", dbname="postgres",
                                  password=env_file(CLUSTER_ENV)["SUPERUSER_PASSWORD"])
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE plantao LOGIN PASSWORD '{APP_PASSWORD}'")
        cursor.execute("CREATE DATABASE plantao OWNER plantao")
    connection.close()


@pytest.fixture
def cluster():
    """The whole cluster on loopback; every process stopped and the scratch directory removed after."""
    require_the_cluster_tools()
    began = time.monotonic()
    timings = {}
    with scratch_directory() as scratch, contextlib.ExitStack() as stack:
        home = scratch / "home"
        home.mkdir()
        pg = postgres_dir(scratch / "pg")
        for sub in ("run", "wal-archive", "home"):
            postgres_dir(pg / sub)

        etcd_port = start_etcd(stack, scratch, home)
        nodes = start_nodes(stack, pg, scratch, etcd_port)
        primary = next(n for n in nodes if n.role == "leader")
        timings["cluster bootstrap"] = time.monotonic() - began
        create_plantao_database(primary)
        database_url = (f"postgresql://plantao:{APP_PASSWORD}@{nodes[0].ip}:{nodes[0].port},"
                        f"{nodes[1].ip}:{nodes[1].port}/plantao")

        receiver = WebhookReceiver()
        stack.callback(receiver.close)

        # Two instances (the first migrates), then the two workers. A
        # delivery a worker could not record (its commit met the dead
        # primary) is sent again after NOTIFY_LEASE_SECONDS.
        app_env = {
            "DATABASE_URL": database_url,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "SESSION_SECRET": "ha-cluster-session-secret-shared-by-both",
            "NOTIFY_POLL_SECONDS": "1",
            "NOTIFY_LEASE_SECONDS": str(NOTIFY_LEASE_SECONDS),
        }
        servers = {}
        for name in ("app1", "app2"):
            workdir = scratch / name
            workdir.mkdir()
            server = Server(workdir, app_env, free_port())
            stack.callback(server.stop)
            server.wait_until_serving()
            servers[name] = server
        workers = {
            name: stack.enter_context(running(
                [str(PLANTAO), "worker", "--name", name], scratch / f"{name}.log",
                tool_environment(home, **app_env),
            ))
            for name in ("worker1", "worker2")
        }
        timings["Plantão up"] = time.monotonic() - began

        caddy_port = free_port()
        caddy_log = scratch / "caddy.log"
        stack.enter_context(running(
            [ha_tool("caddy", "caddy"), "run", "--config", str(caddyfile_for_loopback(scratch / "etc-caddy")),
             "--adapter", "caddyfile"],
            caddy_log,
            tool_environment(home, DOMAIN_NAME=f"http://127.0.0.1:{caddy_port}", ACME_EMAIL="",
                             PLANTAO_UPSTREAM_1=f"127.0.0.1:{servers['app1'].port}",
                             PLANTAO_UPSTREAM_2=f"127.0.0.1:{servers['app2'].port}"),
        ))
        caddy = f"http://127.0.0.1:{caddy_port}"
        wait_for("Caddy in front", lambda: exchange("setup", "GET", f"{caddy}/readyz").status == 200, 30,
                 log=caddy_log)
        timings["Caddy up"] = time.monotonic() - began

        yield Cluster(nodes, primary, next(n for n in nodes if n is not primary), database_url,
                      servers, workers, caddy, receiver, timings)


def set_up_team(caddy: str, receiver: WebhookReceiver, instances: dict[str, str]) -> list[int]:
    """A team through the API: one daily rotation of Ana; the team's webhook hears of every change.

    Answers the ids of Ana, Bruno and Carla (the overrides give slots to the
    last two) once every instance shows the team.
    """
    people = [api(caddy, "POST", "/people", {"name": name})["id"] for name in ("Ana", "Bruno", "Carla")]
    api(caddy, "POST", "/teams", {"slug": TEAM, "name": "Alta disponibilidade", "timezone": "UTC"})
    api(caddy, "PUT", f"/teams/{TEAM}/notification-channels/webhook",
        {"params": {"url": receiver.url, "secret": WEBHOOK_SECRET}, "events": ["roster_changed"]})
    yesterday = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    api(caddy, "POST", f"/teams/{TEAM}/rotations",
        {"name": "Diária", "policy": "daily", "members": [people[0]], "start": yesterday.isoformat()})
    # Each instance learns of the new team through the database; the load
    # reads it only once both know it (how soon they do is what the lag
    # check measures, for the overrides).
    for name, base in instances.items():
        wait_for(f"{name} showing the team", lambda: all(
            exchange("setup", "GET", f"{base}{path}").status == 200
            for path in (f"/teams/{TEAM}", f"/api/v1/teams/{TEAM}/oncall", f"/api/v1/teams/{TEAM}/export.ics")
        ), 3 * LAG_BOUND)
    return people


def notified(write: Write, received: list[tuple[str, dict]]) -> set[str]:
    """The idempotency keys of the webhook requests telling of ``write``'s slot changing hands."""
    keys = set()
    for key, body in received:
        for change in body["data"].get("changes", ()):
            shift = change["shift"]
            if (datetime.fromisoformat(shift["start"]) == write.start
                    and datetime.fromisoformat(shift["end"]) == write.end
                    and shift["person"] == write.person):
                keys.add(key)
    return keys


def stored_overrides(database_url: str) -> dict[int, datetime]:
    """The team's overrides (id to start, in UTC), read on whichever node is the primary now."""
    connection = psycopg2.connect(f"{database_url}?target_session_attrs=read-write")
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT o.id, o.start FROM overrides o JOIN teams t ON t.id = o.team_id WHERE t.slug = %s",
                           (TEAM,))
            return {row[0]: utc(row[1]) for row in cursor.fetchall()}
    finally:
        connection.close()


def utc(moment: datetime) -> datetime:
    """``moment`` as a naive UTC datetime (what the database's columns hold), to compare."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


@dataclass
class Timeline:
    """When things happened, on the monotonic clock."""

    load_began: float
    primary_killed: float = 0.0
    promoted: float = 0.0
    instance_killed: float = 0.0
    load_ended: float = 0.0

    def at(self, moment: float) -> str:
        return f"{moment - self.load_began:5.1f} s"


def cut_by_the_kill(answer: Answer, timeline: Timeline) -> bool:
    """Whether ``answer`` broke off (no status) while the killed instance was serving it."""
    return answer.status is None and answer.started <= timeline.instance_killed <= answer.ended


def report(cluster: Cluster, load: Load, timeline: Timeline, received, first_success) -> str:
    """What the run did, in lines the test prints whether it passes or not."""
    at, timings = timeline.at, cluster.timings
    answers, writes = load.answers, load.writes
    acknowledged = [w for w in writes if w.id is not None]
    reads = [a for a in answers if a.kind in READS]
    statuses: dict[str, dict] = {}
    for a in answers:
        counts = statuses.setdefault(a.kind, {})
        counts[a.status or "error"] = counts.get(a.status or "error", 0) + 1
    lines = [
        f"cluster bootstrap {timings['cluster bootstrap']:.1f} s; Plantão up at {timings['Plantão up']:.1f} s; "
        f"Caddy up at {timings['Caddy up']:.1f} s",
        f"load {timeline.load_ended - timeline.load_began:.1f} s: primary {cluster.primary.name} killed at "
        f"{at(timeline.primary_killed)}, {cluster.standby.name} leader at {at(timeline.promoted)} "
        f"({timeline.promoted - timeline.primary_killed:.1f} s), instance app1 killed at "
        f"{at(timeline.instance_killed)}",
    ]
    if first_success is not None:
        lines.append(f"kill -> first successful write: {first_success - timeline.primary_killed:.1f} s")
    lines.append(f"answers by kind and status: {statuses}")
    slowest = {kind: round(max((a.ended - a.started for a in reads if a.kind == kind), default=0), 2)
               for kind in READS}
    lines.append(f"slowest read through Caddy, by kind (s): {slowest}")
    stale = [int(a.headers["X-Plantao-Stale"]) for a in reads if "X-Plantao-Stale" in a.headers]
    if stale:
        lines.append(f"reads answered from memory (X-Plantao-Stale): {len(stale)}, up to {max(stale)} s stale")
    for name in cluster.servers:
        for run in not_ready_runs([a for a in answers if a.kind == f"readyz-{name}"]):
            lines.append(f"/readyz of {name} not 200 from {at(run[0].started)} to {at(run[-1].ended)}: "
                         f"{sorted({str(a.status or a.error) for a in run})}, first body {run[0].body[:200]!r}")
    lines.append(f"writes: {len(writes)} sent, {len(acknowledged)} acknowledged, "
                 f"{len(writes) - len(acknowledged)} refused")
    for name in cluster.servers:
        lags = sorted(w.seen[name] for w in acknowledged if name in w.seen)
        if lags:
            lines.append(f"lag to {name}: n={len(lags)} p50={lags[len(lags) // 2]:.2f} s max={lags[-1]:.2f} s")
    lines.append(f"webhook: {len(received)} requests, {len({key for key, _ in received})} idempotency keys")
    for a in reads:
        if cut_by_the_kill(a, timeline):
            lines.append(f"  read cut short by the instance's death at {at(a.started)}: {a.kind} {a.error}")
        elif a.status is None or not 200 <= a.status < 400:
            lines.append(f"  read failed {at(a.started)}..{at(a.ended)}: {a.kind} {a.url} -> "
                         f"{a.status or a.error} {a.body[:120]!r}")
    if any(a.status == 500 for a in answers):
        for name, server in cluster.servers.items():
            lines.append(f"--- tracebacks in the log of {name} ---\n{errors_in(server.log)}")
    return "\n".join(f"[ha] {line}" for line in lines)


# --- the test ---------------------------------------------------------------------------


def test_the_cluster_fails_over_under_load_without_losing_a_write(cluster, capsys):
    instances = {name: f"http://127.0.0.1:{server.port}" for name, server in cluster.servers.items()}
    people = set_up_team(cluster.caddy, cluster.receiver, instances)
    first_slot = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    load = Load(cluster.caddy, instances, people[1:], first_slot)

    timeline = Timeline(time.monotonic())
    load.start()
    try:
        time.sleep(KILL_PRIMARY_AT)
        cluster.primary.kill()
        timeline.primary_killed = time.monotonic()
        wait_for("the standby's promotion",
                 lambda: cluster_members(cluster.standby).get(cluster.standby.name) == "leader",
                 60, interval=0.1, log=cluster.standby.log)
        timeline.promoted = time.monotonic()

        time.sleep(max(0.0, timeline.load_began + KILL_INSTANCE_AT - time.monotonic()))
        # The first started: it holds the leadership locks (horizon, scheduler).
        cluster.servers["app1"].process.kill()
        timeline.instance_killed = time.monotonic()
        load.leave("app1")
        time.sleep(max(0.0, timeline.load_began + LOAD_SECONDS - time.monotonic()))
    finally:
        load.stop()
    timeline.load_ended = time.monotonic()

    answers, writes = load.answers, load.writes
    acknowledged = [w for w in writes if w.id is not None]
    after_kill = [w for w in writes if w.answer.started >= timeline.primary_killed]
    first_success = min((w.answer.ended for w in after_kill if w.id is not None), default=None)
    deadline = time.monotonic() + NOTIFICATION_WAIT
    while (not all(notified(w, cluster.receiver.snapshot()) for w in acknowledged)
           and time.monotonic() < deadline):
        time.sleep(0.5)
    received = cluster.receiver.snapshot()
    stored = stored_overrides(cluster.database_url)
    with capsys.disabled():
        print("\n" + report(cluster, load, timeline, received, first_success))

    # Every check is made and every broken one reported, so one run says
    # all that went wrong.
    at = timeline.at
    broken: list[str] = []

    # The failover completes.
    if first_success is None:
        broken.append("the failover did not complete: no write succeeded after the primary was killed")

    # Nothing answers 500 (through Caddy, nor the instances read directly).
    five_hundreds = [f"{at(a.started)} {a.describe()}" for a in answers if a.status == 500]
    if five_hundreds:
        broken.append(f"{len(five_hundreds)} answers were 500: {five_hundreds[:5]}")

    # No read through Caddy failed. The one exception is a response the
    # killed instance was sending when it died: Caddy had passed its
    # status line on and can only cut it short (a proxy resends a request
    # only before the answer has begun).
    failed_reads = [
        a for a in answers
        if a.kind in READS and (a.status is None or not 200 <= a.status < 400) and not cut_by_the_kill(a, timeline)
    ]
    if failed_reads:
        kinds = sorted({f"{a.kind} {a.status or a.error}" for a in failed_reads})
        broken.append(f"{len(failed_reads)} reads through Caddy failed between {at(failed_reads[0].started)} "
                      f"and {at(failed_reads[-1].ended)}: {kinds}")

    # While the database fails over, a write is refused with 503 and
    # Retry-After. A write the killed instance had in hand when it died is
    # the one other outcome: Caddy answers 502 (or cuts the answer short)
    # and does not resend it (a write is never sent twice).
    #
    # Until its checks notice (a failed attempt counts, the next active
    # check comes within health_interval), Caddy may also hand a write to
    # the killed instance over a connection it was keeping open: that write
    # never ran (nobody was there), so it is not stored, and Caddy does not
    # resend it either: 502 too.
    stored_starts = set(stored.values())
    for write in writes:
        a = write.answer
        in_hand_of_the_victim = a.status == 502 and a.started <= timeline.instance_killed <= a.ended
        sent_to_the_dead = a.status == 502 and 0 <= a.started - timeline.instance_killed <= CADDY_NOTICES
        if sent_to_the_dead and utc(write.start) in stored_starts:
            broken.append(f"a write answered 502 at {at(a.started)}, after the kill, yet it is stored")
        allowed = in_hand_of_the_victim or sent_to_the_dead or cut_by_the_kill(a, timeline)
        if a.status not in (201, 503) and not allowed:
            broken.append(f"a write answered {a.status or a.error} at {at(a.started)}: {a.body[:300]!r}")
    bare = [w.answer for w in writes if w.answer.status == 503 and "Retry-After" not in w.answer.headers]
    if bare:
        broken.append(f"{len(bare)} 503s to writes without Retry-After, from {at(bare[0].started)} to "
                      f"{at(bare[-1].ended)}; the first: {bare[0].headers} {bare[0].body[:300]!r}")
    if first_success is not None:
        during = [w.answer for w in after_kill if w.answer.ended < first_success]
        if any(a.status != 503 for a in during):
            broken.append(f"writes during the failover: {[a.describe() for a in during if a.status != 503]}")

    # Only app1 was killed.
    for name, process in {"app2": cluster.servers["app2"].process, **cluster.workers}.items():
        if process.poll() is not None:
            broken.append(f"{name} exited with {process.returncode}")

    # Every acknowledged write is in the database.
    missing = sorted(w.id for w in acknowledged if w.id not in stored)
    if missing:
        broken.append(f"acknowledged overrides missing from the database: {missing}")

    # Each instance alive long enough after the acknowledgement (the one
    # that served the write, and the other) shows it within LAG_BOUND.
    lagging = []
    for write in acknowledged:
        expected = {name for name in cluster.servers
                    if name != "app1" or write.answer.ended < timeline.instance_killed - LAG_BOUND}
        late = [name for name, lag in write.seen.items() if lag > LAG_BOUND]
        if not expected <= set(write.seen) or late:
            seen = {name: round(lag, 2) for name, lag in write.seen.items()}
            lagging.append(f"override {write.id} (acknowledged at {at(write.answer.ended)}) seen after {seen} s, "
                           f"expected by {sorted(expected)}")
    if lagging:
        broken.append(f"{len(lagging)} of {len(acknowledged)} acknowledged writes not seen within "
                      f"{LAG_BOUND:.0f} s: " + "; ".join(lagging[:5]))

    # The notification of every acknowledged write reached the receiver
    # once: a repeat only with the same idempotency key.
    unheard = [f"override {w.id}: keys {sorted(keys)}"
               for w in acknowledged if len(keys := notified(w, received)) != 1]
    if unheard:
        broken.append(f"{len(unheard)} of {len(acknowledged)} acknowledged writes not notified exactly once: "
                      + "; ".join(unheard[:5]))

    assert not broken, "\n".join(broken)
