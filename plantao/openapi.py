"""The OpenAPI 3.1 document of the JSON API under /api/v1.

Request bodies are the very JSON Schemas the services validate with
(imported, never copied), so what the API accepts and what it documents
cannot drift apart.  Response shapes are written here, next to nothing
else, and ``tests/functional/test_openapi.py`` checks real responses
against them and every route of ``routes.py`` against the paths.

The document depends only on the installed plugins (their names appear in
``x-plugins`` and in descriptions), so it is built once per process for each
set of plugins; only ``servers`` changes with the address it is served at.
"""

from __future__ import annotations

import copy
from functools import lru_cache

from .plugins import KINDS
from .routes import API
from .services.overrides import OVERRIDE_SCHEMA, SWAP_SCHEMA
from .services.people import LEAVE_SCHEMA, PERSON_CREATE_SCHEMA, PERSON_UPDATE_SCHEMA
from .services.rotations import (
    ROTATION_CREATE_SCHEMA,
    ROTATION_PREVIEW_SCHEMA,
    ROTATION_UPDATE_SCHEMA,
)
from .services.teams import TEAM_CREATE_SCHEMA, TEAM_UPDATE_SCHEMA
from .notifications.events import KINDS as NOTIFY_KINDS
from .notifications.events import LANGUAGES as NOTIFY_LANGUAGES
from .services.notification_settings import (
    CHANNEL_CONFIG_SCHEMA,
    CHANNEL_TEST_SCHEMA,
    DELIVERY_STATUSES,
    PREFERENCES_SCHEMA,
    TEAM_SETTINGS_SCHEMA,
)

VERSION = "1"

DATE_TIME = {"type": "string", "format": "date-time"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    """``schema`` whose ``type`` also admits null (the OpenAPI 3.1 way)."""
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict, description: str | None = None) -> dict:
    """A closed object whose every property is always present in responses."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": sorted(properties),
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def _page(key: str, item: str, description: str) -> dict:
    return _object(
        {
            key: {"type": "array", "items": _ref(item)},
            "next": {
                "type": ["string", "null"],
                "description": "cursor of the next page: pass it verbatim as `cursor`; null on the last page",
            },
        },
        description,
    )


# -- response shapes ------------------------------------------------------------


def _response_schemas(plugin_names: dict[str, list[str]]) -> dict:
    policies = ", ".join(plugin_names.get("rotation_policy", [])) or "none"
    rules = ", ".join(plugin_names.get("scheduling_rule", [])) or "none"
    person_id = {"type": "integer", "description": "a person's id"}
    restrictions = _nullable(
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
    versioned = {
        "params": {"type": "object", "description": "the policy's parameters"},
        "members": {"type": "array", "items": person_id, "description": "people in turn order"},
        "rules": {
            "type": "object",
            "additionalProperties": {"type": "object"},
            "description": f"opted-in rules by name with their parameters; installed: {rules}",
        },
        "restrictions": restrictions,
    }
    gap = _object({"role": {"type": "string"}, "start": DATE_TIME, "end": DATE_TIME}, "time nobody covers")
    conflict = _object(
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
    engine_shift = {
        "key": {"type": "string"},
        "role": {"type": "string"},
        "person": person_id,
        "start": DATE_TIME,
        "end": DATE_TIME,
        "source": _ref("ShiftSource"),
    }
    held = {
        "role": {"type": "string"},
        "person": _ref("Person"),
        "start": DATE_TIME,
        "end": DATE_TIME,
        "source": _ref("ShiftSource"),
    }
    localized = {"type": "object", "additionalProperties": {"type": "string"}, "description": "text by language tag"}
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
            "items": _ref("RotationVersion"),
            "description": "every dated version; the top-level fields are those of the version in effect now",
        },
    }
    return {
        "Error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["error", "details"],
            "properties": {
                "error": {"type": "string", "description": "what went wrong, in plain words"},
                "details": {"description": "structured details (e.g. a list of {field, message}); often null"},
            },
        },
        "Team": _object(
            {
                "slug": {"type": "string"},
                "name": {"type": "string"},
                "timezone": {"type": "string", "description": "IANA zone; date-times of the team carry its offset"},
                "holidays": _object(
                    {
                        "country": {"type": "string"},
                        "subdivision": {"type": ["string", "null"]},
                        "optional": {"type": "boolean"},
                        "custom": {
                            "type": "array",
                            "items": _object(
                                {"date": {"type": "string", "format": "date"}, "name": {"type": "string"}}
                            ),
                        },
                    }
                ),
                "fallback_person": {"type": ["integer", "null"], "description": "covers gaps; a person's id"},
            }
        ),
        "TeamList": _page("teams", "Team", "teams by id"),
        "Person": _object(
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
        ),
        "PersonList": _page("people", "Person", "people by id"),
        "Leave": _object(
            {
                "id": {"type": "integer"},
                "person": person_id,
                "start": DATE_TIME,
                "end": {**DATE_TIME, "description": "exclusive"},
                "reason": {"type": "string"},
            },
            "time off: the person is left out of shifts overlapping it",
        ),
        "LeaveList": _page("leave", "Leave", "a person's leave by id"),
        "RotationVersion": _object(
            {"effective_from": DATE_TIME, **versioned},
            "the rotation's parameters, members, rules and restrictions from a date on",
        ),
        "Rotation": _object(rotation),
        "RotationChanged": {
            **_object(rotation, "the rotation after a PATCH"),
            "properties": {
                **rotation,
                "effective_from": {
                    **DATE_TIME,
                    "description": "the instant the change actually took effect: effective_from when ahead, "
                    "else the next whole minute; present when the PATCH changed dated fields or named effective_from",
                },
            },
        },
        "RotationList": _page("rotations", "Rotation", "a team's rotations by id"),
        "Override": _object(
            {
                "id": {"type": "integer"},
                "team": {"type": "string", "description": "the team's slug"},
                "person": person_id,
                "role": {"type": "string"},
                "start": DATE_TIME,
                "end": {**DATE_TIME, "description": "exclusive"},
                "reason": {"type": "string"},
                "swap_id": {"type": ["string", "null"], "description": "shared by the two overrides of a swap"},
            }
        ),
        "OverrideList": _page("overrides", "Override", "a team's overrides by id"),
        "Swap": _object(
            {"overrides": {"type": "array", "items": _ref("Override"), "minItems": 2, "maxItems": 2}},
            "the two overrides recording a swap",
        ),
        "ShiftSource": {"enum": ["fallback", "override", "rotation"]},
        "Shift": _object(
            {
                "id": {"type": "integer", "description": "use it to ask for a swap"},
                "role": {"type": "string"},
                "person": _ref("Person"),
                "start": DATE_TIME,
                "end": {**DATE_TIME, "description": "exclusive"},
                "source": _ref("ShiftSource"),
                "rotation_id": {"type": ["integer", "null"]},
                "override_id": {"type": ["integer", "null"]},
            }
        ),
        "ShiftList": _page("shifts", "Shift", "shifts by start, then id"),
        "OnCall": _object(
            {
                "team": {"type": "string"},
                "at": DATE_TIME,
                "oncall": {"type": "array", "items": _object(held), "description": "who holds each role, by role"},
                "gap": {"type": "boolean", "description": "true when nobody holds any role"},
                "next_handoff": _nullable(
                    _object(
                        {**{k: v for k, v in held.items() if k != "start"}, "at": DATE_TIME},
                        "the next shift to start in a role held now (in a gap: in any role)",
                    )
                ),
            }
        ),
        "Gap": gap,
        "Conflict": conflict,
        "Gaps": _object(
            {
                "team": {"type": "string"},
                "start": DATE_TIME,
                "end": DATE_TIME,
                "gaps": {"type": "array", "items": _ref("Gap")},
                "conflicts": {"type": "array", "items": _ref("Conflict")},
                "next": {
                    "type": ["string", "null"],
                    "description": "cursor of the next page (of either list): pass it verbatim as `cursor`; "
                    "null on the last page",
                },
            },
            "gaps and conflicts stored with the materialized roster",
        ),
        "PreviewShift": _object(engine_shift, "a shift as the engine computes it (not stored: no id)"),
        "Preview": _object(
            {
                "added": {"type": "array", "items": _ref("PreviewShift")},
                "removed": {"type": "array", "items": _ref("PreviewShift")},
                "reassigned": {
                    "type": "array",
                    "items": _object(
                        {**engine_shift, "from_person": person_id, "to_person": person_id},
                        "the same slot with another holder",
                    ),
                },
                "gaps": {"type": "array", "items": _ref("Gap")},
                "conflicts": {"type": "array", "items": _ref("Conflict")},
            },
            "what the change would do to the stored roster; nothing is saved",
        ),
        "Plugin": _object(
            {
                "kind": {"type": "string", "enum": sorted(KINDS)},
                "name": {"type": "string"},
                "title": localized,
                "description": localized,
                "params_schema": {"type": "object", "description": "JSON Schema of the declaration's parameters"},
                "source": {"type": "string", "description": "the distribution that installed it"},
                "module": {"type": "string"},
            }
        ),
        "PluginList": _object({"plugins": {"type": "array", "items": _ref("Plugin")}}, "by kind, then name"),
        "AuditEntry": _object(
            {
                "id": {"type": "integer"},
                "at": DATE_TIME,
                "actor": {"type": "string", "description": "the credential used, e.g. admin-token"},
                "client_addr": {"type": ["string", "null"]},
                "action": {"type": "string"},
                "entity": {"type": "string"},
                "entity_id": {"type": ["string", "null"]},
                "before": {"type": ["object", "null"]},
                "after": {"type": ["object", "null"]},
            }
        ),
        "AuditList": _page("entries", "AuditEntry", "audit entries, newest first"),
        "OpenAPI": {"type": "object", "required": ["openapi", "info", "paths"], "description": "this document"},
    }


REQUEST_SCHEMAS = {
    "TeamCreate": TEAM_CREATE_SCHEMA,
    "TeamUpdate": TEAM_UPDATE_SCHEMA,
    "PersonCreate": PERSON_CREATE_SCHEMA,
    "PersonUpdate": PERSON_UPDATE_SCHEMA,
    "LeaveCreate": LEAVE_SCHEMA,
    "RotationCreate": ROTATION_CREATE_SCHEMA,
    "RotationUpdate": ROTATION_UPDATE_SCHEMA,
    "RotationPreview": ROTATION_PREVIEW_SCHEMA,
    "OverrideCreate": OVERRIDE_SCHEMA,
    "SwapCreate": SWAP_SCHEMA,
}


# -- parameters and responses -------------------------------------------------------

INSTANT = (
    "a date-time with offset, or a date or date-time local to the team's zone "
    "(e.g. 2025-03-01, 2025-03-01T09:00, 2025-03-01T09:00:00-03:00)"
)


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _parameters(plugin_kinds: list[str]) -> dict:
    return {
        "slug": {
            "name": "slug",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": "the team's slug",
        },
        "id": {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}},
        "leave_id": {
            "name": "leave_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        },
        "limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "page size"),
        "shiftsLimit": _query(
            "limit", {"type": "integer", "minimum": 1, "maximum": 5000, "default": 500}, "page size"
        ),
        "cursor": _query("cursor", {"type": "string"}, "the `next` value of the previous page, verbatim"),
        "start": _query("start", {"type": "string"}, f"start of the interval, {INSTANT}; default today 00:00"),
        "end": _query("end", {"type": "string"}, f"end of the interval (exclusive), {INSTANT}"),
        "role": _query("role", {"type": "string"}, "only this role"),
        "at": _query("at", {"type": "string"}, f"the instant to answer for, {INSTANT}; default now"),
        "person": _query("person", {"type": "integer", "minimum": 0}, "only this person's shifts"),
        "active": _query(
            "active", {"type": "string", "enum": ["true", "false"]}, "only active (true) or deactivated (false) people"
        ),
        "kind": _query("kind", {"type": "string", "enum": plugin_kinds}, "only plugins of this kind"),
        "entity": _query(
            "entity",
            {"type": "string"},
            "only entries about this kind of entity (team, person, leave, rotation, override)",
        ),
    }


ERROR_RESPONSES = {
    "400": ("BadRequest", "the request cannot be read: malformed JSON or a bad query parameter"),
    "401": ("Unauthorized", "credentials are missing or wrong (reads need them only when PUBLIC_ROSTER is off)"),
    "403": ("Forbidden", "the credentials are right but may not do this: a viewer's (read-only) on a write"),
    "404": ("NotFound", "what the path names does not exist"),
    "405": ("MethodNotAllowed", "the path exists but not with this method; Allow lists those it takes"),
    "409": ("Conflict", "the request clashes with stored data"),
    "413": ("TooLarge", "the body is larger than MAX_REQUEST_BODY_BYTES; refused before it is read"),
    "422": ("Invalid", "the body is readable but wrong; details lists {field, message}"),
    "429": ("TooManyRequests", "too many failed credentials from this client address; retry after Retry-After seconds"),
    "503": ("Unavailable", "the database cannot be reached; nothing was applied, retry later"),
}

#: What any operation may answer whatever it does: unreadable input (not
#: UTF-8, NUL, a bad Content-Length, multipart without a boundary, JSON
#: nested too deeply), credentials wrong or throttled, a body too large, and
#: the database down (credentials and sessions are checked against it too).
COMMON_ERRORS = ("400", "401", "413", "429", "503")


def _error_responses() -> dict:
    responses = {}
    for status, (name, description) in ERROR_RESPONSES.items():
        responses[name] = {
            "description": description,
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    responses["Unauthorized"]["headers"] = {
        "WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="plantao"'}
    }
    responses["MethodNotAllowed"]["headers"] = {
        "Allow": {"schema": {"type": "string"}, "description": "the methods the path takes, e.g. GET, POST"}
    }
    responses["TooManyRequests"]["headers"] = {
        "Retry-After": {"schema": {"type": "string"}, "description": "seconds until the client may try again"}
    }
    return responses


def _json(schema_name: str, description: str, location: bool = False) -> dict:
    response = {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}
    if location:
        response["headers"] = {
            "Location": {"schema": {"type": "string", "format": "uri"}, "description": "the new resource's URL"}
        }
    return response


NO_CONTENT = {"description": "done; no body"}

#: Reads are public unless PUBLIC_ROSTER is off; a token also reveals contacts.
READ_SECURITY = [{}, {"bearerAuth": []}]
WRITE_SECURITY = [{"bearerAuth": []}]


def _operation(
    operation_id: str,
    tag: str,
    summary: str,
    ok: tuple[str, dict],
    *,
    write: bool = False,
    params: tuple[str, ...] = (),
    body: str | None = None,
    errors: tuple[str, ...] = (),
) -> dict:
    """One operation; each also answers :data:`COMMON_ERRORS`, and a write 403."""
    operation = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "security": WRITE_SECURITY if write else READ_SECURITY,
    }
    if params:
        operation["parameters"] = [{"$ref": f"#/components/parameters/{name}"} for name in params]
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    responses = {ok[0]: ok[1]}
    statuses = {*COMMON_ERRORS, *errors}
    if write:
        statuses.add("403")
    for status in sorted(statuses):
        responses[status] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    operation["responses"] = responses
    return operation


def _paths() -> dict:
    team = ("slug",)
    page = ("limit", "cursor")
    write_errors = ("400", "404", "422")
    op = _operation
    return {
        f"{API}/openapi.json": {
            "get": op("getOpenAPI", "meta", "This document", ("200", _json("OpenAPI", "the OpenAPI document")))
        },
        f"{API}/plugins": {
            "get": op(
                "listPlugins",
                "meta",
                "Installed plugins of every kind, with their parameter schemas",
                ("200", _json("PluginList", "the plugins")),
                params=("kind",),
                errors=("400",),
            )
        },
        f"{API}/audit": {
            "get": op(
                "listAuditEntries",
                "meta",
                "Every write, newest first",
                ("200", _json("AuditList", "a page of entries")),
                write=True,
                params=(*page, "entity"),
                errors=("400",),
            )
        },
        f"{API}/teams": {
            "get": op("listTeams", "teams", "Teams", ("200", _json("TeamList", "a page of teams")), params=page, errors=("400",)),
            "post": op(
                "createTeam",
                "teams",
                "Create a team",
                ("201", _json("Team", "created", location=True)),
                write=True,
                body="TeamCreate",
                errors=("400", "409", "422"),
            ),
        },
        f"{API}/teams/{{slug}}": {
            "get": op("getTeam", "teams", "A team", ("200", _json("Team", "the team")), params=team, errors=("404",)),
            "patch": op(
                "updateTeam",
                "teams",
                "Change a team",
                ("200", _json("Team", "the changed team")),
                write=True,
                params=team,
                body="TeamUpdate",
                errors=write_errors,
            ),
            "delete": op(
                "deleteTeam",
                "teams",
                "Delete a team with its rotations, overrides and shifts",
                ("204", NO_CONTENT),
                write=True,
                params=team,
                errors=("404",),
            ),
        },
        f"{API}/teams/{{slug}}/rotations": {
            "get": op(
                "listRotations",
                "rotations",
                "A team's rotations",
                ("200", _json("RotationList", "a page of rotations")),
                params=(*team, *page),
                errors=("400", "404"),
            ),
            "post": op(
                "createRotation",
                "rotations",
                "Create a rotation",
                ("201", _json("Rotation", "created", location=True)),
                write=True,
                params=team,
                body="RotationCreate",
                errors=write_errors,
            ),
        },
        f"{API}/teams/{{slug}}/rotations/preview": {
            "post": op(
                "previewRotation",
                "rotations",
                "What creating (or, with id, changing) a rotation would do; nothing is saved",
                ("200", _json("Preview", "the difference to the stored roster")),
                write=True,
                params=team,
                body="RotationPreview",
                errors=write_errors,
            )
        },
        f"{API}/teams/{{slug}}/rotations/{{id}}": {
            "get": op(
                "getRotation",
                "rotations",
                "A rotation",
                ("200", _json("Rotation", "the rotation")),
                params=(*team, "id"),
                errors=("404",),
            ),
            "patch": op(
                "updateRotation",
                "rotations",
                "Change a rotation from effective_from (default now) on",
                ("200", _json("RotationChanged", "the changed rotation")),
                write=True,
                params=(*team, "id"),
                body="RotationUpdate",
                errors=write_errors,
            ),
            "delete": op(
                "deleteRotation",
                "rotations",
                "Delete a rotation",
                ("204", NO_CONTENT),
                write=True,
                params=(*team, "id"),
                errors=("404",),
            ),
        },
        f"{API}/teams/{{slug}}/overrides": {
            "get": op(
                "listOverrides",
                "overrides",
                "A team's overrides",
                ("200", _json("OverrideList", "a page of overrides")),
                params=(*team, *page),
                errors=("400", "404"),
            ),
            "post": op(
                "createOverride",
                "overrides",
                "Somebody else takes a stretch of the roster",
                ("201", _json("Override", "created")),
                write=True,
                params=team,
                body="OverrideCreate",
                errors=write_errors,
            ),
        },
        f"{API}/teams/{{slug}}/overrides/{{id}}": {
            "delete": op(
                "deleteOverride",
                "overrides",
                "Remove an override (both halves of a swap)",
                ("204", NO_CONTENT),
                write=True,
                params=(*team, "id"),
                errors=("404",),
            )
        },
        f"{API}/teams/{{slug}}/swaps": {
            "post": op(
                "createSwap",
                "overrides",
                "The holders of two shifts trade places",
                ("201", _json("Swap", "the two overrides recording the swap")),
                write=True,
                params=team,
                body="SwapCreate",
                errors=write_errors,
            )
        },
        f"{API}/teams/{{slug}}/oncall": {
            "get": op(
                "getOnCall",
                "roster",
                "Who holds each role now (or at), and the next handoff",
                ("200", _json("OnCall", "the roster at that instant")),
                params=(*team, "role", "at"),
                errors=("400", "404"),
            )
        },
        f"{API}/teams/{{slug}}/shifts": {
            "get": op(
                "listShifts",
                "roster",
                "Shifts overlapping [start, end) (default: the next 7 days), by start",
                ("200", _json("ShiftList", "a page of shifts")),
                params=(*team, "start", "end", "role", "person", "shiftsLimit", "cursor"),
                errors=("400", "404"),
            )
        },
        f"{API}/teams/{{slug}}/gaps": {
            "get": op(
                "getGaps",
                "roster",
                "Times nobody covers and unresolved rule conflicts in [start, end) (default: 28 days), "
                "as stored with the materialized roster; `limit` rows of each list per page",
                ("200", _json("Gaps", "gaps and conflicts")),
                params=(*team, "start", "end", "shiftsLimit", "cursor"),
                errors=("400", "404"),
            )
        },
        f"{API}/people": {
            "get": op(
                "listPeople",
                "people",
                "People",
                ("200", _json("PersonList", "a page of people")),
                params=(*page, "active"),
                errors=("400",),
            ),
            "post": op(
                "createPerson",
                "people",
                "Add a person",
                ("201", _json("Person", "created", location=True)),
                write=True,
                body="PersonCreate",
                errors=("400", "422"),
            ),
        },
        f"{API}/people/{{id}}": {
            "get": op("getPerson", "people", "A person", ("200", _json("Person", "the person")), params=("id",), errors=("404",)),
            "patch": op(
                "updatePerson",
                "people",
                "Change a person",
                ("200", _json("Person", "the changed person")),
                write=True,
                params=("id",),
                body="PersonUpdate",
                errors=write_errors,
            ),
            "delete": op(
                "deactivatePerson",
                "people",
                "Deactivate a person: out of future shifts, history kept (never erased)",
                ("200", _json("Person", "the deactivated person")),
                write=True,
                params=("id",),
                errors=("404",),
            ),
        },
        f"{API}/people/{{id}}/leave": {
            "get": op(
                "listLeave",
                "people",
                "A person's leave",
                ("200", _json("LeaveList", "a page of leave")),
                params=("id", *page),
                errors=("400", "404"),
            ),
            "post": op(
                "createLeave",
                "people",
                "Add leave; dates are read in PLANTAO_TIMEZONE",
                ("201", _json("Leave", "created")),
                write=True,
                params=("id",),
                body="LeaveCreate",
                errors=("400", "404", "409", "422"),
            ),
        },
        f"{API}/people/{{id}}/leave/{{leave_id}}": {
            "delete": op(
                "deleteLeave",
                "people",
                "Remove leave",
                ("204", NO_CONTENT),
                write=True,
                params=("id", "leave_id"),
                errors=("404",),
            )
        },
    }


# -- notifications ---------------------------------------------------------------------


def _notification_schemas() -> dict:
    kinds = {"type": "array", "items": {"enum": list(NOTIFY_KINDS)}}
    when = {"type": ["string", "null"], "format": "date-time"}
    attempt = _object(
        {
            "number": {"type": "integer"},
            "worker": {"type": "string", "description": "the dispatcher that tried"},
            "started_at": DATE_TIME,
            "finished_at": DATE_TIME,
            "ok": {"type": "boolean"},
            "error": {"type": ["string", "null"]},
        },
        "one try at sending",
    )
    return {
        "ChannelConfig": _object(
            {
                "channel": {"type": "string", "description": "a notification channel plugin"},
                "enabled": {"type": "boolean"},
                "params": {"type": "object", "description": "the channel's parameters; secrets masked (********abcd)"},
                "events": {**kinds, "description": "events the team-wide destination receives"},
                "language": {"enum": list(NOTIFY_LANGUAGES)},
            },
            "a notification channel configured for a team",
        ),
        "ChannelConfigList": _object({"channels": {"type": "array", "items": _ref("ChannelConfig")}}),
        "ChannelTestResult": _object(
            {
                "ok": {"type": "boolean"},
                "error": {"type": ["string", "null"], "description": "why sending failed"},
                "destination": {"type": "object"},
            },
            "how sending the test message went (it is sent at once, not through the outbox)",
        ),
        "NotificationSettings": _object(
            {
                "reminder_leads": {"type": "array", "items": {"type": "integer"}, "description": "minutes before a shift"},
                "digest_weekday": {"type": "integer", "description": "0 = Monday"},
                "digest_time": {"type": "string", "description": "local HH:MM"},
                "gap_lookahead_hours": {"type": "integer"},
            },
            "when a team's reminders, weekly digest and gap warnings go out",
        ),
        "NotificationPreferences": _object(
            {
                "person": {"type": "integer"},
                "language": {"enum": list(NOTIFY_LANGUAGES)},
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
        ),
        "Delivery": _object(
            {
                "id": {"type": "integer"},
                "event_id": {"type": "integer"},
                "kind": {"enum": [*NOTIFY_KINDS, "test"]},
                "team_id": {"type": ["integer", "null"]},
                "person": {"type": ["integer", "null"], "description": "null for a team-wide destination"},
                "channel": {"type": "string"},
                "status": {"enum": list(DELIVERY_STATUSES)},
                "attempts": {"type": "integer", "description": "tries since created or last retried by hand"},
                "next_attempt_at": when,
                "sent_at": when,
                "last_error": {"type": ["string", "null"]},
                "idempotency_key": {"type": "string", "description": "sent as Idempotency-Key / Message-ID"},
                "subject": {"type": "string"},
                "attempt_log": {"type": "array", "items": attempt},
            },
            "one message for one recipient on one channel",
        ),
        "DeliveryList": _page("deliveries", "Delivery", "deliveries by id"),
        "ChannelConfigPut": CHANNEL_CONFIG_SCHEMA,
        "ChannelTest": CHANNEL_TEST_SCHEMA,
        "NotificationSettingsPut": TEAM_SETTINGS_SCHEMA,
        "NotificationPreferencesPut": PREFERENCES_SCHEMA,
    }


def _notification_parameters(channels: list[str]) -> dict:
    return {
        "channel": {
            "name": "channel",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": channels} if channels else {"type": "string"},
            "description": "an installed notification channel",
        },
        "deliveryStatus": _query("status", {"type": "string", "enum": list(DELIVERY_STATUSES)}, "only this status"),
        "deliveryTeam": _query("team", {"type": "string"}, "only this team's deliveries (its slug)"),
        "personToken": _query(
            "token", {"type": "string"}, "the person's secret link token (their feed token) instead of admin credentials"
        ),
    }


def _notification_paths() -> dict:
    op = _operation
    team = ("slug",)
    write_errors = ("400", "404", "422")
    own = [{"bearerAuth": []}, {"feedToken": []}]
    get_preferences = op(
        "getNotificationPreferences", "notifications", "A person's notification preferences",
        ("200", _json("NotificationPreferences", "the preferences")),
        write=True, params=("id", "personToken"), errors=("404",),
    )
    put_preferences = op(
        "updateNotificationPreferences", "notifications", "Change a person's notification preferences",
        ("200", _json("NotificationPreferences", "the changed preferences")),
        write=True, params=("id", "personToken"), body="NotificationPreferencesPut", errors=write_errors,
    )
    get_preferences["security"] = put_preferences["security"] = own
    return {
        f"{API}/teams/{{slug}}/notification-channels": {
            "get": op("listNotificationChannels", "notifications", "A team's notification channels",
                      ("200", _json("ChannelConfigList", "the channels")), write=True, params=team, errors=("404",)),
        },
        f"{API}/teams/{{slug}}/notification-channels/{{channel}}": {
            "get": op("getNotificationChannel", "notifications", "One notification channel of a team",
                      ("200", _json("ChannelConfig", "the channel")), write=True, params=(*team, "channel"),
                      errors=("404",)),
            "put": op("putNotificationChannel", "notifications",
                      "Configure a channel for a team; params are checked against the plugin's params_schema",
                      ("200", _json("ChannelConfig", "the channel")), write=True, params=(*team, "channel"),
                      body="ChannelConfigPut", errors=write_errors),
            "delete": op("deleteNotificationChannel", "notifications", "Remove a team's channel",
                         ("204", NO_CONTENT), write=True, params=(*team, "channel"), errors=("404",)),
        },
        f"{API}/teams/{{slug}}/notification-channels/{{channel}}/test": {
            "post": op("testNotificationChannel", "notifications",
                       "Send a test message now to the team's destination (or to `person`)",
                       ("200", _json("ChannelTestResult", "how it went")), write=True,
                       params=(*team, "channel"), body="ChannelTest", errors=write_errors),
        },
        f"{API}/teams/{{slug}}/notification-settings": {
            "get": op("getNotificationSettings", "notifications", "A team's reminder, digest and gap timings",
                      ("200", _json("NotificationSettings", "the timings")), write=True, params=team,
                      errors=("404",)),
            "put": op("putNotificationSettings", "notifications", "Change a team's notification timings",
                      ("200", _json("NotificationSettings", "the timings")), write=True, params=team,
                      body="NotificationSettingsPut", errors=write_errors),
        },
        f"{API}/people/{{id}}/notification-preferences": {"get": get_preferences, "put": put_preferences},
        f"{API}/notifications/deliveries": {
            "get": op("listDeliveries", "notifications", "Deliveries with their attempts (failed ones to retry)",
                      ("200", _json("DeliveryList", "a page of deliveries")), write=True,
                      params=("limit", "cursor", "deliveryStatus", "deliveryTeam"), errors=("400", "404")),
        },
        f"{API}/notifications/deliveries/{{id}}/retry": {
            "post": op("retryDelivery", "notifications", "Send a pending or given-up delivery again now",
                       ("200", _json("Delivery", "the delivery, pending again")), write=True, params=("id",),
                       errors=("404", "409")),
        },
    }


# -- exports and feeds ------------------------------------------------------------------

FEED_SECURITY = [{}, {"bearerAuth": []}, {"feedToken": []}]


def _export_schemas() -> dict:
    link = _object(
        {
            "format": {"type": "string"},
            "title": {"type": "object", "additionalProperties": {"type": "string"}},
            "media_type": {"type": "string"},
            "url": {"type": "string", "format": "uri", "description": "the feed (with its secret token for logged-in readers)"},
            "webcal": {
                "type": ["string", "null"],
                "description": "the same address as webcal:// for calendar apps; null for other formats",
            },
        },
        "a feed of one export format",
    )
    return {
        "FeedLink": link,
        "FeedLinks": {"type": "array", "items": _ref("FeedLink"), "description": "one per installed export format"},
        "TeamFeedToken": _object({"team": {"type": "string"}, "feeds": _ref("FeedLinks")}, "the team's feed links"),
        "PersonFeedToken": _object(
            {"person": {"type": "integer"}, "feeds": _ref("FeedLinks")},
            "the person's feed links",
        ),
        "ExportShift": _object(
            {
                "id": {"type": "integer"},
                "team": {"type": "string", "description": "the team's slug"},
                "role": {"type": "string"},
                "person": _ref("Person"),
                "start": DATE_TIME,
                "end": {**DATE_TIME, "description": "exclusive"},
                "source": _ref("ShiftSource"),
                "rotation_id": {"type": ["integer", "null"]},
                "override_id": {"type": ["integer", "null"]},
            },
            "a shift as the shifts API shows it, with its team",
        ),
        "ExportDocument": _object(
            {
                "title": {"type": "string"},
                "timezone": {"type": "string"},
                "team": {"type": ["string", "null"]},
                "person": {"type": ["integer", "null"]},
                "role": {"type": ["string", "null"]},
                "start": DATE_TIME,
                "end": DATE_TIME,
                "shifts": {"type": "array", "items": _ref("ExportShift")},
            },
            "the json export format: every shift of the interval, unpaginated",
        ),
    }


def _export_parameters(formats: list[str]) -> dict:
    return {
        "format": {
            "name": "format",
            "in": "path",
            "required": True,
            "schema": {"type": "string", "enum": formats} if formats else {"type": "string"},
            "description": "an installed export format; an unknown one answers 404 listing the available",
        },
        "exportStart": _query("start", {"type": "string"}, f"start of the interval, {INSTANT}; default 30 days ago"),
        "exportEnd": _query(
            "end", {"type": "string"}, f"end of the interval (exclusive), {INSTANT}; default the end of the stored roster"
        ),
        "token": _query("token", {"type": "string"}, "the feed's secret token (private rosters); a wrong one answers 401"),
        "alarm": _query(
            "alarm", {"type": "integer", "minimum": 1}, "ics: a reminder (VALARM) this many minutes before each shift"
        ),
        "lang": _query("lang", {"type": "string", "enum": ["pt-BR", "en"]}, "ics: language of the texts"),
    }


def _feed(operation_id: str, summary: str, params: tuple[str, ...]) -> dict:
    operation = _operation(
        operation_id,
        "exports",
        summary,
        (
            "200",
            {
                "description": "the feed's body; Content-Disposition names the file",
                "headers": {
                    "ETag": {"schema": {"type": "string"}},
                    "Last-Modified": {"schema": {"type": "string"}},
                    "Content-Disposition": {"schema": {"type": "string"}},
                },
                "content": {
                    "text/calendar": {"schema": {"type": "string"}},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/json": {"schema": _ref("ExportDocument")},
                },
            },
        ),
        params=(*params, "format", "exportStart", "exportEnd", "role", "token", "alarm", "lang"),
        errors=("400", "404"),
    )
    operation["security"] = FEED_SECURITY
    operation["description"] = (
        "Other export formats answer their own media type. Conditional requests (If-None-Match, "
        "If-Modified-Since) answer 304 when the feed has not changed."
    )
    operation["responses"]["304"] = {"description": "not modified: the client's copy is current"}
    return operation


def _export_paths() -> dict:
    op = _operation
    return {
        f"{API}/teams/{{slug}}/export.{{format}}": {
            "get": _feed("exportTeam", "A team's shifts as a file or calendar feed", ("slug", "person")),
        },
        f"{API}/people/{{id}}/export.{{format}}": {
            "get": _feed("exportPerson", "One person's shifts in every team as a file or calendar feed", ("id",)),
        },
        f"{API}/teams/{{slug}}/feeds": {
            "get": op(
                "getTeamFeeds",
                "exports",
                "The team's feed links; logged-in readers get them with the secret token",
                ("200", _json("TeamFeedToken", "the links")),
                params=("slug",),
                errors=("404",),
            )
        },
        f"{API}/people/{{id}}/feeds": {
            "get": op(
                "getPersonFeeds",
                "exports",
                "The person's feed links; logged-in readers get them with the secret token",
                ("200", _json("PersonFeedToken", "the links")),
                params=("id",),
                errors=("404",),
            )
        },
        f"{API}/teams/{{slug}}/feed-token": {
            "post": op(
                "rotateTeamFeedToken",
                "exports",
                "A new secret for the team's feed links; the old links stop working",
                ("200", _json("TeamFeedToken", "the new links")),
                write=True,
                params=("slug",),
                errors=("404",),
            )
        },
        f"{API}/people/{{id}}/feed-token": {
            "post": op(
                "rotatePersonFeedToken",
                "exports",
                "A new secret for the person's feed links; the old links stop working",
                ("200", _json("PersonFeedToken", "the new links")),
                write=True,
                params=("id",),
                errors=("404",),
            )
        },
    }



# -- links ---------------------------------------------------------------------------

_TEAM = {"slug": "$response.body#/slug"}
_PERSON = {"id": "$response.body#/id"}
_ROTATION = {"slug": "$request.path.slug", "id": "$response.body#/id"}
_OVERRIDE = {"slug": "$request.path.slug", "id": "$response.body#/id"}
_LEAVE = {"id": "$request.path.id", "leave_id": "$response.body#/id"}

#: Where the answer of a creation leads: to reading, changing and deleting
#: what it created (OpenAPI links; schemathesis' stateful run follows them).
LINKS = {
    "createTeam": {
        "getTeam": _TEAM, "updateTeam": _TEAM, "deleteTeam": _TEAM,
        "createRotation": _TEAM, "listRotations": _TEAM, "createOverride": _TEAM, "listOverrides": _TEAM,
        "listShifts": _TEAM, "getOnCall": _TEAM,
    },
    "createPerson": {
        "getPerson": _PERSON, "updatePerson": _PERSON, "deactivatePerson": _PERSON,
        "createLeave": _PERSON, "listLeave": _PERSON,
    },
    "createRotation": {"getRotation": _ROTATION, "updateRotation": _ROTATION, "deleteRotation": _ROTATION},
    "createOverride": {"listOverrides": {"slug": "$request.path.slug"}, "deleteOverride": _OVERRIDE},
    "createLeave": {"listLeave": {"id": "$request.path.id"}, "deleteLeave": _LEAVE},
}


def _add_links(paths: dict) -> None:
    operations = {op["operationId"]: op for item in paths.values() for op in item.values()}
    for source, targets in LINKS.items():
        response = operations[source]["responses"]["201"]
        response["links"] = {
            target[0].upper() + target[1:]: {"operationId": target, "parameters": parameters}
            for target, parameters in targets.items()
        }


# -- the document ---------------------------------------------------------------------


def _plugin_registry(registry_or_plugins):
    """The :class:`~plantao.plugins.PluginRegistry` of a Pyramid registry, or itself."""
    return getattr(registry_or_plugins, "plugins", registry_or_plugins)


@lru_cache(maxsize=8)
def _document(plugins: tuple[tuple[str, str], ...]) -> dict:
    names: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for kind, name in plugins:
        names.setdefault(kind, []).append(name)
    names = {kind: sorted(found) for kind, found in sorted(names.items())}
    paths = {**_paths(), **_export_paths(), **_notification_paths()}
    _add_links(paths)
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Plantão",
            "version": VERSION,
            "description": (
                "The on-call roster: teams, their rotations, overrides and leave, and who is on call. "
                "Date-times carry the offset of the team's zone. Lists are paginated with an opaque "
                "`next` cursor. Errors are JSON objects {error, details}. Any operation may answer 400 "
                "(unreadable input), 401, 413 (body over MAX_REQUEST_BODY_BYTES), 429 (throttled after failed "
                "credentials) and 503 (database down); writes also 403 (read-only credentials). A method a "
                "path does not list answers 405 with Allow."
            ),
        },
        "tags": [
            {"name": name} for name in ("teams", "rotations", "overrides", "roster", "people", "exports", "notifications", "meta")
        ],
        "paths": paths,
        "components": {
            "schemas": {**_response_schemas(names), **_export_schemas(), **_notification_schemas(), **REQUEST_SCHEMAS},
            "parameters": {**_parameters(sorted(names)), **_export_parameters(names.get("export_format", [])),
                           **_notification_parameters(names.get("notification_channel", []))},
            "responses": _error_responses(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": (
                        "Authorization: Bearer <ADMIN_PASSWORD> for writes and the audit log; "
                        "<VIEWER_PASSWORD> reads a private roster. With a token, reads show contacts."
                    ),
                },
                "feedToken": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "token",
                    "description": "the secret of a team's or a person's feed links; admins rotate it",
                },
            },
        },
        "x-plugins": names,
    }
    # A copy of its own: the services' schemas stay untouched whatever a caller does.
    return copy.deepcopy(document)


def build_openapi(registry_or_plugins, server_url: str) -> dict:
    """The OpenAPI 3.1 document, served at ``server_url``.

    ``registry_or_plugins`` is the Pyramid registry or the plugin registry.
    The document is built once per process and set of plugins; treat the
    result as read-only.
    """
    plugins = _plugin_registry(registry_or_plugins)
    key = tuple(sorted((info.kind, info.name) for info in plugins.infos))
    return {**_document(key), "servers": [{"url": server_url.rstrip("/") or "/"}]}
