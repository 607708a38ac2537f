"""Phones are personal data: who sees which contact, and private rosters."""

from __future__ import annotations

import pytest
import webtest

VIEWER_PASSWORD = "viewer password for tests"


@pytest.fixture
def reconfigured(app_with):
    """``reconfigured(public_contacts=False)``: a client of the app with other settings."""

    def build(**changes) -> webtest.TestApp:
        app = app_with(viewer_password=VIEWER_PASSWORD, **changes)
        return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.10"})

    return build


def assert_sent_to_login(response) -> None:
    """A private page read without the right credential: sent to the login form, nothing shown."""
    assert response.status_int == 303, f"{response.status}: {response.text[:300]}"
    assert "/admin/login?next=" in response.location
    assert "Ana Souza" not in response.text


def phones(page) -> set[str]:
    return {a["href"] for a in page.html.select("a[href^='tel:']")}


def tel(person: dict) -> str:
    return "tel:" + person["phone"].replace(" ", "").replace("-", "")


def test_anonymous_visitors_see_only_the_phones_of_now_and_next(testapp, roster, oncall):
    state = oncall()
    now, following = state["oncall"][0]["person"], state["next_handoff"]["person"]
    other = ({"Ana Souza", "Bruno Lima", "Carla Dias"} - {now["name"], following["name"]}).pop()
    other = next(p for p in roster.values() if isinstance(p, dict) and p["name"] == other)
    for url in ("/", "/teams/infra"):
        page = testapp.get(url)
        assert phones(page) == {tel(now), tel(following)}
        assert "@example.org" not in page.text
        assert other["phone"] not in page.text
    # A person's page follows the same rule as the API: the phone of whoever
    # is on call now (never an email), nobody else's.
    person_page = testapp.get(f"/people/{now['id']}")
    assert phones(person_page) == {tel(now)} and "@example.org" not in person_page.text
    other_page = testapp.get(f"/people/{other['id']}")
    assert not phones(other_page) and "@example.org" not in other_page.text


def test_logged_in_readers_see_every_contact(testapp, roster, admin_headers, oncall):
    now = oncall()["oncall"][0]["person"]
    page = testapp.get("/", headers=admin_headers)
    assert tel(now) in phones(page)
    assert f"mailto:{now['email']}" in page.text
    person_page = testapp.get(f"/people/{roster['ana']['id']}", headers=admin_headers)
    assert tel(roster["ana"]) in phones(person_page)
    assert "mailto:ana@example.org" in person_page.text


def test_public_contacts_false_hides_every_contact_from_anonymous_visitors(reconfigured, roster, oncall):
    client = reconfigured(public_contacts=False)
    for url in ("/", "/teams/infra", f"/people/{roster['ana']['id']}"):
        page = client.get(url)
        assert not phones(page), url
        assert "@example.org" not in page.text and "wa.me" not in page.text and "t.me" not in page.text
    viewer = client.get("/", headers={"Authorization": f"Bearer {VIEWER_PASSWORD}"})
    assert tel(oncall()["oncall"][0]["person"]) in phones(viewer)


@pytest.mark.parametrize("url", ["/", "/teams/infra", "/people/1"])
def test_a_private_roster_needs_a_login(reconfigured, roster, url):
    client = reconfigured(public_roster=False)
    response = client.get(url, status="*")
    assert_sent_to_login(response)


@pytest.mark.parametrize("password", ["viewer", "admin"])
def test_viewer_and_admin_passwords_open_a_private_roster(reconfigured, roster, settings, password):
    client = reconfigured(public_roster=False)
    secret = VIEWER_PASSWORD if password == "viewer" else settings.admin_password
    headers = {"Authorization": f"Bearer {secret}"}
    for url in ("/", "/teams/infra", f"/people/{roster['ana']['id']}"):
        assert "Ana Souza" in client.get(url, headers=headers).text


def feed_token(dbsession, person_id: int) -> str:
    from plantao.models import Person

    return dbsession.get(Person, person_id).feed_token


def test_the_secret_link_opens_the_persons_own_page(reconfigured, roster, dbsession):
    client = reconfigured(public_roster=False)
    ana, bruno = roster["ana"], roster["bruno"]
    token = feed_token(dbsession, ana["id"])
    page = client.get(f"/people/{ana['id']}", params={"token": token})
    assert page.html.select_one("h1").text.strip() == "Ana Souza"
    # Only their own page: the same token does not open somebody else's.
    assert_sent_to_login(client.get(f"/people/{bruno['id']}", params={"token": token}, status="*"))
    # Nor the rest of the roster.
    assert_sent_to_login(client.get("/teams/infra", params={"token": token}, status="*"))


@pytest.mark.parametrize("token", ["wrong", "", "x" * 200])
def test_a_wrong_token_opens_nothing(reconfigured, roster, token):
    client = reconfigured(public_roster=False)
    assert_sent_to_login(client.get(f"/people/{roster['ana']['id']}", params={"token": token}, status="*"))


def test_private_feed_links_carry_the_token_and_work(reconfigured, roster, dbsession, settings):
    client = reconfigured(public_roster=False)
    ana = roster["ana"]
    token = feed_token(dbsession, ana["id"])
    page = client.get(f"/people/{ana['id']}", params={"token": token})
    https = page.html.select_one("#feed-url")["value"]
    assert https.endswith(f"/api/v1/people/{ana['id']}/export.ics?token={token}")
    assert client.get(https.replace("http://localhost", "")).content_type == "text/calendar"
    viewer = {"Authorization": f"Bearer {VIEWER_PASSWORD}"}
    team_link = client.get("/teams/infra", headers=viewer).html.select_one("#feed-url")["value"]
    assert "/api/v1/teams/infra/export.ics?token=" in team_link
    assert client.get(team_link.replace("http://localhost", "")).content_type == "text/calendar"
