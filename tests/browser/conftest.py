"""What the browser tests share: the real app served by waitress on a loopback port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The admin password of the served app.
PASSWORD = "browser test admin password"


@contextmanager
def served_app(folder: Path) -> Iterator[tuple[str, object]]:
    """The app on an SQLite database in ``folder``, served on a free port: ``(base URL, engine)``."""
    from waitress.server import create_server

    from plantao import schema
    from plantao.app import make_app
    from plantao.config import Settings
    from plantao.db import create_database_engine

    url = f"sqlite:///{folder / 'plantao.sqlite3'}"
    engine = create_database_engine(url)
    schema.upgrade(engine)
    settings = Settings(
        database_url=url,
        admin_password=PASSWORD,
        data_dir=folder,
        session_secret="browser-test-session-secret-" + "x" * 32,
    )
    waitress = create_server(make_app(settings, engine=engine), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=waitress.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{waitress.effective_port}", engine
    finally:
        waitress.close()
        thread.join(timeout=5)
        engine.dispose()
