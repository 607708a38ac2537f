"""The JSON shapes of Plantão's objects.

The API, the audit log and the exports all use these functions, so a team
or a shift looks the same wherever it appears.  Date-times carry the offset
of the team's zone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..datetimes import isoformat
from ..models import Leave, Override, Person, Rotation, RotationVersion, Shift, Team
from .contacts import FULL_CONTACTS, ContactPolicy  # noqa: F401  (ContactPolicy: re-exported)

UTC = ZoneInfo("UTC")


def person_json(person: Person, contacts=FULL_CONTACTS, *, team_id: int | None = None, role: str | None = None) -> dict:
    """A person with the contacts ``contacts`` (a :class:`ContactPolicy` or a
    :class:`~plantao.services.contacts.ReaderContacts`) shows, in ``team_id``
    and ``role`` when the person appears as one of its shift holders."""
    shown = contacts.shown(person, team_id=team_id, role=role)
    return {
        "id": person.id,
        "name": person.name,
        "email": shown.email,
        "phone": shown.phone,
        "telegram_chat_id": shown.telegram_chat_id,
        "chat": shown.chat,
        "active": person.active,
    }


def team_json(team: Team) -> dict:
    return {
        "slug": team.slug,
        "name": team.name,
        "timezone": team.timezone,
        "holidays": {
            "country": team.holiday_country,
            "subdivision": team.holiday_subdivision,
            "optional": team.holiday_optional,
            "custom": [{"date": h.day.isoformat(), "name": h.name} for h in team.custom_holidays],
        },
        "fallback_person": team.fallback_person_id,
    }


def restrictions_json(version: RotationVersion) -> dict | None:
    if not version.restriction and version.turn_mode == "calendar":
        return None
    return {**(version.restriction or {}), "turn_mode": version.turn_mode}


def version_json(version: RotationVersion, tz: ZoneInfo) -> dict:
    return {
        "effective_from": isoformat(version.effective_from, tz),
        "params": dict(version.params or {}),
        "members": list(version.members or []),
        "rules": dict(version.rules or {}),
        "restrictions": restrictions_json(version),
    }


def rotation_json(rotation: Rotation, team: Team, version: RotationVersion) -> dict:
    """A rotation as in effect through ``version``, with every dated version listed."""
    tz = ZoneInfo(team.timezone)
    return {
        "id": rotation.id,
        "team": team.slug,
        "name": rotation.name,
        "role": rotation.role,
        "policy": rotation.policy,
        "priority": rotation.priority,
        "start": isoformat(rotation.start, tz),
        **{k: v for k, v in version_json(version, tz).items() if k != "effective_from"},
        "versions": [version_json(v, tz) for v in rotation.versions],
    }


def shift_json(shift: Shift, tz: ZoneInfo, contacts=FULL_CONTACTS) -> dict:
    return {
        "id": shift.id,
        "role": shift.role,
        "person": person_json(shift.person, contacts, team_id=shift.team_id, role=shift.role),
        "start": isoformat(shift.start, tz),
        "end": isoformat(shift.end, tz),
        "source": shift.source,
        "rotation_id": shift.rotation_id,
        "override_id": shift.override_id,
    }


def override_json(override: Override, team: Team) -> dict:
    tz = ZoneInfo(team.timezone)
    return {
        "id": override.id,
        "team": team.slug,
        "person": override.person_id,
        "role": override.role,
        "start": isoformat(override.start, tz),
        "end": isoformat(override.end, tz),
        "reason": override.reason,
        "swap_id": override.swap_id,
    }


def leave_json(leave: Leave, tz: ZoneInfo = UTC) -> dict:
    return {
        "id": leave.id,
        "person": leave.person_id,
        "start": isoformat(leave.start, tz),
        "end": isoformat(leave.end, tz),
        "reason": leave.reason,
    }


# -- the engine's answers (previews, gaps, conflicts) ------------------------


def engine_shift_json(shift, tz: ZoneInfo) -> dict:
    """A shift computed by the engine, not (yet) stored."""
    return {
        "key": shift.key,
        "role": shift.role,
        "person": shift.person_id,
        "start": isoformat(shift.start, tz),
        "end": isoformat(shift.end, tz),
        "source": shift.source,
    }


def gap_json(gap, tz: ZoneInfo, start=None, end=None) -> dict:
    """An uncovered stretch, cut to ``[start, end)`` when given."""
    return {
        "role": gap.role,
        "start": isoformat(max(gap.start, start) if start else gap.start, tz),
        "end": isoformat(min(gap.end, end) if end else gap.end, tz),
    }


def conflict_json(conflict, tz: ZoneInfo) -> dict:
    return {
        "rotation_id": conflict.rotation_id,
        "role": conflict.role,
        "rule": conflict.rule,
        "start": isoformat(conflict.start, tz),
        "end": isoformat(conflict.end, tz),
        "message": conflict.message,
    }


def preview_json(preview: dict, tz: ZoneInfo) -> dict:
    """What a rotation change would do: ``RotationService.preview``'s answer."""
    diff, result = preview["diff"], preview["result"]
    return {
        "added": [engine_shift_json(s, tz) for s in diff.added],
        "removed": [engine_shift_json(s, tz) for s in diff.removed],
        "reassigned": [
            {**engine_shift_json(r.new, tz), "from_person": r.old_person_id, "to_person": r.new_person_id}
            for r in diff.reassigned
        ],
        "gaps": [gap_json(g, tz) for g in result.gaps],
        "conflicts": [conflict_json(c, tz) for c in result.conflicts],
    }
