"""Liveness and readiness probes."""

from __future__ import annotations

from pyramid.view import view_config

from ..services.health import DatabaseHealth


@view_config(route_name="healthz", request_method="GET", renderer="json", http_cache=0)
def healthz(request):
    """The process is up and answering; says nothing of the database."""
    return {"status": "ok"}


@view_config(route_name="readyz", request_method="GET", renderer="json", http_cache=0)
def readyz(request):
    """The database answers and its schema is at the newest migration."""
    readiness = request.registry.readiness
    if not readiness.serving:
        request.response.status = 503
        return {"status": "starting", "error": readiness.reason}
    status, body = request.find_service(DatabaseHealth).readiness()
    if status != 200:
        request.response.status = status
    return body
