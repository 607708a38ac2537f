"""Reads survive the database: while PostgreSQL cannot be reached, the roster
in memory answers.

The application reaches its database through a forwarder the test cuts
(every connection dropped, new ones refused), as when the database's VM is
gone.  Then ``oncall``, the home and team pages and the feeds keep answering
from the last roster the instance knew, marked ``X-Plantao-Stale`` (pages
show a notice); ``/readyz`` answers 200 "degraded" so the load balancer keeps
the instance; a read outside the window in memory, and every write, answers
503 with ``Retry-After``; and once the database is back the instance catches
up by itself.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import webtest

from plantao import schema
from plantao.app import make_app
from plantao.config import Settings
from plantao.datetimes import utcnow
from plantao.db import create_database_engine
from plantao.plugins import build_registry
from tests.conftest import ADMIN_PASSWORD, require_postgres, throwaway_database
from tests.database_proxy import DatabaseProxy

pytestmark = pytest.mark.postgresql

HEADERS = {"Authorization": f"Bearer {ADMIN_PASSWORD}"}


VIEWER_PASSWORD = "viewer correct horse battery"


@pytest.fixture
def through_proxy(tmp_path, request):
    """An app whose database is reached through a :class:`DatabaseProxy`, as ``(app, proxy)``.

    ``@pytest.mark.parametrize("through_proxy", [{"public_roster": False}], indirect=True)``
    changes its settings.
    """
    require_postgres()
    changes = getattr(request, "param", {})
    with throwaway_database("plantao_outage") as (_, url):
        engine = create_database_engine(url)
        schema.upgrade(engine)
        engine.dispose()
        proxy = DatabaseProxy(url)
        engine = create_database_engine(proxy.url)
        settings = Settings(database_url=proxy.url, admin_password=ADMIN_PASSWORD, data_dir=tmp_path,
                            viewer_password=VIEWER_PASSWORD, **changes)
        app = webtest.TestApp(make_app(settings, plugins=build_registry(), engine=engine))
        # Look at the revisions on every read, so the test needs no sleeping.
        app.app.registry.read_model.freshness = 0.0
        try:
            yield app, proxy
        finally:
            proxy.close()
            engine.dispose()


def a_roster(app) -> None:
    app.post_json("/api/v1/teams", {"slug": "infra", "name": "Infra"}, headers=HEADERS)
    people = [
        app.post_json("/api/v1/people", {"name": name, "phone": phone}, headers=HEADERS).json["id"]
        for name, phone in (("Ana", "+5511987654321"), ("Bruno", "+5511912345678"))
    ]
    start = (utcnow() - timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    app.post_json(
        "/api/v1/teams/infra/rotations",
        {"name": "Diário", "policy": "daily", "members": people, "start": start.isoformat()},
        headers=HEADERS,
    )


def test_reads_answer_from_memory_while_the_database_is_unreachable_and_catch_up_after(through_proxy):
    app, proxy = through_proxy
    a_roster(app)
    before = app.get("/api/v1/teams/infra/oncall").json
    tomorrow = (utcnow() + timedelta(days=1, hours=1)).isoformat()
    ahead = app.get("/api/v1/teams/infra/oncall", {"at": tomorrow}).json
    assert "X-Plantao-Stale" not in app.get("/api/v1/teams/infra/oncall").headers
    assert app.get("/readyz").json["status"] == "ok"

    proxy.cut()

    now = app.get("/api/v1/teams/infra/oncall")
    assert int(now.headers["X-Plantao-Stale"]) >= 0
    assert now.json["oncall"] == before["oncall"] and now.json["next_handoff"] == before["next_handoff"]
    # The next handoffs are in memory too: the answer stays right as time passes.
    assert app.get("/api/v1/teams/infra/oncall", {"at": tomorrow}).json["oncall"] == ahead["oncall"]
    shifts = app.get("/api/v1/teams/infra/shifts")
    assert shifts.json["shifts"] and "X-Plantao-Stale" in shifts.headers
    assert app.get("/api/v1/teams/infra/gaps").status_int == 200

    for page in ("/", "/teams/infra"):
        answer = app.get(page, headers={"Accept-Language": "pt-BR"})
        assert "X-Plantao-Stale" in answer.headers
        notice = answer.html.select_one(".stale-notice")
        assert notice is not None and "pode estar desatualizada desde" in notice.text, page
        assert "Ana" in answer.text

    feed = app.get("/api/v1/teams/infra/export.ics")
    assert feed.body.startswith(b"BEGIN:VCALENDAR") and "X-Plantao-Stale" in feed.headers

    ready = app.get("/readyz")
    assert ready.status_int == 200
    assert ready.json["status"] == "degraded" and ready.json["stale_seconds"] >= 0
    assert app.get("/healthz").json == {"status": "ok"}

    # Outside the window in memory, only the database knows: 503, clearly.
    old = (utcnow() - timedelta(days=90)).isoformat()
    past = app.get("/api/v1/teams/infra/shifts", {"start": old}, status=503)
    assert past.headers["Retry-After"].isdigit() and past.json["error"]

    # A write is refused whole, never half-written.
    refused = app.post_json(
        "/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS, expect_errors=True
    )
    assert refused.status_int == 503
    assert refused.headers["Retry-After"].isdigit() and refused.json["error"]

    proxy.restore()

    # The instance catches up by itself: no restart, and the marker goes away.
    back = app.get("/api/v1/teams/infra/oncall")
    assert "X-Plantao-Stale" not in back.headers
    assert app.get("/readyz").json["status"] == "ok"
    assert app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=HEADERS).status_int == 201
    assert app.get("/api/v1/teams/ops/oncall").json["team"] == "ops"
    assert app.get("/", headers={"Accept-Language": "pt-BR"}).html.select_one(".stale-notice") is None


def test_an_instance_that_never_loaded_the_roster_answers_503_while_the_database_is_away(through_proxy):
    app, proxy = through_proxy
    proxy.cut()
    answer = app.get("/api/v1/teams/infra/oncall", status=503)
    assert answer.headers["Retry-After"].isdigit()
    assert app.get("/readyz", status=503).json["status"] == "unavailable"
    proxy.restore()
    assert app.get("/readyz").json["status"] == "ok"


@pytest.mark.parametrize("through_proxy", [{"public_roster": False}], indirect=True)
def test_credentials_validated_lately_still_read_a_private_roster_while_the_database_is_away(through_proxy):
    app, proxy = through_proxy
    a_roster(app)
    viewer = {"Authorization": f"Bearer {VIEWER_PASSWORD}"}
    browser = webtest.TestApp(app.app)
    form = browser.get("/admin/login").forms[0]
    form["password"] = ADMIN_PASSWORD
    form.submit(status=303)
    assert app.get("/api/v1/teams/infra/oncall", headers=viewer).status_int == 200
    assert browser.get("/teams/infra").status_int == 200

    proxy.cut()

    assert app.get("/api/v1/teams/infra/oncall", headers=viewer).json["team"] == "infra"
    assert "Ana" in browser.get("/teams/infra").text
    # Nobody new gets in while the lockout cannot be checked: 503, not 401 or a guess.
    app.get("/api/v1/teams/infra/oncall", headers={"Authorization": "Bearer wrong guess"}, status=503)
    app.get("/api/v1/teams/infra/oncall", status=401)
    proxy.restore()
    assert app.get("/api/v1/teams/infra/oncall", headers=viewer).status_int == 200
