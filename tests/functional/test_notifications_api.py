"""The notifications API: channels with masked secrets, timings, preferences by secret link, retries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from plantao.models import Person
from plantao.routes import API


def make_team_and_person(testapp, admin_headers):
    testapp.post_json(f"{API}/teams", {"slug": "ops", "name": "Ops"}, headers=admin_headers, status=201)
    return testapp.post_json(f"{API}/people", {"name": "Ana", "email": "ana@example.org"},
                             headers=admin_headers, status=201).json


def test_channel_secrets_are_masked_kept_and_validated_by_the_plugin_schema(testapp, admin_headers):
    make_team_and_person(testapp, admin_headers)
    url = f"{API}/teams/ops/notification-channels/telegram"
    secret = "123456789:AAAAAAAAAAAAAAAAAAAAAAAA-zz"
    shown = testapp.put_json(url, {"params": {"bot_token": secret, "chat_id": "-1001"}}, headers=admin_headers).json
    assert shown["params"]["bot_token"] == "********-zz"[:8] + secret[-4:]
    assert secret not in testapp.get(url, headers=admin_headers).text
    # Sending the masked value back keeps the secret; the schema still applies.
    kept = testapp.put_json(url, {"params": {**shown["params"], "chat_id": "-1002"}}, headers=admin_headers).json
    assert kept["params"]["bot_token"] == shown["params"]["bot_token"]
    invalid = testapp.put_json(url, {"params": {"chat_id": "-1"}}, headers=admin_headers, status=422).json
    assert "bot_token" in invalid["error"]
    testapp.put_json(f"{API}/teams/ops/notification-channels/fax", {"params": {}}, headers=admin_headers, status=404)
    testapp.get(url, status=401)
    audit = testapp.get(f"{API}/audit", headers=admin_headers).text
    assert secret not in audit


def test_a_person_edits_their_own_preferences_through_their_secret_link(testapp, admin_headers, app):
    person = make_team_and_person(testapp, admin_headers)
    url = f"{API}/people/{person['id']}/notification-preferences"
    factory = app.registry["dbsession_factory"]
    with factory() as db:
        token = db.scalar(select(Person.action_token).where(Person.id == person["id"]))
    testapp.get(url, status=401)
    testapp.get(url, params={"token": "wrong"}, status=401)
    body = {"language": "en", "reminders": False, "events": {"digest": ["email"]},
            "quiet_hours": {"start": "22:00", "end": "07:00"}}
    saved = testapp.put_json(f"{url}?token={token}", body).json
    assert saved["language"] == "en" and saved["reminders"] is False
    assert saved["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert testapp.get(url, headers=admin_headers).json == saved
    testapp.put_json(f"{url}?token={token}", {"events": {"digest": ["pigeon"]}}, status=422)


def test_the_feed_link_opens_the_preferences_api_only_until_its_last_day(app_with, admin_headers):
    import webtest

    for until, status in ((date(2999, 12, 31), 200), (None, 401)):
        client = webtest.TestApp(app_with(feed_link_preferences_until=until))
        person = make_team_and_person(client, admin_headers) if status == 200 else client.get(
            f"{API}/people", headers=admin_headers).json["people"][0]
        with client.app.registry["dbsession_factory"]() as db:
            feed = db.scalar(select(Person.feed_token).where(Person.id == person["id"]))
        url = f"{API}/people/{person['id']}/notification-preferences"
        assert client.get(url, params={"token": feed}, expect_errors=True).status_int == status


def test_team_timings_have_defaults_and_are_validated(testapp, admin_headers):
    make_team_and_person(testapp, admin_headers)
    url = f"{API}/teams/ops/notification-settings"
    assert testapp.get(url, headers=admin_headers).json["reminder_leads"] == [1440, 60]
    changed = testapp.put_json(url, {"reminder_leads": [30, 120], "digest_time": "07:30"}, headers=admin_headers).json
    assert changed["reminder_leads"] == [120, 30] and changed["digest_time"] == "07:30"
    testapp.put_json(url, {"digest_time": "25:00"}, headers=admin_headers, status=422)
    testapp.get(f"{API}/notifications/deliveries", params={"status": "lost"}, headers=admin_headers, status=400)
    testapp.post_json(f"{API}/notifications/deliveries/999/retry", {}, headers=admin_headers, status=404)
