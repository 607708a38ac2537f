"""The JSON shapes of Plantão's objects.

The API, the audit log and the exports all use these functions, so a team
or a shift looks the same wherever it appears.  Date-times carry the offset
of the team's zone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..datetimes import isoformat
from ..models import Leave, Override, Person, Rotation, RotationVersion, Shift, Team
from .contacts import FULL_CONTACTS
from .response_schemas import DATE_TIME, PERSON_ID, closed_object, nullable, page_of, ref

UTC = ZoneInfo("UTC")


PERSON_RESPONSE = closed_object(
    {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "email": {"type": ["string", "null"], "description": "null for anonymous readers"},
        "phone": {
            "type": ["string", "null"],
            "description": "E.164; for anonymous readers only of whoever is on call now or next "
            "(in that team and role), and never with PUBLIC_CONTACTS off",
        },
        "telegram_chat_id": {
            "type": ["string", "null"],
            "description": "shown to the same readers as the phone",
        },
        "chat": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "chat handles by network; shown to the same readers as the phone",
        },
        "active": {"type": "boolean"},
    }
)
# Money per hour: in owners' answers only (plantao/views/api/people.py), so not required.
PERSON_RESPONSE["properties"]["hourly_rate"] = {
    "type": ["number", "null"],
    "description": "money per hour (owners only; absent for everybody else)",
}
#: What ``GET /people`` answers: a page of :func:`person_json`.
PERSON_LIST_RESPONSE = page_of("people", "Person", "people by id")


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


TEAM_RESPONSE = closed_object(
    {
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "timezone": {"type": "string", "description": "IANA zone; date-times of the team carry its offset"},
        "holidays": closed_object(
            {
                "country": {"type": "string"},
                "subdivision": {"type": ["string", "null"]},
                "optional": {"type": "boolean"},
                "custom": {
                    "type": "array",
                    "items": closed_object({"date": {"type": "string", "format": "date"}, "name": {"type": "string"}}),
                },
            }
        ),
        "fallback_person": {"type": ["integer", "null"], "description": "covers gaps; a person's id"},
        "swap_approval": {"enum": ["none", "admin"],
                          "description": "admin: accepted cover and swap requests wait for a team admin"},
    }
)
#: What ``GET /teams`` answers: a page of :func:`team_json`.
TEAM_LIST_RESPONSE = page_of("teams", "Team", "teams by id")


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
        "swap_approval": team.swap_approval,
    }


RESTRICTIONS_RESPONSE = nullable(
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["turn_mode"],
        "description": "null when the rotation is active all the time in calendar turn mode",
        "properties": {
            "weekdays": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}},
            "start_time": {"type": "string", "description": "local HH:MM"},
            "end_time": {"type": "string", "description": "local HH:MM; before start_time crosses midnight"},
            "turn_mode": {"enum": ["calendar", "active"]},
        },
    }
)


def restrictions_json(version: RotationVersion) -> dict | None:
    if not version.restriction and version.turn_mode == "calendar":
        return None
    return {**(version.restriction or {}), "turn_mode": version.turn_mode}


def rotation_response_schemas(policies: str, rules: str) -> dict:
    """The schemas of :func:`version_json` and :func:`rotation_json` by name.

    They name the installed ``policies`` and ``rules`` (comma-separated), so
    they are built for a set of plugins.  ``RotationChanged`` is what a
    PATCH answers: the rotation view adds the ``effective_from`` it applied.
    """
    versioned = {
        "params": {"type": "object", "description": "the policy's parameters"},
        "members": {"type": "array", "items": PERSON_ID, "description": "people in turn order"},
        "rules": {
            "type": "object",
            "additionalProperties": {"type": "object"},
            "description": f"opted-in rules by name with their parameters; installed: {rules}",
        },
        "restrictions": RESTRICTIONS_RESPONSE,
    }
    rotation = {
        "id": {"type": "integer"},
        "team": {"type": "string", "description": "the team's slug"},
        "name": {"type": "string"},
        "role": {"type": "string"},
        "policy": {"type": "string", "description": f"a rotation policy; installed: {policies}"},
        "priority": {"type": "integer"},
        "start": DATE_TIME,
        **versioned,
        "versions": {
            "type": "array",
            "items": ref("RotationVersion"),
            "description": "every dated version; the top-level fields are those of the version in effect now",
        },
        "solver": {
            "type": ["object", "null"],
            "description": "what a policy that plans whole windows (fair) reported on its last plan: "
            "status (optimal, feasible or fallback), objective and seconds; null for the others",
        },
    }
    return {
        "RotationVersion": closed_object(
            {"effective_from": DATE_TIME, **versioned},
            "the rotation's parameters, members, rules and restrictions from a date on",
        ),
        "Rotation": closed_object(rotation),
        "RotationChanged": {
            **closed_object(rotation, "the rotation after a PATCH"),
            "properties": {
                **rotation,
                "effective_from": {
                    **DATE_TIME,
                    "description": "the instant the change actually took effect: effective_from when ahead, "
                    "else the next whole minute; present when the PATCH changed dated fields or named effective_from",
                },
            },
        },
        "RotationList": page_of("rotations", "Rotation", "a team's rotations by id"),
    }


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
        "solver": rotation.solver,
    }


SHIFT_SOURCE_RESPONSE = {"enum": ["fallback", "override", "rotation"]}
SHIFT_RESPONSE = closed_object(
    {
        "id": {"type": "integer", "description": "use it to ask for a swap"},
        "role": {"type": "string"},
        "person": ref("Person"),
        "start": DATE_TIME,
        "end": {**DATE_TIME, "description": "exclusive"},
        "source": ref("ShiftSource"),
        "rotation_id": {"type": ["integer", "null"]},
        "override_id": {"type": ["integer", "null"]},
    }
)
#: What ``GET /teams/{slug}/shifts`` answers: a page of :func:`shift_json`.
SHIFT_LIST_RESPONSE = page_of("shifts", "Shift", "shifts by start, then id")


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


OVERRIDE_RESPONSE = closed_object(
    {
        "id": {"type": "integer"},
        "team": {"type": "string", "description": "the team's slug"},
        "person": PERSON_ID,
        "role": {"type": "string"},
        "start": DATE_TIME,
        "end": {**DATE_TIME, "description": "exclusive"},
        "reason": {"type": "string"},
        "swap_id": {"type": ["string", "null"], "description": "shared by the two overrides of a swap"},
    }
)
#: What ``GET /teams/{slug}/overrides`` answers: a page of :func:`override_json`.
OVERRIDE_LIST_RESPONSE = page_of("overrides", "Override", "a team's overrides by id")
#: What ``POST /teams/{slug}/swaps`` answers: the two overrides, by :func:`override_json`.
SWAP_RESPONSE = closed_object(
    {"overrides": {"type": "array", "items": ref("Override"), "minItems": 2, "maxItems": 2}},
    "the two overrides recording a swap",
)


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


LEAVE_RESPONSE = closed_object(
    {
        "id": {"type": "integer"},
        "person": PERSON_ID,
        "start": DATE_TIME,
        "end": {**DATE_TIME, "description": "exclusive"},
        "reason": {"type": "string"},
    },
    "time off: the person is left out of shifts overlapping it",
)
#: What ``GET /people/{id}/leave`` answers: a page of :func:`leave_json`.
LEAVE_LIST_RESPONSE = page_of("leave", "Leave", "a person's leave by id")


def leave_json(leave: Leave, tz: ZoneInfo = UTC) -> dict:
    return {
        "id": leave.id,
        "person": leave.person_id,
        "start": isoformat(leave.start, tz),
        "end": isoformat(leave.end, tz),
        "reason": leave.reason,
    }


# -- the engine's answers (previews, gaps, conflicts) ------------------------


ENGINE_SHIFT_PROPERTIES = {
    "key": {"type": "string"},
    "role": {"type": "string"},
    "person": PERSON_ID,
    "start": DATE_TIME,
    "end": DATE_TIME,
    "source": ref("ShiftSource"),
}
PREVIEW_SHIFT_RESPONSE = closed_object(
    ENGINE_SHIFT_PROPERTIES, "a shift as the engine computes it (not stored: no id)"
)


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


GAP_RESPONSE = closed_object(
    {"role": {"type": "string"}, "start": DATE_TIME, "end": DATE_TIME}, "time nobody covers"
)
#: What ``GET /teams/{slug}/gaps`` answers: pages of :func:`gap_json` and :func:`conflict_json`.
GAPS_RESPONSE = closed_object(
    {
        "team": {"type": "string"},
        "start": DATE_TIME,
        "end": DATE_TIME,
        "gaps": {"type": "array", "items": ref("Gap")},
        "conflicts": {"type": "array", "items": ref("Conflict")},
        "next": {
            "type": ["string", "null"],
            "description": "cursor of the next page (of either list): pass it verbatim as `cursor`; "
            "null on the last page",
        },
    },
    "gaps and conflicts stored with the materialized roster",
)


def gap_json(gap, tz: ZoneInfo, start=None, end=None) -> dict:
    """An uncovered stretch, cut to ``[start, end)`` when given."""
    return {
        "role": gap.role,
        "start": isoformat(max(gap.start, start) if start else gap.start, tz),
        "end": isoformat(min(gap.end, end) if end else gap.end, tz),
    }


CONFLICT_RESPONSE = closed_object(
    {
        "rotation_id": {"type": "integer"},
        "role": {"type": "string"},
        "rule": {"type": ["string", "null"], "description": "the rule relaxed; null if nobody was available"},
        "start": DATE_TIME,
        "end": DATE_TIME,
        "message": {"type": "string"},
    },
    "a slot whose rules could not all be satisfied",
)


def conflict_json(conflict, tz: ZoneInfo) -> dict:
    return {
        "rotation_id": conflict.rotation_id,
        "role": conflict.role,
        "rule": conflict.rule,
        "start": isoformat(conflict.start, tz),
        "end": isoformat(conflict.end, tz),
        "message": conflict.message,
    }


PREVIEW_RESPONSE = closed_object(
    {
        "added": {"type": "array", "items": ref("PreviewShift")},
        "removed": {"type": "array", "items": ref("PreviewShift")},
        "reassigned": {
            "type": "array",
            "items": closed_object(
                {**ENGINE_SHIFT_PROPERTIES, "from_person": PERSON_ID, "to_person": PERSON_ID},
                "the same slot with another holder",
            ),
        },
        "gaps": {"type": "array", "items": ref("Gap")},
        "conflicts": {"type": "array", "items": ref("Conflict")},
        "solver": {
            "type": "object",
            "additionalProperties": {"type": "object"},
            "description": "by rotation id, what a policy that plans whole windows (fair) reported",
        },
        "fairness": closed_object(
            {
                "before": {"type": "object", "description": "the stored roster's fairness figures, as the fairness report gives them"},
                "after": {"type": "object", "description": "the same figures with the change"},
                "start": DATE_TIME,
                "end": DATE_TIME,
            },
            "how the fairness measures of the team's roster ahead (now to the horizon) would change",
        ),
    },
    "what the change would do to the stored roster; nothing is saved",
)


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
        "solver": {str(rotation_id): dict(report) for rotation_id, report in result.reports.items()},
        "fairness": {
            "before": preview["fairness"]["before"],
            "after": preview["fairness"]["after"],
            "start": isoformat(preview["fairness"]["start"], tz),
            "end": isoformat(preview["fairness"]["end"], tz),
        },
    }
