"""The rotation form's common case at a glance: weekly by default, day names, the team's roles.

A new rotation's form starts on the weekly policy; a weekday parameter
(``"format": "weekday"`` in a policy's schema) is a select of day names in
the reader's language; the role is chosen from the team's roles, ``primary``
and ``secondary`` translated, or typed as a new one (a text input that wins
when filled, so it works without JavaScript).  Rules, restrictions, the
priority and a policy's advanced parameters wait in "More options" sections,
open by themselves when they hold an error or something other than the default.
"""

from __future__ import annotations

import json

NEW = "/admin/teams/infra/rotations/new"
ENGLISH = {"Accept-Language": "en"}
PT_DAYS = ["Segunda-feira", "Terça-feira", "Quarta-feira", "Quinta-feira", "Sexta-feira", "Sábado", "Domingo"]
EN_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def rotation_form(page):
    return next(form for form in page.forms.values() if "policy" in form.fields)


def options(page, name):
    select = page.html.find("select", attrs={"name": name})
    return [(o["value"], o.text.strip()) for o in select.find_all("option")]


def selected(page, name):
    return [o["value"] for o in page.html.find("select", attrs={"name": name}).find_all("option") if o.has_attr("selected")]


def section(page, name):
    """The <details> that holds the input ``name``; ``None`` when it is not inside one."""
    return page.html.find(attrs={"name": name}).find_parent("details")


def field_div(page, name):
    return page.html.find(attrs={"name": name}).find_parent("div", class_="field")


def test_a_new_rotation_starts_weekly_with_day_names_and_the_team_s_roles(admin, api, scene, monday):
    api.post("/api/v1/teams/infra/rotations", {
        "name": "NOC", "role": "noc", "policy": "daily", "members": [scene["people"][0]["id"]],
        "start": f"{monday.isoformat()}T09:00"})
    page = admin.get(NEW)
    assert selected(page, "policy") == ["weekly"]
    assert options(page, "p.weekly.handoff_weekday") == [(str(day), name) for day, name in enumerate(PT_DAYS)]
    assert selected(page, "p.weekly.handoff_weekday") == ["0"]
    assert page.html.find("input", attrs={"name": "p.weekly.handoff_time"})["value"] == "09:00"
    assert options(page, "role") == [("primary", "Primário"), ("secondary", "Secundário"), ("noc", "noc")]
    assert selected(page, "role") == ["primary"]
    assert page.html.find("input", attrs={"name": "role_new"})["value"] == ""
    assert "Nova função" in field_div(page, "role").text

    # The common case is out in the open; the rest is closed under "More options".
    for name in ("name", "role", "start", "members", "policy", "p.weekly.handoff_weekday", "p.weekly.handoff_time"):
        assert section(page, name) is None, name
    for name in ("priority", "rules", "restrictions.start_time", "p.fair.time_limit", "p.fair.weights.night",
                 "p.fair.unavailable.0.person", "p.split.night_members"):
        assert section(page, name) is not None and not section(page, name).has_attr("open"), name
    assert "Mais opções" in section(page, "priority").summary.text
    assert section(page, "p.fair.handoff_times") is None and section(page, "p.split.business_days") is None
    # Arrays of weekdays stay checkboxes, named by day.
    boxes = page.html.find_all("input", attrs={"name": "p.fair.unavailable.0.weekdays"})
    assert [b["value"] for b in boxes] == [str(day) for day in range(7)]
    assert "Domingo" in boxes[6].find_parent("label").text
    assert len(page.html.find_all("input", attrs={"name": "p.split.business_days", "checked": "checked"})) == 5

    english = admin.get(NEW, headers=ENGLISH)
    assert [label for _, label in options(english, "p.weekly.handoff_weekday")] == EN_DAYS
    assert options(english, "role")[:2] == [("primary", "Primary"), ("secondary", "Secondary")]
    assert "More options" in section(english, "priority").summary.text
    assert english.html.find("div", attrs={"data-select-other": "Other…"})


def test_a_weekday_and_a_new_role_are_saved_as_machine_values_and_edited_back(admin, api, scene, monday):
    form = rotation_form(admin.get(NEW))
    form["name"] = "Noturno"
    form["start"] = f"{monday.isoformat()}T09:00"
    form["p.weekly.handoff_weekday"] = "4"
    form["role"] = "secondary"
    form["role_new"] = "Noturno"  # wins over the select, stored in lower case
    for checkbox in form.fields["members"]:
        checkbox.checked = True
    preview = form.submit(status=200)
    body = json.loads(preview.forms[1]["_body"].value)["body"]
    assert (body["role"], body["policy"], body["params"]["handoff_weekday"]) == ("noturno", "weekly", 4)

    # Back to the form: the unsaved new role is still in its text input.
    back = preview.forms[1].submit("_edit", status=200)
    assert back.html.find("input", attrs={"name": "role_new"})["value"] == "noturno"
    assert selected(back, "p.weekly.handoff_weekday") == ["4"]

    preview.forms[1].submit("_confirm", status=303)
    created = next(r for r in api.get("/api/v1/teams/infra/rotations")["rotations"] if r["name"] == "Noturno")
    assert (created["role"], created["params"]["handoff_weekday"]) == ("noturno", 4)

    # Editing: the stored role is chosen in the select, the weekday by name; submitted as shown, nothing changes.
    url = f"/admin/teams/infra/rotations/{created['id']}"
    page = admin.get(url)
    assert selected(page, "role") == ["noturno"] and ("noturno", "noturno") in options(page, "role")
    assert page.html.find("input", attrs={"name": "role_new"})["value"] == ""
    assert selected(page, "p.weekly.handoff_weekday") == ["4"]
    assert not section(page, "priority").has_attr("open")
    preview = rotation_form(page).submit(status=200)
    assert json.loads(preview.forms[1]["_body"].value)["body"] == {}

    form = rotation_form(admin.get(url))
    form["role"] = "secondary"
    form["p.weekly.handoff_weekday"] = "6"
    form.submit(status=200).forms[1].submit("_confirm", status=303)
    stored = api.get(f"/api/v1/teams/infra/rotations/{created['id']}")
    assert (stored["role"], stored["params"]["handoff_weekday"]) == ("secondary", 6)

    # A rotation with a priority, a rule and restrictions opens those sections on edit.
    api.post("/api/v1/teams/infra/rotations", {
        "name": "Fim de semana", "policy": "weekly", "priority": 3, "rules": ["min_rest"],
        "restrictions": {"weekdays": [5, 6]}, "members": [scene["people"][0]["id"]],
        "start": f"{monday.isoformat()}T09:00"})
    busy = next(r for r in api.get("/api/v1/teams/infra/rotations")["rotations"] if r["priority"] == 3)
    page = admin.get(f"/admin/teams/infra/rotations/{busy['id']}")
    for name in ("priority", "rules", "restrictions.weekdays"):
        assert section(page, name).has_attr("open"), name


def test_bad_values_give_the_form_back_with_the_error_by_its_field(admin, api, scene):
    form = rotation_form(admin.get(NEW))
    form["name"] = "Errado"
    form["p.weekly.handoff_weekday"].force_value("9")
    page = form.submit(status=422)
    assert "no máximo 6" in field_div(page, "p.weekly.handoff_weekday").text
    assert selected(page, "p.weekly.handoff_weekday") == ["9"]  # shown as posted, not silently Monday

    form = rotation_form(page)
    form["p.weekly.handoff_weekday"].force_value("x")
    form["restrictions.start_time"] = "19:00"
    page = form.submit(status=422)
    assert "Digite um número" in field_div(page, "p.weekly.handoff_weekday").text
    assert section(page, "restrictions.start_time").has_attr("open")  # its error is in there

    form = rotation_form(page)
    form["p.weekly.handoff_weekday"] = "2"
    form["restrictions.start_time"] = ""
    form["role_new"] = "plantão noturno"
    page = form.submit(status=422)
    assert "formato esperado" in field_div(page, "role").text
    assert page.html.find("input", attrs={"name": "role_new"})["value"] == "plantão noturno"
    assert selected(page, "p.weekly.handoff_weekday") == ["2"]

    # An error in an advanced parameter opens its "More options".
    form = rotation_form(admin.get(NEW))
    form["name"] = "Justo"
    form["policy"] = "fair"
    form["p.fair.time_limit"] = "muito"
    page = form.submit(status=422)
    assert section(page, "p.fair.time_limit").has_attr("open")
    assert not section(page, "rules").has_attr("open")
    assert [r["name"] for r in api.get("/api/v1/teams/infra/rotations")["rotations"]] == ["Semanal"]
