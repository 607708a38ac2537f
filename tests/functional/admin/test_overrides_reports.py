"""Overrides, swaps from the calendar, and the report pages."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

from babel.messages import pofile

from plantao.views import admin as admin_views
from plantao.views.admin import reports

ROOT = Path(__file__).resolve().parents[3]


def week(api, monday, weeks=3):
    return api.get(
        "/api/v1/teams/infra/shifts",
        params={"start": monday.isoformat(), "end": (monday + timedelta(weeks=weeks)).isoformat()},
    )["shifts"]


def test_replacing_a_shift_from_the_calendar(admin, api, scene, monday):
    first = week(api, monday)[0]
    carla = scene["people"][2]
    page = admin.get("/admin/teams/infra/calendar")
    assert "Escolha um plantão" in page.text
    page = admin.get("/admin/teams/infra/calendar", params={"shift": first["id"]})
    form = page.forms[1]
    form["person"] = str(carla["id"])
    assert "Plantão substituído" in form.submit(status=303).follow().text
    override = api.get("/api/v1/teams/infra/overrides")["overrides"][0]
    assert (override["person"], override["start"], override["end"]) == (carla["id"], first["start"], first["end"])
    assert week(api, monday)[0]["person"]["name"] == "Carla"


def test_swapping_two_shifts_from_the_calendar(admin, api, scene, monday):
    first, second = week(api, monday)[:2]
    page = admin.get("/admin/teams/infra/calendar", params={"shift": first["id"]})
    swap = next(f for f in page.forms.values() if f.action.endswith("/calendar/swap") and f["other"].value == str(second["id"]))
    swap.submit(status=303)
    overrides = api.get("/api/v1/teams/infra/overrides")["overrides"]
    assert len(overrides) == 2 and overrides[0]["swap_id"] == overrides[1]["swap_id"]
    assert [s["person"]["name"] for s in week(api, monday)[:2]] == ["Bruno", "Ana"]


def test_a_swap_with_oneself_is_refused_and_nothing_is_saved(admin, api, scene, monday, csrf):
    shifts = week(api, monday, weeks=4)
    first, fourth = shifts[0], shifts[3]  # both Ana's
    token = csrf(admin.get("/admin/teams/infra/calendar"))
    page = admin.post("/admin/teams/infra/calendar/swap",
                      {"csrf_token": token, "shift": first["id"], "other": fourth["id"]}, status=422)
    assert "não há o que trocar" in page.text
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []


def test_overrides_form_create_errors_and_delete(admin, api, scene, monday):
    bruno = scene["people"][1]
    form = admin.get("/admin/teams/infra/overrides").forms[1]
    form["person"] = str(bruno["id"])
    form["start"] = f"{monday.isoformat()}T18:00"
    form["end"] = f"{monday.isoformat()}T08:00"
    page = form.submit(status=422)
    assert "depois do início" in page.html.find(id="f-end").find_parent("div").text
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []
    form = page.forms[1]
    form["end"] = f"{(monday + timedelta(days=1)).isoformat()}T08:00"
    form.submit(status=303)
    assert len(api.get("/api/v1/teams/infra/overrides")["overrides"]) == 1
    admin.get("/admin/teams/infra/overrides").forms[2].submit(status=303)
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []


def test_gaps_and_conflicts_of_the_coming_weeks(admin, api, scene, today):
    page = admin.get("/admin/teams/infra/gaps")
    # The rotation starts next week: until then nobody covers the primary role.
    assert "Lacunas" in page.text and "primary" in page.html.find("table").text
    assert "Sem conflitos" in page.text


def test_the_audit_log_newest_first_with_what_changed(admin, api, scene):
    api.post("/api/v1/people", {"name": "Dora"}, status=201)
    ana = scene["people"][0]
    form = admin.get(f"/admin/people/{ana['id']}").forms[1]
    form["name"] = "Ana Maria"
    form.submit(status=303)
    page = admin.get("/admin/audit")
    first = page.html.select("ol.audit > li")[0]
    assert "update" in first.text and "admin-session" in first.text
    assert "Ana Maria" in first.select_one("td.new").text and "Ana" in first.select_one("td.old").text
    filtered = admin.get("/admin/audit", params={"entity": "rotation"})
    assert len(filtered.html.select("ol.audit > li")) == 1


def test_the_plugins_page_lists_every_kind_in_the_user_s_language(admin):
    page = admin.get("/admin/plugins")
    assert "Políticas de rodízio" in page.text and "Semanal" in page.text and "Descanso mínimo" in page.text
    assert "plantao" in page.text  # the source package
    english = admin.get("/admin/plugins", headers={"Accept-Language": "en"})
    assert "Rotation policies" in english.text and "Weekly" in english.text


def test_every_page_needs_the_admin(browser, scene):
    for url in ("/admin/teams", "/admin/people", "/admin/leave", "/admin/audit", "/admin/plugins",
                "/admin/teams/infra/calendar", "/admin/teams/infra/rotations/new", "/admin/teams/infra/gaps"):
        assert "/admin/login?next=" in browser.get(url, status=303).location


def used_msgids() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "plantao/views/admin").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name == "_" and isinstance(node.args[0].value, str):
                    found.add(node.args[0].value)
    for path in (ROOT / "templates/admin").glob("*.pt"):
        found.update(re.findall(r"_\('((?:[^'\\]|\\.)*)'", path.read_text()))
    found.update(admin_views.MESSAGES_BY_CODE.values())
    found.update(admin_views.WEEKDAYS)
    found.update(reports.KIND_TITLES.values())
    return found


def test_every_admin_text_has_a_pt_br_translation():
    path = ROOT / "plantao/locale/pt_BR/LC_MESSAGES/plantao_admin.po"
    with path.open("rb") as handle:
        catalog = pofile.read_po(handle, locale="pt_BR")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert sorted(used_msgids() - translated) == []
