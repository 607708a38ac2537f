"""A cover request answered in a real browser: headless Chromium from Debian.

Ana asks for cover of one of her shifts on her own page, opened through
her action link; Caio opens the
request's page through his own action link, as the notification sends him,
clicks "Aceitar", and the team's calendar shows him on that day, as an
override.  The app, the browser and the skip rule are those of
``test_end_to_end.py``.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.browser.conftest import PASSWORD, served_app
from tests.browser.test_end_to_end import browser, follow  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.browser

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
#: Every wait in this test is bounded: a hung page fails it instead of the suite.
WAIT = 20


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The real app served by waitress on a free loopback port, with its engine (to read action tokens)."""
    with served_app(tmp_path_factory.mktemp("cover-request")) as found:
        yield found


def call(base: str, method: str, path: str, body: dict | None = None, *, admin: bool = True) -> dict:
    headers = {"Content-Type": "application/json"}
    if admin:
        headers["Authorization"] = f"Bearer {PASSWORD}"
    request = urllib.request.Request(base + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=WAIT) as response:
        return json.loads(response.read() or b"null")


def test_a_colleague_takes_a_cover_request_from_its_page(served, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    from plantao.models import Person

    base, engine = served
    browser.set_page_load_timeout(WAIT)

    # A daily rotation of Ana, Bia and Caio (handoff 09:00) that started last week.
    call(base, "POST", "/api/v1/teams", {"slug": "infra", "name": "Infra"})
    people = {name: call(base, "POST", "/api/v1/people", {"name": name}) for name in ("Ana", "Bia", "Caio")}
    today = datetime.now(SAO_PAULO).date()
    call(base, "POST", "/api/v1/teams/infra/rotations", {
        "name": "Diário", "policy": "daily", "members": [people[n]["id"] for n in ("Ana", "Bia", "Caio")],
        "start": f"{(today - timedelta(days=7)).isoformat()}T09:00",
    })
    with engine.connect() as connection:
        tokens = dict(connection.execute(select(Person.name, Person.action_token)).all())
    start = datetime.combine(today + timedelta(days=3), datetime.min.time(), tzinfo=SAO_PAULO)
    shifts = call(base, "GET", "/api/v1/teams/infra/shifts?" + urllib.parse.urlencode(
        {"start": start.isoformat(), "end": (start + timedelta(days=6)).isoformat()}))["shifts"]
    shift = next(s for s in shifts if s["person"]["name"] == "Ana")
    day = datetime.fromisoformat(shift["start"]).astimezone(SAO_PAULO).date()

    # Ana asks for cover of that shift on her own page, opened through her action link.
    browser.get(f"{base}/people/{people['Ana']['id']}?token={tokens['Ana']}")
    ask = browser.find_element(
        By.XPATH, f"//input[@name='shift' and @value='{shift['id']}']/ancestor::details[contains(@class, 'ask-cover')]")
    ask.find_element(By.TAG_NAME, "summary").click()
    ask.find_element(By.NAME, "note").send_keys("consulta")
    follow(browser, ask.find_element(By.XPATH, ".//button[normalize-space()='Enviar pedido']"))
    assert "/teams/infra/requests/" in browser.current_url, browser.current_url
    request_id = int(browser.current_url.split("/requests/")[1].split("?")[0])
    names = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "ol.candidates li")]
    assert sorted(name.split(" (")[0] for name in names) == ["Bia", "Caio"]

    # Caio opens the request's page through his link and takes it.
    browser.get(f"{base}/teams/infra/requests/{request_id}?token={tokens['Caio']}")
    assert "Pedido de cobertura" in browser.find_element(By.TAG_NAME, "h1").text
    names = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "ol.candidates li")]
    assert sorted(name.split(" (")[0] for name in names) == ["Bia", "Caio"]
    accept = browser.find_element(By.XPATH, "//button[normalize-space()='Aceitar']")
    follow(browser, accept)
    assert "Você assumiu este pedido." in browser.find_element(By.CSS_SELECTOR, ".flash").text
    assert "Concluído" in browser.page_source

    # The team's calendar shows Caio on that day, as an override.
    browser.get(f"{base}/teams/infra?month={day.strftime('%Y-%m')}")
    cell = next(
        td for td in browser.find_elements(By.CSS_SELECTOR, ".calendar td.day:not(.outside)")
        if td.find_element(By.CSS_SELECTOR, ".day-num").text == str(day.day)
    )
    overrides = [li.find_element(By.CSS_SELECTOR, ".shift-name").get_attribute("textContent").strip()
                 for li in cell.find_elements(By.CSS_SELECTOR, "li.shift.is-override")]
    assert overrides == ["Caio"], cell.get_attribute("outerHTML")[:2000]
