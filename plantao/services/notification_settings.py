"""Notification settings: channels per team, team timings, people's preferences, deliveries.

What the admin panel and the API edit.  Channel parameters are validated by
the channel plugin's own schema; secrets are shown back masked, and a
masked value sent back unchanged keeps the stored secret.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from ..datetimes import isoformat, utcnow, zone
from ..models import (
    ChannelConfig,
    Delivery,
    NotificationPreference,
    Person,
    Team,
    TeamNotificationSettings,
)
from ..notifications import events as notify_events
from ..plugin_api import DeliveryError, SendAttempt, is_masked
from ..notifications.fanout import team_channels
from ..notifications.scheduler import (
    DEFAULT_DIGEST_TIME,
    DEFAULT_DIGEST_WEEKDAY,
    DEFAULT_GAP_LOOKAHEAD_HOURS,
    DEFAULT_REMINDER_LEADS,
)
from . import audit
from .audit import Actor
from .context import ServiceContext
from .errors import Conflict, Invalid, NotFound
from .response_schemas import DATE_TIME, closed_object, page_of, ref
from .validation import ID_SCHEMA, validate

LANGUAGE_SCHEMA = {"enum": list(notify_events.LANGUAGES)}
CLOCK = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
EVENT_KINDS = {"type": "array", "items": {"enum": list(notify_events.KINDS)}, "uniqueItems": True}

CHANNEL_CONFIG_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "enabled": {"type": "boolean"},
        "params": {"type": "object", "description": "the channel's parameters (its params_schema in /plugins)"},
        "events": {**EVENT_KINDS, "description": "events the team-wide destination receives; default all"},
        "language": LANGUAGE_SCHEMA,
    },
}

CHANNEL_TEST_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"person": {**ID_SCHEMA, "description": "send to this person instead of the team"}},
}

TEAM_SETTINGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "reminder_leads": {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": 10080},
            "uniqueItems": True,
            "maxItems": 5,
            "description": "minutes before a shift starts, e.g. [1440, 60]; [] turns reminders off",
        },
        "digest_weekday": {"type": "integer", "minimum": 0, "maximum": 6, "description": "0 = Monday"},
        "digest_time": {**CLOCK, "description": "local HH:MM in the team's zone"},
        "gap_lookahead_hours": {"type": "integer", "minimum": 0, "maximum": 720},
    },
}

PREFERENCES_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "language": LANGUAGE_SCHEMA,
        "events": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                kind: {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
                for kind in notify_events.KINDS
            },
            "description": "channels per event kind; a missing kind means every channel that reaches the person",
        },
        "reminders": {"type": "boolean"},
        "quiet_hours": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["start", "end"],
            "properties": {"start": CLOCK, "end": CLOCK},
            "description": "digests and far-ahead changes wait until the end; null: none",
        },
        "timezone": {"type": ["string", "null"], "description": "zone of the quiet hours; default PLANTAO_TIMEZONE"},
    },
}

DELIVERY_STATUSES = ("pending", "sending", "sent", "failed")

# The answers of NotificationService: channel_json, send_test,
# team_settings_json and preferences_json, in that order.
CHANNEL_CONFIG_RESPONSE = closed_object(
    {
        "channel": {"type": "string", "description": "a notification channel plugin"},
        "enabled": {"type": "boolean"},
        "params": {"type": "object", "description": "the channel's parameters; secrets masked (********abcd)"},
        "events": {
            "type": "array",
            "items": {"enum": list(notify_events.KINDS)},
            "description": "events the team-wide destination receives",
        },
        "language": {"enum": list(notify_events.LANGUAGES)},
    },
    "a notification channel configured for a team",
)
#: What ``GET /teams/{slug}/notification-channels`` answers.
CHANNEL_CONFIG_LIST_RESPONSE = closed_object({"channels": {"type": "array", "items": ref("ChannelConfig")}})
CHANNEL_TEST_RESPONSE = closed_object(
    {
        "ok": {"type": "boolean"},
        "error": {"type": ["string", "null"], "description": "why sending failed"},
        "destination": {"type": "object"},
    },
    "how sending the test message went (it is sent at once, not through the outbox)",
)
TEAM_SETTINGS_RESPONSE = closed_object(
    {
        "reminder_leads": {"type": "array", "items": {"type": "integer"}, "description": "minutes before a shift"},
        "digest_weekday": {"type": "integer", "description": "0 = Monday"},
        "digest_time": {"type": "string", "description": "local HH:MM"},
        "gap_lookahead_hours": {"type": "integer"},
    },
    "when a team's reminders, weekly digest and gap warnings go out",
)
PREFERENCES_RESPONSE = closed_object(
    {
        "person": {"type": "integer"},
        "language": {"enum": list(notify_events.LANGUAGES)},
        "events": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": "channels per event kind; a missing kind means every channel reaching the person",
        },
        "reminders": {"type": "boolean"},
        "quiet_hours": {
            "type": ["object", "null"],
            "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
        },
        "timezone": {"type": ["string", "null"]},
        "channels": {"type": "array", "items": {"type": "string"}, "description": "installed channels"},
    },
    "what reaches a person, where and when",
)

#: ``models.AuditEntry.actor``'s length.
ACTOR_LENGTH = 64


class NotificationService:
    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.dbsession = ctx.dbsession

    def through_own_link(self, person: Person) -> NotificationService:
        """The same service acting as ``person`` through their own secret link: the audit log names them.

        The one service built outside ``request.find_service``: its actor is
        the person, not the request's credential.
        """
        credential = f"person-{person.id}-link ({person.name})"[:ACTOR_LENGTH]
        actor = Actor(credential=credential, client_addr=self.ctx.actor.client_addr)
        return NotificationService(replace(self.ctx, actor=actor))

    # -- channels ---------------------------------------------------------------------

    def plugin(self, name: str):
        plugin = self.ctx.plugins.channels.get(name)
        if plugin is None:
            installed = ", ".join(sorted(self.ctx.plugins.channels))
            raise NotFound(
                f"No notification channel {name!r}; installed: {installed}.",
                code="not_found.channel",
                params={"name": name, "installed": installed},
            )
        return plugin

    def channel_json(self, config: ChannelConfig) -> dict:
        plugin = self.ctx.plugins.channels.get(config.channel)
        params = plugin.mask(config.params or {}) if plugin else {}
        return {
            "channel": config.channel,
            "enabled": config.enabled,
            "params": params,
            "events": list(config.events or []),
            "language": config.language,
        }

    def channels(self, team: Team) -> list[ChannelConfig]:
        return list(
            self.dbsession.scalars(
                select(ChannelConfig).where(ChannelConfig.team_id == team.id).order_by(ChannelConfig.channel)
            )
        )

    def channel(self, team: Team, name: str) -> ChannelConfig:
        self.plugin(name)
        config = self.dbsession.scalars(
            select(ChannelConfig).where(ChannelConfig.team_id == team.id, ChannelConfig.channel == name)
        ).first()
        if config is None:
            raise NotFound(
                f"The channel {name!r} is not configured for team {team.slug!r}.",
                code="not_found.channel_config",
                params={"channel": name, "team": team.slug},
            )
        return config

    def put_channel(self, team: Team, name: str, body: dict) -> ChannelConfig:
        plugin = self.plugin(name)
        validate(CHANNEL_CONFIG_SCHEMA, body)
        config = self.dbsession.scalars(
            select(ChannelConfig).where(ChannelConfig.team_id == team.id, ChannelConfig.channel == name)
        ).first()
        before = self.channel_json(config) if config else None
        stored = dict(config.params or {}) if config else {}
        params = dict(body.get("params", stored))
        for key, value in list(params.items()):
            # A masked secret sent back unchanged means "keep it".
            if key in plugin.secret_params and is_masked(value):
                if key not in stored:
                    raise Invalid(
                        f"params.{key}: send the secret itself, not a masked value.",
                        code="masked_secret",
                        params={"key": key},
                    )
                params[key] = stored[key]
        validate(plugin.params_schema, params, "channel parameters")
        if config is None:
            config = ChannelConfig(team_id=team.id, channel=name, enabled=True,
                                   events=list(notify_events.KINDS), language=notify_events.DEFAULT_LANGUAGE)
            self.dbsession.add(config)
        config.params = params
        for field in ("enabled", "events", "language"):
            if field in body:
                setattr(config, field, body[field])
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "update" if before else "create", "notification_channel",
                     f"{team.slug}/{name}", before, self.channel_json(config))
        return config

    def delete_channel(self, team: Team, name: str) -> None:
        config = self.channel(team, name)
        audit.record(self.dbsession, self.ctx.actor, "delete", "notification_channel", f"{team.slug}/{name}",
                     self.channel_json(config), None)
        self.dbsession.delete(config)
        self.dbsession.flush()

    def send_test(self, team: Team, name: str, body: dict) -> dict:
        """Send a test message now, synchronously, and say how it went."""
        validate(CHANNEL_TEST_SCHEMA, body)
        plugin = self.plugin(name)
        active = team_channels(self.dbsession, team.id, self.ctx.settings, self.ctx.plugins).get(name)
        if active is None:
            raise Invalid(
                f"The channel {name!r} is not configured (or is disabled) for team {team.slug!r}.",
                code="channel_not_configured",
                params={"channel": name, "team": team.slug},
            )
        payload = {"team": notify_events.team_payload(team), "channel": name}
        if body.get("person"):
            person = self.dbsession.get(Person, body["person"])
            if person is None:
                raise Invalid(
                    f"person: no person with id {body['person']}.", code="unknown_person", params={"id": body["person"]}
                )
            destination = plugin.person_destination(person, active.params)
            pref = self.dbsession.get(NotificationPreference, person.id)
            language = pref.language if pref else notify_events.DEFAULT_LANGUAGE
            recipient = {"id": person.id, "name": person.name}
        else:
            destination = plugin.team_destination(active.params)
            language = active.config.language if active.config else notify_events.DEFAULT_LANGUAGE
            recipient = None
        if not destination:
            raise Invalid(
                "This channel has no destination for that recipient (no team address, chat or contact).",
                code="no_destination",
            )
        message = notify_events.render(notify_events.TEST, payload, language, self.ctx.settings.base_url, recipient)
        key = f"plantao-test-{utcnow():%Y%m%dT%H%M%S%f}"
        try:
            plugin.send(message, destination, active.params, SendAttempt(0, key, 1, 10.0))
        except DeliveryError as error:
            return {"ok": False, "error": str(error), "destination": destination}
        return {"ok": True, "error": None, "destination": destination}

    # -- team settings ---------------------------------------------------------------------

    def team_settings_json(self, team: Team) -> dict:
        row = self.dbsession.get(TeamNotificationSettings, team.id)
        return {
            "reminder_leads": list(row.reminder_leads) if row else list(DEFAULT_REMINDER_LEADS),
            "digest_weekday": row.digest_weekday if row else DEFAULT_DIGEST_WEEKDAY,
            "digest_time": row.digest_time if row else DEFAULT_DIGEST_TIME,
            "gap_lookahead_hours": row.gap_lookahead_hours if row else DEFAULT_GAP_LOOKAHEAD_HOURS,
        }

    def put_team_settings(self, team: Team, body: dict) -> dict:
        validate(TEAM_SETTINGS_SCHEMA, body)
        before = self.team_settings_json(team)
        row = self.dbsession.get(TeamNotificationSettings, team.id)
        if row is None:
            row = TeamNotificationSettings(team_id=team.id, **before)
            self.dbsession.add(row)
        for field, value in body.items():
            setattr(row, field, sorted(value, reverse=True) if field == "reminder_leads" else value)
        self.dbsession.flush()
        after = self.team_settings_json(team)
        audit.record(self.dbsession, self.ctx.actor, "update", "notification_settings", team.slug, before, after)
        return after

    # -- people's preferences -----------------------------------------------------------------

    def preferences_json(self, person: Person) -> dict:
        pref = self.dbsession.get(NotificationPreference, person.id)
        return {
            "person": person.id,
            "language": pref.language if pref else notify_events.DEFAULT_LANGUAGE,
            "events": dict(pref.events or {}) if pref else {},
            "reminders": pref.reminders if pref else True,
            "quiet_hours": (
                {"start": pref.quiet_start, "end": pref.quiet_end} if pref and pref.quiet_start else None
            ),
            "timezone": pref.timezone if pref else None,
            "channels": sorted(self.ctx.plugins.channels),
        }

    def put_preferences(self, person: Person, body: dict) -> dict:
        validate(PREFERENCES_SCHEMA, body)
        unknown = sorted(
            {name for names in (body.get("events") or {}).values() for name in names}
            - set(self.ctx.plugins.channels)
        )
        if unknown:
            raise Invalid(
                f"events: unknown channel(s) {', '.join(unknown)}.",
                code="unknown_channel",
                params={"channels": ", ".join(unknown)},
            )
        if body.get("timezone"):
            try:
                zone(body["timezone"])
            except ValueError as error:
                raise Invalid(f"timezone: {error}", code="timezone", params={"name": body["timezone"]}) from None
        before = self.preferences_json(person)
        pref = self.dbsession.get(NotificationPreference, person.id)
        if pref is None:
            pref = NotificationPreference(person_id=person.id, language=notify_events.DEFAULT_LANGUAGE,
                                          events={}, reminders=True)
            self.dbsession.add(pref)
        for field in ("language", "events", "reminders", "timezone"):
            if field in body:
                setattr(pref, field, body[field])
        if "quiet_hours" in body:
            quiet = body["quiet_hours"] or {}
            pref.quiet_start, pref.quiet_end = quiet.get("start"), quiet.get("end")
        self.dbsession.flush()
        after = self.preferences_json(person)
        audit.record(self.dbsession, self.ctx.actor, "update", "notification_preferences", person.id, before, after)
        return after

    # -- deliveries ---------------------------------------------------------------------------

    def deliveries(self, status: str | None, team: Team | None, after_id: int, limit: int) -> list[Delivery]:
        query = select(Delivery).where(Delivery.id > after_id)
        if status:
            query = query.where(Delivery.status == status)
        if team is not None:
            query = query.where(Delivery.team_id == team.id)
        return list(self.dbsession.scalars(query.order_by(Delivery.id).limit(limit)))

    def recent_deliveries(self, status: str | None, team: Team | None, before_id: int | None,
                          limit: int) -> list[Delivery]:
        """Newest first (the admin panel's list), older than ``before_id`` when given."""
        query = select(Delivery)
        if before_id is not None:
            query = query.where(Delivery.id < before_id)
        if status:
            query = query.where(Delivery.status == status)
        if team is not None:
            query = query.where(Delivery.team_id == team.id)
        return list(self.dbsession.scalars(query.order_by(Delivery.id.desc()).limit(limit)))

    def delivery(self, delivery_id: int) -> Delivery:
        delivery = self.dbsession.get(Delivery, delivery_id)
        if delivery is None:
            raise NotFound(f"No delivery with id {delivery_id}.", code="not_found.delivery", params={"id": delivery_id})
        return delivery

    def retry(self, delivery: Delivery) -> Delivery:
        """Send a given-up (or waiting) delivery again now, with a fresh budget of attempts."""
        if delivery.status in ("sent", "sending"):
            raise Conflict(
                f"Delivery {delivery.id} is {delivery.status}; only pending or failed ones are retried.",
                code="delivery.not_retryable",
                params={"id": delivery.id, "status": delivery.status},
            )
        delivery.status = "pending"
        delivery.attempts = 0
        delivery.next_attempt_at = utcnow()
        self.dbsession.flush()
        audit.record(self.dbsession, self.ctx.actor, "retry", "delivery", delivery.id, None, None)
        return delivery


_WHEN = {"type": ["string", "null"], "format": "date-time"}
DELIVERY_RESPONSE = closed_object(
    {
        "id": {"type": "integer"},
        "event_id": {"type": "integer"},
        "kind": {"enum": [*notify_events.KINDS, "test"]},
        "team_id": {"type": ["integer", "null"]},
        "person": {"type": ["integer", "null"], "description": "null for a team-wide destination"},
        "channel": {"type": "string"},
        "status": {"enum": list(DELIVERY_STATUSES)},
        "attempts": {"type": "integer", "description": "tries since created or last retried by hand"},
        "next_attempt_at": _WHEN,
        "sent_at": _WHEN,
        "last_error": {"type": ["string", "null"]},
        "idempotency_key": {"type": "string", "description": "sent as Idempotency-Key / Message-ID"},
        "subject": {"type": "string"},
        "attempt_log": {
            "type": "array",
            "items": closed_object(
                {
                    "number": {"type": "integer"},
                    "worker": {"type": "string", "description": "the dispatcher that tried"},
                    "started_at": DATE_TIME,
                    "finished_at": DATE_TIME,
                    "ok": {"type": "boolean"},
                    "error": {"type": ["string", "null"]},
                },
                "one try at sending",
            ),
        },
    },
    "one message for one recipient on one channel",
)
#: What ``GET /notifications/deliveries`` answers: a page of :func:`delivery_json`.
DELIVERY_LIST_RESPONSE = page_of("deliveries", "Delivery", "deliveries by id")


def delivery_json(delivery: Delivery, tz=None) -> dict:
    tz = tz or zone("UTC")
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "kind": delivery.kind,
        "team_id": delivery.team_id,
        "person": delivery.person_id,
        "channel": delivery.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": isoformat(delivery.next_attempt_at, tz),
        "sent_at": isoformat(delivery.sent_at, tz),
        "last_error": delivery.last_error,
        "idempotency_key": delivery.idempotency_key,
        "subject": (delivery.message or {}).get("subject", ""),
        "attempt_log": [
            {
                "number": a.number,
                "worker": a.worker,
                "started_at": isoformat(a.started_at, tz),
                "finished_at": isoformat(a.finished_at, tz),
                "ok": a.ok,
                "error": a.error,
            }
            for a in delivery.attempt_log
        ],
    }
