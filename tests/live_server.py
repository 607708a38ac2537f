"""The app under a real waitress, for tests that need real sockets.

WebTest calls the WSGI app directly; proxy headers as waitress reads them,
cookies on the wire, connection limits and slow clients need the server
``plantao serve`` runs, with the options it gives it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

import waitress

from plantao.cli import waitress_options
from plantao.config import Settings

LOOPBACK = "127.0.0.1"


@contextlib.contextmanager
def waitress_in_thread(app, settings: Settings, *, threads: int = 2) -> Iterator[int]:
    """Serve ``app`` on a free loopback port in a thread; yields the port and closes the server after."""
    server = waitress.create_server(app, host=LOOPBACK, port=0, threads=threads, **waitress_options(settings))
    thread = threading.Thread(target=_run_until_closed, args=(server,), daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        server.close()
        thread.join(timeout=5)


def _run_until_closed(server) -> None:
    # Closing the server from the test thread makes its select() loop fail
    # with EBADF; that is how this loop ends, not an error.
    try:
        server.run()
    except (OSError, ValueError):
        pass


# -- the installed command -------------------------------------------------------------

#: The console script of the virtual environment running the tests.
PLANTAO = Path(sys.executable).with_name("plantao")


#: Building a wheel runs setuptools in a subprocess: slow on a busy machine.
BUILD_TIMEOUT = 180


def run_checked(command: list, *, timeout: float = BUILD_TIMEOUT, **options) -> str:
    """Run ``command`` (``options`` such as ``cwd`` and ``env`` go to :func:`subprocess.run`) and
    answer its output; fail the test with that output when it fails."""
    result = subprocess.run(
        [str(part) for part in command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        **options,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited {result.returncode}:\n{result.stdout}",
            pytrace=False,
        )
    return result.stdout


def free_port() -> int:
    """A loopback TCP port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class Server:
    """The installed ``plantao serve --demo-if-empty`` in a subprocess, its log collected as it comes."""

    def __init__(self, workdir: Path, env: dict, port: int):
        self.port = port
        self.lines: list[str] = []
        environment = {
            "PATH": os.environ["PATH"],
            "HOME": str(workdir),
            "PLANTAO_DATA_DIR": str(workdir / "var"),
            "PORT": str(port),
            **env,
        }
        self.process = subprocess.Popen(
            [str(PLANTAO), "serve", "--demo-if-empty", "--threads", "2"],
            cwd=workdir,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._collect, daemon=True)
        self.reader.start()

    def _collect(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_until_serving(self, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"plantao serve exited with {self.process.returncode}:\n{self.log}")
            if "admin panel:" in self.log and self._answers():
                return self.log
            time.sleep(0.2)
        pytest.fail(f"plantao serve did not start in {timeout} s:\n{self.log}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                return True
        except OSError:
            return False

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=10)
        self.process.stdout.close()
