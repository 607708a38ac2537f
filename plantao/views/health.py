"""Liveness and readiness probes."""

from __future__ import annotations

from pyramid.view import view_config

from ..read_model import ReadModel
from ..services.health import DatabaseHealth
from .services import shared


@view_config(route_name="healthz", request_method="GET", renderer="json", http_cache=0)
def healthz(request):
    """The process is up and answering; says nothing of the database."""
    return {"status": "ok"}


@view_config(route_name="readyz", request_method="GET", renderer="json", http_cache=0)
def readyz(request):
    """Whether the instance can serve the roster: 200 ``ok``, or 200 ``degraded``
    while the database is unreachable but the roster in memory answers;
    503 while it is starting (nothing loaded yet) or the schema is behind.
    """
    readiness = request.registry.readiness
    if not readiness.serving:
        request.response.status = 503
        return {"status": "starting", "error": readiness.reason}
    status, body = shared(request, DatabaseHealth).readiness()
    read_model = shared(request, ReadModel)
    if status == 200 and not read_model.loaded:
        read_model.refresh()
        if not read_model.loaded:
            request.response.status = 503
            return {"status": "starting", "error": "the roster is not loaded yet"}
    if status != 200 and body.get("database") == "unreachable" and read_model.loaded:
        # Caddy keeps this instance: it answers the reads from memory.
        return {**body, "status": "degraded", "stale_seconds": read_model.seconds_since_check()}
    if status != 200:
        request.response.status = status
    return body
