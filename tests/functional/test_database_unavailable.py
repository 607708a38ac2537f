"""A database that does not answer gives 503 with Retry-After, never a 500."""

from __future__ import annotations

import pytest
import webtest

from plantao.app import make_app
from plantao.config import Settings
from plantao.db import create_database_engine
from tests.conftest import ADMIN_PASSWORD

#: Nothing listens on port 1 of the loopback: every connection is refused.
UNREACHABLE = "postgresql+psycopg2://postgres@127.0.0.1:1/plantao"


@pytest.fixture
def unreachable(tmp_path, plugins):
    engine = create_database_engine(UNREACHABLE)
    settings = Settings(
        database_url=UNREACHABLE,
        admin_password=ADMIN_PASSWORD,
        data_dir=tmp_path,
        session_secret="test-session-secret-" + "x" * 32,
    )
    yield webtest.TestApp(make_app(settings, plugins=plugins, engine=engine), extra_environ={"REMOTE_ADDR": "192.0.2.30"})
    engine.dispose()


@pytest.mark.parametrize("path", ["/api/v1/teams", "/api/v1/plugins", "/api/v1/teams/infra/oncall"])
def test_api_reads_answer_503_with_retry_after(unreachable, path):
    response = unreachable.get(path, headers={"Authorization": f"Bearer {ADMIN_PASSWORD}"}, status=503)
    assert response.headers["Retry-After"].isdigit()
    assert "database is not answering" in response.json["error"]


def test_api_writes_answer_503_and_say_nothing_changed(unreachable):
    response = unreachable.post_json(
        "/api/v1/teams", {"slug": "infra", "name": "Infra"}, headers={"Authorization": f"Bearer {ADMIN_PASSWORD}"}, status=503
    )
    assert "nothing was changed" in response.json["error"]


def test_pages_answer_a_503_page_in_the_visitors_language(unreachable):
    page = unreachable.get("/", headers={"Accept-Language": "pt-BR"}, status=503)
    assert "Temporariamente indisponível" in page.text
    assert page.headers["Retry-After"].isdigit()
