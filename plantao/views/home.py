"""The public home page: who is on call now in every team."""

from __future__ import annotations

from pyramid.view import view_config

from ..resources import template
from ..services.oncall import OnCallService


@view_config(route_name="home", renderer=template("home.pt"))
def home(request):
    service = OnCallService(request.dbsession, request.plantao_settings)
    return {"teams": service.board()}
