"""The on-call hours page of the admin panel: the month picker, the table, closing, printing, the rate field."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.models import Person, Shift, Team
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext
from tests.functional.conftest import csrf_of

SP = ZoneInfo("America/Sao_Paulo")
PAGE = "/admin/reports/hours"
ACCOUNT_PASSWORD = "correct horse battery staple"


@pytest.fixture
def november(api, clean_engine):
    """Teams infra and web; Ana on call in infra Thu 19th 09:00 -> Sat 21st 09:00 (48 h; Fri 20th a
    holiday), Bruno in web Tue 3rd 20:00 -> 23:00."""
    for slug in ("infra", "web"):
        api.post("/api/v1/teams", {"slug": slug, "name": slug.title()})
    ana = api.post("/api/v1/people", {"name": "Ana"})
    bruno = api.post("/api/v1/people", {"name": "Bruno"})
    with Session(clean_engine) as session, session.begin():
        teams = dict(session.execute(select(Team.slug, Team.id)).all())
        for key, (slug, person, start, end) in enumerate([
            ("infra", ana["id"], datetime(2026, 11, 19, 9, tzinfo=SP), datetime(2026, 11, 21, 9, tzinfo=SP)),
            ("web", bruno["id"], datetime(2026, 11, 3, 20, tzinfo=SP), datetime(2026, 11, 3, 23, tzinfo=SP)),
        ]):
            session.add(Shift(team_id=teams[slug], person_id=person, role="primary", start=start, end=end,
                              source="rotation", key=f"history-{key}", sequence=0))
    return {"Ana": ana, "Bruno": bruno}


def cells(page, name: str) -> list[str]:
    row = next(th for th in page.html.find_all("th", scope="row") if th.get_text().startswith(name)).find_parent("tr")
    return [cell.get_text(strip=True) for cell in row.find_all("td")]


def test_the_page_shows_the_month_with_totals_flags_and_downloads(admin, november):
    page = admin.get(PAGE, {"month": "2026-11"})

    assert "Horas de sobreaviso · 2026-11" in page.text
    assert page.html.find("input", {"name": "month"})["value"] == "2026-11"
    # Thu 09-22 day 13, 22-24 night 2; Friday the 20th (Consciência Negra) 24; Saturday 9.
    assert cells(page, "Ana")[:7] == ["48,00", "13,00", "2,00", "9,00", "0,00", "24,00", "1"]
    assert cells(page, "Bruno")[:3] == ["3,00", "2,00", "1,00"]
    totals = [cell.get_text(strip=True) for cell in page.html.find("tfoot").find_all("td")]
    assert totals[:2] == ["51,00", "15,00"]
    assert "mais de 24 h" in page.text and "Sobreavisos de mais de 24 horas" in page.text
    assert "2026-11-19 09:00" in page.text
    links = [a["href"] for a in page.html.find_all("a", href=True)]
    # The reader's spreadsheet first (Brazilian Excel for pt-BR), English next to it.
    downloads = [link for link in links if "/api/v1/reports/hours.csv" in link]
    assert downloads == [
        "http://localhost/api/v1/reports/hours.csv?month=2026-11&dialect=excel-br",
        "http://localhost/api/v1/reports/hours.csv?month=2026-11&dialect=excel",
    ]
    assert page.html.find("button", string="Fechar 2026-11")
    assert page.html.find("a", string="Horas de sobreaviso")  # in the navigation


def test_the_page_defaults_to_the_previous_month(admin, november, today):
    last = today.replace(day=1) - timedelta(days=1)
    page = admin.get(PAGE)
    assert page.html.find("input", {"name": "month"})["value"] == f"{last.year:04d}-{last.month:02d}"


def test_one_team_and_a_bad_month(admin, november):
    page = admin.get(PAGE, {"month": "2026-11", "team": "web"})
    assert "Bruno" in page.text and "Ana" not in page.html.find("table").get_text()
    bad = admin.get(PAGE, {"month": "2026-13"}, status=400)
    assert "Escolha um mês como AAAA-MM" in bad.text
    assert "Não há equipe" in admin.get(PAGE, {"month": "2026-11", "team": "nope"}, status=404).text


def test_closing_the_month_from_the_page(admin, november):
    page = admin.get(PAGE, {"month": "2026-11"})
    form = next(f for f in page.forms.values() if f.method.lower() == "post" and f.action.endswith(PAGE))
    closed = form.submit(status=303).follow()

    assert "As horas de sobreaviso de 2026-11 estão fechadas" in closed.text
    assert "Este mês está fechado." in closed.text and "Fechado por admin-session" in closed.text
    assert not closed.html.find("button", string="Fechar 2026-11")
    again = admin.post(PAGE, {"csrf_token": csrf_of(closed), "month": "2026-11"}, status=303).follow()
    assert "O mês 2026-11 já está fechado." in again.text
    assert "fechou as horas de sobreaviso de 2026-11 para a folha" in admin.get("/admin/audit").text


def test_a_month_not_over_cannot_be_closed(admin, november, today):
    this_month = f"{today.year:04d}-{today.month:02d}"
    page = admin.get(PAGE, {"month": this_month})
    answer = admin.post(PAGE, {"csrf_token": csrf_of(page), "month": this_month}, status=303).follow()
    assert f"O mês {this_month} ainda não terminou" in answer.text


def test_the_page_prints_as_a_clean_table(admin, november):
    page = admin.get(PAGE, {"month": "2026-11"})
    css = admin.get(page.html.find("link", href=lambda href: href and "admin.css" in href)["href"]).text
    printed = css[css.index("@media print"):]
    assert ".admin-header" in printed and ".no-print" in printed
    # The picker, the links and the close form stay on screen only.
    assert "no-print" in page.html.find("form", {"method": "get"})["class"]
    assert page.html.find("form", {"method": "post", "action": lambda a: a.endswith(PAGE)}).find_parent(
        class_="no-print")


@pytest.fixture
def team_admin(app, settings, plugins, clean_engine, november):
    """A browser logged in as Tiago, team admin of infra."""
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create(
            {"name": "Tiago", "email": "tiago@example.com", "password": ACCOUNT_PASSWORD,
             "role": "team_admin", "teams": ["infra"]}
        )
        session.commit()
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.21"})
    form = browser.get("/admin/login").forms[0]
    form["email"], form["password"] = "tiago@example.com", ACCOUNT_PASSWORD
    form.submit(status=303)
    return browser


def test_a_team_admin_sees_their_teams_hours_and_cannot_close(team_admin):
    page = team_admin.get(PAGE, {"month": "2026-11"})
    table = page.html.find("table").get_text()
    assert "Ana" in table and "Bruno" not in table
    assert not page.html.find("button", string="Fechar 2026-11")
    assert [o["value"] for o in page.html.find("select", {"name": "team"}).find_all("option")] == ["", "infra"]
    team_admin.post(PAGE, {"csrf_token": csrf_of(page), "month": "2026-11"}, status=403)


def test_strangers_are_sent_to_log_in(browser, november):
    assert "/admin/login?next=" in browser.get(PAGE, status=303).location


def test_an_owner_sets_the_hourly_rate_on_the_person_form(admin, november, clean_engine):
    ana = november["Ana"]["id"]
    page = admin.get(f"/admin/people/{ana}")
    form = page.forms[next(key for key, f in page.forms.items() if "hourly_rate" in f.fields)]
    assert "Valor da hora" in page.text
    form["hourly_rate"] = "45,50"
    form.submit(status=303)
    with Session(clean_engine) as session:
        assert str(session.get(Person, ana).hourly_rate) == "45.50"
    assert admin.get(f"/admin/people/{ana}").html.find("input", {"name": "hourly_rate"})["value"] == "45.50"
    form = admin.get(f"/admin/people/{ana}").forms[next(
        key for key, f in page.forms.items() if "hourly_rate" in f.fields)]
    form["hourly_rate"] = "1,005"
    assert "no máximo 2 casas decimais" in form.submit(status=422).text
