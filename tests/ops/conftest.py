"""Fixtures for the offline checks of the operations files.

These tests need no database and no network: they validate
``docker-compose.yml``, the systemd units and the Caddyfile with the tools an
operator would run (``systemd-analyze``, ``caddy``, ``docker compose``).
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def tool_home(tmp_path: Path) -> Path:
    """An empty $HOME for tools that keep state there (caddy)."""
    home = tmp_path / "home"
    home.mkdir()
    return home
