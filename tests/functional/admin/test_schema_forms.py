"""Nested parameter schemas in the admin panel's rotation form (the ``fair`` policy's).

An object with properties is a group of inputs parsed back into a nested
object; an array of such objects is repeated rows, blank ones skipped; errors
the API names inside them (``params.weights.night``,
``params.unavailable.0.person``) land next to their input.  The solver runs
on every preview and save, so the rotations here give it half a second.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from plantao.views.admin.forms import schema_fields, unplaced, with_errors

NEW = "/admin/teams/infra/rotations/new"


@pytest.fixture
def people(api):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    return [api.post("/api/v1/people", {"name": name}) for name in ("Ana", "Bruno", "Carla", "Davi")]


def field_div(page, name):
    return page.html.find(attrs={"name": name}).find_parent("div", class_="field")


def rotation_form(page):
    return next(form for form in page.forms.values() if "policy" in form.fields)


def tick(form, name, values):
    for checkbox in form.fields[name]:
        checkbox.checked = checkbox._value in {str(v) for v in values}


def fair_form(admin, people, monday):
    """The new-rotation form filled in for a fair rotation of everybody."""
    form = rotation_form(admin.get(NEW))
    form["name"] = "Justo"
    form["policy"] = "fair"
    form["start"] = f"{monday.isoformat()}T07:00"
    tick(form, "members", [p["id"] for p in people])
    form["p.fair.time_limit"] = "0.5"
    return form


def test_the_fair_policy_is_offered_and_its_nested_parameters_are_drawn(admin, people):
    page = admin.get(NEW)
    html = page.html
    assert "fair" in [o["value"] for o in html.find("select", attrs={"name": "policy"}).find_all("option")]
    params = html.find("fieldset", attrs={"data-policy": "fair"})
    assert "Equilibrado (otimizado)" in params.text

    weights = html.find("input", attrs={"name": "p.fair.weights.night"}).find_parent("fieldset", class_="group")
    assert weights.legend.text.strip() == "Pesos"
    inputs = {i["name"]: i for i in weights.find_all("input")}
    assert sorted(inputs) == sorted(f"p.fair.weights.{name}" for name in
                                    ("total", "night", "weekend", "holiday", "spread", "stability"))
    night = inputs["p.fair.weights.night"]
    assert (night["type"], night["value"], night["min"], night["max"]) == ("number", "2", "0", "100")
    assert "Equilíbrio das horas noturnas" in weights.text and "Quanto conta cada objetivo" in weights.text

    rows = html.find(id="f-p-fair-unavailable")
    assert rows.legend.text.strip() == "Indisponibilidade"
    assert len(rows.find_all("fieldset", class_="group")) == 2  # no entries yet: two blank rows
    person = html.find("select", attrs={"name": "p.fair.unavailable.0.person"})
    options = [(o["value"], o.text.strip()) for o in person.find_all("option")]
    assert options[0] == ("", "—")
    assert [label for _, label in options[1:]] == ["Ana", "Bruno", "Carla", "Davi"]
    assert len(html.find_all("input", attrs={"name": "p.fair.unavailable.1.weekdays"})) == 7
    assert html.find("input", attrs={"name": "p.fair.unavailable.0.start_time"})["type"] == "time"
    assert html.find("label", attrs={"for": "f-p-fair-unavailable-0-end_time"}).text.strip() == "Horário de fim"
    assert html.find("input", attrs={"name": "p.fair.handoff_times"})["value"] == ""


def test_creating_a_fair_rotation_with_weights_and_an_unavailable_row(admin, api, people, monday):
    ana, bruno, carla, davi = people
    form = fair_form(admin, people, monday)
    form["p.fair.handoff_times"] = "07:00, 19:00"
    form["p.fair.weights.night"] = "5"
    form["p.fair.weights.total"] = ""  # left empty: the default holds
    # The first row stays blank (skipped); the second is Bruno's weekend nights.
    form["p.fair.unavailable.1.person"] = str(bruno["id"])
    tick(form, "p.fair.unavailable.1.weekdays", [5, 6])
    form["p.fair.unavailable.1.start_time"] = "19:00"
    form["p.fair.unavailable.1.end_time"] = "07:00"
    preview = form.submit(status=200)

    assert "Índice de equilíbrio da escala à frente:" in preview.text
    solver = preview.html.find("ul", class_="solver-reports").text
    assert "Justo:" in solver and ("solução ótima" in solver or "solução viável" in solver)
    body = json.loads(preview.forms[1]["_body"].value)["body"]
    weights = {"night": 5, "weekend": 2, "holiday": 2, "spread": 1, "stability": 20}
    assert body["params"]["weights"] == weights
    assert body["params"]["unavailable"] == [
        {"person": bruno["id"], "weekdays": [5, 6], "start_time": "19:00", "end_time": "07:00"}
    ]
    assert body["params"]["handoff_times"] == ["07:00", "19:00"]

    preview.forms[1].submit("_confirm", status=303)
    created = api.get("/api/v1/teams/infra/rotations")["rotations"][0]
    assert created["policy"] == "fair"
    assert created["params"]["weights"] == weights
    assert created["params"]["unavailable"][0]["person"] == bruno["id"]
    assert created["params"]["time_limit"] == 0.5
    # Bruno takes none of the weekend's nights (19:00 to 07:00 from Saturday and Sunday).
    shifts = api.get("/api/v1/teams/infra/shifts", params={
        "start": monday.isoformat(), "end": (monday + timedelta(days=21)).isoformat()})["shifts"]
    nights = [s for s in shifts if s["start"][11:16] == "19:00"
              and date.fromisoformat(s["start"][:10]).weekday() in (5, 6)]
    assert len(nights) == 6
    assert bruno["id"] not in {s["person"]["id"] for s in nights}
    assert bruno["id"] in {s["person"]["id"] for s in shifts}


def test_editing_shows_the_stored_entries_and_keeps_what_is_unchanged(admin, api, people, monday):
    ana, bruno, carla, davi = people
    rotation = api.post("/api/v1/teams/infra/rotations", {
        "name": "Justo", "policy": "fair", "members": [p["id"] for p in people],
        "start": f"{monday.isoformat()}T07:00",
        "params": {"time_limit": 0.5, "handoff_times": ["07:00", "19:00"], "weights": {"night": 5},
                   "unavailable": [{"person": ana["id"], "weekdays": [0]}]},
    })
    url = f"/admin/teams/infra/rotations/{rotation['id']}"
    page = admin.get(url)
    form = rotation_form(page)
    assert form["p.fair.handoff_times"].value == "07:00, 19:00"
    assert (form["p.fair.weights.night"].value, form["p.fair.weights.total"].value) == ("5", "4")
    assert form["p.fair.unavailable.0.person"].value == str(ana["id"])
    assert [c._value for c in form.fields["p.fair.unavailable.0.weekdays"] if c.checked] == ["0"]
    assert form["p.fair.unavailable.2.person"].value == ""  # one entry, two blank rows
    assert "p.fair.unavailable.3.person" not in form.fields

    # Submitted as shown: the defaults the form filled in are no change.
    preview = form.submit(status=200)
    assert json.loads(preview.forms[1]["_body"].value)["body"] == {}

    form = rotation_form(admin.get(url))
    form["p.fair.unavailable.0.person"] = ""  # Ana's row emptied: removed
    tick(form, "p.fair.unavailable.0.weekdays", [])
    form["p.fair.unavailable.2.person"] = str(carla["id"])
    form["p.fair.unavailable.2.start_time"] = "00:00"
    form["p.fair.unavailable.2.end_time"] = "06:00"
    form["p.fair.weights.night"] = "3"
    preview = form.submit(status=200)
    preview.forms[1].submit("_confirm", status=303)
    params = api.get(f"/api/v1/teams/infra/rotations/{rotation['id']}")["params"]
    assert params["unavailable"] == [{"person": carla["id"], "start_time": "00:00", "end_time": "06:00"}]
    assert params["weights"]["night"] == 3
    assert params["handoff_times"] == ["07:00", "19:00"]


def test_errors_inside_groups_and_rows_are_shown_next_to_their_input(admin, api, people, monday):
    form = fair_form(admin, people, monday)
    form["p.fair.weights.night"] = "500"
    form["p.fair.weights.weekend"] = "muito"
    # A row with times but nobody: kept, so that it is reported, not dropped.
    form["p.fair.unavailable.1.start_time"] = "19:00"
    form["p.fair.unavailable.1.end_time"] = "07:00"
    page = form.submit(status=422)
    assert "no máximo 100" in field_div(page, "p.fair.weights.night").text
    assert "Digite um número" in field_div(page, "p.fair.weights.weekend").text
    assert "no máximo 100" not in field_div(page, "p.fair.weights.total").text
    # The blank first row was skipped: the row is the first now, its times kept.
    person = field_div(page, "p.fair.unavailable.0.person")
    assert "obrigatório" in person.text
    assert person.find("select")["aria-invalid"] == "true"
    again = rotation_form(page)
    assert (again["p.fair.unavailable.0.start_time"].value, again["p.fair.unavailable.0.end_time"].value) == (
        "19:00", "07:00")
    assert again["p.fair.weights.weekend"].value == "muito"
    assert "obrigatório" not in field_div(page, "p.fair.unavailable.1.person").text
    assert not page.html.find("div", class_="form-errors")  # every error placed
    assert api.get("/api/v1/teams/infra/rotations")["rotations"] == []


def test_a_bad_time_in_a_row_is_shown_by_its_input(admin, people, monday):
    form = fair_form(admin, people, monday)
    form["p.fair.unavailable.0.person"] = str(people[0]["id"])
    form["p.fair.unavailable.0.start_time"] = "7h"
    page = form.submit(status=422)
    assert "formato esperado" in field_div(page, "p.fair.unavailable.0.start_time").text


def test_switching_a_daily_rotation_to_fair_through_the_form(admin, api, people, monday):
    daily = api.post("/api/v1/teams/infra/rotations", {
        "name": "Diário", "policy": "daily", "members": [p["id"] for p in people],
        "start": f"{monday.isoformat()}T09:00",
    })
    url = f"/admin/teams/infra/rotations/{daily['id']}"
    page = admin.get(url)
    assert page.html.find("fieldset", attrs={"data-policy": "fair"})["hidden"] == "hidden"
    form = rotation_form(page)
    form["policy"] = "fair"
    form["p.fair.time_limit"] = "0.5"
    form["p.fair.weights.weekend"] = "10"
    preview = form.submit(status=200)
    body = json.loads(preview.forms[1]["_body"].value)["body"]
    assert body["policy"] == "fair"
    assert body["params"]["weights"]["weekend"] == 10 and body["params"]["unavailable"] == []

    # The preview tells how the fairness score would change and what the solver did.
    change = preview.html.find("p", class_="fairness-change").text
    assert "→" in change and "(de 100)" in change
    assert "Diário:" in preview.html.find("ul", class_="solver-reports").text

    preview.forms[1].submit("_confirm", status=303)
    stored = api.get(f"/api/v1/teams/infra/rotations/{daily['id']}")
    assert stored["policy"] == "fair"
    assert stored["params"]["weights"]["weekend"] == 10
    assert stored["solver"]["status"] in ("optimal", "feasible")
    # The page now opens on the fair policy with its stored values.
    page = admin.get(url)
    assert page.html.find("fieldset", attrs={"data-policy": "fair"}).get("hidden") is None
    assert rotation_form(page)["p.fair.weights.weekend"].value == "10"


def test_the_preview_of_a_queue_policy_shows_no_solver(admin, people, monday):
    form = rotation_form(admin.get(NEW))
    form["name"] = "Semanal"
    form["policy"] = "weekly"
    form["start"] = f"{monday.isoformat()}T09:00"
    tick(form, "members", [p["id"] for p in people[:2]])
    preview = form.submit(status=200)
    assert not preview.html.find("ul", class_="solver-reports")
    assert preview.html.find("p", class_="fairness-change")


class Untranslated:
    """What ``schema_fields`` needs of a view: ``_`` and the weekday names."""

    def _(self, text, **mapping):
        return text

    def weekday_names(self):
        return ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def test_error_keys_find_the_innermost_field_that_holds_them():
    schema = {"properties": {
        "limits": {"type": "object", "properties": {"hours": {"type": "number", "default": 8}}},
        "slots": {"type": "array", "items": {"type": "object", "properties": {
            "person": {"type": "integer"}, "label": {"type": "string"}}}},
    }}
    fields = schema_fields(Untranslated(), schema, {"slots": [{"person": 1}]}, "p.x", "params", [(1, "Ana")])
    limits, slots = fields
    assert (limits.widget, [c.name for c in limits.children]) == ("group", ["p.x.limits.hours"])
    assert limits.children[0].value == 8
    assert [row.key for row in slots.children] == ["params.slots.0", "params.slots.1", "params.slots.2"]
    errors = {
        "params.limits.hours": ["too many"],
        "params.slots": ["too long"],
        "params.slots.1.person": ["required"],
        "params.slots.1.label.extra": ["unknown"],
        "params.other": ["elsewhere"],
    }
    with_errors(fields, errors)
    assert limits.children[0].errors == ["too many"] and limits.errors == []
    assert slots.errors == ["too long"]
    person, label = slots.children[1].children
    assert (person.errors, label.errors) == (["required"], ["unknown"])
    assert person.widget == "select" and person.options == [("", "—"), (1, "Ana")]
    assert unplaced(fields, errors) == ["elsewhere"]


def test_a_person_no_longer_listed_stays_chosen_in_a_row():
    schema = {"properties": {"slots": {"type": "array", "items": {"type": "object", "properties": {
        "person": {"type": "integer"}}}}}}
    fields = schema_fields(Untranslated(), schema, {"slots": [{"person": 9}]}, "p.x", "params", [(1, "Ana")])
    person = fields[0].children[0].children[0]
    assert (person.value, person.options) == (9, [("", "—"), (1, "Ana"), (9, "#9")])
