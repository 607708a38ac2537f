"""A person acts through their action link, or an account linked to them.

The action link (``/people/{id}?token=<action_token>``) opens the person's
own page and notification preferences; it never appears in a feed's
address, which calendar services keep.  The feed link used to open the
preferences: it still does, with a notice, until FEED_LINK_PREFERENCES_UNTIL,
and afterwards only reads, like any reader.  Owners rotate the action link,
and the old one stops working at once.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.config import ConfigurationError, load_settings
from plantao.models import Person
from plantao.services.accounts import AccountService
from plantao.services.context import ServiceContext
from plantao.services.people import feed_link_opens_preferences

from tests.conftest import ADMIN_PASSWORD
from tests.functional.conftest import csrf_of

VIEWER_PASSWORD = "viewer password of the action link tests"
ACCOUNT_PASSWORD = "correct horse battery staple"
ADMIN = {"Authorization": f"Bearer {ADMIN_PASSWORD}"}
PT = {"Accept-Language": "pt-BR"}


def build(app_with, public: bool = True, **changes):
    app = app_with(public_roster=public, viewer_password=VIEWER_PASSWORD, **changes)
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.60"})


@pytest.fixture(params=[True, False], ids=["public_roster", "private_roster"])
def public(request):
    return request.param


@pytest.fixture
def client(app_with, public):
    return build(app_with, public)


def add_person(client, name="Ana Souza") -> dict:
    person = client.post_json("/api/v1/people", {"name": name, "email": "ana@example.org"},
                              headers=ADMIN, status=201).json
    return person | tokens_of(client, person["id"])


def tokens_of(client, person_id: int) -> dict:
    with client.app.registry["dbsession_factory"]() as db:
        row = db.execute(select(Person.feed_token, Person.action_token).where(Person.id == person_id)).one()
    return {"feed_token": row.feed_token, "action_token": row.action_token}


def preferences_form(page):
    forms = [f for f in page.forms.values() if "/preferences" in (f.action or "")]
    return forms[0] if forms else None


def preferences_of(client, person_id: int) -> dict:
    return client.get(f"/api/v1/people/{person_id}/notification-preferences", headers=ADMIN).json


def read_view(client, url: str, public: bool, **kw):
    """``url`` as any reader sees it: the page on a public roster; on a private one, off to the login."""
    answer = client.get(url, status=200 if public else 303, **kw)
    if not public:
        assert "/admin/login?next=" in answer.location
    return answer


def post_form(client, url: str, data: dict, **kw):
    """A form post from a browser with a session, CSRF token included: only the link is wrong."""
    csrf = csrf_of(client.get("/admin/login", {"next": "/"}))
    return client.post(url, {**data, "csrf_token": csrf}, **kw)


def audit(client, **params) -> list[dict]:
    return client.get("/api/v1/audit", params=params, headers=ADMIN).json["entries"]


# -- the action link ----------------------------------------------------------------------


def test_the_action_link_opens_the_persons_preferences_and_saves_them(client):
    ana = add_person(client)
    page = client.get(f"/people/{ana['id']}", params={"token": ana["action_token"]}, headers=PT)
    assert "Suas notificações" in page.text
    assert "ana@example.org" in page.text, "the person sees every contact of theirs"
    assert "vai deixar de abrir" not in page.text, "no notice for the new link"
    form = preferences_form(page)
    assert f"token={ana['action_token']}" in form.action and ana["feed_token"] not in form.action
    form["reminders"] = False
    saved = form.submit(status=303)
    assert saved.location.endswith(f"/people/{ana['id']}?token={ana['action_token']}#preferences")
    assert ana["feed_token"] not in saved.location
    assert "preferências de notificação foram salvas" in saved.follow(headers=PT).text
    assert preferences_of(client, ana["id"])["reminders"] is False
    entries = audit(client, entity="notification_preferences")
    assert [e["actor"] for e in entries] == [f"person-{ana['id']}-link (Ana Souza)"]


def test_the_action_link_posts_without_a_session_and_refuses_bad_input_with_422(client):
    ana = add_person(client)
    url = f"/people/{ana['id']}/preferences?token={ana['action_token']}"
    # The secret is in the URL: no cookie, no CSRF token needed (nothing ambient to borrow).
    client.post(url, {"reminders": "on", "language": "en"}, status=303)
    assert preferences_of(client, ana["id"])["language"] == "en"
    page = client.post(url, {"quiet_hours.start": "22:00", "language": "en"}, headers=PT, status=422)
    assert "Nada foi salvo: confira os campos marcados abaixo." in page.text
    assert preferences_of(client, ana["id"])["quiet_hours"] is None


def test_one_persons_action_link_does_not_open_anothers_preferences(client, public):
    ana, bruno = add_person(client), add_person(client, "Bruno Lima")
    page = read_view(client, f"/people/{bruno['id']}?token={ana['action_token']}", public)
    if public:
        assert preferences_form(page) is None
    post_form(client, f"/people/{bruno['id']}/preferences?token={ana['action_token']}", {"reminders": "on"},
              status=404)


def test_feed_urls_never_carry_the_action_token(client, public):
    ana = add_person(client)
    page = client.get(f"/people/{ana['id']}", params={"token": ana["action_token"]})
    feed = page.html.select_one("#feed-url")["value"]
    assert "/export.ics" in feed and ana["action_token"] not in feed
    assert (f"token={ana['feed_token']}" in feed) is (not public), "a private roster's feed needs its token"
    for headers in (ADMIN, {"Authorization": f"Bearer {VIEWER_PASSWORD}"}):
        feeds = client.get(f"/api/v1/people/{ana['id']}/feeds", headers=headers).json["feeds"]
        assert feeds and all(ana["action_token"] not in (f["url"] + (f["webcal"] or "")) for f in feeds)
    rotated = client.post(f"/api/v1/people/{ana['id']}/feed-token", headers=ADMIN).json["feeds"]
    assert all(ana["action_token"] not in f["url"] for f in rotated)
    # Nobody else's view of the person shows the action token either.
    for url in (f"/api/v1/people/{ana['id']}", "/api/v1/people", f"/people/{ana['id']}"):
        assert ana["action_token"] not in client.get(url, headers=ADMIN).text, url


def test_a_token_that_is_not_utf8_is_a_400(client):
    ana = add_person(client)
    client.get(f"/people/{ana['id']}?token=%FF%FE", status=400)


@pytest.mark.parametrize("token", ["wrong", "x" * 200, "%C3%A9", ""])
def test_a_wrong_token_shows_the_public_view_or_the_login_never_a_500(client, public, token):
    ana = add_person(client)
    page = read_view(client, f"/people/{ana['id']}?token={token}", public)
    if public:
        assert preferences_form(page) is None and "ana@example.org" not in page.text
    post_form(client, f"/people/{ana['id']}/preferences?token={token}", {"reminders": "on"}, status=404)


# -- the old feed link, and its last day --------------------------------------------------


def test_until_its_last_day_the_feed_link_opens_the_preferences_with_a_notice(app_with, public, today):
    # The last day itself (in PLANTAO_TIMEZONE) is still inside the transition.
    client = build(app_with, public, feed_link_preferences_until=today)
    ana = add_person(client)
    page = client.get(f"/people/{ana['id']}", params={"token": ana["feed_token"]}, headers=PT)
    assert "Este link vai deixar de abrir suas preferências em " + today.strftime("%d/%m/%Y") in page.text
    assert "use o seu link de ações" in page.text
    assert ana["action_token"] not in page.text, "the old link does not hand out the action link"
    form = preferences_form(page)
    form["reminders"] = False
    saved = form.submit(status=303)
    assert ana["action_token"] not in saved.location
    assert preferences_of(client, ana["id"])["reminders"] is False
    english = client.get(f"/people/{ana['id']}", params={"token": ana["feed_token"]},
                         headers={"Accept-Language": "en"})
    assert "This link will stop opening your preferences on" in english.text


@pytest.mark.parametrize("until", [date.today() - timedelta(days=2), None], ids=["past", "empty"])
def test_after_its_last_day_the_feed_link_only_reads(app_with, public, until):
    client = build(app_with, public, feed_link_preferences_until=until)
    ana = add_person(client)
    page = read_view(client, f"/people/{ana['id']}?token={ana['feed_token']}", public)
    if public:
        assert preferences_form(page) is None and "vai deixar de abrir" not in page.text
        assert "ana@example.org" not in page.text, "a reader's contacts, not the person's own"
    post_form(client, f"/people/{ana['id']}/preferences?token={ana['feed_token']}", {"reminders": "on"}, status=404)
    # Never requests either: a feed token is no action link there.
    refused = client.post(f"/people/{ana['id']}/requests?token={ana['feed_token']}", {"kind": "cover", "shift": "1"},
                          expect_errors=True)
    # Refused; a private roster sends the browser to the login form.
    assert refused.status_int in (401, 403, 404) or "/admin/login" in refused.headers.get("Location", "")
    # The feed itself still works with it.
    client.get(f"/api/v1/people/{ana['id']}/export.ics", params={"token": ana["feed_token"]}, status=200)
    # And the action link still opens the preferences.
    page = client.get(f"/people/{ana['id']}", params={"token": ana["action_token"]})
    assert preferences_form(page) is not None


def test_the_last_day_is_included():
    last = date(2027, 3, 31)
    assert feed_link_opens_preferences(last, date(2027, 3, 30))
    assert feed_link_opens_preferences(last, last)
    assert not feed_link_opens_preferences(last, date(2027, 4, 1))
    assert not feed_link_opens_preferences(None, date(2000, 1, 1))


def test_the_setting_defaults_to_march_2027_empty_ends_it_and_a_bad_value_stops_start_up(tmp_path):
    def load(**environ):
        return load_settings({"PLANTAO_DATA_DIR": str(tmp_path), **environ}, dotenv_path=None,
                             create_data_dir=False).feed_link_preferences_until

    assert load() == date(2027, 3, 31)
    assert load(FEED_LINK_PREFERENCES_UNTIL="2026-12-31") == date(2026, 12, 31)
    assert load(FEED_LINK_PREFERENCES_UNTIL="") is None
    for bad in ("31/03/2027", "2027-02-30", "soon"):
        with pytest.raises(ConfigurationError, match="FEED_LINK_PREFERENCES_UNTIL must be a date as YYYY-MM-DD"):
            load(FEED_LINK_PREFERENCES_UNTIL=bad)


# -- rotation -----------------------------------------------------------------------------


@pytest.fixture
def world(app_with, settings, plugins, clean_engine):
    """A private roster with Ana, team infra, a team admin of it, a viewer account and a write token."""
    client = build(app_with, public=False)
    client.post_json("/api/v1/teams", {"slug": "infra", "name": "Infra"}, headers=ADMIN, status=201)
    ana = add_person(client)
    with Session(clean_engine) as session:
        accounts = AccountService(ServiceContext(session, settings, plugins))
        accounts.create({"name": "Tiago", "email": "tiago@example.com", "password": ACCOUNT_PASSWORD,
                         "role": "team_admin", "teams": ["infra"]})
        accounts.create({"name": "Ana", "email": "ana@example.com", "password": ACCOUNT_PASSWORD,
                         "role": "viewer", "person": ana["id"]})
        session.commit()
    token = client.post_json("/api/v1/tokens", {"name": "CI", "scopes": ["write"]}, headers=ADMIN).json["token"]
    return client, ana, token


def log_in(app, email: str | None = None, password: str = ACCOUNT_PASSWORD, address: str = "192.0.2.61"):
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": address})
    form = browser.get("/admin/login").forms[0]
    if email:
        form["email"] = email
    form["password"] = password
    form.submit(status=303)
    return browser


def test_an_owner_rotates_the_action_link_and_the_old_one_stops_at_once(world):
    client, ana, _ = world
    answer = client.post(f"/api/v1/people/{ana['id']}/action-token", headers=ADMIN, status=200).json
    new = tokens_of(client, ana["id"])
    assert new["action_token"] != ana["action_token"] and new["feed_token"] == ana["feed_token"]
    assert answer["person"] == ana["id"]
    assert answer["action_url"].endswith(f"/people/{ana['id']}?token={new['action_token']}")
    assert "/export." not in answer["action_url"]
    # The old link: on this private roster, nothing at all.
    read_view(client, f"/people/{ana['id']}?token={ana['action_token']}", public=False)
    post_form(client, f"/people/{ana['id']}/preferences?token={ana['action_token']}", {"reminders": "on"},
              status=404)
    page = client.get(f"/people/{ana['id']}", params={"token": new["action_token"]})
    assert preferences_form(page) is not None
    entries = audit(client, entity="person")
    assert entries[0]["action"] == "rotate_action_token" and entries[0]["entity_id"] in (ana["id"], str(ana["id"]))
    assert new["action_token"] not in str(entries[0])


def test_only_an_owner_rotates_an_action_link(world):
    client, ana, write_token = world
    url = f"/api/v1/people/{ana['id']}/action-token"
    app = client.app
    team_admin = log_in(app, "tiago@example.com", address="192.0.2.62")
    csrf = csrf_of(team_admin.get("/admin/login", {"next": "/"}))
    team_admin.post(url, headers={"X-CSRF-Token": csrf}, status=403)
    client.post(url, headers={"Authorization": f"Bearer {VIEWER_PASSWORD}"}, status=403)
    client.post(url, headers={"Authorization": f"Bearer {write_token}"}, status=403)
    # The person themselves, through their action link: the route is not theirs.
    assert client.post(url + f"?token={ana['action_token']}", expect_errors=True).status_int in (401, 403)
    client.post(url, status=401)
    assert tokens_of(client, ana["id"])["action_token"] == ana["action_token"]


def test_the_admin_panel_shows_an_owner_the_action_link_and_rotates_it(world):
    client, ana, _ = world
    owner = log_in(client.app, password=ADMIN_PASSWORD, address="192.0.2.63")
    page = owner.get(f"/admin/people/{ana['id']}", headers=PT)
    shown = page.html.select_one("#action-url")["value"]
    assert shown.endswith(f"/people/{ana['id']}?token={ana['action_token']}")
    form = next(f for f in page.forms.values() if f.get("rotate", default=None) is not None)
    answer = form.submit(status=303)
    new = tokens_of(client, ana["id"])["action_token"]
    assert new != ana["action_token"]
    page = answer.follow(headers=PT)
    assert "novo link de ações" in page.text
    assert page.html.select_one("#action-url")["value"].endswith(f"?token={new}")
    # Without the CSRF token, nothing happens.
    owner.post(f"/admin/people/{ana['id']}", {"rotate": "action-link"}, status=400)
    assert tokens_of(client, ana["id"])["action_token"] == new


def test_the_admin_panel_hides_the_action_link_from_the_person_list_and_other_roles(world):
    client, ana, _ = world
    viewer = log_in(client.app, password=VIEWER_PASSWORD, address="192.0.2.64")
    answer = viewer.get(f"/admin/people/{ana['id']}", expect_errors=True)
    assert ana["action_token"] not in answer.text
    team_admin = log_in(client.app, "tiago@example.com", address="192.0.2.65")
    answer = team_admin.get(f"/admin/people/{ana['id']}", expect_errors=True)
    assert ana["action_token"] not in answer.text


# -- an account linked to the person ------------------------------------------------------


def test_an_account_linked_to_the_person_sees_and_saves_their_preferences(world):
    client, ana, _ = world
    browser = log_in(client.app, "ana@example.com", address="192.0.2.66")
    page = browser.get(f"/people/{ana['id']}", headers=PT)
    form = preferences_form(page)
    assert form is not None and "token=" not in form.action
    assert "vai deixar de abrir" not in page.text
    feed = page.html.select_one("#feed-url")["value"]
    assert ana["action_token"] not in page.text and f"token={ana['feed_token']}" in feed
    form["reminders"] = False
    saved = form.submit(status=303)
    assert "token=" not in saved.location
    assert preferences_of(client, ana["id"])["reminders"] is False
    entries = audit(client, entity="notification_preferences")
    assert entries[0]["actor"] == "account:ana@example.com"
    # A session's form needs its CSRF token.
    browser.post(f"/people/{ana['id']}/preferences", {"reminders": "on"}, status=400)
    # Another account (not linked to Ana) gets no form.
    other = log_in(client.app, "tiago@example.com", address="192.0.2.67")
    assert preferences_form(other.get(f"/people/{ana['id']}")) is None
    other.post(f"/people/{ana['id']}/preferences", {"reminders": "on",
               "csrf_token": csrf_of(other.get("/admin/login", {"next": "/"}))}, status=404)
