"""The admin panel on a phone, in a real browser: headless Chromium from Debian.

At 390 × 844 (a common phone) no admin page is wider than the screen: the
panel's menu scrolls in its own row, wide tables scroll in their own box,
and the key tables (people, tokens...) become one card per row, so that
their actions stay in sight.  The app, the browser and the skip rule are
those of ``test_end_to_end.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import served_app
from tests.browser.test_end_to_end import PHONE, api, browser, log_in  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("admin-phone")) as (url, _engine):
        yield url


def test_admin_pages_fit_a_phone(server, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.set_window_size(*PHONE)
    log_in(browser, server)

    # Long names and addresses, a weekly rotation, an override, leave and an API token.
    api(server, "POST", "/api/v1/teams", {"slug": "infraestrutura", "name": "Infraestrutura e Operações"})
    people = [
        api(server, "POST", "/api/v1/people", {
            "name": name, "phone": "+55 11 91234-5678", "email": f"{name.lower().replace(' ', '.')}@example.org",
        })["id"]
        for name in ("Ana Beatriz Souza Pereira", "Bruno Henrique Lima")
    ]
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    monday = today - timedelta(days=today.weekday())
    rotation = api(server, "POST", "/api/v1/teams/infraestrutura/rotations", {
        "name": "Semanal", "policy": "weekly", "members": people, "start": f"{monday.isoformat()}T09:00",
    })
    api(server, "POST", "/api/v1/teams/infraestrutura/overrides", {
        "person": people[1], "start": f"{(monday + timedelta(days=8)).isoformat()}T09:00",
        "end": f"{(monday + timedelta(days=9)).isoformat()}T09:00", "reason": "troca combinada com a equipe",
    })
    api(server, "POST", f"/api/v1/people/{people[0]}/leave", {
        "start": (monday + timedelta(days=20)).isoformat(), "end": (monday + timedelta(days=23)).isoformat(),
    })
    api(server, "POST", "/api/v1/tokens", {"name": "integração com o monitoramento", "scopes": ["read", "write"]})

    pages = (
        "/admin/people", "/admin/tokens", "/admin/teams", "/admin/teams/infraestrutura/calendar",
        "/admin/teams/infraestrutura/rotations", f"/admin/teams/infraestrutura/rotations/{rotation['id']}",
        "/admin/teams/infraestrutura/overrides", "/admin/leave", "/admin/plugins",
    )
    for path in pages:
        browser.get(server + path)
        width = browser.execute_script("return document.documentElement.clientWidth")
        scrolled = browser.execute_script("return document.documentElement.scrollWidth")
        assert width <= PHONE[0] and scrolled <= width, f"{path} is {scrolled}px wide on a {width}px screen"
        if path in ("/admin/people", "/admin/tokens"):
            # Each row is a card: its actions are on screen, not off to the right.
            actions = browser.find_elements(By.CSS_SELECTOR, "table.stacked td.row-actions button")
            assert actions, path
            for button in actions:
                box = browser.execute_script("return arguments[0].getBoundingClientRect()", button)
                assert 0 <= box["left"] and box["right"] <= width, (path, box)
