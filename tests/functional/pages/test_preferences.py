"""A person's own notification preferences, on the page their secret link opens."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from plantao.models import Person


@pytest.fixture
def people(api):
    ana = api("POST", "/api/v1/people", {"name": "Ana Souza", "email": "ana@example.org"})
    bruno = api("POST", "/api/v1/people", {"name": "Bruno Lima", "email": "bruno@example.org"})
    return ana, bruno


def token_of(app, person_id: int) -> str:
    with app.registry["dbsession_factory"]() as db:
        return db.scalar(select(Person.action_token).where(Person.id == person_id))


def preferences_form(page):
    return next(f for f in page.forms.values() if "/preferences" in (f.action or ""))


def test_a_person_with_their_link_edits_their_preferences(testapp, app, api, people):
    ana, _ = people
    token = token_of(app, ana["id"])
    page = testapp.get(f"/people/{ana['id']}", params={"token": token}, headers={"Accept-Language": "pt-BR"})
    assert "Suas notificações" in page.text
    form = preferences_form(page)
    form["reminders"] = False
    form["quiet_hours.start"], form["quiet_hours.end"] = "22:00", "07:00"
    form["language"] = "en"
    for box in form.fields["events.digest"]:
        box.checked = box._value == "email"
    saved = form.submit(status=303)
    assert saved.location.endswith(f"/people/{ana['id']}?token={token}#preferences")
    assert "preferências de notificação foram salvas" in saved.follow(headers={"Accept-Language": "pt-BR"}).text
    prefs = api("GET", f"/api/v1/people/{ana['id']}/notification-preferences")
    assert prefs["reminders"] is False and prefs["language"] == "en"
    assert prefs["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert prefs["events"] == {"digest": ["email"]}
    # What was saved is what the form shows next time.
    form = preferences_form(testapp.get(f"/people/{ana['id']}", params={"token": token}))
    assert form["quiet_hours.start"].value == "22:00" and form["reminders"].checked is False


def test_half_a_quiet_period_is_refused_and_nothing_is_saved(testapp, app, api, people):
    ana, _ = people
    token = token_of(app, ana["id"])
    form = preferences_form(testapp.get(f"/people/{ana['id']}", params={"token": token},
                                        headers={"Accept-Language": "en"}))
    form["quiet_hours.start"] = "22:00"
    page = form.submit(headers={"Accept-Language": "en"}, status=422)
    assert "Enter both times as HH:MM" in page.text
    assert api("GET", f"/api/v1/people/{ana['id']}/notification-preferences")["quiet_hours"] is None


def test_without_the_person_s_own_token_the_form_is_neither_shown_nor_accepted(testapp, app, api, people, csrf):
    ana, bruno = people
    token = token_of(app, ana["id"])
    page = testapp.get(f"/people/{ana['id']}", params={"token": token})
    body = {"csrf_token": csrf(page), "language": "en", "reminders": ""}
    testapp.post(f"/people/{ana['id']}/preferences", body, status=404)
    testapp.post(f"/people/{ana['id']}/preferences?token=wrong", body, status=404)
    # Ana's link opens Ana only.
    testapp.post(f"/people/{bruno['id']}/preferences?token={token}", body, status=404)
    testapp.post(f"/people/999/preferences?token={token}", body, status=404)
    assert "Suas notificações" not in testapp.get(f"/people/{bruno['id']}", params={"token": token},
                                                  status="*").text
    for person in (ana, bruno):
        assert api("GET", f"/api/v1/people/{person['id']}/notification-preferences")["language"] == "pt-BR"


def test_through_the_old_feed_link_the_form_needs_the_session_s_csrf_token(app_with, api, people):
    # The feed link is no credential of its own (calendar services hold it): its form
    # rides on the session.  The action link's secret, in the URL, is one, as a bearer
    # token is, and needs no CSRF token (tests/functional/test_action_links.py).
    import webtest

    ana, _ = people
    client = webtest.TestApp(app_with(feed_link_preferences_until=date(2999, 12, 31)))
    with client.app.registry["dbsession_factory"]() as db:
        token = db.scalar(select(Person.feed_token).where(Person.id == ana["id"]))
    client.get(f"/people/{ana['id']}", params={"token": token})
    client.post(f"/people/{ana['id']}/preferences?token={token}", {"language": "en", "csrf_token": "forged"},
                status=400)
    assert api("GET", f"/api/v1/people/{ana['id']}/notification-preferences")["language"] == "pt-BR"
