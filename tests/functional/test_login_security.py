"""Credentials under attack: guessing, borrowed cookies, stale sessions, readers who write.

Every scenario goes through the whole app with WebTest (and waitress where
the proxy's headers matter), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import http.client
from datetime import datetime, timedelta, timezone

import pytest
import webtest

from plantao.app import make_app
from plantao.db import create_database_engine
from plantao.services.login import TRUSTED_FOR
from tests.conftest import ADMIN_PASSWORD

VIEWER_PASSWORD = "a viewer password long enough"
WRONG = {"Authorization": "Bearer correct horse battery stapl"}


def client(app, address: str = "192.0.2.40") -> webtest.TestApp:
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address})


def log_in(browser, password: str = ADMIN_PASSWORD, **kw):
    # With ``next`` the form shows even to a browser already logged in.
    page = browser.get("/admin/login", params={"next": "/admin"})
    form = next(form for form in page.forms.values() if "password" in form.fields)
    form["password"] = password
    return form.submit(**kw)


@pytest.fixture
def private_app(app_with):
    return app_with(public_roster=False, viewer_password=VIEWER_PASSWORD)


class Clock:
    """The sessions' clock, moved by hand."""

    def __init__(self):
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


# -- guessing ----------------------------------------------------------------


def test_wrong_bearer_tokens_lock_the_client_address_out(app, admin_headers):
    guesser = client(app)
    for _ in range(5):
        guesser.get("/api/v1/audit", headers=WRONG, status=401)

    # Even the right token is refused now: the guessing must stop, not go on blind.
    response = guesser.get("/api/v1/audit", headers=admin_headers, status=429)
    assert response.content_type == "application/json"
    assert "Too many failed attempts" in response.json["error"]
    assert int(response.headers["Retry-After"]) > 800
    # Writes too, and nothing is written.
    guesser.post_json("/api/v1/people", {"name": "Ana"}, headers=admin_headers, status=429)

    # Another address is not affected.
    assert client(app, "198.51.100.7").get("/api/v1/audit", headers=admin_headers).json["entries"] == []


def test_wrong_passwords_count_together_whichever_door_they_knock_on(private_app):
    guesser = client(private_app)
    for _ in range(2):
        log_in(guesser, "guess", status=401)
    for _ in range(2):
        guesser.get("/api/v1/teams", headers={"Authorization": "Bearer not the viewer"}, status=401)
    guesser.get("/api/v1/teams", headers={"Authorization": "Bearer still not it"}, status=401)

    guesser.get("/api/v1/teams", headers={"Authorization": f"Bearer {VIEWER_PASSWORD}"}, status=429)
    page = log_in(guesser, VIEWER_PASSWORD, status=429)
    assert "Tentativas demais" in page.text


def test_the_viewer_password_does_not_buy_more_guesses_at_the_admin_one(private_app, admin_headers):
    guesser = client(private_app)
    for _ in range(2):
        for _ in range(2):
            guesser.get("/api/v1/audit", headers=WRONG, status=401)
        log_in(guesser, VIEWER_PASSWORD, status=303)
    guesser.get("/api/v1/audit", headers=WRONG, status=401)
    # Five failures in the window, whatever the viewer logins between them.
    guesser.get("/api/v1/audit", headers=admin_headers, status=429)


def test_the_admin_password_clears_the_address_failures(app, admin_headers):
    browser = client(app)
    for _ in range(4):
        browser.get("/api/v1/audit", headers=WRONG, status=401)
    log_in(browser, status=303)
    for _ in range(4):
        browser.get("/api/v1/audit", headers=WRONG, status=401)
    browser.get("/api/v1/audit", headers=admin_headers, status=200)


def test_a_locked_out_address_gets_a_429_page_outside_the_api(app, admin_headers):
    guesser = client(app)
    for _ in range(5):
        guesser.get("/api/v1/audit", headers=WRONG, status=401)
    response = guesser.get("/admin/teams", headers=admin_headers, status=429)
    assert "Tentativas demais" in response.text and int(response.headers["Retry-After"]) > 800


def test_the_throttle_is_shared_by_every_instance_on_the_database(app, settings, plugins, database_url, admin_headers):
    # A second instance: its own engine, its own process memory, the same database.
    other_engine = create_database_engine(database_url)
    try:
        other = make_app(settings, plugins=plugins, engine=other_engine)
        for _ in range(5):
            client(app).get("/api/v1/audit", headers=WRONG, status=401)

        client(other).get("/api/v1/audit", headers=admin_headers, status=429)
        assert "Tentativas demais" in log_in(client(other), status=429).text
    finally:
        other_engine.dispose()


def test_an_address_another_instance_trusted_a_moment_ago_is_locked_out_there_within_two_seconds(
    app, settings, plugins, database_url, admin_headers
):
    other_engine = create_database_engine(database_url)
    try:
        other = make_app(settings, plugins=plugins, engine=other_engine)
        seconds = FakeSeconds()
        other.registry.login_throttle.monotonic = seconds
        # The address shows the right password there, with no failure on record...
        client(other).get("/api/v1/audit", headers=admin_headers, status=200)
        # ...then guesses through this instance until it is locked out.
        for _ in range(5):
            client(app).get("/api/v1/audit", headers=WRONG, status=401)

        # The other instance takes the address's word for TRUSTED_FOR seconds, no more.
        client(other).get("/api/v1/audit", headers=admin_headers, status=200)
        seconds.now += TRUSTED_FOR
        client(other).get("/api/v1/audit", headers=admin_headers, status=429)
    finally:
        other_engine.dispose()


def test_a_script_calling_with_its_password_costs_one_lookup_every_two_seconds(app, admin_headers, monkeypatch):
    throttle = app.registry.login_throttle
    lookups = counted_lookups(throttle, monkeypatch)
    seconds = FakeSeconds()
    monkeypatch.setattr(throttle, "monotonic", seconds)
    script = client(app)
    for _ in range(3):
        script.get("/api/v1/audit", headers=admin_headers, status=200)
    assert len(lookups) == 1
    seconds.now += TRUSTED_FOR
    script.get("/api/v1/audit", headers=admin_headers, status=200)
    assert len(lookups) == 2
    # One wrong guess (still trusted, so not looked up), and every request after it is.
    script.get("/api/v1/audit", headers=WRONG, status=401)
    script.get("/api/v1/audit", headers=admin_headers, status=200)
    script.get("/api/v1/audit", headers=admin_headers, status=200)
    assert len(lookups) == 4


def test_the_shared_viewer_password_earns_no_trust(private_app, monkeypatch):
    throttle = private_app.registry.login_throttle
    lookups = counted_lookups(throttle, monkeypatch)
    viewer = client(private_app)
    for _ in range(3):
        viewer.get("/api/v1/teams", headers={"Authorization": f"Bearer {VIEWER_PASSWORD}"}, status=200)
    assert len(lookups) == 3


def counted_lookups(throttle, monkeypatch) -> list:
    """Every lookup of the throttle's failures from now on, in a list that grows."""
    lookups = []
    looked_up = throttle.failures.since
    monkeypatch.setattr(throttle.failures, "since", lambda *a: lookups.append(a) or looked_up(*a))
    return lookups


class FakeSeconds:
    """A monotonic clock moved by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- CSRF ----------------------------------------------------------------------


@pytest.fixture
def admin(app):
    browser = client(app, "192.0.2.41")
    log_in(browser, status=303)
    return browser


@pytest.mark.parametrize("header", ["Basic YWRtaW46YWRtaW4=", "Token whatever", "Bearer", "x"])
def test_an_authorization_header_that_authenticates_nothing_does_not_lift_csrf(admin, header, admin_headers):
    response = admin.post_json("/api/v1/people", {"name": "Ana"}, headers={"Authorization": header}, status=400)
    assert "CSRF" in response.json["error"]
    assert admin.get("/api/v1/people", headers=admin_headers).json["people"] == []


def test_a_wrong_bearer_token_beside_the_session_cookie_logs_nobody_in(admin):
    admin.post_json("/api/v1/people", {"name": "Ana"}, headers=WRONG, status=401)


def test_a_bearer_token_that_authenticates_needs_no_csrf_token(admin, admin_headers):
    admin.post_json("/api/v1/people", {"name": "Ana"}, headers=admin_headers, status=201)


# -- sessions ------------------------------------------------------------------


def test_logout_ends_the_session_for_every_copy_of_the_cookie(app, admin, csrf):
    thief = client(app, "203.0.113.66")
    thief.set_cookie("plantao_session", admin.cookies["plantao_session"])
    thief.get("/admin/teams", status=200)

    admin.post("/admin/logout", {"csrf_token": csrf(admin.get("/admin/teams"))}, status=303)

    assert thief.get("/admin/teams", status=303).location.startswith("http://localhost/admin/login")
    thief.get("/api/v1/audit", status=401)


def test_logging_in_again_ends_the_previous_session(app, admin):
    copy = client(app, "203.0.113.67")
    copy.set_cookie("plantao_session", admin.cookies["plantao_session"])
    log_in(admin, status=303)
    copy.get("/admin/teams", status=303)
    admin.get("/admin/teams", status=200)


def test_a_session_ends_at_its_absolute_lifetime_however_active(app, admin):
    clock = Clock()
    app.registry.login_sessions.clock = clock
    # Logged in "now" by the hand-moved clock.
    log_in(admin, status=303)
    for _ in range(2):
        clock.advance(hours=11)
        admin.get("/admin/teams", status=200)
    clock.advance(hours=2, minutes=1)  # 24 h and a minute after the login
    admin.get("/admin/teams", status=303)


def test_the_absolute_lifetime_follows_session_max_age_hours(app_with):
    app = app_with(session_max_age_hours=2)
    clock = Clock()
    app.registry.login_sessions.clock = clock
    browser = client(app)
    log_in(browser, status=303)
    clock.advance(hours=1, minutes=59)
    browser.get("/admin/teams", status=200)
    clock.advance(minutes=2)
    browser.get("/admin/teams", status=303)


def test_a_session_ends_after_twelve_idle_hours(app, admin):
    clock = Clock()
    app.registry.login_sessions.clock = clock
    log_in(admin, status=303)
    clock.advance(hours=11, minutes=59)
    admin.get("/admin/teams", status=200)
    clock.advance(hours=12, minutes=1)
    admin.get("/admin/teams", status=303)


def test_the_database_keeps_only_a_hash_of_the_session_secret(app, admin, clean_engine):
    from sqlalchemy import select

    from plantao.models import LoginSession

    with clean_engine.connect() as connection:
        rows = connection.execute(select(LoginSession.token_hash, LoginSession.subject)).all()
    assert [row.subject for row in rows] == ["admin"]
    assert rows[0].token_hash not in admin.cookies["plantao_session"]


# -- readers who write ---------------------------------------------------------


def test_a_viewer_token_that_writes_gets_403(private_app, admin_headers):
    api = client(private_app)
    viewer = {"Authorization": f"Bearer {VIEWER_PASSWORD}"}
    response = api.post_json("/api/v1/people", {"name": "Ana"}, headers=viewer, status=403)
    assert response.content_type == "application/json" and "WWW-Authenticate" not in response.headers
    api.get("/api/v1/audit", headers=viewer, status=403)
    # Nobody logged in is still told to authenticate.
    api.post_json("/api/v1/people", {"name": "Ana"}, status=401)


def test_a_viewer_session_that_writes_gets_403(private_app, csrf):
    browser = client(private_app)
    log_in(browser, VIEWER_PASSWORD, status=303)
    token = csrf(browser.get("/admin/login"))
    browser.post_json("/api/v1/people", {"name": "Ana"}, headers={"X-CSRF-Token": token}, status=403)


@pytest.mark.parametrize("path", ["/admin/teams", "/admin/people"])
def test_a_viewer_posting_an_admin_form_gets_a_403_page_not_the_login_form(private_app, admin_headers, csrf, path):
    browser = client(private_app)
    log_in(browser, VIEWER_PASSWORD, status=303)
    token = csrf(browser.get("/admin/login"))
    page = browser.post(path, {"csrf_token": token, "name": "Ana", "slug": "ana"}, status=403)
    assert "Não permitido" in page.text
    # Reading an admin page still offers the login form, to log in as admin.
    assert "/admin/login" in browser.get("/admin/teams", status=303).location
    assert client(private_app, "198.51.100.9").get("/api/v1/people", headers=admin_headers).json["people"] == []


# -- the cookie over HTTPS -------------------------------------------------------


def session_cookie(port: int, headers: dict) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/admin/login", headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    cookie = response.getheader("Set-Cookie")
    assert cookie and cookie.startswith("plantao_session="), cookie
    return cookie


def test_the_cookie_is_secure_when_the_trusted_proxy_says_https(serve_behind_proxy):
    cookie = session_cookie(serve_behind_proxy("127.0.0.1"), {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "; secure" in cookie.lower()


def test_plain_http_and_untrusted_forwarding_get_no_secure_cookie(serve_behind_proxy):
    assert "secure" not in session_cookie(serve_behind_proxy("127.0.0.1"), {}).lower()
    assert "secure" not in session_cookie(serve_behind_proxy("192.0.2.1"), {"X-Forwarded-Proto": "https"}).lower()
