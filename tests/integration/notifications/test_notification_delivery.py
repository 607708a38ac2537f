"""The five events, end to end through the four built-in channels, on SQLite and PostgreSQL.

The dispatcher runs in-process with explicit clocks, so every scenario is
exact: which events a round finds, what each channel receives, how retries,
giving up, restarts and downtime behave.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import timedelta

import transaction
from sqlalchemy import func, select

from plantao.db import get_tm_session
from plantao.models import (
    Delivery,
    Leave,
    NotificationPreference,
    OutboxEvent,
    Override,
    Team,
    TeamNotificationSettings,
)
from plantao.notifications.dispatcher import Dispatcher
from plantao.notifications.events import KINDS
from plantao.services.context import ServiceContext
from plantao.services.notification_settings import NotificationService
from plantao.services.roster import RosterService
from plantao_plugins.channels import verify

from notification_support import BOT_TOKEN, T0, WEBHOOK_SECRET, configure


def make_dispatcher(session_factory, settings, plugins, **changes):
    changes = {"notify_backoff_seconds": 1, "notify_lease_seconds": 30, **changes}
    return Dispatcher(session_factory, dataclasses.replace(settings, **changes), plugins, name="test-dispatcher")


def count(write, model, *where):
    return write(lambda db: db.scalar(select(func.count()).select_from(model).where(*where)))


def configure_all(write, team_id, receiver, smtp):
    configure(write, team_id, "webhook", {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET})
    configure(write, team_id, "telegram", {"bot_token": BOT_TOKEN, "chat_id": "-100200", "api_base": receiver.url})
    configure(write, team_id, "slack", {"webhook_url": f"{receiver.url}/slack"}, language="en")
    configure(write, team_id, "email", {
        "host": smtp.hostname, "port": smtp.port, "security": "none", "user": "plantao", "password": "pw",
        "from": "plantao@example.org", "team_address": "infra@example.org",
    })


#: The time- and roster-driven events; cover and swap requests have their own
#: scenario (tests/functional/api/test_api_requests.py).
FIVE = tuple(kind for kind in KINDS if kind not in ("cover_requested", "request_updated"))


def test_all_five_events_reach_all_four_channels(roster, write, settings, plugins, session_factory, receiver, smtp):
    team_id = roster["team"]
    ana, bruno, carla = roster["people"]

    def setup(db):
        # Everybody away on the third day: nobody covers it, a coverage gap ahead.
        for person in roster["people"]:
            db.add(Leave(person_id=person, start=T0 + timedelta(days=2), end=T0 + timedelta(days=3), reason="x"))
        db.add(TeamNotificationSettings(team_id=team_id, reminder_leads=[1440, 60], digest_weekday=0,
                                        digest_time="09:00", gap_lookahead_hours=96))
        db.add(NotificationPreference(person_id=bruno, language="en", events={}, reminders=True))
        db.flush()
        RosterService(ServiceContext(db, settings, plugins)).materialize(db.get(Team, team_id), T0 - timedelta(hours=2))

    dispatcher = make_dispatcher(session_factory, settings, plugins)
    # A first round before any channel exists: past events go nowhere.
    dispatcher.run_once(T0 - timedelta(minutes=1))
    write(setup)
    configure_all(write, team_id, receiver, smtp)

    def override(db):
        # Bruno (not Carla, on duty until then: no reminder for holding on) takes Ana's next morning.
        db.add(Override(team_id=team_id, person_id=bruno, role="primary",
                        start=T0 + timedelta(days=1), end=T0 + timedelta(days=1, hours=6), reason="troca"))
        db.flush()
        RosterService(ServiceContext(db, settings, plugins)).materialize(db.get(Team, team_id), T0 - timedelta(seconds=30))

    write(override)
    stats = dispatcher.run_once(T0 + timedelta(minutes=1))
    assert stats["failed"] == stats["retried"] == 0, stats

    kinds = write(lambda db: set(db.scalars(select(OutboxEvent.kind).where(OutboxEvent.fanned_out_at.is_not(None)))))
    assert set(FIVE) <= kinds
    statuses = write(lambda db: db.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    assert dict(statuses) == {"sent": stats["sent"]}

    # Webhook: every event kind, signed, with the idempotency key.
    hooks = receiver.on("/hook")
    assert {r.json["event"] for r in hooks} == set(FIVE)
    for request in hooks:
        assert verify(WEBHOOK_SECRET, request.headers["x-plantao-signature"], request.body)
        assert not verify("wrong secret", request.headers["x-plantao-signature"], request.body)
        assert request.headers["idempotency-key"] == request.json["id"]
    assert len({r.headers["idempotency-key"] for r in hooks}) == len(hooks)

    # Telegram: people by their chat id, and the team group.
    telegram = receiver.on(f"/bot{BOT_TOKEN}/sendMessage")
    chats = {r.json["chat_id"] for r in telegram}
    assert {"1001", "1002", "-100200"} <= chats
    english = [r.json["text"] for r in telegram if r.json["chat_id"] == "1002"]
    portuguese = [r.json["text"] for r in telegram if r.json["chat_id"] == "1001"]
    assert english and all("See the roster" in text for text in english)
    assert portuguese and all("Veja a escala" in text for text in portuguese)

    # Slack: team messages in the configured language.
    slack = [r.json["text"] for r in receiver.on("/slack")]
    assert any(text.startswith("Handoff in Infra") for text in slack)
    assert any("Coverage gap ahead" in text for text in slack)

    # Email: plain text and HTML parts, the key as Message-ID.
    assert smtp.messages
    recipients = {rcpt for envelope in smtp.messages for rcpt in envelope.rcpt_tos}
    assert {"ana@example.org", "bruno@example.org", "infra@example.org"} <= recipients
    parsed = email.message_from_bytes(smtp.messages[0].content, policy=email.policy.default)
    assert parsed["Message-ID"].startswith("<plantao-")
    assert {part.get_content_type() for part in parsed.iter_parts()} == {"text/plain", "text/html"}

    # The change reached the people concerned with what changed.
    changed = [r.json for r in hooks if r.json["event"] == "roster_changed"]
    bruno_shifts = [c for r in changed for c in r["data"]["changes"] if c["shift"]["person"] == bruno]
    assert any(c["change"] == "reassigned" and c["from_person"] == ana
               and c["shift"]["start"] == (T0 + timedelta(days=1)).isoformat() for c in bruno_shifts)

    # Another round at the same time finds nothing new to send.
    again = dispatcher.run_once(T0 + timedelta(minutes=2))
    assert again["sent"] == 0 and again["events"] == 0


def test_a_rolled_back_change_notifies_nobody(roster, write, settings, plugins, session_factory):
    before = count(write, OutboxEvent)
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    db = get_tm_session(session_factory, manager)
    db.add(Override(team_id=roster["team"], person_id=roster["people"][2], role="primary",
                    start=T0 + timedelta(days=1), end=T0 + timedelta(days=2)))
    db.flush()
    RosterService(ServiceContext(db, settings, plugins)).materialize(db.get(Team, roster["team"]), T0)
    assert db.scalar(select(func.count()).select_from(OutboxEvent)) == before + 1
    manager.abort()
    assert count(write, OutboxEvent) == before


def test_a_failing_channel_is_retried_with_backoff_until_it_recovers(
    roster, write, settings, plugins, session_factory, receiver
):
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0 - timedelta(minutes=1))
    configure(write, roster["team"], "webhook", {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
              events=["handoff"])
    receiver.fail_next = 2
    now = T0 + timedelta(seconds=30)
    outcomes = []
    for _ in range(6):
        stats = dispatcher.run_once(now)
        outcomes.append((stats["retried"], stats["sent"]))
        now += timedelta(seconds=10)
    assert outcomes[:3] == [(1, 0), (1, 0), (0, 1)]
    delivery = write(lambda db: db.scalars(select(Delivery)).one())
    log = write(lambda db: [(a.number, a.ok) for a in db.get(Delivery, delivery.id).attempt_log])
    assert delivery.status == "sent" and log == [(1, False), (2, False), (3, True)]
    assert len(receiver.on("/hook")) == 1


def test_a_delivery_is_given_up_after_the_last_try_and_retried_by_hand(
    roster, write, settings, plugins, session_factory, receiver
):
    dispatcher = make_dispatcher(session_factory, settings, plugins, notify_max_attempts=2)
    dispatcher.run_once(T0 - timedelta(minutes=1))
    configure(write, roster["team"], "slack", {"webhook_url": f"{receiver.url}/slack"}, events=["handoff"])
    receiver.fail_next = 100
    now = T0 + timedelta(seconds=30)
    for _ in range(4):
        dispatcher.run_once(now)
        now += timedelta(seconds=10)
    delivery = write(lambda db: db.scalars(select(Delivery)).one())
    assert delivery.status == "failed" and "HTTP 500" in delivery.last_error

    receiver.fail_next = 0
    write(lambda db: NotificationService(ServiceContext(db, settings, plugins)).retry(db.get(Delivery, delivery.id)))
    assert dispatcher.run_once(now + timedelta(seconds=1))["sent"] == 1
    assert len(receiver.on("/slack")) == 1


def test_restarts_miss_nothing_and_a_long_downtime_sends_no_stale_reminders(
    roster, write, settings, plugins, session_factory, receiver
):
    first = make_dispatcher(session_factory, settings, plugins)
    first.run_once(T0 - timedelta(minutes=1))
    configure(write, roster["team"], "webhook", {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
              events=["handoff", "reminder"])
    # Down from T0 - 1 min to T0 + 20 min: the 09:00 handoff is still sent once, late.
    restarted = make_dispatcher(session_factory, settings, plugins)
    restarted.run_once(T0 + timedelta(minutes=20))
    restarted.run_once(T0 + timedelta(minutes=21))
    assert [r.json["event"] for r in receiver.on("/hook")].count("handoff") == 1
    # Down for three days: the handoffs and reminders of those days are stale and skipped.
    receiver.requests.clear()
    restarted.run_once(T0 + timedelta(days=3, minutes=1))
    events = [r.json["event"] for r in receiver.on("/hook")]
    assert events.count("handoff") == 1  # only today's, due a minute ago
    assert events.count("reminder") <= 1


def test_quiet_hours_hold_digests_but_not_handoffs(roster, write, settings, plugins, session_factory, receiver):
    ana = roster["people"][0]
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0 - timedelta(minutes=1))
    configure(write, roster["team"], "telegram", {"bot_token": BOT_TOKEN, "api_base": receiver.url})
    write(lambda db: db.add(TeamNotificationSettings(team_id=roster["team"], reminder_leads=[60], digest_weekday=0,
                                                     digest_time="09:00", gap_lookahead_hours=0)))
    write(lambda db: db.add(NotificationPreference(
        person_id=ana, language="pt-BR", events={"digest": ["telegram"], "handoff": ["telegram"]},
        reminders=False, quiet_start="08:00", quiet_end="10:00", timezone="America/Sao_Paulo")))
    dispatcher.run_once(T0 + timedelta(minutes=1))
    held = write(lambda db: db.scalars(select(Delivery).where(Delivery.person_id == ana)).all())
    by_kind = {d.kind: d for d in held}
    assert "reminder" not in by_kind
    assert by_kind["digest"].status == "pending"
    assert by_kind["digest"].next_attempt_at == T0 + timedelta(hours=1)  # 10:00 in São Paulo
    assert dispatcher.run_once(T0 + timedelta(hours=1, minutes=1))["sent"] >= 1
    assert write(lambda db: db.get(Delivery, by_kind["digest"].id).status) == "sent"
