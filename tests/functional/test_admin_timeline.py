"""The admin timeline: where an admin acts on the roster, a preview before every change.

``/admin/teams/{slug}/timeline`` draws the team page's timeline with the final
roster's bars as choices.  Choosing a shift opens a panel to override a
stretch of it (who, from, until, why), previewed first, told per person with
names and local times, nothing saved, then confirmed; other people's shifts
become swap choices, previewed and confirmed the same way.  Only who may
write the team's overrides acts; bad ids and dates are a 4xx with their
reasons, all at once.

The scene (``tests/functional/admin/conftest.py``): team infra, Ana, Bruno
and Carla taking a week each from ``monday`` 09:00 (São Paulo).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import webtest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao.models import Team
from plantao.models.audit import AuditEntry
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext
from tests.functional.admin.conftest import admin, api, browser, log_in, scene  # noqa: F401  (the panel's fixtures)

TIMELINE = "/admin/teams/infra/timeline"
PASSWORD = "correct horse battery staple"


def shifts(api, monday, weeks: int = 4) -> list[dict]:  # noqa: F811
    return api.get("/api/v1/teams/infra/shifts", params={
        "start": monday.isoformat(), "end": (monday + timedelta(weeks=weeks)).isoformat(),
    })["shifts"]


def query(href: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(href).query).items()}


def final_bar(page, shift: dict):
    return page.html.select_one(f'.lane-group.lane-final .timeline-bar[data-shift="{shift["id"]}"]')


def logged_in_account(app, settings, plugins, engine, address: str, account: dict) -> webtest.TestApp:
    """A browser from ``address`` logged in as a new ``account`` (password PASSWORD)."""
    with Session(engine) as session:
        AccountService(ServiceContext(session, settings, plugins)).create({"password": PASSWORD, **account})
        session.commit()
    client = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address})
    log_in(client, PASSWORD, email=account["email"], status=303)
    return client


def form_to(page, ending: str):
    return next(form for form in page.forms.values() if form.action.endswith(ending))


def test_the_final_roster_s_shifts_are_choices_opening_an_override_form_and_swap_choices(
    admin, api, scene, monday,  # noqa: F811
):
    ana_week, bruno_week = shifts(api, monday)[:2]
    page = admin.get(TIMELINE, params={"from": monday.isoformat()})
    assert query(final_bar(page, ana_week).a["href"]) == {"from": monday.isoformat(), "shift": str(ana_week["id"])}
    # The rotation's own lane, and the legend, still name people.
    assert all(a["href"].startswith("/people/") for a in page.html.select(".lane-group.lane-layers .timeline-bar a"))
    assert page.html.select_one(f'a[href$="/teams/infra?view=timeline&from={monday.isoformat()}"]')
    # The team's pages in the panel lead here.
    assert "/admin/teams/infra/timeline" in admin.get("/admin/teams/infra/calendar").text
    assert "/admin/teams/infra/timeline" in admin.get("/admin/teams").text
    # The public timeline is as it was: its bars lead to people, none is a choice.
    public = admin.get("/teams/infra", params={"view": "timeline", "from": monday.isoformat()})
    bars = public.html.select(".lane-group.lane-final .timeline-bar")
    assert bars and all(bar.a["href"].startswith("/people/") and not bar.get("data-shift") for bar in bars)

    # Choosing a shift opens its override form, and other people's shifts become swap choices.
    page = admin.get(final_bar(page, ana_week).a["href"])
    assert "Plantão escolhido: Ana" in page.html.select_one("#chosen").text
    form = form_to(page, "/timeline/override")
    # The whole shift by default, in the team's local time; anybody of the team but its holder.
    assert (form["start"].value, form["end"].value) == (
        f"{monday.isoformat()}T09:00", f"{(monday + timedelta(days=7)).isoformat()}T09:00",
    )
    assert [option.text for option in page.html.select("#f-person option")] == ["—", "Bruno", "Carla"]
    assert query(final_bar(page, bruno_week).a["href"]) == {
        "from": monday.isoformat(), "shift": str(ana_week["id"]), "other": str(bruno_week["id"]),
    }
    assert final_bar(page, bruno_week).a["title"].startswith("Trocar com este plantão: Bruno")
    # Without JavaScript a choice opens the page at what it opened: the panel, the swap's preview.
    assert urlsplit(final_bar(page, ana_week).a["href"]).fragment == "chosen"
    assert urlsplit(final_bar(page, bruno_week).a["href"]).fragment == "action-title"
    # Dragged across the bar (admin.js), the stretch comes in the query.
    tuesday = monday + timedelta(days=1)
    dragged = admin.get(TIMELINE, params={"shift": ana_week["id"], "start": f"{tuesday.isoformat()}T12:00",
                                          "end": f"{tuesday.isoformat()}T18:00"})
    form = form_to(dragged, "/timeline/override")
    assert (form["start"].value, form["end"].value) == (f"{tuesday.isoformat()}T12:00", f"{tuesday.isoformat()}T18:00")


def test_an_override_of_a_stretch_is_previewed_then_stored_as_previewed(admin, api, scene, monday):  # noqa: F811
    ana_week = shifts(api, monday)[0]
    bruno = scene["people"][1]
    tuesday = monday + timedelta(days=1)
    form = form_to(admin.get(TIMELINE, params={"shift": ana_week["id"]}), "/timeline/override")
    form["person"] = str(bruno["id"])
    form["start"] = f"{tuesday.strftime('%d/%m/%Y')} 12:00"  # as people write it
    form["end"] = f"{tuesday.isoformat()}T18:00"  # as browsers post it
    form["reason"] = "consulta médica"
    preview = form.submit(status=200)

    assert "Substituição: Bruno assume no lugar de Ana" in preview.text
    told = preview.html.select_one("section.preview").text
    summary = [line.text for line in preview.html.select(".preview-summary li")]
    assert any(line.startswith("Bruno: ") for line in summary) and any(line.startswith("Ana: ") for line in summary)
    new_shifts = [[cell.text for cell in row.select("td")] for row in preview.html.select('[data-kind="added"] tbody tr')]
    day = f"{tuesday.day:02d}/{tuesday.month:02d}"
    assert [day in row[0] and "12:00" in row[0] and "18:00" in row[1] and row[3] == "Bruno" for row in new_shifts
            ].count(True) == 1
    # Nobody covers the team until the rotation starts: a gap already stored, so not one this change causes.
    assert "Esta mudança não causa lacuna nem conflito." in told
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []  # a preview stores nothing

    confirm = form_to(preview, "/timeline/override")
    done = confirm.submit("confirm", status=303).follow()
    assert "Substituição salva" in done.text
    [override] = api.get("/api/v1/teams/infra/overrides")["overrides"]
    assert {key: override[key] for key in ("person", "start", "end", "reason", "role")} == {
        "person": bruno["id"], "start": f"{tuesday.isoformat()}T12:00:00-03:00",
        "end": f"{tuesday.isoformat()}T18:00:00-03:00", "reason": "consulta médica", "role": "primary",
    }
    assert [s["person"]["name"] for s in shifts(api, monday, weeks=1)] == ["Ana", "Bruno", "Ana"]


def test_a_stretch_outside_the_shift_bad_ids_and_bad_dates_are_refused_with_every_reason(
    admin, api, scene, monday, csrf,  # noqa: F811
):
    ana_week = shifts(api, monday)[0]
    token = csrf(admin.get(TIMELINE))
    sunday = monday - timedelta(days=1)
    page = admin.post(f"{TIMELINE}/override", {
        "csrf_token": token, "shift": ana_week["id"], "person": "",
        "start": f"{sunday.strftime('%d/%m/%Y')} 09:00", "end": "31/02/2027 10:00",
    }, status=400)
    errors = {name: page.html.find(id=f"f-{name}").find_parent("div").select_one(".error").text
              for name in ("person", "start", "end")}
    assert "Deve ficar dentro do plantão" in errors["start"]
    assert "31/02/2027 10:00 não existe no calendário." in errors["end"]
    assert "Escolha quem assume." in errors["person"]

    page = admin.post(f"{TIMELINE}/override", {
        "csrf_token": token, "shift": ana_week["id"], "person": str(scene["people"][0]["id"]),
        "start": f"{monday.isoformat()}T09:00", "end": f"{(monday + timedelta(days=8)).isoformat()}T09:00",
    }, status=400)
    assert "Deve ficar dentro do plantão" in page.html.find(id="f-end").find_parent("div").text
    assert "Ana já está neste plantão." in page.text
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []

    # Bad ids, windows and dates: each a 4xx saying why.
    ana_again = shifts(api, monday)[3]
    assert "“abc” não é o número de um plantão." in admin.get(TIMELINE, params={"shift": "abc"}, status=400).text
    assert "Esta equipe não tem plantão com id 999999." in admin.get(
        TIMELINE, params={"shift": "999999"}, status=404).text
    admin.get(TIMELINE, params={"zoom": "year"}, status=400)
    admin.get(TIMELINE, params={"from": "2026-13-01"}, status=400)
    page = admin.get(TIMELINE, params={"shift": ana_week["id"], "start": "amanhã"}, status=400)
    assert "Informe a data e a hora como DD/MM/AAAA HH:MM." in page.html.find(id="f-start").find_parent("div").text

    page = admin.post(f"{TIMELINE}/swap", {"csrf_token": token, "shift": "x", "other": ""}, status=400)
    assert "“x” não é o número de um plantão." in page.text and "Escolha um plantão primeiro." in page.text
    page = admin.post(f"{TIMELINE}/swap", {"csrf_token": token, "shift": ana_week["id"], "other": ana_again["id"]},
                      status=422)
    assert "não há o que trocar" in page.text
    admin.post(f"{TIMELINE}/override", {"csrf_token": token, "shift": "999999"}, status=404)
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []


def test_a_swap_is_previewed_then_stored(admin, api, scene, monday):  # noqa: F811
    ana_week, bruno_week = shifts(api, monday)[:2]
    preview = admin.get(TIMELINE, params={"shift": ana_week["id"], "other": bruno_week["id"]}, status=200)
    assert "Troca: Ana e Bruno trocam seus plantões" in preview.text
    summary = [line.text for line in preview.html.select(".preview-summary li")]
    assert summary == ["Ana: o mesmo número de plantões (passa 1 para Bruno, recebe 1 de Bruno)",
                       "Bruno: o mesmo número de plantões (passa 1 para Ana, recebe 1 de Ana)"]
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []

    confirm = form_to(preview, "/timeline/swap")
    confirm["reason"] = "combinado entre os dois"
    assert "Plantões trocados" in confirm.submit("confirm", status=303).follow().text
    overrides = api.get("/api/v1/teams/infra/overrides")["overrides"]
    assert len(overrides) == 2 and overrides[0]["swap_id"] == overrides[1]["swap_id"]
    assert {o["reason"] for o in overrides} == {"combinado entre os dois"}
    assert [s["person"]["name"] for s in shifts(api, monday, weeks=2)] == ["Bruno", "Ana"]


@pytest.fixture
def viewer(app, scene, settings, plugins, clean_engine):  # noqa: F811
    """Vera, a viewer account, logged in."""
    return logged_in_account(app, settings, plugins, clean_engine, "192.0.2.83",
                             {"name": "Vera", "email": "vera@example.com", "role": "viewer"})


def test_a_viewer_may_not_act(viewer, api, scene, monday, csrf):  # noqa: F811
    ana_week, bruno_week = shifts(api, monday)[:2]
    assert "/admin/login" in viewer.get(TIMELINE, status=303).location
    token = csrf(viewer.get("/admin/login", {"next": "/"}))
    tuesday = monday + timedelta(days=1)
    viewer.post(f"{TIMELINE}/override", {
        "csrf_token": token, "shift": ana_week["id"], "person": str(scene["people"][1]["id"]),
        "start": f"{tuesday.isoformat()}T12:00", "end": f"{tuesday.isoformat()}T18:00", "confirm": "1",
    }, status=403)
    viewer.post(f"{TIMELINE}/swap", {"csrf_token": token, "shift": ana_week["id"], "other": bruno_week["id"],
                                     "confirm": "1"}, status=403)
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []


def test_a_swap_of_a_shift_in_progress_is_told_from_the_next_whole_minute(admin, api, today):  # noqa: F811
    # A weekly rotation that began three days ago: its shift is in progress, and only what
    # is left of it changes hands (from the next whole minute), as the preview below it says.
    began = today - timedelta(days=3)
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    people = [api.post("/api/v1/people", {"name": name}) for name in ("Ana", "Bruno")]
    api.post("/api/v1/teams/infra/rotations", {
        "name": "Semanal", "policy": "weekly", "members": [p["id"] for p in people],
        "start": f"{began.isoformat()}T09:00",
    })
    current, following = api.get("/api/v1/teams/infra/shifts", params={
        "start": today.isoformat(), "end": (today + timedelta(days=14)).isoformat(),
    })["shifts"][:2]
    assert current["start"].startswith(began.isoformat())
    preview = admin.get(TIMELINE, params={"shift": current["id"], "other": following["id"]}, status=200)
    start_told = preview.html.select(".action-summary li")[0].text.split(" a ")[0]
    # Told from now (today, or tomorrow a second before midnight), not from when it began.
    assert f", {began.day} de " not in start_told, start_told
    assert any(f", {day.day} de " in start_told for day in (today, today + timedelta(days=1))), start_told


def test_a_confirm_stores_only_the_roster_its_preview_showed(admin, api, scene, monday):  # noqa: F811
    ana_week, bruno_week, carla_week = shifts(api, monday)[:3]
    preview = admin.get(TIMELINE, params={"shift": ana_week["id"], "other": bruno_week["id"]})
    confirm = form_to(preview, "/timeline/swap")
    confirm["reason"] = "combinado"
    confirm.submit("confirm", status=303)
    # The same Confirm posted again (a double click, a reload) would swap them back: it shows
    # the roster as it now is instead, the reason kept, and stores nothing.
    again = confirm.submit("confirm", status=409)
    assert "A escala mudou depois que esta prévia foi mostrada" in again.html.select_one(".form-errors").text
    assert form_to(again, "/timeline/swap")["reason"].value == "combinado"
    assert len(api.get("/api/v1/teams/infra/overrides")["overrides"]) == 2
    assert [s["person"]["name"] for s in shifts(api, monday, weeks=2)] == ["Bruno", "Ana"]

    # An override previewed, then the roster changed by somebody else before its Confirm.
    day = monday + timedelta(days=15)
    form = form_to(admin.get(TIMELINE, params={"shift": carla_week["id"]}), "/timeline/override")
    form["person"], form["start"], form["end"] = str(scene["people"][0]["id"]), f"{day}T12:00", f"{day}T18:00"
    confirm = form_to(form.submit(status=200), "/timeline/override")
    elsewhere = monday + timedelta(days=8)  # in Bruno's week: Carla's shift is as it was
    api.post("/api/v1/teams/infra/overrides", {"person": scene["people"][2]["id"], "start": f"{elsewhere}T08:00",
                                               "end": f"{elsewhere}T10:00"})
    stale = confirm.submit("confirm", status=409)
    assert "Substituição: Ana assume no lugar de Carla" in stale.text
    assert len(api.get("/api/v1/teams/infra/overrides")["overrides"]) == 3
    # Confirmed from the preview shown again, it is stored.
    assert "Substituição salva" in form_to(stale, "/timeline/override").submit("confirm", status=303).follow().text
    assert len(api.get("/api/v1/teams/infra/overrides")["overrides"]) == 4


def test_odd_ids_and_windows_are_refused_before_anything_is_written(admin, api, scene, monday, csrf):  # noqa: F811
    ana_week, bruno_week = shifts(api, monday)[:2]
    token = csrf(admin.get(TIMELINE))
    # "²" is a digit to Python's isdigit, not to int().
    assert "“²” não é o número de um plantão." in admin.get(TIMELINE, params={"shift": "²"}, status=400).text
    admin.get(TIMELINE, params={"shift": ana_week["id"], "other": "²"}, status=400)
    tuesday = monday + timedelta(days=1)
    stretch = {"csrf_token": token, "shift": ana_week["id"], "person": str(scene["people"][1]["id"]),
               "start": f"{tuesday}T12:00", "end": f"{tuesday}T18:00"}
    page = admin.post(f"{TIMELINE}/override", {**stretch, "person": "²"}, status=400)
    assert page.html.find(id="f-person").find_parent("div").select_one(".error")
    # A window the page after the write could not show refuses the write itself.
    admin.post(f"{TIMELINE}/override", {**stretch, "zoom": "year", "confirm": "1"}, status=400)
    admin.post(f"{TIMELINE}/swap", {"csrf_token": token, "shift": ana_week["id"], "other": bruno_week["id"],
                                    "from": "2026-13-01", "confirm": "1"}, status=400)
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []


def test_previews_write_nothing_not_even_the_team_s_revision(admin, api, scene, monday, clean_engine):  # noqa: F811
    ana_week, bruno_week = shifts(api, monday)[:2]

    def written():
        with Session(clean_engine) as session:
            return (session.scalar(select(Team.roster_revision).where(Team.slug == "infra")),
                    session.scalar(select(func.count()).select_from(AuditEntry)))

    before = written()
    preview = admin.get(TIMELINE, params={"shift": ana_week["id"], "other": bruno_week["id"]}, status=200)
    form = form_to(admin.get(TIMELINE, params={"shift": ana_week["id"]}), "/timeline/override")
    form["person"] = str(scene["people"][1]["id"])
    form.submit(status=200)
    assert written() == before
    form_to(preview, "/timeline/swap").submit("confirm", status=303)
    assert written()[0] > before[0]


@pytest.fixture
def other_team_admin(app, api, scene, settings, plugins, clean_engine):  # noqa: F811
    """Tiago, admin of the team web only, logged in."""
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})
    return logged_in_account(app, settings, plugins, clean_engine, "192.0.2.84",
                             {"name": "Tiago", "email": "tiago@example.com", "role": "team_admin", "teams": ["web"]})


def test_another_team_s_admin_nobody_and_a_post_without_its_token_may_not_act(
    other_team_admin, admin, app, api, scene, monday, csrf,  # noqa: F811
):
    ana_week, bruno_week = shifts(api, monday)[:2]
    tuesday = monday + timedelta(days=1)
    override = {"shift": ana_week["id"], "person": str(scene["people"][1]["id"]),
                "start": f"{tuesday}T12:00", "end": f"{tuesday}T18:00", "confirm": "1"}
    swap = {"shift": ana_week["id"], "other": bruno_week["id"], "confirm": "1"}
    token = csrf(other_team_admin.get("/admin/teams/web/timeline"))
    other_team_admin.get(TIMELINE, params={"shift": ana_week["id"], "other": bruno_week["id"]}, status=403)
    other_team_admin.post(f"{TIMELINE}/override", {**override, "csrf_token": token}, status=403)
    other_team_admin.post(f"{TIMELINE}/swap", {**swap, "csrf_token": token}, status=403)
    nobody = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.85"})
    assert "/admin/login" in nobody.get(TIMELINE, status=303).location
    assert "/admin/login" in nobody.post(f"{TIMELINE}/swap", swap, status=303).location
    # The team's own admin, without the form's CSRF token.
    admin.post(f"{TIMELINE}/override", override, status=400)
    admin.post(f"{TIMELINE}/swap", {**swap, "csrf_token": "forged"}, status=400)
    assert api.get("/api/v1/teams/infra/overrides")["overrides"] == []


def test_the_calendar_refuses_ids_that_are_digits_but_not_ascii(admin, api, scene, monday, csrf):  # noqa: F811
    # "²" is a digit to str.isdigit but no number to int(): a clear 4xx, never a 500.
    token = csrf(admin.get("/admin/teams/infra/calendar"))
    for action, fields in (("replace", {"shift": "²", "person": "²"}), ("swap", {"shift": "²", "other": "¹"})):
        page = admin.post(f"/admin/teams/infra/calendar/{action}", {"csrf_token": token, **fields}, expect_errors=True)
        assert 400 <= page.status_int < 500, (action, page.status)
