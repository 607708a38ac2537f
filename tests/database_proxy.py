"""A TCP forwarder in front of PostgreSQL that a test can cut, as a network outage does.

``cut()`` closes every forwarded connection and stops listening, so new
connections are refused (what an application sees when the database's VM
is gone, or PostgreSQL restarts); ``restore()`` listens on the same port
again.
"""

from __future__ import annotations

import selectors
import socket
import threading

from sqlalchemy.engine import make_url


class DatabaseProxy:
    """Forwards ``127.0.0.1:<port>`` to the server of ``url``; :attr:`url` is ``url`` through it."""

    def __init__(self, url: str):
        target = make_url(url)
        self.target = (target.host or "127.0.0.1", target.port or 5432)
        self.listener: socket.socket | None = None
        self.port = 0
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        self.running = True
        self._listen()
        self.url = target.set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)
        self.thread = threading.Thread(target=self._pump, name="database-proxy", daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self.listener = listener

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        with self.lock:
            if self.listener is not None:
                self.listener.close()
                self.listener = None
            for pair in self.pairs:
                for side in pair:
                    side.close()
            self.pairs.clear()

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        with self.lock:
            if self.listener is None:
                self._listen()

    def close(self) -> None:
        self.running = False
        self.cut()
        self.thread.join(timeout=5)

    def _pump(self) -> None:
        while self.running:
            with self.lock:
                listener = self.listener
                pairs = list(self.pairs)
            if listener is not None:
                try:
                    client, _ = listener.accept()
                except (TimeoutError, OSError):
                    client = None
                if client is not None:
                    try:
                        server = socket.create_connection(self.target, timeout=5)
                    except OSError:
                        client.close()
                    else:
                        with self.lock:
                            self.pairs.append((client, server))
                        threading.Thread(target=self._forward, args=(client, server), daemon=True).start()
            else:
                threading.Event().wait(0.05)
            del pairs

    def _forward(self, client: socket.socket, server: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        try:
            selector.register(client, selectors.EVENT_READ, server)
            selector.register(server, selectors.EVENT_READ, client)
            while True:
                for key, _ in selector.select(timeout=0.5):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
                if client.fileno() < 0 or server.fileno() < 0:
                    return
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            client.close()
            server.close()
            with self.lock:
                if (client, server) in self.pairs:
                    self.pairs.remove((client, server))
