"""The scenario every test of cover and swap requests starts from (API, pages, person page).

Team "infra" with a daily rotation of Ana, Bia, Caio and Davi (handoff 09:00
in São Paulo), started four weeks before a Monday one to two weeks ahead, so
each holds one day in four.  People act through their action links; the
tests import these fixtures and helpers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from plantao.models import Person

NAMES = ("Ana", "Bia", "Caio", "Davi")
API = "/api/v1/teams/infra/requests"


def iso_local(day, clock: str = "09:00") -> str:
    """The ISO 8601 text of a wall-clock time in São Paulo."""
    moment = datetime.strptime(clock, "%H:%M").time()
    return datetime.combine(day, moment, tzinfo=ZoneInfo("America/Sao_Paulo")).isoformat()


class AdminAPI:
    """The JSON API with the admin credential."""

    def __init__(self, testapp, headers):
        self.testapp, self.headers = testapp, headers

    def get(self, url, **kw):
        return self.testapp.get(url, headers=self.headers, **kw)

    def post(self, url, body, **kw):
        return self.testapp.post_json(url, body, headers=self.headers, **kw)

    def patch(self, url, body, **kw):
        return self.testapp.patch_json(url, body, headers=self.headers, **kw)


@pytest.fixture
def requests_admin(testapp, admin_headers) -> AdminAPI:
    return AdminAPI(testapp, admin_headers)


@pytest.fixture
def people(requests_admin):
    return {name: requests_admin.post("/api/v1/people", {"name": name}, status=201).json for name in NAMES}


@pytest.fixture
def tokens(people, clean_engine):
    """Each person's action token, as stored."""
    with clean_engine.connect() as connection:
        return dict(connection.execute(select(Person.name, Person.action_token)).all())


def make_daily(admin, people, monday, rules=None) -> dict:
    """Team infra and its daily rotation (with ``rules``, if given)."""
    admin.post("/api/v1/teams", {"slug": "infra", "name": "Infra"}, status=201)
    body = {
        "name": "Diário", "policy": "daily", "members": [people[n]["id"] for n in NAMES],
        "start": iso_local(monday - timedelta(weeks=4), "09:00"),
    }
    if rules:
        body["rules"] = rules
    return admin.post("/api/v1/teams/infra/rotations", body, status=201).json


@pytest.fixture
def daily(requests_admin, people, monday):
    return make_daily(requests_admin, people, monday)


def shift_of(testapp, name: str, day, role="primary") -> dict:
    """The first shift ``name`` holds from ``day`` 09:00 on (within eight days)."""
    found = testapp.get("/api/v1/teams/infra/shifts", params={
        "start": iso_local(day, "09:00"), "end": iso_local(day + timedelta(days=8), "09:00"), "limit": 500,
    }).json["shifts"]
    return next(s for s in found if s["person"]["name"] == name and s["role"] == role)


def holder(testapp, instant: str) -> str:
    """Who holds the primary role of infra at ``instant``."""
    return testapp.get("/api/v1/teams/infra/oncall", params={"at": instant}).json["oncall"][0]["person"]["name"]
