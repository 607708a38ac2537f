"""The whole product in a real browser: headless Chromium from Debian.

The app runs with waitress in a thread, on an SQLite database of its own.
The test logs in at ``/admin/login`` through the form, creates a team, two
people and a weekly rotation through the JSON API (with the admin bearer
token), then reads the pages as a visitor would and switches the language.
Along the way it saves screenshots of the home, team calendar and admin
pages, on a phone-sized and a desktop-sized window, under ``screenshots/``
at the top of the repository, for people to look at.

Selenium is pointed at ``/usr/bin/chromium`` and ``/usr/bin/chromedriver``
so Selenium Manager never downloads a browser.  Without them the test
skips, unless ``CI`` or ``REQUIRE_SYSTEM_TOOLS=1`` is set, where it fails.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import PASSWORD, served_app

pytestmark = pytest.mark.browser

REPO = Path(__file__).parents[2]
SCREENSHOTS = REPO / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE = (390, 844)
DESKTOP = (1366, 900)


def require(condition: bool, reason: str) -> None:
    if condition:
        return
    if os.environ.get("CI") or os.environ.get("REQUIRE_SYSTEM_TOOLS") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The real app served by waitress on a free loopback port."""
    with served_app(tmp_path_factory.mktemp("browser")) as (url, _engine):
        yield url


@pytest.fixture(scope="module")
def browser():
    require(CHROMIUM.exists() and CHROMEDRIVER.exists(), "chromium and chromium-driver are not installed")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require(False, "selenium is not installed (pip install -e '.[test]')")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="plantao-chromium-")
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
        "--lang=pt-BR",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "pt-BR,pt"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def api(base: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {PASSWORD}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def shoot(driver, name: str) -> None:
    """Save the full page at both window sizes: ``<name>-phone.png``, ``<name>-desktop.png``."""
    SCREENSHOTS.mkdir(exist_ok=True)
    for label, (width, height) in (("phone", PHONE), ("desktop", DESKTOP)):
        driver.set_window_size(width, height)
        driver.refresh()
        full = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, max(height, min(full, 4000)))
        path = SCREENSHOTS / f"{name}-{label}.png"
        assert driver.save_screenshot(str(path)), path
    driver.set_window_size(*DESKTOP)


def leave_page(driver, act) -> None:
    """Do ``act`` (a click, a drag) and wait until the next page has replaced this one and loaded.

    The page left is marked in its window object, which the next page does not share, rather
    than held as an element: while a page is being replaced Chromium may answer for a held
    element "Node with given id does not belong to the document" instead of "stale", and a
    script run in that instant may find no context. Both mean "not yet", so the wait goes on.
    """
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.plantaoPageLeft = true")
    act()
    WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda driver: driver.execute_script("return !window.plantaoPageLeft && document.readyState === 'complete'")
    )


def follow(driver, element) -> None:
    """Click a link or button and wait until the next page has replaced this one and loaded."""
    leave_page(driver, element.click)


def log_in(driver, server: str) -> None:
    """Log in as admin through the panel's form, as a person would."""
    from selenium.webdriver.common.by import By

    driver.get(server + "/admin/login")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
    assert not driver.find_elements(By.NAME, "password"), driver.page_source[:2000]


def heading(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "h1").text


def test_log_in_build_a_roster_read_it_and_switch_language(server, browser):
    from selenium.webdriver.common.by import By

    browser.set_window_size(*DESKTOP)

    log_in(browser, server)

    # A team, two people and a weekly rotation that started last Monday.
    api(server, "POST", "/api/v1/teams", {"slug": "infra", "name": "Infraestrutura"})
    ana = api(server, "POST", "/api/v1/people", {
        "name": "Ana Souza", "phone": "+55 11 91234-5678", "email": "ana@example.org",
        "chat": {"whatsapp": "+55 11 91234-5678"},
    })
    bruno = api(server, "POST", "/api/v1/people", {
        "name": "Bruno Lima", "phone": "+55 11 99876-5432", "telegram_chat_id": "@brunolima",
    })
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    monday = today - timedelta(days=today.weekday() + 7)
    api(server, "POST", "/api/v1/teams/infra/rotations", {
        "name": "Semanal", "policy": "weekly", "members": [ana["id"], bruno["id"]],
        "start": f"{monday.isoformat()}T09:00",
    })
    oncall = api(server, "GET", "/api/v1/teams/infra/oncall")
    on_duty = oncall["oncall"][0]["person"]["name"]
    api(server, "POST", "/api/v1/teams/infra/overrides", {
        "person": bruno["id"] if on_duty == "Ana Souza" else ana["id"],
        "start": f"{(monday + timedelta(days=23)).isoformat()}T09:00",
        "end": f"{(monday + timedelta(days=24)).isoformat()}T09:00", "reason": "troca",
    })
    api(server, "POST", f"/api/v1/people/{ana['id']}/leave", {
        "start": (monday + timedelta(days=29)).isoformat(), "end": (monday + timedelta(days=32)).isoformat(),
    })

    # The home page names who is on call, with a phone link.
    browser.get(server + "/")
    assert heading(browser) == "Quem está de plantão"
    board = browser.find_element(By.CSS_SELECTOR, ".board")
    assert on_duty in board.find_element(By.CSS_SELECTOR, ".holder-name").text
    assert board.find_element(By.CSS_SELECTOR, "a.contact.phone").get_attribute("href").startswith("tel:+55")
    assert board.find_element(By.CSS_SELECTOR, ".countdown").text
    shoot(browser, "home")

    # The team calendar.
    follow(browser, browser.find_element(By.CSS_SELECTOR, ".board-head h2 a"))
    assert heading(browser) == "Infraestrutura"
    assert browser.find_elements(By.CSS_SELECTOR, ".calendar td.today")
    shoot(browser, "team-calendar")

    # Switch to English, and the choice sticks on the next page.
    follow(browser, browser.find_element(By.CSS_SELECTOR, ".lang-switch a[hreflang=en]"))
    assert browser.find_element(By.ID, "month-title").text
    assert "Previous month" in browser.page_source
    browser.get(server + "/")
    assert heading(browser) == "Who is on call"
    shoot(browser, "home-en")
    follow(browser, browser.find_element(By.CSS_SELECTOR, ".lang-switch a[hreflang=pt-BR]"))
    assert heading(browser) == "Quem está de plantão"

    # The admin panel, logged in.
    browser.get(server + "/admin/teams")
    shoot(browser, "admin")
