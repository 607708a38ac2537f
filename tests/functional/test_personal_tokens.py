"""A person's secret links are theirs: the feed token shown only to admins and
to the person, the action token only to owners and to the person (see
``test_action_links.py``), and what they do is audited in the person's name."""

from __future__ import annotations

import pytest
import webtest
from sqlalchemy import select

from plantao.models import Person

VIEWER_PASSWORD = "viewer password of the token tests"
VIEWER = {"Authorization": f"Bearer {VIEWER_PASSWORD}"}


@pytest.fixture(params=[False, True], ids=["private_roster", "public_roster"])
def roster_app(request, app_with):
    return webtest.TestApp(app_with(public_roster=request.param, viewer_password=VIEWER_PASSWORD),
                           extra_environ={"REMOTE_ADDR": "192.0.2.40"})


@pytest.fixture
def ana(roster_app, admin_headers):
    person = roster_app.post_json("/api/v1/people", {"name": "Ana Souza", "email": "ana@example.org"},
                                  headers=admin_headers, status=201).json
    with roster_app.app.registry["dbsession_factory"]() as db:
        person["token"], person["action_token"] = db.execute(
            select(Person.feed_token, Person.action_token).where(Person.id == person["id"])
        ).one()
    return person


def test_admins_get_the_persons_feed_links_with_the_token(roster_app, admin_headers, ana):
    feeds = roster_app.get(f"/api/v1/people/{ana['id']}/feeds", headers=admin_headers).json["feeds"]
    assert feeds and all(f"token={ana['token']}" in feed["url"] for feed in feeds)


def test_nobody_else_ever_sees_a_persons_token(roster_app, ana):
    public = roster_app.app.registry.plantao_settings.public_roster
    # A private roster shows anonymous readers nothing at all.
    for headers in [VIEWER, {}] if public else [VIEWER]:
        for url in (f"/api/v1/people/{ana['id']}/feeds", f"/api/v1/people/{ana['id']}", "/api/v1/people",
                    f"/people/{ana['id']}"):
            body = roster_app.get(url, headers=headers).text
            assert ana["token"] not in body and ana["action_token"] not in body, (url, headers)
        feeds = roster_app.get(f"/api/v1/people/{ana['id']}/feeds", headers=headers).json["feeds"]
        assert feeds and all("token=" not in feed["url"] for feed in feeds)


def test_a_viewer_cannot_change_anybodys_notification_preferences(roster_app, admin_headers, ana):
    url = f"/api/v1/people/{ana['id']}/notification-preferences"
    feed = roster_app.get(f"/api/v1/people/{ana['id']}/feeds", headers=VIEWER).json["feeds"][0]["url"]
    found = feed.partition("token=")[2]
    query = f"?token={found}" if found else ""
    roster_app.put_json(url + query, {"reminders": False}, headers=VIEWER, status=403)
    assert roster_app.get(url, headers=admin_headers).json["reminders"] is True


def test_the_persons_action_link_opens_their_page_with_their_feed(roster_app, ana):
    page = roster_app.get(f"/people/{ana['id']}", params={"token": ana["action_token"]})
    feed = page.html.select_one("#feed-url")["value"]
    public = roster_app.app.registry.plantao_settings.public_roster
    assert (f"token={ana['token']}" in feed) is (not public), "a private roster's feed needs the token"
    assert ana["action_token"] not in feed


def test_what_a_persons_own_link_does_is_audited_in_their_name(roster_app, admin_headers, ana):
    url = f"/api/v1/people/{ana['id']}/notification-preferences"
    roster_app.put_json(url + f"?token={ana['token']}", {"reminders": False}, status=200)
    page = roster_app.get(f"/people/{ana['id']}", params={"token": ana["action_token"]})
    form = next(f for f in page.forms.values() if "/preferences" in (f.action or ""))
    form["reminders"] = True
    form.submit(status=303)
    entries = roster_app.get("/api/v1/audit", params={"entity": "notification_preferences"},
                             headers=admin_headers).json["entries"]
    assert [e["actor"] for e in entries] == [f"person-{ana['id']}-link (Ana Souza)"] * 2
