"""The admin timeline in a real browser: drag across a shift to override a stretch of it.

A mouse dragged across a bar of the final roster chooses a stretch, rounded
to 15 minutes: the chosen shift's panel opens with "from" and "until" filled
(``?shift=&start=&end=``), the stretch highlighted; dragged again inside the
open panel's shift, the fields change in place.  The preview then tells what
changes and Confirm stores it.  The app, the browser and the skip rule are
those of ``test_end_to_end.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import served_app
from tests.browser.test_end_to_end import DESKTOP, api, browser, follow, leave_page, log_in  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.browser

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("admin-timeline")) as (url, _engine):
        yield url


def drag_across(driver, bar_selector: str, start: float, end: float) -> None:
    """Press the mouse on the bar at ``start`` and release it at ``end``: fractions of the bar's lane."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    bar = driver.find_element(By.CSS_SELECTOR, bar_selector)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", bar)
    lane = driver.execute_script("var r = arguments[0].parentNode.getBoundingClientRect();"
                                 "return {left: r.left, width: r.width}", bar)
    box = driver.execute_script("var r = arguments[0].getBoundingClientRect(); return {top: r.top, height: r.height}", bar)
    y = box["top"] + box["height"] / 2
    actions = ActionChains(driver)
    pointer = actions.w3c_actions.pointer_action
    pointer.move_to_location(int(lane["left"] + lane["width"] * start), int(y))
    pointer.pointer_down()
    for step in (0.3, 0.7, 1.0):
        pointer.move_to_location(int(lane["left"] + lane["width"] * (start + (end - start) * step)), int(y))
    pointer.pointer_up()
    actions.perform()


def test_dragging_across_a_shift_fills_the_stretch_then_previews_and_confirms(server, browser):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.set_window_size(*DESKTOP)
    log_in(browser, server)
    api(server, "POST", "/api/v1/teams", {"slug": "infra", "name": "Infra"})
    ana, bruno = (api(server, "POST", "/api/v1/people", {"name": name})["id"] for name in ("Ana", "Bruno"))
    today = datetime.now(SAO_PAULO).date()
    monday = today + timedelta(days=7 - today.weekday())
    api(server, "POST", "/api/v1/teams/infra/rotations", {
        "name": "Semanal", "policy": "weekly", "members": [ana, bruno], "start": f"{monday.isoformat()}T09:00",
    })
    tuesday = (monday + timedelta(days=1)).isoformat()

    # The week from Monday 00:00: Tuesday 12:00 is 36 of its 168 hours, 18:00 is 42.
    browser.get(f"{server}/admin/teams/infra/timeline?zoom=week&from={monday.isoformat()}")
    ana_bar = ".lane-group.lane-final .timeline-bar[data-shift]"
    shift_id = browser.find_element(By.CSS_SELECTOR, ana_bar).get_attribute("data-shift")
    leave_page(browser, lambda: drag_across(browser, ana_bar, 36 / 168, 42 / 168))
    assert browser.find_elements(By.CSS_SELECTOR, "form.override-stretch")
    assert f"shift={shift_id}" in browser.current_url
    start, end = (browser.find_element(By.ID, f"f-{name}") for name in ("start", "end"))
    assert (start.get_attribute("value"), end.get_attribute("value")) == (f"{tuesday}T12:00", f"{tuesday}T18:00")
    assert browser.find_elements(By.CSS_SELECTOR, ".timeline-stretch")

    # Dragged again within the open panel's shift: the fields change in place.
    page = browser.find_element(By.TAG_NAME, "html")
    drag_across(browser, f'.lane-group.lane-final .timeline-bar[data-shift="{shift_id}"]', 37 / 168, 39 / 168)
    assert browser.find_element(By.TAG_NAME, "html") == page
    assert (start.get_attribute("value"), end.get_attribute("value")) == (f"{tuesday}T13:00", f"{tuesday}T15:00")

    Select(browser.find_element(By.ID, "f-person")).select_by_visible_text("Bruno")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.override-stretch button[type=submit]"))
    assert "Substituição: Bruno assume no lugar de Ana" in browser.page_source
    assert api(server, "GET", "/api/v1/teams/infra/overrides")["overrides"] == []
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.confirm-form button[name=confirm]"))
    assert "Substituição salva" in browser.page_source
    [override] = api(server, "GET", "/api/v1/teams/infra/overrides")["overrides"]
    assert (override["person"], override["start"], override["end"]) == (
        bruno, f"{tuesday}T13:00:00-03:00", f"{tuesday}T15:00:00-03:00",
    )
