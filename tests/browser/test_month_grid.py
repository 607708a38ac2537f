"""The team page's month grid on a laptop screen, in a real browser: headless Chromium from Debian.

At 1366 × 900 a long name is never cut to a few letters with an ellipsis: it
wraps at its spaces (first name, then surname), and a leave is one bar per
week row across the days it covers, not a line in every day.  The app, the
browser and the skip rule are those of ``test_end_to_end.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import served_app
from tests.browser.test_end_to_end import DESKTOP, api, browser  # noqa: F401  (the module's Chromium fixture)

pytestmark = pytest.mark.browser

LONG_NAMES = ("Luís Gonçalves Pereira", "Ana Beatriz Souza")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with served_app(tmp_path_factory.mktemp("month-grid")) as (url, _engine):
        yield url


def test_names_wrap_uncut_and_a_leave_is_one_bar_per_week_row(server, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    # A daily rotation of people with long names, and ten days of leave from a Wednesday
    # in the middle of next month: four days of one week, six of the next.
    api(server, "POST", "/api/v1/teams", {"slug": "infra", "name": "Infraestrutura e Operações"})
    people = [
        api(server, "POST", "/api/v1/people", {"name": name})["id"]
        for name in (*LONG_NAMES, "Bruno Henrique Lima", "Fernanda Oliveira Castro")
    ]
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()
    api(server, "POST", "/api/v1/teams/infra/rotations", {
        "name": "Diário", "policy": "daily", "members": people, "start": f"{today.isoformat()}T09:00",
    })
    month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    wednesday = month + timedelta(days=7 + (2 - month.weekday()) % 7)
    api(server, "POST", f"/api/v1/people/{people[2]}/leave", {
        "start": wednesday.isoformat(), "end": (wednesday + timedelta(days=10)).isoformat(),
    })

    browser.set_window_size(*DESKTOP)
    browser.get(f"{server}/teams/infra?month={month:%Y-%m}")

    names = browser.execute_script("""
        return [...document.querySelectorAll('.calendar .shift-name')].map(name => {
          const style = getComputedStyle(name);
          return {text: name.textContent, scroll: name.scrollWidth, client: name.clientWidth,
                  height: name.getBoundingClientRect().height, lineHeight: parseFloat(style.lineHeight),
                  ellipsis: style.textOverflow === 'ellipsis' && style.whiteSpace === 'nowrap',
                  shown: name.getBoundingClientRect().width > 1};
        });
    """)
    assert {name["text"] for name in names} >= set(LONG_NAMES)
    for name in names:
        assert name["scroll"] <= name["client"] and not name["ellipsis"], name
    # At this width the long names are shown whole, wrapped on more lines than one.
    for name in (n for n in names if n["text"] in LONG_NAMES):
        assert name["shown"] and name["height"] > 1.5 * name["lineHeight"], name

    # The leave: one bar in each of the two week rows, across its days and only them.
    bars = browser.find_elements(By.CSS_SELECTOR, ".calendar .leave-span")
    assert len(bars) == 2
    rows = [bar.find_element(By.XPATH, "./ancestor::tr[1]") for bar in bars]
    assert rows[0] != rows[1]
    for bar, first, last in ((bars[0], 3, 6), (bars[1], 0, 5)):
        assert bar.text.count("Bruno Henrique Lima") == 1
        week = bar.find_element(By.XPATH, "./ancestor::tr[1]/preceding-sibling::tr[contains(@class, 'has-leave')][1]")
        days = week.find_elements(By.CSS_SELECTOR, "td")
        box = bar.rect
        assert abs(box["x"] - days[first].rect["x"]) <= 2
        assert abs(box["x"] + box["width"] - days[last].rect["x"] - days[last].rect["width"]) <= 2
