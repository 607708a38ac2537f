"""Rotations through the admin panel: forms from parameter schemas, preview, confirm."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import webtest

from plantao.app import make_app
from plantao.engine.policies import RotationPolicy
from plantao.hookspecs import hookimpl
from plantao.plugins import build_plugin_manager, build_registry


def field_div(page, name):
    return page.html.find(attrs={"name": name}).find_parent("div", class_="field")


def test_the_form_is_drawn_from_each_policy_s_schema(admin, scene):
    page = admin.get("/admin/teams/infra/rotations/new")
    html = page.html
    assert html.find("input", attrs={"name": "p.weekly.handoff_time"})["type"] == "time"
    weekday = html.find("select", attrs={"name": "p.weekly.handoff_weekday"})  # "format": "weekday"
    assert [o["value"] for o in weekday.find_all("option")] == [str(day) for day in range(7)]
    assert [o["value"] for o in html.find("select", attrs={"name": "p.custom.unit"}).find_all("option")] == ["hours", "days"]
    assert len(html.find_all("input", attrs={"name": "p.split.business_days"})) == 7
    assert html.find("input", attrs={"name": "p.split.night_members"})  # ordered people picker
    assert "Horário da passagem" in page.text  # schema titles, translated
    assert html.find("input", attrs={"name": "r.min_rest.hours"})
    assert not html.find("input", attrs={"name": "rules", "value": "respect_leave"})  # always on


def create_weekly(admin, monday, members):
    form = admin.get("/admin/teams/infra/rotations/new").forms[1]
    form["name"] = "Noites"
    form["role"] = "secondary"
    form["policy"] = "weekly"
    form["start"] = f"{monday.isoformat()}T09:00"
    form["p.weekly.handoff_time"] = "10:00"
    for checkbox in form.fields["members"]:
        checkbox.checked = int(checkbox._value) in members
    return form.submit(status=200)


def test_creating_shows_the_preview_first_and_saves_on_confirm(admin, api, scene, monday):
    ana, bruno, _ = scene["people"]
    preview = create_weekly(admin, monday, {ana["id"], bruno["id"]})
    assert "Plantões novos" in preview.text and "Ana" in preview.text and "Bruno" in preview.text
    assert len(api.get("/api/v1/teams/infra/rotations")["rotations"]) == 1  # not saved yet
    confirm = preview.forms[1]
    response = confirm.submit("_confirm", status=303)
    assert "Rodízio Noites criado" in response.follow().text
    rotations = api.get("/api/v1/teams/infra/rotations")["rotations"]
    created = rotations[1]
    assert (created["role"], created["policy"], created["params"]) == ("secondary", "weekly", {"handoff_weekday": 0, "handoff_time": "10:00"})
    assert created["members"] == [ana["id"], bruno["id"]]


def test_parameter_errors_show_next_to_the_field_and_nothing_is_saved(admin, api, scene):
    form = admin.get("/admin/teams/infra/rotations/new").forms[1]
    form["name"] = "Horas"
    form["policy"] = "custom"
    form["p.custom.length"] = "0"
    page = form.submit(status=422)
    assert "no mínimo 1" in field_div(page, "p.custom.length").text
    assert len(api.get("/api/v1/teams/infra/rotations")["rotations"]) == 1


def test_restriction_errors_are_shown_and_nothing_is_saved(admin, api, scene):
    form = admin.get("/admin/teams/infra/rotations/new").forms[1]
    form["name"] = "Noite"
    form["restrictions.start_time"] = "19:00"
    page = form.submit(status=422)
    assert "Preencha o horário de início e o de fim" in page.text
    assert len(api.get("/api/v1/teams/infra/rotations")["rotations"]) == 1


def test_members_move_up_and_down_without_javascript(admin, scene):
    ana, bruno, carla = scene["people"]
    page = admin.get(f"/admin/teams/infra/rotations/{scene['rotation']['id']}")
    form = page.forms[1]
    page = form.submit("_move", value=f"members:{carla['id']}:up")
    order = [i["value"] for i in page.html.find_all("input", attrs={"name": "members._order"})]
    assert order == [str(ana["id"]), str(carla["id"]), str(bruno["id"])]


def test_editing_previews_who_changes_and_saves_from_a_date(admin, api, scene, monday):
    ana, bruno, carla = scene["people"]
    rotation = scene["rotation"]
    form = admin.get(f"/admin/teams/infra/rotations/{rotation['id']}").forms[1]
    for checkbox in form.fields["members"]:
        checkbox.checked = int(checkbox._value) in {ana["id"], carla["id"]}
    form["effective_from"] = f"{monday.isoformat()}T09:00"
    preview = form.submit(status=200)
    assert "Plantões que mudam de pessoa" in preview.text
    saved = json.loads(preview.forms[1]["_body"].value)
    assert saved["body"] == {"members": [ana["id"], carla["id"]], "effective_from": f"{monday.isoformat()}T09:00"}
    preview.forms[1].submit("_confirm", status=303)
    stored = api.get(f"/api/v1/teams/infra/rotations/{rotation['id']}")
    assert stored["versions"][-1]["members"] == [ana["id"], carla["id"]]
    shifts = api.get("/api/v1/teams/infra/shifts", params={"start": monday.isoformat(), "end": (monday + timedelta(days=14)).isoformat()})
    assert [s["person"]["name"] for s in shifts["shifts"]][:2] == ["Ana", "Carla"]


def test_back_to_the_form_keeps_what_was_typed(admin, scene, monday):
    ana, bruno, _ = scene["people"]
    preview = create_weekly(admin, monday, {bruno["id"]})
    page = preview.forms[1].submit("_edit", status=200)
    assert page.forms[1]["name"].value == "Noites"
    assert page.forms[1]["p.weekly.handoff_time"].value == "10:00"


def test_deleting_a_rotation(admin, api, scene):
    page = admin.get("/admin/teams/infra/rotations")
    page.forms[1].submit(status=303)
    assert api.get("/api/v1/teams/infra/rotations")["rotations"] == []


class Fortnightly(RotationPolicy):
    name = "fortnightly"
    title = {"pt-BR": "Quinzenal", "en": "Fortnightly"}
    description = {"pt-BR": "A cada duas semanas.", "en": "Every two weeks."}
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "weeks": {"type": "integer", "minimum": 1, "maximum": 4, "default": 2, "title": "Weeks per turn"},
            "skip_holidays": {"type": "boolean", "default": False, "title": "Skip holidays"},
        },
    }

    def slots(self, ctx, start, end):
        return iter(())


class ThirdParty:
    @hookimpl
    def register_rotation_policies(self):
        return [Fortnightly()]


@pytest.fixture
def third_party_admin(settings, clean_engine, login):
    registry = build_registry(build_plugin_manager([ThirdParty()]))
    app = make_app(settings, plugins=registry, engine=clean_engine)
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.40"})
    login(browser, status=303)
    return browser


def test_a_third_party_policy_gets_a_form_without_template_changes(third_party_admin, api):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    page = third_party_admin.get("/admin/teams/infra/rotations/new")
    assert "Quinzenal" in page.text
    weeks = page.html.find("input", attrs={"name": "p.fortnightly.weeks"})
    assert (weeks["type"], weeks["min"], weeks["max"], weeks["value"]) == ("number", "1", "4", "2")
    assert page.html.find("input", attrs={"name": "p.fortnightly.skip_holidays"})["type"] == "checkbox"
    assert "Weeks per turn" in page.text
