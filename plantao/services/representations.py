"""The JSON shapes of Plantão's objects.

The API, the audit log and the exports all use these functions, so a team
or a shift looks the same wherever it appears.  Date-times carry the offset
of the team's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..datetimes import isoformat
from ..models import Leave, Override, Person, Rotation, RotationVersion, Shift, Team

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class ContactPolicy:
    """Which personal contacts a reader may see (phones are personal data)."""

    email: bool = True
    phone: bool = True

    @classmethod
    def for_reader(cls, is_authenticated: bool, public_contacts: bool) -> ContactPolicy:
        if is_authenticated:
            return cls(email=True, phone=True)
        return cls(email=False, phone=public_contacts)


FULL_CONTACTS = ContactPolicy()


def person_json(person: Person, contacts: ContactPolicy = FULL_CONTACTS) -> dict:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email if contacts.email else None,
        "phone": person.phone if contacts.phone else None,
        "telegram_chat_id": person.telegram_chat_id if contacts.phone else None,
        "chat": dict(person.chat or {}) if contacts.phone else {},
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


def shift_json(shift: Shift, tz: ZoneInfo, contacts: ContactPolicy = FULL_CONTACTS) -> dict:
    return {
        "id": shift.id,
        "role": shift.role,
        "person": person_json(shift.person, contacts),
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
