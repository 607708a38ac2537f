"""Logging in to the admin panel: passwords, sessions, CSRF and the throttle."""

from __future__ import annotations

import pytest
import webtest

from plantao.services.login import LoginThrottle, MemoryFailureLog
from tests.conftest import ADMIN_PASSWORD


def test_the_panel_sends_anonymous_visitors_to_the_login_form(browser):
    response = browser.get("/admin", status=303)
    assert response.location.endswith("/admin/login?next=%2Fadmin")
    page = response.follow()
    form = page.forms[0]
    assert set(form.fields) >= {"password", "csrf_token"}
    assert "Entrar" in page.text  # pt-BR by default


def test_the_login_form_speaks_english_on_request(browser):
    page = browser.get("/admin/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Log in" in page.text and "Entrar" not in page.text


def test_the_admin_password_opens_the_panel_with_a_safe_session_cookie(browser, login):
    response = login(browser, status=303)
    assert response.location.endswith("/admin")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert browser.get("/admin", status=303).location.endswith("/admin/teams")
    assert "Equipes" in browser.get("/admin/teams").text


def test_login_returns_to_the_page_asked_for(browser):
    page = browser.get("/admin/people", status=303).follow()
    page.forms[0]["password"] = ADMIN_PASSWORD
    assert page.forms[0].submit(status=303).location.endswith("/admin/people")


def test_login_never_returns_to_another_site(browser):
    page = browser.get("/admin/login", params={"next": "//evil.example/"})
    page.forms[0]["password"] = ADMIN_PASSWORD
    assert page.forms[0].submit(status=303).location == "http://localhost/admin"


def test_a_new_session_and_csrf_token_on_login(browser, csrf, login):
    before = csrf(browser.get("/admin/login"))
    login(browser, status=303)
    assert csrf(browser.get("/admin/teams")) != before


def test_a_wrong_password_is_refused_and_nothing_opens(browser, login):
    page = login(browser, "guess", status=401)
    assert "Senha incorreta" in page.text
    browser.get("/admin/teams", status=303)


def test_login_without_the_csrf_token_is_refused(browser):
    browser.get("/admin/login")
    response = browser.post("/admin/login", {"password": ADMIN_PASSWORD}, status=400)
    assert "nada foi salvo" in response.text
    browser.get("/admin/teams", status=303)


def test_failed_logins_are_limited_per_client_address(app, browser, login):
    for _ in range(5):
        login(browser, "guess", status=401)
    page = login(browser, ADMIN_PASSWORD, status=429)
    assert "Tentativas demais" in page.text and "15 min" in page.text
    assert int(page.headers["Retry-After"]) > 800
    # Another address is not affected.
    other = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "198.51.100.7"})
    login(other, status=303)


def test_a_successful_login_clears_the_failures(browser, login):
    for _ in range(4):
        login(browser, "guess", status=401)
    login(browser, status=303)
    browser.reset()
    for _ in range(4):
        login(browser, "guess", status=401)
    login(browser, status=303)


def test_logout_needs_the_csrf_token_and_ends_the_session(admin, csrf):
    admin.post("/admin/logout", {}, status=400)
    admin.get("/admin/teams", status=200)
    page = admin.get("/admin/teams")
    response = admin.post("/admin/logout", {"csrf_token": csrf(page)}, status=303)
    assert "Você saiu" in response.follow().text
    admin.get("/admin/teams", status=303)


def test_api_writes_through_the_session_need_the_csrf_token(admin, csrf):
    admin.post_json("/api/v1/people", {"name": "Ana"}, status=400)
    token = csrf(admin.get("/admin/teams"))
    admin.post_json("/api/v1/people", {"name": "Ana"}, headers={"X-CSRF-Token": token}, status=201)


def test_anonymous_api_writes_still_answer_401(testapp):
    testapp.post_json("/api/v1/people", {"name": "Ana"}, status=401)


@pytest.fixture
def private_browser(app_with):
    app = app_with(public_roster=False, viewer_password="only-looking")
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.30"})


def test_a_viewer_goes_back_to_the_pages_never_into_the_panel(private_browser):
    page = private_browser.get("/admin/login", params={"next": "/teams/infra"})
    assert "senha de consulta" in page.text
    page.forms[0]["password"] = "only-looking"
    assert page.forms[0].submit(status=303).location == "http://localhost/teams/infra"
    private_browser.get("/admin/teams", status=303)
    page = private_browser.get("/admin/login", params={"next": "/admin/teams"})
    page.forms[0]["password"] = "only-looking"
    assert page.forms[0].submit(status=303).location == "http://localhost/"


def test_private_pages_send_to_the_login_form(private_browser):
    response = private_browser.get("/", status=303)
    assert "/admin/login?next=%2F" in response.location


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)


def test_the_throttle_delays_grow_bounded_and_the_lockout_ends():
    clock = FakeClock()
    throttle = LoginThrottle(max_failures=5, window=900, delay_step=0.5, max_delay=2.0, clock=clock, sleep=clock.sleep)
    for _ in range(6):
        throttle.failed("192.0.2.1")
    assert clock.slept == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0]
    assert throttle.locked_for("192.0.2.1") == 900
    assert throttle.locked_for("192.0.2.2") == 0
    clock.now += 901
    assert throttle.locked_for("192.0.2.1") == 0
    throttle.failed("192.0.2.1")
    throttle.succeeded("192.0.2.1")
    assert throttle.locked_for("192.0.2.1") == 0


class CountedLookups(MemoryFailureLog):
    """The throttle's failures, counting how often they are looked up."""

    def __init__(self):
        super().__init__()
        self.lookups = 0

    def since(self, address, horizon):
        self.lookups += 1
        return super().since(address, horizon)


def trusting_throttle():
    clock = FakeClock()
    failures = CountedLookups()
    throttle = LoginThrottle(failures, clock=clock, sleep=clock.sleep, monotonic=clock, trusted_for=2.0)
    return throttle, failures, clock


def test_an_address_that_proved_a_credential_with_no_failure_is_not_looked_up_for_two_seconds():
    throttle, failures, clock = trusting_throttle()
    assert throttle.locked_for("192.0.2.1") == 0
    throttle.proven("192.0.2.1")
    for _ in range(3):
        assert throttle.locked_for("192.0.2.1") == 0
    assert failures.lookups == 1
    # Another address is looked up as ever.
    throttle.locked_for("192.0.2.2")
    assert failures.lookups == 2
    clock.now += 2.0
    throttle.locked_for("192.0.2.1")
    assert failures.lookups == 3


def test_a_failure_ends_the_trust_at_once_and_an_address_with_one_is_never_trusted():
    throttle, failures, clock = trusting_throttle()
    throttle.locked_for("192.0.2.1")
    throttle.proven("192.0.2.1")
    for _ in range(5):
        throttle.failed("192.0.2.1", delay=False)
    assert throttle.locked_for("192.0.2.1") == 900
    clock.now += 901
    throttle.failed("192.0.2.1", delay=False)
    # A right credential after a wrong one buys nothing: the address stays looked up.
    throttle.locked_for("192.0.2.1")
    throttle.proven("192.0.2.1")
    before = failures.lookups
    throttle.locked_for("192.0.2.1")
    assert failures.lookups == before + 1


def test_proving_a_credential_long_after_the_lookup_trusts_nothing():
    throttle, failures, clock = trusting_throttle()
    throttle.locked_for("192.0.2.1")
    clock.now += 2.0
    throttle.proven("192.0.2.1")
    throttle.locked_for("192.0.2.1")
    assert failures.lookups == 2
    # Nor without a lookup at all.
    throttle.proven("192.0.2.9")
    throttle.locked_for("192.0.2.9")
    assert failures.lookups == 3


def test_a_failure_recorded_elsewhere_since_an_older_clean_lookup_earns_no_trust():
    throttle, failures, clock = trusting_throttle()
    throttle.locked_for("192.0.2.1")  # clean, and nothing proven yet
    # Another instance records a failure of the address...
    failures.record("192.0.2.1", throttle._instant(clock.now), "bearer", throttle._instant(clock.now - 900))
    # ...which this request's own lookup sees: the earlier clean one vouches for nothing now.
    assert throttle.locked_for("192.0.2.1") == 0
    throttle.proven("192.0.2.1")
    before = failures.lookups
    throttle.locked_for("192.0.2.1")
    assert failures.lookups == before + 1
