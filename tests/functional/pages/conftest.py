"""Pages are read as visitors read them; the data behind them is created
through the JSON API with the admin credential, as an integrator would."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def api(testapp, admin_headers):
    """``api("POST", "/api/v1/people", {...})``: the JSON answer of an admin call."""

    def call(method: str, url: str, body: dict | None = None, status: int | str = "2*"):
        if method == "GET":
            return testapp.get(url, headers=admin_headers, status=status).json
        return getattr(testapp, f"{method.lower()}_json")(url, body, headers=admin_headers, status=status).json

    return call


@pytest.fixture
def roster(api, today):
    """Team ``infra`` with a weekly rotation of Ana, Bruno and Carla that
    started two Mondays ago (so Carla holds this week), plus an override and
    Ana's leave ahead.  Returns the people by first name."""
    ana = api("POST", "/api/v1/people", {
        "name": "Ana Souza", "email": "ana@example.org", "phone": "+55 11 91111-1111",
        "chat": {"whatsapp": "+55 11 91111-1111"},
    })
    bruno = api("POST", "/api/v1/people", {
        "name": "Bruno Lima", "email": "bruno@example.org", "phone": "+55 11 92222-2222",
        "telegram_chat_id": "@brunolima",
    })
    carla = api("POST", "/api/v1/people", {
        "name": "Carla Dias", "email": "carla@example.org", "phone": "+55 11 93333-3333",
    })
    api("POST", "/api/v1/teams", {"slug": "infra", "name": "Infraestrutura"})
    monday = today - timedelta(days=today.weekday() + 14)
    api("POST", "/api/v1/teams/infra/rotations", {
        "name": "Semanal", "policy": "weekly", "members": [ana["id"], bruno["id"], carla["id"]],
        "start": f"{monday.isoformat()}T09:00",
    })
    return {"ana": ana, "bruno": bruno, "carla": carla, "monday": monday}


@pytest.fixture
def oncall(testapp, admin_headers):
    """The API's answer of who is on call in ``slug`` now (full contacts)."""

    def read(slug: str = "infra") -> dict:
        return testapp.get(f"/api/v1/teams/{slug}/oncall", headers=admin_headers).json

    return read


@pytest.fixture
def shifts_json(testapp, admin_headers, today, roster):
    """The API's shifts of ``infra`` overlapping this month."""
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    params = {"start": first.isoformat(), "end": following.isoformat()}
    return testapp.get("/api/v1/teams/infra/shifts", params=params, headers=admin_headers).json["shifts"]


@pytest.fixture
def admin(requests_admin):
    """The JSON API with the admin credential (``get``, ``post``, ``patch``)."""
    return requests_admin
