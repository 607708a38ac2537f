"""Turning an event into deliveries: who hears of it, on which channel, when.

People are reached on the channels their preferences choose for the event
(by default every channel that can reach them); a team's channels with a
team-wide destination (a group, a webhook) get the events listed in their
configuration; coverage gaps also go to ``NOTIFY_ADMIN_EMAILS``.  Messages
are rendered here, once, in each recipient's language, and stored with the
delivery, so what was sent can be read back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ChannelConfig, Delivery, NotificationPreference, OutboxEvent, Person
from .events import (
    COVER_REQUESTED,
    COVERAGE_GAP,
    DEFAULT_LANGUAGE,
    DIGEST,
    HANDOFF,
    REMINDER,
    REQUEST_UPDATED,
    ROSTER_CHANGED,
    is_urgent,
    render,
)


@dataclass(frozen=True)
class ActiveChannel:
    """A channel usable for a team: the plugin, its merged parameters, its config row."""

    plugin: object
    params: dict
    config: ChannelConfig | None


def team_channels(dbsession: Session, team_id: int | None, settings, plugins) -> dict[str, ActiveChannel]:
    """Channels the team enabled that can send (instance defaults filling in their parameters)."""
    configs = {}
    if team_id is not None:
        configs = {
            c.channel: c
            for c in dbsession.scalars(select(ChannelConfig).where(ChannelConfig.team_id == team_id))
        }
    found = {}
    for name, plugin in plugins.channels.items():
        config = configs.get(name)
        if config is not None and not config.enabled:
            continue
        params = {**plugin.defaults(settings), **(config.params if config else {})}
        # A channel is on only for the teams that enable it: SMTP_HOST (an
        # instance default) alone must not start emailing every team.
        if config is not None and plugin.available(params):
            found[name] = ActiveChannel(plugin, params, config)
    return found


def channel_params(dbsession: Session, team_id: int | None, channel: str, settings, plugins) -> dict | None:
    active = team_channels(dbsession, team_id, settings, plugins).get(channel)
    return None if active is None else active.params


def person_ids(kind: str, payload: dict) -> list[int]:
    """The people an event concerns directly."""
    if kind == REMINDER:
        return [payload["shift"]["person"]]
    if kind == HANDOFF:
        ids = [payload["shift"]["person"]]
        previous = payload.get("previous")
        if previous and previous["person"] not in ids:
            ids.append(previous["person"])
        return ids
    if kind == ROSTER_CHANGED:
        ids = []
        for change in payload["changes"]:
            for person in (change["shift"]["person"], change.get("from_person")):
                if person is not None and person not in ids:
                    ids.append(person)
        return ids
    if kind == DIGEST:
        return list(dict.fromkeys(s["person"] for s in payload["shifts"]))
    if kind in (COVER_REQUESTED, REQUEST_UPDATED):
        return list(payload["recipients"])
    return []


def quiet_until(pref: NotificationPreference | None, now: datetime, default_tz: str) -> datetime | None:
    """The end of the person's quiet hours if ``now`` falls in them."""
    if pref is None or not pref.quiet_start or not pref.quiet_end:
        return None
    tz = ZoneInfo(pref.timezone or default_tz)
    local = now.astimezone(tz)
    start, end = time.fromisoformat(pref.quiet_start), time.fromisoformat(pref.quiet_end)
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=tz).astimezone(now.tzinfo)


def fan_out(dbsession: Session, event: OutboxEvent, settings, plugins, now: datetime) -> list[Delivery]:
    """Create the deliveries of ``event`` (in the caller's transaction)."""
    channels = team_channels(dbsession, event.team_id, settings, plugins)
    deliveries: list[Delivery] = []
    urgent = is_urgent(event.kind, event.payload, now)
    base_url = settings.base_url

    def add(channel: str, destination: dict, message, key: str, person_id=None, due=now) -> None:
        deliveries.append(
            Delivery(
                event_id=event.id,
                kind=event.kind,
                team_id=event.team_id,
                person_id=person_id,
                channel=channel,
                destination=destination,
                message=message.as_json(),
                status="pending",
                attempts=0,
                next_attempt_at=due,
                idempotency_key=f"plantao-{event.id}-{key}",
                created_at=now,
            )
        )

    ids = person_ids(event.kind, event.payload)
    people = {p.id: p for p in dbsession.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    prefs = (
        {p.person_id: p for p in dbsession.scalars(
            select(NotificationPreference).where(NotificationPreference.person_id.in_(ids)))}
        if ids else {}
    )
    for person_id in ids:
        person = people.get(person_id)
        if person is None or not person.active:
            continue
        pref = prefs.get(person_id)
        if event.kind == REMINDER and pref is not None and not pref.reminders:
            continue
        wanted = (pref.events or {}).get(event.kind) if pref is not None else None
        names = [n for n in channels if wanted is None or n in wanted]
        language = pref.language if pref is not None else DEFAULT_LANGUAGE
        due = now if urgent else (quiet_until(pref, now, settings.timezone) or now)
        message = None
        for name in names:
            active = channels[name]
            destination = active.plugin.person_destination(person, active.params)
            if not destination:
                continue
            # A request's message links to it through the person's own action
            # link: it is theirs to answer.
            recipient = {"id": person.id, "name": person.name}
            if event.kind in (COVER_REQUESTED, REQUEST_UPDATED):
                recipient["action_token"] = person.action_token
            message = message or render(event.kind, event.payload, language, base_url, recipient)
            add(name, destination, message, f"{name}-p{person.id}", person_id=person.id, due=due)

    for name, active in channels.items():
        config = active.config
        if config is None or event.kind not in (config.events or ()):
            continue
        destination = active.plugin.team_destination(active.params)
        if destination:
            add(name, destination, render(event.kind, event.payload, config.language, base_url), f"{name}-team")

    if event.kind == COVERAGE_GAP and "email" in channels:
        for address in settings.notify_admin_emails:
            message = render(event.kind, event.payload, DEFAULT_LANGUAGE, base_url)
            add("email", {"to": address}, message, f"email-admin-{address}")

    for delivery in deliveries:
        dbsession.add(delivery)
    event.fanned_out_at = now
    return deliveries
