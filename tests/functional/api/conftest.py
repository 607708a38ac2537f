"""Helpers for the JSON API specification: build teams, people and rotations
through the API itself, and name instants the way the tests read them.

Everything here goes through WebTest with the admin credential, so a helper
that succeeds has exercised the same code an integrator calls.  Dates are
computed from today, so the scenarios stay inside the materialized horizon
whenever the suite runs.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

#: The zone of the ``settings`` fixture (PLANTAO_TIMEZONE), and so of new teams.
SAO_PAULO = "America/Sao_Paulo"


def at_local(day: date, clock: str = "09:00", zone: str = SAO_PAULO) -> datetime:
    """The aware instant of the wall-clock time ``clock`` on ``day`` in ``zone``."""
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=ZoneInfo(zone))


def iso_local(day: date, clock: str = "09:00", zone: str = SAO_PAULO) -> str:
    """The ISO 8601 text the API answers for that instant (with the zone's offset)."""
    return at_local(day, clock, zone).isoformat()


@pytest.fixture
def local():
    """``local(day, "09:00", zone)``: the ISO 8601 text of a wall-clock time."""
    return iso_local


@pytest.fixture
def past_monday(today):
    """``past_monday(weeks)``: the Monday ``weeks`` weeks before this week's Monday."""

    def weeks_ago(weeks: int) -> date:
        return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks)

    return weeks_ago


@pytest.fixture
def admin(testapp, admin_headers):
    """The same client as ``testapp``, sending the admin credential."""

    class AdminClient:
        def get(self, url, **kw):
            return testapp.get(url, headers=admin_headers, **kw)

        def post(self, url, body, **kw):
            return testapp.post_json(url, body, headers=admin_headers, **kw)

        def patch(self, url, body, **kw):
            return testapp.patch_json(url, body, headers=admin_headers, **kw)

        def delete(self, url, **kw):
            return testapp.delete(url, headers=admin_headers, **kw)

    return AdminClient()


@pytest.fixture
def make_person(admin):
    """``make_person("Ana", phone=...)``: a person created through the API (its JSON)."""
    count = iter(range(1, 10_000))

    def create(name: str | None = None, **fields) -> dict:
        number = next(count)
        body = {
            "name": name or f"Person {number}",
            "email": f"person{number}@example.org",
            "phone": f"+55 11 90000-{number:04d}",
            **fields,
        }
        return admin.post("/api/v1/people", body, status=201).json

    return create


@pytest.fixture
def make_team(admin):
    """``make_team("infra", timezone=...)``: a team created through the API (its JSON)."""

    def create(slug: str = "infra", **fields) -> dict:
        body = {"slug": slug, "name": fields.pop("name", slug.title()), **fields}
        return admin.post("/api/v1/teams", body, status=201).json

    return create


@pytest.fixture
def make_rotation(admin):
    """``make_rotation("infra", [a, b], start=..., policy="weekly")``: a stored rotation."""

    def create(slug: str, members: list, **fields) -> dict:
        body = {
            "name": fields.pop("name", "Main"),
            "policy": fields.pop("policy", "weekly"),
            "members": [m["id"] if isinstance(m, dict) else m for m in members],
            **fields,
        }
        return admin.post(f"/api/v1/teams/{slug}/rotations", body, status=201).json

    return create


@pytest.fixture
def shifts_of(testapp):
    """``shifts_of("infra", start, end, role=...)``: every shift, all pages followed."""

    def read(slug: str, start: str, end: str, **params) -> list[dict]:
        found, cursor = [], None
        while True:
            query = {"start": start, "end": end, **params}
            if cursor:
                query["cursor"] = cursor
            body = testapp.get(f"/api/v1/teams/{slug}/shifts", params=query).json
            found.extend(body["shifts"])
            cursor = body["next"]
            if not cursor:
                return found

    return read


@pytest.fixture
def holders(shifts_of):
    """``holders("infra", start, end)``: (start, person name) of each shift, in order."""

    def read(slug: str, start: str, end: str, **params) -> list[tuple[str, str]]:
        return [(s["start"], s["person"]["name"]) for s in shifts_of(slug, start, end, **params)]

    return read


@pytest.fixture
def audit_log(admin):
    """``audit_log()``: every audit entry, newest first."""

    def read(**params) -> list[dict]:
        return admin.get("/api/v1/audit", params={"limit": 1000, **params}).json["entries"]

    return read
