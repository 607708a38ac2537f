"""Liveness and readiness probes."""

from __future__ import annotations

from pyramid.view import view_config
from sqlalchemy.exc import SQLAlchemyError

from .. import schema
from ..diagnostics import explain_database_error


@view_config(route_name="healthz", request_method="GET", renderer="json", http_cache=0)
def healthz(request):
    """The process is up and answering; says nothing of the database."""
    return {"status": "ok"}


@view_config(route_name="readyz", request_method="GET", renderer="json", http_cache=0)
def readyz(request):
    """The database answers and its schema is at the newest migration."""
    engine = request.registry["dbengine"]
    try:
        state = schema.status(engine)
    except SQLAlchemyError as error:
        request.response.status = 503
        return {
            "status": "unavailable",
            "database": "unreachable",
            "error": explain_database_error(error, engine.url.render_as_string(hide_password=False)),
        }
    if not state.at_head:
        request.response.status = 503
        return {
            "status": "unavailable",
            "database": "ok",
            "schema": {"current": state.current, "head": state.head},
            "error": "the database schema is not at the newest migration: run `plantao db upgrade`",
        }
    return {"status": "ok", "database": "ok", "schema": {"current": state.current, "head": state.head}}
