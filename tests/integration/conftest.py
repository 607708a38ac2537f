"""Fixtures the integration property tests share."""

from __future__ import annotations

import pytest

from plantao.config import Settings


@pytest.fixture
def roster_settings(database_url, data_dir) -> Settings:
    """Settings for driving the services directly: São Paulo, a 10-day horizon (short, so each write is quick)."""
    return Settings(
        database_url=database_url,
        admin_password="irrelevant here",
        data_dir=data_dir,
        session_secret="test-session-secret-" + "x" * 32,
        timezone="America/Sao_Paulo",
        horizon_days=10,
    )
