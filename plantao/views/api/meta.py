"""Installed plugins and the audit log."""

from __future__ import annotations

from pyramid.view import view_config
from sqlalchemy import select

from ...models import AuditEntry
from ...services.errors import BadRequest
from ...services.validation import MAX_ID
from . import decode_cursor, encode_cursor, limit


@view_config(route_name="api.plugins", request_method="GET", renderer="json", permission="view")
def plugins(request):
    """Every installed plugin of every kind, with its parameter schema and source package."""
    kind = request.params.get("kind")
    infos = request.plugins.infos
    if kind:
        kinds = sorted({info.kind for info in infos} | set(request.plugins.by_kind))
        if kind not in kinds:
            raise BadRequest(f"Unknown plugin kind {kind!r}; kinds: {', '.join(kinds)}.")
        infos = [info for info in infos if info.kind == kind]
    return {"plugins": [info.as_json() for info in infos]}


@view_config(route_name="api.audit", request_method="GET", renderer="json", permission="admin")
def audit(request):
    """Every write, newest first: what, when, by which credential and address."""
    size = limit(request)
    position = decode_cursor(request) or {}
    before = position.get("before")
    if before is not None and (not isinstance(before, int) or not 0 < before <= MAX_ID):
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.")
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    entity = request.params.get("entity")
    if entity:
        query = query.where(AuditEntry.entity == entity)
    entries = list(request.dbsession.scalars(query))
    has_more = len(entries) > size
    entries = entries[:size]
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
        "next": encode_cursor(before=entries[-1].id) if has_more and entries else None,
    }
