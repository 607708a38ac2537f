"""Every built-in channel passes the contract a plugin author runs on theirs."""

from __future__ import annotations

from plantao.testing import NotificationChannelContract
from plantao_plugins.channels import EmailChannel, SlackChannel, TelegramChannel, WebhookChannel


class TestEmailChannel(NotificationChannelContract):
    channel = EmailChannel()
    params = {
        "host": "smtp.example.org", "port": 587, "security": "starttls", "user": "plantao",
        "password": "smtp-password-0123456789", "from": "plantao@example.org",
        "team_address": "infra@example.org",
    }


class TestWebhookChannel(NotificationChannelContract):
    channel = WebhookChannel()
    params = {"url": "https://hooks.example.org/plantao", "secret": "webhook-secret-0123456789"}


class TestTelegramChannel(NotificationChannelContract):
    channel = TelegramChannel()
    params = {"bot_token": "123456:telegram-token-abcdef", "chat_id": "-1001234"}


class TestSlackChannel(NotificationChannelContract):
    channel = SlackChannel()
    params = {"webhook_url": "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"}


def test_the_contract_catches_a_channel_that_shows_its_secret():
    import pytest

    class Leaky(WebhookChannel):
        def mask(self, params):
            return dict(params)

    class TestLeaky(TestWebhookChannel):
        channel = Leaky()

    with pytest.raises(AssertionError, match="secret is shown in full"):
        TestLeaky().test_mask_hides_every_secret_and_keeps_the_rest()


def test_the_contract_catches_a_channel_that_reaches_people_without_contacts():
    import pytest

    class Careless(EmailChannel):
        def person_destination(self, person, params):
            return {"to": person.email}

    class TestCareless(TestEmailChannel):
        channel = Careless()

    with pytest.raises(AssertionError):
        TestCareless().test_a_person_without_contacts_has_no_destination()


def test_a_channel_validates_its_params_without_reading_settings():
    import pytest

    assert EmailChannel().validate({"host": "smtp.example.org"}) == {"host": "smtp.example.org"}
    with pytest.raises(ValueError, match=r"invalid parameters for 'email' \(at port\)"):
        EmailChannel().validate({"port": 0})
