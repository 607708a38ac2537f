"""Every page of Plantão as people see it: on a phone and a desktop, in pt-BR and English, light and dark.

One app, served with realistic data built through the JSON API (a team with
a long name, people with long names, a weekly rotation and a second role, an
override, a swap, leave, a holiday in the month, an account of each role, an
API token, a notification channel and a cover request), and one headless
Chromium visit every public and admin page (:data:`PAGES`) in eight variants:
phone (390 × 844) and desktop (1366 × 900), pt-BR and English (the language
cookie), light and dark (``prefers-color-scheme``, emulated).  Public pages
and the login form are seen as a visitor sees them, without a session; the
admin pages as the owner, logged in once through the form.

Each visit saves a screenshot of the viewport under
``screenshots/<lang>-<theme>-<device>/<page>.png`` (regenerated on each run,
for people to look at), and the tests then say that:

* every page answers 200 (the error page its 404), where it was asked for
  (no redirect), without a server error;
* at 390 px no page is wider than the screen;
* axe-core (``tests/browser/package.json``, ``npm ci --prefix tests/browser``),
  run inside the page, finds no serious or critical violation, in pt-BR light
  and dark on a desktop (contrast depends on the theme) and in English on a
  phone (texts depend on the language, the layout on the width).

A variant's pages are visited once, whichever of these tests ask for it, and
a failing page never hides the others: each test lists every page that fails
it.  The list of pages is held to ``plantao/routes.py``: a route answering a
GET outside the JSON API is either visited or named, with its reason, in
:data:`NOT_A_PAGE`.

With ``UPDATE_README_IMAGES=1`` the team page's timeline (pt-BR, light) is
also written to ``docs/img/timeline-phone.png`` and ``timeline-desktop.png``.
The browser and its skip rule are those of ``test_end_to_end.py``.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import PASSWORD, served_app
from tests.browser.test_end_to_end import (  # noqa: F401  (browser: the module's Chromium fixture)
    DESKTOP, PHONE, REPO, SCREENSHOTS, api, browser, log_in, require,
)

pytestmark = pytest.mark.browser

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
README_IMAGES = REPO / "docs" / "img"
#: The README's images show the whole page, up to this height.
README_MAX_HEIGHT = 2000
#: What axe reports that fails the tests.
BLOCKING_IMPACTS = ("serious", "critical")
SESSION_COOKIE = "plantao_session"
LANGUAGE_COOKIE = "plantao_lang"

# -- the pages ------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page: its screenshot's name, its path (a format string over the roster's ids) and what it answers."""

    name: str
    path: str
    status: int = 200
    #: Seen without a session, as a visitor (or somebody with a personal link) sees it.
    visitor: bool = False


PAGES = (
    # Public pages.
    Page("home", "/", visitor=True),
    Page("home-search", "/?q=opera%C3%A7%C3%B5es", visitor=True),
    # The month: a grid on a desktop, the list of the month's shifts on a phone.
    Page("team-month", "/teams/{team}", visitor=True),
    Page("team-timeline", "/teams/{team}?view=timeline", visitor=True),
    Page("person", "/people/{person}", visitor=True),
    # The person's own page, through their action link: preferences, asking for cover.
    Page("person-own", "/people/{person}?token={person_token}", visitor=True),
    # A cover request as its notification opens it, for a colleague who may take it.
    Page("request", "/teams/{team}/requests/{request}?token={candidate_token}", visitor=True),
    Page("error-404", "/teams/equipe-que-nao-existe", status=404, visitor=True),
    Page("admin-login", "/admin/login", visitor=True),
    # The admin panel, as its owner.
    Page("admin-teams", "/admin/teams"),
    Page("admin-team-new", "/admin/teams/new"),
    Page("admin-team-edit", "/admin/teams/{team}"),
    Page("admin-calendar", "/admin/teams/{team}/calendar"),
    # A shift chosen: the forms to replace its holder or swap it.
    Page("admin-calendar-shift", "/admin/teams/{team}/calendar?shift={shift}"),
    Page("admin-timeline", "/admin/teams/{team}/timeline"),
    # A shift chosen (the override panel), then another person's (the swap's preview).
    Page("admin-timeline-shift", "/admin/teams/{team}/timeline?shift={shift}"),
    Page("admin-timeline-swap", "/admin/teams/{team}/timeline?shift={shift}&other={other_shift}"),
    Page("admin-rotations-pick", "/admin/rotations"),
    Page("admin-rotations", "/admin/teams/{team}/rotations"),
    Page("admin-rotation-new", "/admin/teams/{team}/rotations/new"),
    Page("admin-rotation-edit", "/admin/teams/{team}/rotations/{rotation}"),
    Page("admin-overrides-pick", "/admin/overrides"),
    Page("admin-overrides", "/admin/teams/{team}/overrides"),
    Page("admin-gaps-pick", "/admin/gaps"),
    Page("admin-gaps", "/admin/teams/{team}/gaps"),
    Page("admin-people", "/admin/people"),
    Page("admin-person-new", "/admin/people/new"),
    Page("admin-person-edit", "/admin/people/{person}"),
    Page("admin-person-preferences", "/admin/people/{person}/preferences"),
    Page("admin-leave", "/admin/leave"),
    Page("admin-notifications-pick", "/admin/notifications"),
    Page("admin-notifications", "/admin/teams/{team}/notifications"),
    Page("admin-channel", "/admin/teams/{team}/notifications/channels/webhook"),
    Page("admin-deliveries", "/admin/notifications/deliveries"),
    Page("admin-requests-pick", "/admin/requests"),
    Page("admin-requests", "/admin/teams/{team}/requests"),
    Page("admin-accounts", "/admin/accounts"),
    Page("admin-account-new", "/admin/accounts/new"),
    Page("admin-account-edit", "/admin/accounts/{account}"),
    Page("admin-tokens", "/admin/tokens"),
    Page("admin-audit", "/admin/audit"),
    Page("admin-fairness-pick", "/admin/fairness"),
    Page("admin-fairness", "/admin/teams/{team}/fairness"),
    Page("admin-hours", "/admin/reports/hours"),
    Page("admin-plugins", "/admin/plugins"),
)

#: Routes that answer a GET outside the JSON API but are no page to look at.
NOT_A_PAGE = {
    "healthz": "a JSON probe for systemd and the load balancer",
    "readyz": "a JSON probe for systemd and the load balancer",
    "language": "stores the chosen language in a cookie and redirects back",
    "admin": "redirects to the panel's first page (the teams)",
}


@dataclass(frozen=True)
class Variant:
    lang: str
    theme: str
    device: str

    @property
    def size(self) -> tuple[int, int]:
        return PHONE if self.device == "phone" else DESKTOP

    @property
    def folder(self) -> Path:
        return SCREENSHOTS / f"{self.lang}-{self.theme}-{self.device}"

    def __str__(self) -> str:
        return f"{self.lang}-{self.theme}-{self.device}"


VARIANTS = tuple(
    Variant(lang, theme, device) for lang in ("pt-BR", "en") for theme in ("light", "dark") for device in ("phone", "desktop")
)
PHONE_VARIANTS = tuple(v for v in VARIANTS if v.device == "phone")
#: Where axe runs: contrast differs by theme, texts by language, the layout by width.
AXE_VARIANTS = (Variant("pt-BR", "light", "desktop"), Variant("pt-BR", "dark", "desktop"), Variant("en", "light", "phone"))


# -- the roster -----------------------------------------------------------------


def build_roster(base: str, engine) -> dict:
    """Realistic data through the API (and accounts as ``plantao users create`` makes them): the ids the pages use."""
    from plantao.models import Person

    today = datetime.now(SAO_PAULO).date()
    monday = today - timedelta(days=today.weekday())
    # Inside the month on screen, whatever today is.
    in_month = today + timedelta(days=3) if today.day <= 24 else today - timedelta(days=5)
    team = "infraestrutura-e-operacoes"
    api(base, "POST", "/api/v1/teams", {
        "slug": team, "name": "Infraestrutura, Redes e Operações de Plataforma do Centro de Dados",
        "holidays": {"country": "BR", "subdivision": "SP", "custom": [
            {"date": in_month.isoformat(), "name": "Recesso municipal do aniversário da cidade"},
        ]},
        "swap_approval": "admin",
    })
    api(base, "POST", "/api/v1/teams", {"slug": "banco-de-dados", "name": "Banco de Dados"})
    names = (
        "Maria Aparecida dos Santos Albuquerque de Oliveira", "João Pedro Cavalcanti Figueiredo",
        "Ana Beatriz Souza Pereira", "Bruno Henrique Lima", "Carla Dias",
    )
    people = [
        api(base, "POST", "/api/v1/people", {
            "name": name, "phone": f"+55 11 91234-56{index:02d}",
            "email": f"{'.'.join(name.lower().split()[:2])}@infraestrutura.example.org",
            "chat": {"slack": f"@{name.split()[0].lower()}"},
        })["id"]
        for index, name in enumerate(names)
    ]
    # The channel first: the roster's changes below are then deliveries to list.
    api(base, "PUT", f"/api/v1/teams/{team}/notification-channels/webhook", {
        "enabled": True, "params": {"url": "https://hooks.example.org/plantao", "secret": "s" * 32},
    })
    weekly = api(base, "POST", f"/api/v1/teams/{team}/rotations", {
        "name": "Plantão semanal de infraestrutura", "policy": "weekly", "members": people[:4],
        "start": f"{(monday - timedelta(days=14)).isoformat()}T09:00",
    })
    api(base, "POST", f"/api/v1/teams/{team}/rotations", {
        "name": "Sobreaviso", "role": "secondary", "policy": "weekly", "members": people[2:],
        "start": f"{(monday - timedelta(days=7)).isoformat()}T09:00",
    })
    api(base, "POST", "/api/v1/teams/banco-de-dados/rotations", {
        "name": "Diário", "policy": "daily", "members": [people[3], people[4]],
        "start": f"{(monday - timedelta(days=7)).isoformat()}T09:00",
    })
    api(base, "POST", f"/api/v1/teams/{team}/overrides", {
        "person": people[4], "start": f"{(today + timedelta(days=1)).isoformat()}T09:00",
        "end": f"{(today + timedelta(days=2)).isoformat()}T09:00", "reason": "cobre a consulta médica do titular",
    })
    api(base, "POST", f"/api/v1/people/{people[1]}/leave", {
        "start": (in_month - timedelta(days=1)).isoformat(), "end": (in_month + timedelta(days=2)).isoformat(),
    })
    later = api(base, "GET", f"/api/v1/teams/{team}/shifts?" + urllib.parse.urlencode({
        "start": f"{(monday + timedelta(days=14)).isoformat()}T12:00",
        "end": f"{(monday + timedelta(days=35)).isoformat()}T12:00",
    }))["shifts"]
    primary = [s for s in later if s["role"] == "primary"]
    other = next(s for s in primary[1:] if s["person"]["id"] != primary[0]["person"]["id"])
    api(base, "POST", f"/api/v1/teams/{team}/swaps", {
        "shifts": [primary[0]["id"], other["id"]], "reason": "troca combinada entre os dois",
    })
    # A cover request for the next primary shift the swap left alone.
    later = api(base, "GET", f"/api/v1/teams/{team}/shifts?" + urllib.parse.urlencode({
        "start": f"{(monday + timedelta(days=35)).isoformat()}T12:00",
        "end": f"{(monday + timedelta(days=49)).isoformat()}T12:00",
    }))["shifts"]
    shift = next(s for s in later if s["role"] == "primary")
    cover = api(base, "POST", f"/api/v1/teams/{team}/requests", {
        "kind": "cover", "shift": shift["id"], "note": "viagem a trabalho para o congresso em Recife",
    })
    candidate = cover["candidates"][0]["person"]  # the first colleague offered it
    api(base, "POST", "/api/v1/tokens", {"name": "integração com o monitoramento Zabbix", "scopes": ["read", "write"]})
    accounts = make_accounts(engine, team, people)
    # Two primary shifts of two people still to come, after every write (a change of the roster renumbers them).
    soon = api(base, "GET", f"/api/v1/teams/{team}/shifts?" + urllib.parse.urlencode({
        "start": datetime.now(SAO_PAULO).isoformat(timespec="seconds"),
        "end": f"{(today + timedelta(days=12)).isoformat()}T00:00",
    }))["shifts"]
    soon = [s for s in soon if s["role"] == "primary"]
    swap_with = next(s for s in soon[1:] if s["person"]["id"] != soon[0]["person"]["id"])
    with engine.connect() as connection:
        tokens = dict(connection.execute(select(Person.id, Person.action_token)).all())
    return {
        "team": team, "person": people[0], "person_token": tokens[people[0]], "rotation": weekly["id"],
        "request": cover["id"], "candidate_token": tokens[candidate],
        "account": accounts["team_admin"], "shift": soon[0]["id"], "other_shift": swap_with["id"],
    }


def make_accounts(engine, team: str, people: list[int]) -> dict[str, int]:
    """An account of each role, made as ``plantao users create`` makes them: role → id."""
    from plantao.config import Settings
    from plantao.plugins import build_registry
    from plantao.services.accounts import AccountService
    from plantao.services.context import ServiceContext

    settings = Settings(database_url=str(engine.url), admin_password=PASSWORD)
    bodies = (
        {"role": "owner", "name": "Maria Aparecida dos Santos Albuquerque de Oliveira",
         "email": "maria.aparecida@infraestrutura.example.org", "person": people[0]},
        {"role": "team_admin", "name": "João Pedro Cavalcanti Figueiredo",
         "email": "joao.pedro@infraestrutura.example.org", "teams": [team], "person": people[1]},
        {"role": "viewer", "name": "Auditoria Externa de Conformidade", "email": "auditoria@example.org"},
    )
    with Session(engine) as session:
        service = AccountService(ServiceContext(session, settings, build_registry()))
        made = {body["role"]: service.create({"password": "uma senha longa o bastante", **body}) for body in bodies}
        session.commit()
        return {role: account.id for role, account in made.items()}


# -- the visits -----------------------------------------------------------------


@dataclass
class Visit:
    """What one page showed in one variant."""

    page: Page
    url: str
    status: int | None = None
    landed: str = ""
    lang: str = ""
    #: What the browser raised instead of showing the page (a timeout...), if it did.
    broken: str = ""
    server_error: bool = False
    screenshot: bool = False
    widths: tuple[int, int] = (0, 0)
    #: axe-core ran on the page; what it found, serious or critical.
    checked: bool = False
    violations: list[dict] = field(default_factory=list)


AXE_RUN = """
const done = arguments[arguments.length - 1];
if (typeof axe === 'undefined') {
  done([{id: 'axe-missing', impact: 'critical', help: 'axe-core was not injected into the page', nodes: []}]);
  return;
}
axe.run(document, {resultTypes: ['violations']}).then(
  (result) => done(result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(' '),
      why: [...n.any, ...n.all, ...n.none].map((check) => check.message).join(' / '),
    })),
  }))),
  (error) => done([{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}]),
);
"""
#: What a page answered and shows, in one round trip.
PROBE = """
const navigation = performance.getEntriesByType('navigation')[0];
const root = document.documentElement;
return {
  status: navigation ? navigation.responseStatus : null, path: location.pathname, lang: root.lang,
  scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, text: document.body ? document.body.innerText : '',
};
"""
#: What the server's own error pages say (templates/error.pt's eyebrow), and a leaked traceback.
SERVER_ERROR = re.compile(r"\b(Erro|Error) 5\d\d\b|Traceback \(most recent call last\)")


class Tour:
    """Visits every page in a variant, once per module, and keeps what each one showed."""

    def __init__(self, driver, base: str, ids: dict, session: dict):
        self.driver = driver
        self.base = base
        self.ids = ids
        self.session = session
        self.visits: dict[Variant, list[Visit]] = {}

    def __call__(self, variant: Variant) -> list[Visit]:
        if variant not in self.visits:
            self.visits[variant] = self._visit_all(variant)
        return self.visits[variant]

    def _visit_all(self, variant: Variant) -> list[Visit]:
        from selenium.common.exceptions import WebDriverException

        driver = self.driver
        self._emulate(*variant.size)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                               {"features": [{"name": "prefers-color-scheme", "value": variant.theme}]})
        # The cookie /lang/{code} sets holds the locale's name (pt_BR), pages say the BCP 47 tag (pt-BR).
        driver.add_cookie({"name": LANGUAGE_COOKIE, "value": variant.lang.replace("-", "_"), "path": "/"})
        variant.folder.mkdir(parents=True, exist_ok=True)
        axe = None
        if variant in AXE_VARIANTS and AXE.exists():
            # Into every document the browser opens from now on, before the page's own scripts:
            # one transfer of its 500 kB instead of one per page.
            axe = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                         {"source": AXE.read_text(encoding="utf-8")})["identifier"]
        try:
            visits = []
            # Visitors' pages first, without the session (the login form sets one of its own); then the panel's.
            for page in sorted(PAGES, key=lambda p: not p.visitor):
                if page.visitor:
                    driver.delete_cookie(SESSION_COOKIE)
                elif (driver.get_cookie(SESSION_COOKIE) or {}).get("value") != self.session["value"]:
                    driver.delete_cookie(SESSION_COOKIE)
                    driver.add_cookie(self.session)
                try:
                    visits.append(self._visit(page, variant, axe=axe is not None))
                except WebDriverException as error:
                    # One page that hangs or crashes the tab fails its variant, not the pages after it.
                    visits.append(Visit(page, self.base + page.path.format(**self.ids), broken=error.msg or repr(error)))
            return visits
        finally:
            if axe is not None:
                driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": axe})

    def _visit(self, page: Page, variant: Variant, *, axe: bool) -> Visit:
        driver = self.driver
        visit = Visit(page, self.base + page.path.format(**self.ids))
        driver.get(visit.url)
        seen = driver.execute_script(PROBE)
        visit.status, visit.landed, visit.lang = seen["status"], seen["path"], seen["lang"]
        visit.widths = (seen["scrollWidth"], seen["clientWidth"])
        visit.server_error = bool(SERVER_ERROR.search(seen["text"]))
        visit.screenshot = driver.save_screenshot(str(variant.folder / f"{page.name}.png"))
        if axe:
            found = driver.execute_async_script(AXE_RUN)
            visit.checked = True
            visit.violations = [v for v in found if v["impact"] in BLOCKING_IMPACTS]
        if page.name == "team-timeline" and variant.lang == "pt-BR" and variant.theme == "light" \
                and os.environ.get("UPDATE_README_IMAGES") == "1":
            self._readme_image(variant)
        return visit

    def _emulate(self, width: int, height: int) -> None:
        """A viewport of exactly this size (a window's would lose the height of the browser's own bars)."""
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def _readme_image(self, variant: Variant) -> None:
        """The timeline itself (its section, not the page's header and cards above it), up to
        README_MAX_HEIGHT, at the variant's width: docs/img/timeline-<device>.png."""
        from selenium.webdriver.common.by import By

        width, height = variant.size
        section = self.driver.find_element(By.CSS_SELECTOR, ".timeline-view")
        full = self.driver.execute_script("return Math.ceil(arguments[0].getBoundingClientRect().height)", section)
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        self._emulate(width, max(height, min(full + 40, README_MAX_HEIGHT)))
        try:
            assert section.screenshot(str(README_IMAGES / f"timeline-{variant.device}.png"))
        finally:
            self._emulate(width, height)


@pytest.fixture(scope="module")
def tour(tmp_path_factory, browser):  # noqa: F811
    with served_app(tmp_path_factory.mktemp("every-page")) as (base, engine):
        ids = build_roster(base, engine)
        browser.set_page_load_timeout(30)
        browser.set_script_timeout(60)
        log_in(browser, base)
        session = browser.get_cookie(SESSION_COOKIE)
        assert session, "logging in set no session cookie"
        yield Tour(browser, base, ids, session)


@pytest.fixture(scope="module")
def axe_installed():
    require(AXE.exists(), f"axe-core is not installed: run `npm ci --prefix tests/browser` ({AXE} is missing)")


def failures(title: str, lines: list[str]) -> str:
    return f"{title} ({len(lines)}):\n  " + "\n  ".join(lines)


# -- the tests ------------------------------------------------------------------


def test_every_page_of_the_routes_is_visited(tmp_path):
    """A GET route outside the JSON API is in PAGES or in NOT_A_PAGE: a new page cannot be forgotten."""
    from pyramid.interfaces import IRoutesMapper

    from plantao import schema
    from plantao.app import make_app
    from plantao.config import Settings
    from plantao.db import create_database_engine

    url = f"sqlite:///{tmp_path / 'routes.sqlite3'}"
    engine = create_database_engine(url)
    schema.upgrade(engine)
    try:
        settings = Settings(database_url=url, admin_password=PASSWORD, data_dir=tmp_path, session_secret="s" * 64)
        registry = make_app(settings, engine=engine).registry
    finally:
        engine.dispose()
    methods = defaultdict(set)
    for entry in registry.introspector.get_category("views"):
        view = entry["introspectable"]
        wanted = view["request_methods"]
        methods[view["route_name"]].update({"GET"} if wanted is None else {wanted} if isinstance(wanted, str) else wanted)
    routes = [route for route in registry.getUtility(IRoutesMapper).get_routes() if not route.name.startswith("__")]
    answering_get = {route.name for route in routes if "GET" in methods[route.name] and not route.name.startswith("api.")}

    def route_of(page: Page) -> str | None:
        path = urllib.parse.urlsplit(page.path.format_map(defaultdict(lambda: "1", team="t"))).path
        return next((route.name for route in routes if route.match(path) is not None), None)

    visited = {route_of(page): page for page in PAGES if page.status == 200}
    assert None not in visited, f"{visited.get(None)} matches no route of plantao/routes.py"
    forgotten = sorted(answering_get - set(visited) - set(NOT_A_PAGE))
    assert not forgotten, f"GET routes neither in PAGES nor in NOT_A_PAGE: {forgotten}"
    stale = sorted(set(NOT_A_PAGE) - answering_get)
    assert not stale, f"NOT_A_PAGE names routes that no longer answer a GET: {stale}"


@pytest.mark.parametrize("variant", VARIANTS, ids=str)
def test_every_page_answers(tour, variant):
    """Each page answers what it should, where it was asked for, in the variant's language, without a server error."""
    wrong = []
    for visit in tour(variant):
        page = visit.page
        if visit.broken:
            wrong.append(f"{page.name} ({visit.url}): the browser failed: {visit.broken}")
            continue
        if visit.status != page.status:
            wrong.append(f"{page.name} ({visit.url}): answered {visit.status}, not {page.status}")
        if page.status == 200 and visit.landed != urllib.parse.urlsplit(visit.url).path:
            wrong.append(f"{page.name} ({visit.url}): redirected to {visit.landed}")
        if visit.lang != variant.lang:
            wrong.append(f"{page.name} ({visit.url}): in {visit.lang!r}, not {variant.lang!r}")
        if visit.server_error:
            wrong.append(f"{page.name} ({visit.url}): shows a server error")
        if not visit.screenshot:
            wrong.append(f"{page.name}: no screenshot saved in {variant.folder}")
    assert not wrong, failures(f"Pages that went wrong in {variant}", wrong)


@pytest.mark.parametrize("variant", PHONE_VARIANTS, ids=str)
def test_no_page_is_wider_than_a_phone(tour, variant):
    """At 390 px the page never scrolls sideways: wide content scrolls in its own box, or wraps."""
    wide = [
        f"{visit.page.name} ({visit.url}) is {visit.widths[0]}px wide on a {visit.widths[1]}px screen"
        for visit in tour(variant)
        if not visit.broken and (visit.widths[0] > visit.widths[1] or visit.widths[1] != PHONE[0])
    ]
    assert not wide, failures(f"Pages wider than a {PHONE[0]}px phone in {variant}", wide)


@pytest.mark.parametrize("variant", AXE_VARIANTS, ids=str)
def test_no_serious_accessibility_violation(axe_installed, tour, variant):
    """axe-core, inside the page, finds no serious or critical violation of WCAG or of its best practices."""
    visits = tour(variant)
    unchecked = [visit.page.name for visit in visits if not visit.checked]
    assert not unchecked, f"axe-core did not run on {unchecked} in {variant}"
    found = [
        f"{visit.page.name} [{violation['impact']}] {violation['id']}: {violation['help']}"
        + "".join(f"\n      {node['target']}: {node['why']}" for node in violation["nodes"])
        for visit in visits for violation in visit.violations
    ]
    assert not found, failures(f"Serious or critical axe-core violations in {variant}", found)
