"""The oncall answer is cached per instance, yet never stale for long.

An instance that commits a change serves it at once; another instance
sharing the database serves it within one second.
"""

from __future__ import annotations

import time
from datetime import timedelta

import webtest

from plantao.app import make_app
from plantao.datetimes import utcnow
from plantao.db import run_in_transaction
from plantao.models import Person
from plantao.services.audit import Actor
from plantao.services.context import ServiceContext
from plantao.models.revision import FRESHNESS
from plantao.services.people import PersonService


def holder(app, slug="ops"):
    body = app.get(f"/api/v1/teams/{slug}/oncall").json
    return [entry["person"]["name"] for entry in body["oncall"]]


def until(app, slug="ops", **params):
    """When the shift in progress ends: an override already begun moves it to the next whole minute."""
    return answer(app, slug, **params)["oncall"][0]["end"]


def answer(app, slug="ops", **params):
    return app.get(f"/api/v1/teams/{slug}/oncall", params=params).json


def setup_team(app, headers):
    ana = app.post_json("/api/v1/people", {"name": "Ana"}, headers=headers).json
    bia = app.post_json("/api/v1/people", {"name": "Bia"}, headers=headers).json
    app.post_json("/api/v1/teams", {"slug": "ops", "name": "Ops"}, headers=headers)
    start = (utcnow() - timedelta(hours=1)).isoformat()
    app.post_json(
        "/api/v1/teams/ops/rotations",
        {"name": "Weekly", "policy": "weekly", "members": [ana["id"], bia["id"]], "start": start},
        headers=headers,
    )
    return ana, bia


def override(app, headers, person):
    """An override already begun, ending on a whole minute: whether a read comes before or after
    the minute it takes over (the write may land at hh:mm:59.99), the shift in progress then
    ends on a whole minute."""
    now = utcnow()
    return app.post_json(
        "/api/v1/teams/ops/overrides",
        {"person": person["id"], "start": (now - timedelta(minutes=5)).isoformat(),
         "end": (now + timedelta(hours=2)).replace(second=0, microsecond=0).isoformat()},
        headers=headers,
    ).json


def test_the_instance_that_commits_a_change_serves_it_at_once(testapp, admin_headers):
    ana, bia = setup_team(testapp, admin_headers)
    assert holder(testapp) == ["Ana"]
    assert holder(testapp) == ["Ana"]  # now from the cache
    before = until(testapp)
    override(testapp, admin_headers, bia)
    after = until(testapp)
    assert after != before and after[17:19] == "00"


def test_another_instance_serves_the_change_within_a_second(testapp, admin_headers, settings, plugins, clean_engine):
    other = webtest.TestApp(make_app(settings, plugins=plugins, engine=clean_engine))
    ana, bia = setup_team(testapp, admin_headers)
    assert holder(other) == ["Ana"]
    before = until(other)
    override(testapp, admin_headers, bia)
    deadline = time.monotonic() + FRESHNESS + 0.5
    seen = answer(other)
    while seen["oncall"][0]["end"] == before and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = answer(other)
    # This instance asked for the same instant: a later "now" may have passed the take-over minute.
    assert seen["oncall"][0]["end"] != before
    assert seen["oncall"][0]["end"] == until(testapp, at=seen["at"])


def test_a_cached_answer_still_moves_its_clock(testapp, admin_headers):
    setup_team(testapp, admin_headers)
    first = testapp.get("/api/v1/teams/ops/oncall").json["at"]
    time.sleep(0.01)
    second = testapp.get("/api/v1/teams/ops/oncall").json["at"]
    assert second > first


def test_a_change_committed_outside_a_request_is_served_at_once(app, testapp, admin_headers, settings, plugins):
    # The horizon keeper and the CLI commit through the app's own sessions.
    ana, bia = setup_team(testapp, admin_headers)
    assert holder(testapp) == ["Ana"]
    # Only the commit itself may refresh the roster in memory: waiting cannot.
    app.registry.read_model.freshness = 3600

    def rename(dbsession):
        ctx = ServiceContext(dbsession, settings, plugins, Actor("test"))
        PersonService(ctx).update(dbsession.get(Person, ana["id"]), {"name": "Ana Maria"})

    run_in_transaction(app.registry, rename)
    assert holder(testapp) == ["Ana Maria"]
