"""Slow clients against a server, and Caddy in front of one, on loopback only.

The attack of issue 10: connections that send part of a request header and
then a byte now and then, each holding one of waitress' ``connection_limit``
connections for as long as it likes.  Used by the tests (tests/ops and
tests/integration) and by ``benchmarks/run.py``; every attack is bounded in
connections and time and only ever aimed at 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from tests.live_server import free_port

from .system_tools import running

LOOPBACK = "127.0.0.1"
#: No attack here ever opens more connections than this.
MAX_CLIENTS = 200
CADDYFILE = Path(__file__).resolve().parents[2] / "systemd" / "Caddyfile"


class TricklingClients:
    """Connections that each sent half a request header and then trickle a byte per ``interval``."""

    def __init__(self, port: int, count: int, interval: float = 1.0):
        if not 0 < count <= MAX_CLIENTS:
            raise ValueError(f"between 1 and {MAX_CLIENTS} slow clients, not {count}")
        self.port = port
        self.count = count
        self.interval = interval
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def __enter__(self) -> TricklingClients:
        for _ in range(self.count):
            sock = socket.create_connection((LOOPBACK, self.port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: plantao.example.com\r\nX-Slow: ")
            self.sockets.append(sock)
        self._thread.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(self.interval):
            for sock in self.sockets:
                try:
                    sock.send(b"a")
                except OSError:
                    pass  # the server cut it off, as it should

    def closed_by_server(self) -> int:
        """How many of the connections the server has closed."""
        closed = 0
        for sock in self.sockets:
            sock.setblocking(False)
            try:
                # An answer (408, 400) or the end of the stream: the server let go.
                sock.recv(4096)
                closed += 1
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
            finally:
                sock.setblocking(True)
        return closed

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in self.sockets:
            sock.close()


def healthz_seconds(port: int, timeout: float = 10.0) -> float | None:
    """Seconds ``GET /healthz`` takes on 127.0.0.1:``port``, or None when no answer came in ``timeout``."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request("GET", "/healthz", headers={"Host": "plantao.example.com"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise AssertionError(f"/healthz answered {response.status}")
    except (TimeoutError, socket.timeout):
        return None
    finally:
        connection.close()
    return time.monotonic() - started




def plain_http_caddy_config(caddy: str, env: dict[str, str], listen_port: int, upstream_port: int, storage: Path) -> dict:
    """The shipped Caddyfile as Caddy runs it, served over plain HTTP on loopback.

    Only what a test machine needs changes: no certificates (no ACME, no
    TLS), a loopback port, the given upstream, no admin endpoint and a
    private storage directory. Timeouts, body limit and log filters stay.
    """
    result = subprocess.run(
        [caddy, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**env, "DOMAIN_NAME": "plantao.example.com"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    config = json.loads(result.stdout)
    config["apps"].pop("tls", None)
    http_app = config["apps"]["http"]
    (server,) = http_app["servers"].values()
    server["listen"] = [f"{LOOPBACK}:{listen_port}"]
    server["automatic_https"] = {"disable": True}
    for node in walk(server["routes"]):
        if node.get("handler") == "reverse_proxy":
            node["upstreams"] = [{"dial": f"{LOOPBACK}:{upstream_port}"}]
    config["admin"] = {"disabled": True}
    config["storage"] = {"module": "file_system", "root": str(storage)}
    return config


def walk(node) -> Iterator[dict]:
    """Every JSON object in an adapted Caddy configuration, depth first."""
    if isinstance(node, dict):
        yield node
        for child in node.values():
            yield from walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from walk(child)


@contextlib.contextmanager
def caddy_in_front(upstream_port: int, workdir: Path, env: dict[str, str]) -> Iterator[tuple[int, Path]]:
    """Run the shipped Caddyfile (plain HTTP) in front of ``upstream_port``: yields its port and log file."""
    caddy = shutil.which("caddy")
    if caddy is None:
        raise FileNotFoundError("caddy is not installed (Debian package 'caddy')")
    port = free_port()
    config_file = workdir / "caddy-plain.json"
    config_file.write_text(json.dumps(plain_http_caddy_config(caddy, env, port, upstream_port, workdir / "storage")))
    log = workdir / "caddy-plain.log"
    with running([caddy, "run", "--config", str(config_file)], log, env) as process:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((LOOPBACK, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"Caddy did not start: {log.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
        yield port, log
