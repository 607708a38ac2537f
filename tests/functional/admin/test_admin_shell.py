"""The admin panel is the same product as the public pages.

It wears the public header (logo, main menu, language switch), loads the
public stylesheet and its own files through the same content-hashed URLs,
keeps every table inside a box of its own (the key ones stack as cards on a
phone, each cell named by its column), and its calendar pages through the
whole stored horizon, from today, never past it without saying so.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

from plantao.resources import STATIC_DIR

CALENDAR = "/admin/teams/infra/calendar"
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b")


def content_hash(name: str) -> str:
    """What a static file's ``?v=`` must be: the start of the SHA-256 of its bytes."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def versions(page) -> dict[str, str]:
    """The static files a page loads (icon, stylesheets, scripts), by name, with their ``v``."""
    urls = [tag["href"] for tag in page.html.select("link[rel=icon], link[rel=stylesheet]")]
    urls += [tag["src"] for tag in page.html.select("script[src]")]
    found = {}
    for url in urls:
        parts = urlsplit(url)
        assert parts.path.startswith("/static/"), url
        found[parts.path.rsplit("/", 1)[1]] = parse_qs(parts.query)["v"][0]
    return found


def without_print(css: str) -> str:
    """The stylesheet without its ``@media print`` blocks (paper is black on white whatever the theme)."""
    while (start := css.find("@media print")) >= 0:
        depth, index = 0, css.index("{", start)
        for index in range(index, len(css)):
            depth += {"{": 1, "}": -1}.get(css[index], 0)
            if depth == 0:
                break
        css = css[:start] + css[index + 1:]
    return css


def test_an_admin_page_wears_the_public_header_and_hashed_files(admin, api, scene):
    page = admin.get("/admin/people")
    header = page.html.select_one(".admin-header > header.site-header")
    assert header is not None
    brand = header.select_one(".bar a.brand")
    assert brand.select_one("svg.brand-mark") and "Plantão" in brand.text and brand["href"] == "/"
    menu = header.select_one(".bar nav.site-nav")
    assert menu.select_one("a[aria-current=page]")["href"] == "/admin/"
    assert header.select(".lang-switch a[hreflang]")
    # The panel's own menu sits under the bar, this page's entry marked.
    assert header.select_one("nav.admin-nav a[aria-current=page]").text.strip() == "Pessoas"

    # The public icon and stylesheet, then the panel's own files: each URL carries its content's hash.
    loaded = versions(page)
    assert loaded == {name: content_hash(name) for name in ("favicon.svg", "plantao.css", "admin.css", "admin.js", "timeline.js")}
    home = admin.get("/")
    assert versions(home)["plantao.css"] == loaded["plantao.css"]
    css_url = page.html.select_one("link[href*='admin.css']")["href"]
    assert "table.stacked" in admin.get(css_url).text
    # One place for colours: on screen the panel uses the public variables, no colour of its own.
    admin_css = without_print((STATIC_DIR / "admin.css").read_text())
    assert "var(--brand)" in admin_css and ":root" not in admin_css
    assert HEX_COLOUR.findall(admin_css) == []

    # Tables scroll inside their own box; the key ones name each cell for the stacked phone layout.
    for url in ("/admin/people", "/admin/plugins"):
        tables = admin.get(url).html.select("table")
        assert all(table.find_parent(class_="table-wrap") for table in tables), url
    people = page.html.select_one("table.data.stacked")
    columns = [th.text.strip() for th in people.select("thead th")][1:3]
    for row in people.select("tbody tr"):
        assert row.select_one("th[scope=row] a")
        assert [td["data-label"] for td in row.select("td[data-label]")] == columns == ["Contatos", "Situação"]


def test_the_language_switch_works_on_an_admin_page(admin, scene):
    page = admin.get("/admin/teams")
    assert page.html.select_one("html")["lang"] == "pt-BR"
    link = page.html.select_one(".lang-switch a[hreflang=en]")["href"]
    assert link.startswith("/lang/en?next=") and "%2Fadmin%2Fteams" in link
    back = admin.get(link, status=303).follow()
    assert urlsplit(back.request.url).path == "/admin/teams"
    assert back.html.select_one("html")["lang"] == "en"
    assert back.html.select_one("h1").text.strip() == "Teams"
    assert back.html.select_one(".site-nav").text.split() == ["On", "call", "now", "Admin"]
    assert back.html.select_one(".lang-switch a[aria-current=true]").text.strip() == "EN"


def period_start(page) -> date:
    return date.fromisoformat(page.html.select_one("#period-start")["value"])


def test_the_calendar_pages_from_today_to_the_stored_horizon(admin, api, scene, today):
    page = admin.get(CALENDAR)
    assert period_start(page) == today and not page.html.select(".period-nav a[rel=prev]")
    starts, pages = [today], [page]
    while (following := page.html.select_one(".period-nav a[rel=next]")) is not None:
        page = admin.get(following["href"])
        starts.append(period_start(page))
        pages.append(page)
        assert page.html.select_one(".period-nav a[rel=prev]") is not None
    # Consecutive periods of 28 days, from today to the last stored day (the default horizon is 180 days).
    assert starts == [today + timedelta(days=28 * n) for n in range(len(starts))]
    last_day = date.fromisoformat(page.html.select_one("#period-start")["max"])
    assert starts[-1] <= last_day < starts[-1] + timedelta(days=28)
    assert last_day >= today + timedelta(days=179)
    assert all(p.html.select(".cal-shift") for p in pages), "every period of a weekly rotation has shifts"
    assert "Os plantões estão gerados até" in page.text and "Os plantões estão gerados até" not in pages[0].text

    # Asked beyond the horizon or before today: the nearest period, saying why.
    beyond = admin.get(CALENDAR, {"start": "2199-12-31"})
    assert period_start(beyond) == last_day - timedelta(days=27)
    assert "Ainda não há plantões gerados tão à frente" in beyond.text and not beyond.html.select("a[rel=next]")
    past = admin.get(CALENDAR, {"start": "01/01/2020"})
    assert period_start(past) == today and "O calendário começa hoje" in past.text

    # What is no day is refused, with the form back and the reason next to it.
    for bad, reason in (("banana", "Informe a data como DD/MM/AAAA."), ("31/02/2027", "31/02/2027 não existe"),
                        ("2027-13-45", "Informe a data"), ("99999-01-01", "Informe a data")):
        refused = admin.get(CALENDAR, {"start": bad}, status=400)
        assert reason in refused.html.select_one("#period-start-error").text, bad
        assert refused.html.select_one("#period-start")["value"] == bad

    # A shift replaced from a later period comes back to that period.
    second = pages[1]
    chosen = admin.get(second.html.select_one(".cal-shift a.button")["href"])
    form = chosen.forms[1]
    options = [value for value, _selected, _text in form["person"].options]
    form["person"] = options[0]
    answer = form.submit(status=303)
    assert f"start={starts[1].isoformat()}" in answer.location
    assert period_start(answer.follow()) == starts[1]
