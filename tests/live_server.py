"""The app under a real waitress, for tests that need real sockets.

WebTest calls the WSGI app directly; proxy headers as waitress reads them,
cookies on the wire, connection limits and slow clients need the server
``plantao serve`` runs, with the options it gives it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

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
