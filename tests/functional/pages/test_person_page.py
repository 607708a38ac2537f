"""A person's page: their upcoming shifts in every team, their own feed."""

from __future__ import annotations


def test_person_page_lists_upcoming_shifts_across_teams(testapp, roster, api, today):
    ana = roster["ana"]
    api("POST", "/api/v1/teams", {"slug": "banco", "name": "Banco de dados"})
    api("POST", "/api/v1/teams/banco/rotations", {
        "name": "Diário", "policy": "daily", "members": [ana["id"]], "start": f"{today.isoformat()}T08:00",
    })
    page = testapp.get(f"/people/{ana['id']}", headers={"Accept-Language": "en"})
    assert page.html.select_one("h1").text.strip() == "Ana Souza"
    teams = {row.select_one(".list-name a").text.strip() for row in page.html.select(".shift-list li")}
    assert teams == {"Infraestrutura", "Banco de dados"}
    assert "Upcoming shifts" in page.text


def test_person_page_marks_the_shift_in_progress(testapp, roster, oncall):
    holder = oncall()["oncall"][0]["person"]
    page = testapp.get(f"/people/{holder['id']}", headers={"Accept-Language": "pt-BR"})
    first = page.html.select_one(".shift-list li")
    assert "now" in first["class"] and "De plantão agora" in first.text


def test_unknown_person_is_a_404(testapp):
    testapp.get("/people/999", status=404)
    testapp.get("/people/99999999999999999999", status=404)


def test_person_page_links_to_the_team(testapp, roster):
    page = testapp.get(f"/people/{roster['carla']['id']}")
    assert page.html.select_one(".shift-list a[href='/teams/infra']")


def test_inactive_person_says_so(testapp, roster, api):
    bruno = roster["bruno"]
    api("DELETE", f"/api/v1/people/{bruno['id']}")
    page = testapp.get(f"/people/{bruno['id']}", headers={"Accept-Language": "en"})
    assert "No longer takes shifts." in page.text
