"""Notifications in the admin panel: channels from their schemas, tests, deliveries, preferences."""

from __future__ import annotations

from datetime import timedelta

import pytest
import transaction
from sqlalchemy import select

from plantao.datetimes import utcnow
from plantao.db import get_session_factory, get_tm_session
from plantao.models import ChannelConfig, Delivery, DeliveryAttempt, OutboxEvent, Team
from tests.integration.notifications.notification_support import free_port, receiver  # noqa: F401  (fixture)

WEBHOOK_SECRET = "s3cret-signing-key-0123456789"
BOT_TOKEN = "123456789:AAAAAAAAAAAAAAAAAAAAAAAA-zz"
SLACK_URL = "https://hooks.slack.example/services/T000/B000/XXXXXXXXXXXXXXXX"
SMTP_PASSWORD = "smtp-password-0123456789"

CHANNEL_URL = "/admin/teams/infra/notifications/channels/{}"


@pytest.fixture
def team(api):
    api.post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    return "infra"


def channel_form(admin, name):
    page = admin.get(CHANNEL_URL.format(name))
    return page, next(f for f in page.forms.values() if f.action.endswith(f"/channels/{name}"))


def field_text(page, name: str) -> str:
    return page.html.find(id="f-" + name.replace(".", "-")).find_parent("div").text


def stored(api, name):
    return api.get(f"/api/v1/teams/infra/notification-channels/{name}")


def test_the_page_lists_configured_channels_and_the_installed_plugins(admin, api, team):
    page = admin.get("/admin/teams/infra/notifications")
    assert "Canais disponíveis" in page.text
    for name in ("email", "webhook", "telegram", "slack"):
        assert CHANNEL_URL.format(name) in page.text
    # The nav entry with only one team goes straight to it.
    assert admin.get("/admin/notifications", status=303).location.endswith("/admin/teams/infra/notifications")


@pytest.mark.parametrize(
    "name, bad, error_field, good, secret",
    [
        ("webhook", {"params.url": "ftp://example.org", "params.secret": "short"}, "params.url",
         {"params.url": "https://hooks.example.org/plantao", "params.secret": WEBHOOK_SECRET}, WEBHOOK_SECRET),
        ("telegram", {"params.bot_token": "", "params.chat_id": "not a chat id!"}, "params.bot_token",
         {"params.bot_token": BOT_TOKEN, "params.chat_id": "-1001"}, BOT_TOKEN),
        ("slack", {"params.webhook_url": "hooks.slack.example"}, "params.webhook_url",
         {"params.webhook_url": SLACK_URL}, SLACK_URL),
        ("email", {"params.host": "smtp.example.org", "params.port": "99999", "params.password": SMTP_PASSWORD},
         "params.port",
         {"params.host": "smtp.example.org", "params.port": "587", "params.user": "plantao",
          "params.password": SMTP_PASSWORD, "params.from": "plantao@example.org"}, SMTP_PASSWORD),
    ],
)
def test_each_built_in_channel_is_configured_through_its_schema_form(admin, api, team, name, bad, error_field,
                                                                      good, secret):
    page, form = channel_form(admin, name)
    for key, value in bad.items():
        form[key] = value
    page = form.submit(status=422)
    assert "has-error" in page.html.find(id="f-" + error_field.replace(".", "-")).find_parent("div")["class"]
    # A secret typed into a form with errors is not sent back to the browser.
    assert SMTP_PASSWORD not in page.text
    assert api.get("/api/v1/teams/infra/notification-channels")["channels"] == []

    page, form = channel_form(admin, name)
    for key, value in good.items():
        form[key] = value
    assert "Canal" in form.submit(status=303).follow().text
    saved = stored(api, name)
    assert saved["enabled"] is True and saved["params"]
    # The page shows the secret masked, in a password input, and never in full.
    page, form = channel_form(admin, name)
    assert secret not in page.text
    secret_key = next(k for k in good if good[k] == secret)
    assert page.html.find(id="f-" + secret_key.replace(".", "-"))["type"] == "password"
    assert form[secret_key].value.startswith("********")
    # Saving the form unchanged keeps the stored secret.
    form.submit(status=303)
    assert stored(api, name)["params"] == saved["params"]


def test_a_changed_parameter_keeps_the_secret_and_schema_errors_save_nothing(admin, api, team, app):
    page, form = channel_form(admin, "webhook")
    form["params.url"], form["params.secret"] = "https://a.example.org/hook", WEBHOOK_SECRET
    form.submit(status=303)
    page, form = channel_form(admin, "webhook")
    form["params.url"] = "https://b.example.org/hook"
    form["events"] = ["coverage_gap"]
    form["language"] = "en"
    form.submit(status=303)
    saved = stored(api, "webhook")
    assert saved["params"]["url"] == "https://b.example.org/hook" and saved["events"] == ["coverage_gap"]
    assert saved["language"] == "en"
    with app.registry["dbsession_factory"]() as db:
        assert db.scalars(select(ChannelConfig)).one().params["secret"] == WEBHOOK_SECRET
    page, form = channel_form(admin, "webhook")
    form["params.url"] = "not a url"
    page = form.submit(status=422)
    assert "formato esperado" in field_text(page, "params.url")
    assert stored(api, "webhook")["params"]["url"] == "https://b.example.org/hook"


def test_a_test_message_reaches_a_local_webhook_and_a_dead_url_shows_the_error(admin, api, team, receiver):
    page, form = channel_form(admin, "webhook")
    assert "Enviar uma mensagem de teste" not in page.text  # nothing saved yet, nothing to test
    form["params.url"], form["params.secret"] = f"{receiver.url}/hook", WEBHOOK_SECRET
    form.submit(status=303)
    page = admin.get(CHANNEL_URL.format("webhook"))
    test = next(f for f in page.forms.values() if f.action.endswith("/test"))
    result = test.submit(status=200)
    assert "Mensagem de teste enviada" in result.html.select_one(".test-result").text
    [request] = receiver.on("/hook")
    assert request.json["event"] == "test" and request.headers["x-plantao-signature"].startswith("t=")

    dead = f"http://127.0.0.1:{free_port()}/hook"
    page, form = channel_form(admin, "webhook")
    form["params.url"] = dead
    form.submit(status=303)
    page = admin.get(CHANNEL_URL.format("webhook"), headers={"Accept-Language": "en"})
    test = next(f for f in page.forms.values() if f.action.endswith("/test"))
    result = test.submit(headers={"Accept-Language": "en"}, status=200)
    note = result.html.select_one(".test-result").text
    assert "The test message was not delivered" in note and "Could not connect to 127.0.0.1" in note


def test_deleting_a_channel(admin, api, team):
    page, form = channel_form(admin, "slack")
    form["params.webhook_url"] = SLACK_URL
    form.submit(status=303)
    page = admin.get(CHANNEL_URL.format("slack"))
    delete = next(f for f in page.forms.values() if f.action.endswith("/delete"))
    delete.submit(status=303)
    assert api.get("/api/v1/teams/infra/notification-channels")["channels"] == []


def test_team_timings_form(admin, api, team):
    form = admin.get("/admin/teams/infra/notifications").forms[1]
    assert form["reminder_leads"].value == "1440, 60"
    form["reminder_leads"] = "30, 120"
    form["digest_time"] = "07:30"
    form.submit(status=303)
    timings = api.get("/api/v1/teams/infra/notification-settings")
    assert timings["reminder_leads"] == [120, 30] and timings["digest_time"] == "07:30"
    form = admin.get("/admin/teams/infra/notifications").forms[1]
    form["reminder_leads"] = "60, soon"
    page = form.submit(status=422)
    assert "número" in field_text(page, "reminder_leads")
    assert api.get("/api/v1/teams/infra/notification-settings")["reminder_leads"] == [120, 30]


def failed_delivery(engine) -> int:
    """A delivery that gave up after three tries, as the dispatcher leaves it."""
    manager = transaction.TransactionManager(explicit=True)
    with manager:
        db = get_tm_session(get_session_factory(engine), manager)
        team = db.scalars(select(Team)).one()
        now = utcnow()
        event = OutboxEvent(kind="coverage_gap", team_id=team.id, payload={}, created_at=now)
        db.add(event)
        db.flush()
        delivery = Delivery(
            event_id=event.id, kind="coverage_gap", team_id=team.id, channel="webhook",
            destination={"url": "http://127.0.0.1:9/hook"}, message={"subject": "Lacuna na escala"},
            status="failed", attempts=3, next_attempt_at=now, last_error="cannot reach 127.0.0.1:9: refused",
            idempotency_key="plantao-test-failed-1", created_at=now,
        )
        db.add(delivery)
        db.flush()
        for number in (1, 2, 3):
            db.add(DeliveryAttempt(delivery_id=delivery.id, number=number, worker="w1",
                                   started_at=now - timedelta(minutes=10 - number), finished_at=now, ok=False,
                                   error="cannot reach 127.0.0.1:9: refused"))
        return delivery.id


def test_failed_deliveries_are_listed_with_their_attempts_and_retried(admin, api, team, clean_engine):
    delivery_id = failed_delivery(clean_engine)
    page = admin.get("/admin/notifications/deliveries", params={"status": "failed"})
    item = page.html.select_one("ol.deliveries > li")
    assert f"#{delivery_id}" in item.text and "Falhou" in item.text
    assert len(item.select("details tbody tr")) == 3 and "cannot reach" in item.text
    assert admin.get("/admin/notifications/deliveries", params={"status": "sent"}).html.select("ol.deliveries > li") == []
    retry = next(f for f in page.forms.values() if f.action.endswith(f"/deliveries/{delivery_id}/retry"))
    after = retry.submit(status=303)
    assert "status=failed" in after.location
    assert "será enviada de novo" in after.follow().text
    [retried] = api.get("/api/v1/notifications/deliveries")["deliveries"]
    assert retried["status"] == "pending" and retried["attempts"] == 0


def test_an_admin_edits_a_person_s_preferences(admin, api, team):
    ana = api.post("/api/v1/people", {"name": "Ana", "email": "ana@example.org"})
    assert f"/admin/people/{ana['id']}/preferences" in admin.get(f"/admin/people/{ana['id']}").text
    form = admin.get(f"/admin/people/{ana['id']}/preferences").forms[1]
    form["reminders"] = False
    form["quiet_hours.start"], form["quiet_hours.end"] = "22:00", "07:00"
    form["language"] = "en"
    for box in form.fields["events.digest"]:
        box.checked = box._value == "email"
    form.submit(status=303)
    prefs = api.get(f"/api/v1/people/{ana['id']}/notification-preferences")
    assert prefs["reminders"] is False and prefs["language"] == "en"
    assert prefs["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert prefs["events"] == {"digest": ["email"]}

    form = admin.get(f"/admin/people/{ana['id']}/preferences").forms[1]
    form["quiet_hours.end"] = ""
    form["timezone"] = "Mars/Olympus"
    page = form.submit(status=422)
    assert page.html.select(".has-error")
    assert api.get(f"/api/v1/people/{ana['id']}/notification-preferences")["quiet_hours"]["end"] == "07:00"


def test_forms_without_this_session_s_token_change_nothing(admin, api, team):
    admin.post(CHANNEL_URL.format("slack"), {"params.webhook_url": SLACK_URL, "csrf_token": "forged"}, status=400)
    assert api.get("/api/v1/teams/infra/notification-channels")["channels"] == []
    admin.post(CHANNEL_URL.format("slack") + "/test", {"csrf_token": "forged"}, status=400)
    admin.post("/admin/notifications/deliveries/1/retry", {}, status=400)


def test_every_notifications_page_needs_the_admin(browser, api, team):
    for url in ("/admin/notifications", "/admin/teams/infra/notifications", CHANNEL_URL.format("webhook"),
                "/admin/notifications/deliveries"):
        assert "/admin/login?next=" in browser.get(url, status=303).location
