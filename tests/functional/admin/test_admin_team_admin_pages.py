"""The panel of a team admin: their teams' list and their members' leave.

A team admin (an account with role ``team_admin``) sees the teams they
administer, with their pages, and no button an owner's list has; they add
and remove the leave of their teams' members only, as the API lets them,
and any other person's is refused (403).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.models import Leave
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext

from tests.functional.conftest import csrf_of

PASSWORD = "correct horse battery staple"


@pytest.fixture
def team_admin(app, scene, api, settings, plugins, clean_engine):
    """Tiago, team admin of infra (Ana, Bruno and Carla), logged in; team web and Zeca are not his."""
    api.post("/api/v1/teams", {"slug": "web", "name": "Web"})
    with Session(clean_engine) as session:
        service = AccountService(ServiceContext(session, settings, plugins))
        service.create({"name": "Tiago", "email": "tiago@example.com", "password": PASSWORD,
                        "role": "team_admin", "teams": ["infra"]})
        service.create({"name": "Vera", "email": "vera@example.com", "password": PASSWORD, "role": "viewer"})
        session.commit()
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.80"})
    log_in_as(browser, "tiago@example.com", status=303)
    return browser


def log_in_as(browser, email: str, **kw):
    form = browser.get("/admin/login").forms[0]
    form["email"], form["password"] = email, PASSWORD
    return form.submit(**kw)


def test_a_team_admin_lists_their_teams_without_an_owners_buttons(team_admin):
    page = team_admin.get("/admin/teams")
    cards = page.html.select("ul.cards > li")
    assert [card.h2.text.strip() for card in cards] == ["Infra"]
    links = {a["href"] for a in cards[0].select("a")}
    assert {f"http://localhost/admin/teams/infra/{section}"
            for section in ("calendar", "rotations", "overrides", "notifications")} <= links
    assert "/admin/teams/new" not in page.text and "/admin/teams/web" not in page.text
    assert "/delete" not in page.text
    # Their menu: teams and leave, then their teams' pages; no owner's sections.
    nav = page.html.find("nav", class_="admin-nav")
    hrefs = [a["href"] for a in nav.select("a")]
    assert hrefs[:2] == ["http://localhost/admin/teams", "http://localhost/admin/leave"]
    assert not {"http://localhost/admin/people", "http://localhost/admin/accounts",
                "http://localhost/admin/tokens"} & set(hrefs)
    team_admin.get("/admin/teams/new", status=403)


def test_an_owner_lists_every_team_with_the_new_team_button(admin, team_admin):
    page = admin.get("/admin/teams")
    assert [card.h2.text.strip() for card in page.html.select("ul.cards > li")] == ["Infra", "Web"]
    assert "/admin/teams/new" in page.text


def test_a_viewer_or_nobody_is_sent_to_the_login_form(app, team_admin):
    viewer = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.81"})
    log_in_as(viewer, "vera@example.com", status=303)
    nobody = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.82"})
    for browser in (viewer, nobody):
        for url in ("/admin/teams", "/admin/leave"):
            assert "/admin/login" in browser.get(url, status=303).location


def test_a_team_admin_adds_and_removes_their_members_leave_only(team_admin, scene, api, today, clean_engine):
    outsider = api.post("/api/v1/people", {"name": "Zeca"})
    first = today + timedelta(days=10)
    theirs = api.post(f"/api/v1/people/{outsider['id']}/leave",
                      {"start": first.isoformat(), "end": (first + timedelta(days=2)).isoformat()})

    page = team_admin.get("/admin/leave")
    offered = [option.text for option in page.html.find("select", attrs={"name": "person"}).find_all("option")]
    assert offered == ["Ana", "Bruno", "Carla"]
    assert "Zeca" not in page.text  # nor their leave

    form = page.forms[1]
    form["person"] = str(scene["people"][1]["id"])
    form["start"], form["last_day"] = first.isoformat(), (first + timedelta(days=1)).isoformat()
    saved = form.submit(status=303).follow()
    assert "Ausência de Bruno salva" in saved.text

    token = csrf_of(saved)
    values = {"csrf_token": token, "person": str(outsider["id"]), "start": first.isoformat(),
              "last_day": first.isoformat()}
    team_admin.post("/admin/leave", values, status=403)
    team_admin.post(f"/admin/people/{outsider['id']}/leave/{theirs['id']}/delete", {"csrf_token": token}, status=403)
    with Session(clean_engine) as session:
        leaves = {(leave.person_id, leave.id) for leave in session.scalars(select(Leave))}
    assert (outsider["id"], theirs["id"]) in leaves and len(leaves) == 2

    mine = next(leave_id for person, leave_id in leaves if person == scene["people"][1]["id"])
    bruno = scene["people"][1]["id"]
    removed = team_admin.post(f"/admin/people/{bruno}/leave/{mine}/delete", {"csrf_token": token}, status=303)
    assert "Ausência removida" in removed.follow().text
    with Session(clean_engine) as session:
        assert [leave.id for leave in session.scalars(select(Leave))] == [theirs["id"]]


def test_an_owner_still_manages_everybodys_leave(admin, team_admin, api, today):
    outsider = api.post("/api/v1/people", {"name": "Zeca"})
    page = admin.get("/admin/leave")
    offered = [option.text for option in page.html.find("select", attrs={"name": "person"}).find_all("option")]
    assert offered == ["Ana", "Bruno", "Carla", "Zeca"]
    form = page.forms[1]
    form["person"] = str(outsider["id"])
    first = today + timedelta(days=10)
    form["start"], form["last_day"] = first.isoformat(), first.isoformat()
    assert "Ausência de Zeca salva" in form.submit(status=303).follow().text
