"""/admin/teams/{slug}/fairness: the score, the table and one SVG bar chart per measure, in Portuguese.

The scene (tests/functional/admin/conftest.py): Ana, Bruno and Carla take
weeks in turn from a Monday 09:00; the page is asked for the first two
weeks, so Ana and Bruno hold 168 hours each and Carla none.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import webtest
from sqlalchemy.orm import Session

from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext

PASSWORD = "correct horse battery staple"
CHARTS = ("hours", "night_hours", "weekend_hours", "holiday_hours", "shifts")


@pytest.fixture
def fortnight(scene, monday):
    return {"start": f"{monday.isoformat()}T09:00", "end": f"{(monday + timedelta(days=14)).isoformat()}T09:00"}


def test_the_page_shows_the_score_the_table_and_a_chart_per_measure(admin, fortnight):
    page = admin.get("/admin/teams/infra/fairness", params=fortnight)
    assert page.html.find("html")["lang"] == "pt-BR"
    assert "Equilíbrio · Infra" in page.html.find("h1").text
    score = page.html.select_one(".fairness-score .score strong").text
    assert 0 <= float(score.replace(",", ".")) < 100  # Carla held nothing: not even
    assert "Índice de equilíbrio" in page.text and "desequilíbrio" in page.text

    table = page.html.select_one("table.fairness-table")
    headers = [th.text.strip() for th in table.select("thead th")]
    assert headers[:5] == ["Pessoa", "Plantões", "Horas", "Horas noturnas (22h-5h)", "Horas em fins de semana"]
    rows = {row.th.text.strip(): [td.text.strip() for td in row.select("td")] for row in table.select("tbody tr")}
    assert list(rows) == ["Ana", "Bruno", "Carla"]
    assert rows["Ana"][:2] == ["1", "168"]
    assert rows["Carla"][:2] == ["0", "0"]
    assert [row.th.text.strip() for row in table.select("tfoot tr")] == [
        "Mínimo", "Máximo", "Média", "Amplitude (máx. − mín.)"]
    # 336 hours among three: a mean of 112 written the Brazilian way.
    assert table.select("tfoot tr")[2].select("td")[1].text.strip() == "112"

    charts = page.html.select("svg.bar-chart")
    assert len(charts) == len(CHARTS)
    for svg, measure in zip(charts, CHARTS):
        assert svg["role"] == "img"
        assert svg["viewbox"].startswith("0 0 ")
        assert svg.find("title").text
        assert svg["aria-labelledby"] == f"chart-{measure}-title chart-{measure}-desc"
        assert len(svg.select("rect.bar")) == 3
    hours = charts[0]
    assert hours.find("title").text == "Horas"
    assert "Ana 168h" in hours.find("desc").text
    assert [text.text for text in hours.select("text.bar-value")] == ["168h", "168h", "0h"]
    assert "<script" not in page.text.split("</head>")[1]

    link = page.html.find("a", string="Baixar CSV")["href"]
    assert "/api/v1/teams/infra/fairness.csv?" in link and "dialect=excel-br" in link
    csv = admin.get(link.replace("http://localhost", ""))
    assert csv.content_type == "text/csv" and "Pessoa;Plantões" in csv.body.decode("utf-8-sig")


def test_the_period_form_and_its_errors(admin, scene):
    page = admin.get("/admin/teams/infra/fairness")
    form = page.forms["fairness-period"]
    assert form["start"].value and form["end"].value
    form["start"], form["end"] = "2026-03-10", "2026-03-01"
    refused = form.submit(status=400)
    assert "O fim deve ser depois do início." in refused.text
    too_long = admin.get("/admin/teams/infra/fairness", params={"start": "2020-01-01", "end": "2026-01-01"}, status=400)
    assert "no máximo 3 anos" in too_long.text
    bad = admin.get("/admin/teams/infra/fairness", params={"start": "ontem"}, status=400)
    assert bad.html.select_one(".form-errors") is not None


def test_the_menu_and_the_picker(admin, api, scene):
    page = admin.get("/admin/teams")
    assert "http://localhost/admin/fairness" in {a["href"] for a in page.html.find("nav", class_="admin-nav").select("a")}
    assert "http://localhost/admin/teams/infra/fairness" in page.text
    # One team: straight to it; two: a choice.
    assert admin.get("/admin/fairness", status=303).location.endswith("/admin/teams/infra/fairness")
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})
    picker = admin.get("/admin/fairness")
    assert {a.text for a in picker.html.select("ul.cards a")} == {"Infra", "Web"}


def test_a_team_admin_sees_their_teams_only(app, admin, api, scene, settings, plugins, clean_engine):
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})
    with Session(clean_engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create(
            {"name": "Tiago", "email": "tiago@example.com", "password": PASSWORD, "role": "team_admin",
             "teams": ["infra"]})
        session.commit()
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.85"})
    form = browser.get("/admin/login").forms[0]
    form["email"], form["password"] = "tiago@example.com", PASSWORD
    form.submit(status=303)
    assert "http://localhost/admin/teams/infra/fairness" in {
        a["href"] for a in browser.get("/admin/teams").html.find("nav", class_="admin-nav").select("a")}
    browser.get("/admin/teams/infra/fairness", status=200)
    browser.get("/admin/teams/web/fairness", status=403)
    assert browser.get("/admin/fairness", status=303).location.endswith("/admin/teams/infra/fairness")


def test_in_english_the_numbers_and_the_csv_link_follow(admin, fortnight):
    page = admin.get("/admin/teams/infra/fairness", params=fortnight, headers={"Accept-Language": "en"})
    assert "Fairness score" in page.text and "Night hours (22:00-05:00)" in page.text
    assert "0.67" in page.text  # the mean of shifts, with a decimal point
    assert "dialect=excel&" in page.html.find("a", string="Download CSV")["href"] + "&"
