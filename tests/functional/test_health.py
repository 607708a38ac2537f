"""Probes for systemd, Caddy and monitoring."""

from __future__ import annotations

from plantao.app import make_app
from plantao.db import create_database_engine


def test_healthz_says_the_process_is_up(testapp):
    assert testapp.get("/healthz").json == {"status": "ok"}


def test_readyz_says_the_database_answers_at_head(testapp):
    body = testapp.get("/readyz").json
    assert body["status"] == "ok" and body["schema"]["current"] == body["schema"]["head"]


def test_readyz_is_503_while_the_schema_is_not_migrated(settings, plugins, tmp_path):
    import webtest

    engine = create_database_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    app = webtest.TestApp(make_app(settings, plugins=plugins, engine=engine))
    response = app.get("/readyz", status=503)
    assert "plantao db upgrade" in response.json["error"]


def test_readyz_is_503_with_an_explanation_when_the_database_is_down(settings, plugins, tmp_path):
    import webtest

    engine = create_database_engine(
        "postgresql+psycopg2://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2}
    )
    app = webtest.TestApp(make_app(settings, plugins=plugins, engine=engine))
    response = app.get("/readyz", status=503)
    assert "127.0.0.1:1" in response.json["error"]
