"""A person's notification preferences as a form: the admin panel's and the person's own.

Both forms post the same fields, read here into the body the JSON API
accepts (``PUT /api/v1/people/{id}/notification-preferences``) and saved by
the same service.  The admin's form is in ``views/admin/notifications.py``;
the person's own is on the public person page (``views/pages.py``).
"""

from __future__ import annotations

from ..plugin_api import NotificationChannel
from ..notifications.events import KINDS
from ..services.errors import Invalid


def personal_channels(plugins) -> list[str]:
    """The installed channels that reach people (the others only have team destinations)."""
    return [
        name
        for name, plugin in sorted(plugins.channels.items())
        if type(plugin).person_destination is not NotificationChannel.person_destination
    ]


def preferences_body(post, channels: list[str], *, with_timezone: bool) -> dict:
    """The API's preferences body from the posted form.

    A kind with every channel ticked is left out, which the service reads as
    "every channel that reaches the person" (channels installed later too).
    """
    events = {}
    for kind in KINDS:
        chosen = [name for name in post.getall(f"events.{kind}") if name]
        if set(chosen) != set(channels):
            events[kind] = chosen
    start = (post.get("quiet_hours.start") or "").strip()
    end = (post.get("quiet_hours.end") or "").strip()
    body = {
        "language": (post.get("language") or "").strip(),
        "events": events,
        "reminders": post.get("reminders") == "on",
        # One time without the other reaches the service as an empty time, so
        # its error names the empty field.
        "quiet_hours": {"start": start, "end": end} if start or end else None,
    }
    if with_timezone:
        body["timezone"] = (post.get("timezone") or "").strip() or None
    return body


def preferences_matrix(values: dict, channels: list[str]) -> list[dict]:
    """Rows of the events-by-channel table: each kind with its ticked channels."""
    chosen = values.get("events") or {}
    return [
        {"kind": kind, "cells": [(name, kind not in chosen or name in chosen[kind]) for name in channels]}
        for kind in KINDS
    ]


def form_values(values: dict) -> dict:
    """Stored (or posted) preferences as the inputs show them."""
    quiet = values.get("quiet_hours") or {}
    return {
        "language": values.get("language") or "",
        "reminders": bool(values.get("reminders", True)),
        "quiet_start": quiet.get("start") or "",
        "quiet_end": quiet.get("end") or "",
        "timezone": values.get("timezone") or "",
    }


def error_keys(error: Invalid) -> set[str]:
    """The top-level fields an error names (``quiet_hours``, ``events``, ``language``...)."""
    details = error.details if isinstance(error.details, list) else []
    keys = {str(detail.get("field", "")).split(".")[0] for detail in details}
    if not keys:
        keys = {error.message.split(":")[0].split(".")[0]}
    return keys
