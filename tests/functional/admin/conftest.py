"""Helpers for the admin panel's specification: a logged-in browser session.

Everything goes through WebTest and the real forms, CSRF tokens included:
``admin`` logs in through /admin/login like a person would.
"""

from __future__ import annotations

import pytest
import webtest

from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def browser(app):
    """A fresh anonymous browser (cookies kept between requests)."""
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.20"})


def log_in(browser, password: str = ADMIN_PASSWORD, email: str | None = None, **kw):
    """Submit the login form: the built-in password, or an account's ``email`` and password."""
    form = browser.get("/admin/login").forms[0]
    if email is not None:
        form["email"] = email
    form["password"] = password
    return form.submit(**kw)


@pytest.fixture
def login():
    """``login(browser, password, status=...)``: submit the login form."""
    return log_in


@pytest.fixture
def admin(browser):
    """A browser logged in as admin."""
    log_in(browser, status=303)
    return browser


@pytest.fixture
def api(testapp, admin_headers):
    """The JSON API with the admin bearer token, to set scenes and check results."""

    class Client:
        def get(self, url, **kw):
            return testapp.get(url, headers=admin_headers, **kw).json

        def post(self, url, body, **kw):
            kw.setdefault("status", 201)
            return testapp.post_json(url, body, headers=admin_headers, **kw).json

    return Client()


@pytest.fixture
def scene(api, monday):
    """A team with three people and a weekly rotation starting on ``monday``."""
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    people = [api.post("/api/v1/people", {"name": name}) for name in ("Ana", "Bruno", "Carla")]
    rotation = api.post(
        "/api/v1/teams/infra/rotations",
        {"name": "Semanal", "policy": "weekly", "members": [p["id"] for p in people],
         "start": f"{monday.isoformat()}T09:00"},
    )
    return {"people": people, "rotation": rotation}
