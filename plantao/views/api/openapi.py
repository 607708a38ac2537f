"""/api/v1/openapi.json: the API described as OpenAPI 3.1, built from the code.

The operations are those Pyramid serves: every view registered on a route
of the API (``plantao/routes.py``) is one, its path and path parameters
taken from the route, its method and security from the registration, its
summary and description from the view's docstring, and the rest from the
view's :func:`~plantao.views.api.documentation.documented`.  A view of the
API without it makes :func:`build_openapi` fail, so a new route cannot be
left out of the document.

Request bodies are the very JSON Schemas the services validate with, and
each answer's schema sits beside the code that builds that answer (mostly
``plantao/services/representations.py``); this module only gathers them.
``tests/functional/test_openapi.py`` checks real answers against them.

The document depends only on the installed plugins (their names appear in
``x-plugins`` and in descriptions) and on the views, so it is built once
per process for each set of them; only ``servers`` changes with the
address it is served at.
"""

from __future__ import annotations

import copy
import inspect
import re
from functools import lru_cache

from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config

from ...plugins import KINDS
from ...routes import API, public_application_url
from ...services.notification_settings import (
    CHANNEL_CONFIG_LIST_RESPONSE,
    CHANNEL_CONFIG_RESPONSE,
    CHANNEL_CONFIG_SCHEMA,
    CHANNEL_TEST_RESPONSE,
    CHANNEL_TEST_SCHEMA,
    DELIVERY_LIST_RESPONSE,
    DELIVERY_RESPONSE,
    DELIVERY_STATUSES,
    PREFERENCES_RESPONSE,
    PREFERENCES_SCHEMA,
    TEAM_SETTINGS_RESPONSE,
    TEAM_SETTINGS_SCHEMA,
)
from ...services.oncall import ONCALL_RESPONSE
from ...services.payroll import HOURS_CLOSE_SCHEMA, HOURS_REPORT_RESPONSE
from ...services.overrides import OVERRIDE_SCHEMA, SWAP_SCHEMA
from ...services.people import LEAVE_SCHEMA, PERSON_CREATE_SCHEMA, PERSON_UPDATE_SCHEMA
from ...services.representations import (
    CONFLICT_RESPONSE,
    GAP_RESPONSE,
    GAPS_RESPONSE,
    LEAVE_LIST_RESPONSE,
    LEAVE_RESPONSE,
    OVERRIDE_LIST_RESPONSE,
    OVERRIDE_RESPONSE,
    PERSON_LIST_RESPONSE,
    PERSON_RESPONSE,
    PREVIEW_RESPONSE,
    PREVIEW_SHIFT_RESPONSE,
    SHIFT_LIST_RESPONSE,
    SHIFT_RESPONSE,
    SHIFT_SOURCE_RESPONSE,
    SWAP_RESPONSE,
    TEAM_LIST_RESPONSE,
    TEAM_RESPONSE,
    rotation_response_schemas,
)
from ...models.request import STATUSES as REQUEST_STATUSES
from ...services.response_schemas import ref
from ...services.requests import (
    SHIFT_REQUEST_ACTION_SCHEMA,
    SHIFT_REQUEST_LIST_RESPONSE,
    SHIFT_REQUEST_RESPONSE,
    SHIFT_REQUEST_SCHEMA,
)
from ...services.rotations import ROTATION_CREATE_SCHEMA, ROTATION_PREVIEW_SCHEMA, ROTATION_UPDATE_SCHEMA
from ...services.teams import TEAM_CREATE_SCHEMA, TEAM_UPDATE_SCHEMA
from ...services.tokens import (
    CREATED_TOKEN_RESPONSE,
    TOKEN_CREATE_SCHEMA,
    TOKEN_LIST_RESPONSE,
    TOKEN_RESPONSE,
)
from ..errors import ERROR_RESPONSE
from . import DEFAULT_LIMIT, MAX_LIMIT, SHIFTS_DEFAULT_LIMIT, SHIFTS_MAX_LIMIT
from .documentation import (
    ATTRIBUTE,
    FEED_SECURITY,
    READ_SECURITY,
    WRITE_SECURITY,
    Documentation,
    documented,
)
from .feeds import (
    EXPORT_DOCUMENT_RESPONSE,
    EXPORT_SHIFT_RESPONSE,
    FEED_LINK_RESPONSE,
    FEED_LINKS_RESPONSE,
    PERSON_FEEDS_RESPONSE,
    TEAM_FEEDS_RESPONSE,
)
from .meta import AUDIT_ENTRY_RESPONSE, AUDIT_LIST_RESPONSE, PLUGIN_LIST_RESPONSE, PLUGIN_RESPONSE

VERSION = "1"

#: The document itself, as far as a schema can tell.
OPENAPI_RESPONSE = {"type": "object", "required": ["openapi", "info", "paths"], "description": "this document"}


class UndocumentedView(Exception):
    """A view of the API says too little for the document (no :func:`documented`, no docstring...)."""


@documented("getOpenAPI", "OpenAPI", "the OpenAPI document", tag="meta")
@view_config(route_name="api.openapi", request_method="GET", renderer="json", permission="view")
def openapi(request):
    """This document.

    Its `servers` name the public address (`https://DOMAIN_NAME` when set).
    """
    return build_openapi(request.registry, public_application_url(request))


# -- components ----------------------------------------------------------------------


def _schemas(plugin_names: dict[str, list[str]]) -> dict:
    """Every schema of the components: answers, then request bodies."""
    policies = ", ".join(plugin_names.get("rotation_policy", [])) or "none"
    rules = ", ".join(plugin_names.get("scheduling_rule", [])) or "none"
    rotations = rotation_response_schemas(policies, rules)
    return {
        "Error": ERROR_RESPONSE,
        "Team": TEAM_RESPONSE,
        "TeamList": TEAM_LIST_RESPONSE,
        "Person": PERSON_RESPONSE,
        "PersonList": PERSON_LIST_RESPONSE,
        "Leave": LEAVE_RESPONSE,
        "LeaveList": LEAVE_LIST_RESPONSE,
        **rotations,
        "Override": OVERRIDE_RESPONSE,
        "OverrideList": OVERRIDE_LIST_RESPONSE,
        "Swap": SWAP_RESPONSE,
        "ShiftSource": SHIFT_SOURCE_RESPONSE,
        "Shift": SHIFT_RESPONSE,
        "ShiftList": SHIFT_LIST_RESPONSE,
        "OnCall": ONCALL_RESPONSE,
        "Gap": GAP_RESPONSE,
        "Conflict": CONFLICT_RESPONSE,
        "Gaps": GAPS_RESPONSE,
        "PreviewShift": PREVIEW_SHIFT_RESPONSE,
        "Preview": PREVIEW_RESPONSE,
        "Plugin": PLUGIN_RESPONSE,
        "PluginList": PLUGIN_LIST_RESPONSE,
        "AuditEntry": AUDIT_ENTRY_RESPONSE,
        "AuditList": AUDIT_LIST_RESPONSE,
        "OpenAPI": OPENAPI_RESPONSE,
        "FeedLink": FEED_LINK_RESPONSE,
        "FeedLinks": FEED_LINKS_RESPONSE,
        "TeamFeedToken": TEAM_FEEDS_RESPONSE,
        "PersonFeedToken": PERSON_FEEDS_RESPONSE,
        "ExportShift": EXPORT_SHIFT_RESPONSE,
        "ExportDocument": EXPORT_DOCUMENT_RESPONSE,
        "ChannelConfig": CHANNEL_CONFIG_RESPONSE,
        "ChannelConfigList": CHANNEL_CONFIG_LIST_RESPONSE,
        "ChannelTestResult": CHANNEL_TEST_RESPONSE,
        "NotificationSettings": TEAM_SETTINGS_RESPONSE,
        "NotificationPreferences": PREFERENCES_RESPONSE,
        "Delivery": DELIVERY_RESPONSE,
        "DeliveryList": DELIVERY_LIST_RESPONSE,
        "ApiToken": TOKEN_RESPONSE,
        "ApiTokenCreated": CREATED_TOKEN_RESPONSE,
        "ApiTokenList": TOKEN_LIST_RESPONSE,
        "Request": SHIFT_REQUEST_RESPONSE,
        "RequestList": SHIFT_REQUEST_LIST_RESPONSE,
        "HoursReport": HOURS_REPORT_RESPONSE,
        **REQUEST_SCHEMAS,
    }


#: Request bodies: the schemas the services validate with, never copies.
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
    "ChannelConfigPut": CHANNEL_CONFIG_SCHEMA,
    "ChannelTest": CHANNEL_TEST_SCHEMA,
    "NotificationSettingsPut": TEAM_SETTINGS_SCHEMA,
    "NotificationPreferencesPut": PREFERENCES_SCHEMA,
    "ApiTokenCreate": TOKEN_CREATE_SCHEMA,
    "RequestCreate": SHIFT_REQUEST_SCHEMA,
    "RequestAction": SHIFT_REQUEST_ACTION_SCHEMA,
    "HoursClose": HOURS_CLOSE_SCHEMA,
}

INSTANT = (
    "a date-time with offset, or a date or date-time local to the team's zone "
    "(e.g. 2025-03-01, 2025-03-01T09:00, 2025-03-01T09:00:00-03:00)"
)


def _path(name: str, schema: dict, description: str | None = None) -> dict:
    parameter = {"name": name, "in": "path", "required": True, "schema": schema}
    if description:
        parameter["description"] = description
    return parameter


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _parameters(plugin_names: dict[str, list[str]]) -> dict:
    """Every parameter of the components, by the name operations use (as the views read them)."""
    formats = plugin_names.get("export_format", [])
    channels = plugin_names.get("notification_channel", [])
    return {
        "slug": _path("slug", {"type": "string"}, "the team's slug"),
        "id": _path("id", {"type": "integer", "minimum": 0}),
        "leave_id": _path("leave_id", {"type": "integer", "minimum": 0}),
        "limit": _query(
            "limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}, "page size"
        ),
        "shiftsLimit": _query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": SHIFTS_MAX_LIMIT, "default": SHIFTS_DEFAULT_LIMIT},
            "page size",
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
        "kind": _query("kind", {"type": "string", "enum": sorted(plugin_names)}, "only plugins of this kind"),
        "entity": _query(
            "entity",
            {"type": "string"},
            "only entries about this kind of entity (team, person, leave, rotation, override)",
        ),
        "actor": _query(
            "actor",
            {"type": "string", "maxLength": 400},
            "only entries by this credential, as the entries name it (account:ana@example.com, token:deploy, "
            "admin-token...)",
        ),
        # Exports and feeds.
        "format": _path(
            "format",
            {"type": "string", "enum": formats} if formats else {"type": "string"},
            "an installed export format; an unknown one answers 404 listing the available",
        ),
        "exportStart": _query("start", {"type": "string"}, f"start of the interval, {INSTANT}; default 30 days ago"),
        "exportEnd": _query(
            "end",
            {"type": "string"},
            f"end of the interval (exclusive), {INSTANT}; default the end of the stored roster",
        ),
        "token": _query(
            "token", {"type": "string"}, "the feed's secret token (private rosters); a wrong one answers 401"
        ),
        "alarm": _query(
            "alarm", {"type": "integer", "minimum": 1}, "ics: a reminder (VALARM) this many minutes before each shift"
        ),
        "lang": _query("lang", {"type": "string", "enum": ["pt-BR", "en"]}, "ics: language of the texts"),
        "dialect": _query(
            "dialect",
            {"type": "string", "enum": ["excel-br", "excel"]},
            "csv: excel-br (';', decimal comma, pt-BR headers) or excel (',', English headers); "
            "without it, the API's comma-separated columns",
        ),
        # Notifications.
        "channel": _path(
            "channel",
            {"type": "string", "enum": channels} if channels else {"type": "string"},
            "an installed notification channel",
        ),
        "deliveryStatus": _query("status", {"type": "string", "enum": list(DELIVERY_STATUSES)}, "only this status"),
        "action": _path(
            "action", {"type": "string", "enum": ["accept", "cancel", "approve", "decline"]},
            "accept (a colleague takes it), cancel (the requester), approve or decline (a team admin)",
        ),
        "requestStatus": _query(
            "status", {"type": "string", "enum": list(REQUEST_STATUSES)}, "only requests in this status"
        ),
        "requestPerson": _query(
            "person", {"type": "integer", "minimum": 1}, "only requests this person made, is offered or took"
        ),
        "deliveryTeam": _query("team", {"type": "string"}, "only this team's deliveries (its slug)"),
        # The hours report for payroll.
        "month": _query(
            "month", {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
            "the month, YYYY-MM; default the previous month",
        ),
        "reportTeam": _query("team", {"type": "string"}, "only this team's hours (its slug)"),
        "hoursDialect": _query(
            "dialect", {"type": "string", "enum": ["excel-br", "excel"]},
            "excel-br (default: ';', decimal comma, pt-BR headers) or excel (',', decimal point, English headers)",
        ),
        "personToken": _query(
            "token",
            {"type": "string"},
            "the person's secret link token (their feed token) instead of admin credentials",
        ),
        # The fairness report.
        "fairnessStart": _query(
            "start", {"type": "string"}, f"start of the period, {INSTANT}; default 90 days before today 00:00"
        ),
        "fairnessEnd": _query(
            "end", {"type": "string"},
            f"end of the period (exclusive), {INSTANT}; default 90 days after today 00:00 (or 180 days after start); "
            "at most 3 years after start",
        ),
        "fairnessDialect": _query(
            "dialect", {"type": "string", "enum": ["excel-br", "excel"], "default": "excel-br"},
            "excel-br (';', decimal comma, pt-BR headers) or excel (',', decimal point, English headers)",
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
    for name, description in ERROR_RESPONSES.values():
        responses[name] = {"description": description, "content": {"application/json": {"schema": ref("Error")}}}
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


# -- operations, from the views Pyramid serves -------------------------------------------

TAGS = (
    "teams", "rotations", "overrides", "requests", "roster", "people", "exports", "notifications", "tokens", "reports",
    "meta",
)
#: The tag of an operation whose view does not name one: its module's, renamed here.
MODULE_TAGS = {"feeds": "exports", "openapi": "meta"}
#: The order of an operation's methods in its path item.
METHOD_ORDER = ("GET", "PUT", "POST", "PATCH", "DELETE")


def _api_views(registry) -> tuple:
    """``(route, method, view, permission)`` of every view served under :data:`API`, in route order.

    A view without a method would answer every method, which the document
    cannot list: that, like a view without :func:`documented`, raises
    :class:`UndocumentedView`.
    """
    routes = [route for route in registry.getUtility(IRoutesMapper).get_routes() if route.pattern.startswith(API + "/")]
    order = {route.name: position for position, route in enumerate(routes)}
    found = []
    for entry in registry.introspector.get_category("views"):
        intr = entry["introspectable"]
        if intr["route_name"] not in order:
            continue
        view = getattr(intr["callable"], intr["attr"]) if intr["attr"] else intr["callable"]
        methods = intr["request_methods"]
        if not methods:
            raise UndocumentedView(f"{intr.title} answers every method: give it request_method.")
        permission = next(
            (related["value"] for related in entry["related"] if related.category_name == "permissions"), None
        )
        for method in (methods,) if isinstance(methods, str) else methods:
            # Pyramid answers HEAD with the GET view; OpenAPI leaves it implied.
            if method != "HEAD":
                found.append((intr["route_name"], method, view, permission))
    found.sort(key=lambda item: (order[item[0]], METHOD_ORDER.index(item[1]) if item[1] in METHOD_ORDER else 99))
    patterns = {route.name: route.pattern for route in routes}
    return tuple((patterns[name], method, view, permission) for name, method, view, permission in found)


def _docstring(view) -> tuple[str, str | None]:
    """The summary and the description of an operation, from its view's docstring."""
    if not view.__doc__:
        raise UndocumentedView(f"{view.__module__}.{view.__qualname__} has no docstring to summarize it.")
    paragraphs = [" ".join(p.split()).replace("``", "`") for p in inspect.cleandoc(view.__doc__).split("\n\n")]
    return paragraphs[0].removesuffix("."), "\n\n".join(paragraphs[1:]) or None


def _operation(pattern: str, method: str, view, permission, components: dict) -> dict:
    documentation: Documentation | None = getattr(view, ATTRIBUTE, None)
    where = f"{method} {pattern} ({view.__module__}.{view.__qualname__})"
    if documentation is None:
        raise UndocumentedView(f"{where} is not documented: put @documented(...) on the view.")
    summary, description = _docstring(view)
    tag = documentation.tag or MODULE_TAGS.get(view.__module__.rsplit(".", 1)[-1], view.__module__.rsplit(".", 1)[-1])
    if tag not in TAGS:
        raise UndocumentedView(f"{where}: no tag {tag!r}; tags: {', '.join(TAGS)}.")
    if documentation.security is not None:
        security = list(documentation.security)
    elif permission == "view":
        security = READ_SECURITY
    elif permission in ("admin", "audit"):
        security = WRITE_SECURITY
    else:
        raise UndocumentedView(f"{where}: permission {permission!r} does not tell its security; declare it.")

    operation = {"operationId": documentation.operation_id, "tags": [tag], "summary": summary}
    if description:
        operation["description"] = description
    operation["security"] = security

    in_path = re.findall(r"\{([A-Za-z_]\w*)[:}]", pattern)
    params = [name for name in in_path if name not in documentation.params] + list(documentation.params)
    for name in params:
        known = components["parameters"].get(name)
        if known is None:
            raise UndocumentedView(f"{where}: no parameter {name!r} in the components.")
        if (known["in"] == "path") != (name in in_path):
            raise UndocumentedView(f"{where}: {name!r} is {'not ' if name not in in_path else ''}in the path.")
    if params:
        operation["parameters"] = [{"$ref": f"#/components/parameters/{name}"} for name in params]
    if documentation.body:
        _known_schema(components, documentation.body, where)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(documentation.body)}},
        }

    responses = {str(documentation.status): _answer(documentation, components, where)}
    for status, response in documentation.also:
        responses[str(status)] = response
    statuses = {*COMMON_ERRORS, *(str(status) for status in documentation.errors)}
    # Every credential that is not a plain reader's may be refused as too weak.
    if security not in (READ_SECURITY, FEED_SECURITY):
        statuses.add("403")
    for status in sorted(statuses):
        responses[status] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    operation["responses"] = responses
    return operation


def _known_schema(components: dict, name: str, where: str) -> None:
    if name not in components["schemas"]:
        raise UndocumentedView(f"{where}: no schema {name!r} in the components.")


def _answer(documentation: Documentation, components: dict, where: str) -> dict:
    """The successful answer's response object."""
    if isinstance(documentation.response, dict):
        return copy.deepcopy(documentation.response)
    if documentation.response is None:
        return {"description": documentation.answer}
    _known_schema(components, documentation.response, where)
    answer = {
        "description": documentation.answer,
        "content": {"application/json": {"schema": ref(documentation.response)}},
    }
    if documentation.location:
        answer["headers"] = {
            "Location": {"schema": {"type": "string", "format": "uri"}, "description": "the new resource's URL"}
        }
    return answer


def _paths(views: tuple, components: dict) -> dict:
    paths: dict[str, dict] = {}
    for pattern, method, view, permission in views:
        path = re.sub(r"\{(\w+):(?:[^{}]|\{[^{}]*\})*\}", r"{\1}", pattern)
        paths.setdefault(path, {})[method.lower()] = _operation(pattern, method, view, permission, components)
    seen: dict[str, str] = {}
    for path, item in paths.items():
        for method, operation in item.items():
            other = seen.setdefault(operation["operationId"], f"{method} {path}")
            if other != f"{method} {path}":
                raise UndocumentedView(f"operationId {operation['operationId']} twice: {other}, {method} {path}.")
    return paths


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


@lru_cache(maxsize=8)
def _document(plugins: tuple[tuple[str, str], ...], views: tuple) -> dict:
    names: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for kind, name in plugins:
        names.setdefault(kind, []).append(name)
    names = {kind: sorted(found) for kind, found in sorted(names.items())}
    components = {
        "schemas": _schemas(names),
        "parameters": _parameters(names),
        "responses": _error_responses(),
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": (
                    "Authorization: Bearer <ADMIN_PASSWORD> for writes and the audit log; "
                    "<VIEWER_PASSWORD> reads a private roster; an API token (plt_..., POST /tokens) "
                    "acts within its scopes (read, write, notifications) and teams. "
                    "With a token, reads show contacts."
                ),
            },
            "actionToken": {
                "type": "apiKey",
                "in": "query",
                "name": "token",
                "description": "the secret of a person's action link: acts as that person; owners rotate it",
            },
            "feedToken": {
                "type": "apiKey",
                "in": "query",
                "name": "token",
                "description": "the secret of a team's or a person's feed links; admins rotate it",
            },
        },
    }
    paths = _paths(views, components)
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
        "tags": [{"name": name} for name in TAGS],
        "paths": paths,
        "components": components,
        "x-plugins": names,
    }
    # A copy of its own: the services' schemas stay untouched whatever a caller does.
    return copy.deepcopy(document)


@lru_cache(maxsize=1)
def _api_only_registry():
    """A Pyramid registry with the routes and the API's views and nothing else.

    What the document needs when there is no application (e.g. to list the
    operations before any app is built); no database, no settings.
    """
    from pyramid.config import Configurator

    config = Configurator()
    config.include("plantao.routes")
    config.scan("plantao.views.api")
    config.commit()
    return config.registry


def build_openapi(registry_or_plugins, server_url: str) -> dict:
    """The OpenAPI 3.1 document, served at ``server_url``.

    ``registry_or_plugins`` is the application's Pyramid registry, or a
    :class:`~plantao.plugins.PluginRegistry` for the document of the API's
    own views with those plugins.  The document is built once per process
    and set of plugins and views; treat the result as read-only.  Raises
    :class:`UndocumentedView` when a view of the API is not documented.
    """
    plugins = getattr(registry_or_plugins, "plugins", registry_or_plugins)
    views_registry = registry_or_plugins if hasattr(registry_or_plugins, "introspector") else _api_only_registry()
    key = tuple(sorted((info.kind, info.name) for info in plugins.infos))
    document = _document(key, _api_views(views_registry))
    return {**document, "servers": [{"url": server_url.rstrip("/") or "/"}]}
