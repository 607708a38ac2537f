"""SMTP_HOST alone emails nobody: the email channel is on only for the teams that enable it."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import timedelta

from sqlalchemy import func, select

from plantao.models import Delivery
from plantao.notifications.dispatcher import Dispatcher

from notification_support import T0, configure


def test_smtp_host_alone_emails_nobody_until_a_team_enables_the_channel(
    roster, write, settings, plugins, session_factory, smtp
):
    instance = dataclasses.replace(
        settings,
        plugin_variables={
            "SMTP_HOST": smtp.hostname,
            "SMTP_PORT": smtp.port,
            "SMTP_SECURITY": "none",
            "SMTP_USER": "plantao",
            "SMTP_PASSWORD": "pw",
            "SMTP_FROM": "plantao@example.org",
        },
    )
    dispatcher = Dispatcher(session_factory, instance, plugins, name="test-dispatcher")

    # The 09:00 handoff of T0 concerns two people with an email address.
    first = dispatcher.run_once(T0 + timedelta(minutes=1))
    assert first["events"] > 0, first
    emails = write(lambda db: db.scalar(select(func.count()).select_from(Delivery).where(Delivery.channel == "email")))
    assert emails == 0
    assert smtp.messages == []

    # The team enables email with no parameters of its own: SMTP_* fill them in.
    configure(write, roster["team"], "email", {})
    second = dispatcher.run_once(T0 + timedelta(days=1, minutes=1))
    assert second["sent"] > 0 and second["failed"] == 0, second
    assert smtp.messages
    parsed = email.message_from_bytes(smtp.messages[0].content, policy=email.policy.default)
    assert parsed["From"] == "plantao@example.org"
