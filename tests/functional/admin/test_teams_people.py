"""Teams, people and leave through the admin panel's forms."""

from __future__ import annotations

from datetime import timedelta


def test_a_team_created_through_the_form_is_the_api_s_team(admin, api):
    page = admin.get("/admin/teams/new")
    form = page.forms[1]
    form["slug"] = "infra"
    form["name"] = "Infraestrutura"
    form["holidays.subdivision"] = "SP"
    form["holidays.custom"] = "2030-01-25 Aniversário de SP"
    response = form.submit(status=303)
    assert "Equipe Infraestrutura criada" in response.follow().text
    team = api.get("/api/v1/teams/infra")
    assert team["name"] == "Infraestrutura" and team["timezone"] == "America/Sao_Paulo"
    assert team["holidays"]["subdivision"] == "SP"
    assert team["holidays"]["custom"] == [{"date": "2030-01-25", "name": "Aniversário de SP"}]
    assert api.get("/api/v1/audit")["entries"][0]["actor"] == "admin-session"


def test_team_form_errors_show_next_to_the_field_and_nothing_is_saved(admin, api):
    form = admin.get("/admin/teams/new").forms[1]
    form["slug"] = "Not A Slug"
    form["name"] = ""
    form["timezone"] = "Mars/Olympus"
    page = form.submit(status=422)
    slug_field = page.html.find(id="f-slug").find_parent("div")
    assert "não está no formato esperado" in slug_field.text
    assert "obrigatório" in page.html.find(id="f-name").find_parent("div").text
    assert page.forms[1]["slug"].value == "Not A Slug"  # what was typed stays
    assert api.get("/api/v1/teams")["teams"] == []


def test_a_taken_slug_is_refused_in_the_user_s_language(admin, api):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    form = admin.get("/admin/teams/new", headers={"Accept-Language": "en"}).forms[1]
    form["slug"], form["name"] = "infra", "Other"
    page = form.submit(headers={"Accept-Language": "en"}, status=409)
    assert "A team with this address already exists." in page.html.find(id="f-slug").find_parent("div").text
    assert [t["name"] for t in api.get("/api/v1/teams")["teams"]] == ["Infra"]


def test_a_bad_custom_holiday_keeps_the_team_as_it_was(admin, api):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    form = admin.get("/admin/teams/infra").forms[1]
    form["name"] = "Renamed"
    form["holidays.custom"] = "31/02/2030 Aniversário"
    page = form.submit(status=422)
    assert "31/02/2030 não existe no calendário" in page.html.find(id="f-holidays-custom").find_parent("div").text
    assert api.get("/api/v1/teams/infra")["name"] == "Infra"


def test_editing_and_deleting_a_team(admin, api, csrf):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    ana = api.post("/api/v1/people", {"name": "Ana"})
    form = admin.get("/admin/teams/infra").forms[1]
    form["name"] = "Infra 24h"
    form["fallback_person"] = str(ana["id"])
    form.submit(status=303)
    assert api.get("/api/v1/teams/infra")["fallback_person"] == ana["id"]
    page = admin.get("/admin/teams/infra")
    page.forms[2].submit(status=303)
    assert api.get("/api/v1/teams")["teams"] == []


def test_the_team_form_sets_whether_accepted_requests_wait_for_approval(admin, api):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    form = admin.get("/admin/teams/infra").forms[1]
    assert form["swap_approval"].value == "none"
    form["swap_approval"] = "admin"
    form.submit(status=303)
    assert api.get("/api/v1/teams/infra")["swap_approval"] == "admin"
    assert "Aguardam a aprovação" in admin.get("/admin/teams/infra").text


def test_a_form_posted_without_this_session_s_token_changes_nothing(admin, api):
    admin.post("/admin/teams/new", {"slug": "infra", "name": "Infra", "csrf_token": "forged"}, status=400)
    assert api.get("/api/v1/teams")["teams"] == []


def test_people_are_added_edited_and_deactivated(admin, api):
    form = admin.get("/admin/people/new").forms[1]
    form["name"] = "Ana"
    form["phone"] = "+55 11 91234-5678"
    form["chat"] = "slack: U024BE7LH"
    form.submit(status=303)
    ana = api.get("/api/v1/people")["people"][0]
    assert ana["phone"] == "+5511912345678" and ana["chat"] == {"slack": "U024BE7LH"}
    form = admin.get(f"/admin/people/{ana['id']}").forms[1]
    form["email"] = "ana@example.org"
    form.submit(status=303)
    assert api.get(f"/api/v1/people/{ana['id']}")["email"] == "ana@example.org"
    page = admin.get("/admin/people")
    page.forms[1].submit(status=303)
    assert api.get(f"/api/v1/people/{ana['id']}")["active"] is False


def test_person_form_errors_show_next_to_the_field(admin, api):
    form = admin.get("/admin/people/new").forms[1]
    form["name"] = "Ana"
    form["email"] = "not an address"
    page = form.submit(status=422)
    assert "formato esperado" in page.html.find(id="f-email").find_parent("div").text
    assert api.get("/api/v1/people")["people"] == []


def test_leave_by_whole_days(admin, api, scene, monday):
    ana = scene["people"][0]
    form = admin.get("/admin/leave").forms[1]
    form["person"] = str(ana["id"])
    form["start"] = monday.isoformat()
    form["last_day"] = (monday + timedelta(days=6)).isoformat()
    form["reason"] = "Férias"
    form.submit(status=303)
    leave = api.get(f"/api/v1/people/{ana['id']}/leave")["leave"]
    assert [(item["start"][:10], item["end"][:10]) for item in leave] == [
        (monday.isoformat(), (monday + timedelta(days=7)).isoformat())
    ]
    # Ana's week goes to Bruno.
    shifts = api.get("/api/v1/teams/infra/shifts", params={"start": monday.isoformat(), "end": (monday + timedelta(days=6)).isoformat()})
    assert {s["person"]["name"] for s in shifts["shifts"]} == {"Bruno"}

    form = admin.get("/admin/leave").forms[1]
    form["person"] = str(ana["id"])
    form["start"] = (monday + timedelta(days=3)).isoformat()
    form["last_day"] = (monday + timedelta(days=1)).isoformat()
    page = form.submit(status=422)
    assert "não pode ser antes do primeiro" in page.html.find(id="f-last_day").find_parent("div").text

    page = admin.get("/admin/leave")
    page.forms[2].submit(status=303)
    assert api.get(f"/api/v1/people/{ana['id']}/leave")["leave"] == []


def test_overlapping_leave_is_refused(admin, api, scene, monday):
    ana = scene["people"][0]
    api.post(f"/api/v1/people/{ana['id']}/leave", {"start": monday.isoformat(), "end": (monday + timedelta(days=3)).isoformat()})
    form = admin.get("/admin/leave").forms[1]
    form["person"] = str(ana["id"])
    form["start"] = (monday + timedelta(days=1)).isoformat()
    form["last_day"] = (monday + timedelta(days=4)).isoformat()
    page = form.submit(status=409)
    assert "se sobrepõe" in page.text
    assert len(api.get(f"/api/v1/people/{ana['id']}/leave")["leave"]) == 1
