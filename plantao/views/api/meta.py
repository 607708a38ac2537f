"""Installed plugins and the audit log."""

from __future__ import annotations

from pyramid.view import view_config

from ...services.audit import AuditService
from ...services.errors import BadRequest
from ...services.validation import MAX_ID
from ...plugins import KINDS
# The same share of the log as the panel's audit page.
from ..admin.reports import audit_scope
from ...services.response_schemas import DATE_TIME, closed_object, page_of, ref
from . import decode_cursor, encode_cursor, limit
from .documentation import documented

_LOCALIZED = {"type": "object", "additionalProperties": {"type": "string"}, "description": "text by language tag"}
#: A plugin as ``PluginInfo.as_json`` shows it, and the list the plugins view answers.
PLUGIN_RESPONSE = closed_object(
    {
        "kind": {"type": "string", "enum": sorted(KINDS)},
        "name": {"type": "string"},
        "title": _LOCALIZED,
        "description": _LOCALIZED,
        "params_schema": {"type": "object", "description": "JSON Schema of the declaration's parameters"},
        "source": {"type": "string", "description": "the distribution that installed it"},
        "module": {"type": "string"},
    }
)
PLUGIN_LIST_RESPONSE = closed_object({"plugins": {"type": "array", "items": ref("Plugin")}}, "by kind, then name")


@documented("listPlugins", "PluginList", "the plugins", params=("kind",), errors=(400,))
@view_config(route_name="api.plugins", request_method="GET", renderer="json", permission="view")
def plugins(request):
    """Installed plugins of every kind, with their parameter schemas."""
    kind = request.params.get("kind")
    infos = request.plugins.infos
    if kind:
        kinds = sorted({info.kind for info in infos} | set(request.plugins.by_kind))
        if kind not in kinds:
            raise BadRequest(
                f"Unknown plugin kind {kind!r}; kinds: {', '.join(kinds)}.",
                code="unknown_plugin_kind",
                params={"kind": kind, "kinds": ", ".join(kinds)},
            )
        infos = [info for info in infos if info.kind == kind]
    return {"plugins": [info.as_json() for info in infos]}


AUDIT_ENTRY_RESPONSE = closed_object(
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
)
AUDIT_LIST_RESPONSE = page_of("entries", "AuditEntry", "audit entries, newest first")


@documented("listAuditEntries", "AuditList", "a page of entries", params=("limit", "cursor", "entity", "actor"), errors=(400,))
@view_config(route_name="api.audit", request_method="GET", renderer="json", permission="audit")
def audit(request):
    """Every write, newest first: what, when, by which credential (``actor``: an account, a token, a
    built-in password) and address; ``entity`` and ``actor`` filter.  A team admin reads the entries
    about their teams only."""
    size = limit(request)
    position = decode_cursor(request) or {}
    before = position.get("before")
    if before is not None and (not isinstance(before, int) or not 0 < before <= MAX_ID):
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.", code="cursor")
    found = request.find_service(AuditService).page(
        size, before=before, entity=request.params.get("entity"), actor=request.params.get("actor"),
        teams=audit_scope(request),
    )
    entries = found.entries
    return {
        "entries": [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "client_addr": e.client_addr,
                "action": e.action,
                "entity": e.entity,
                "entity_id": e.entity_id,
                "before": e.before,
                "after": e.after,
            }
            for e in entries
        ],
        "next": encode_cursor(before=entries[-1].id) if found.more and entries else None,
    }
