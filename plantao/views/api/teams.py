"""/api/v1/teams: teams and their settings."""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...services.representations import team_json
from ...services.teams import TeamService
from . import after_id, json_body, limit, no_content, page, service_context


@view_defaults(renderer="json")
class TeamsAPI:
    def __init__(self, request):
        self.request = request
        self.teams = TeamService(service_context(request))

    @view_config(route_name="api.teams", request_method="GET", permission="view")
    def list(self):
        size = limit(self.request)
        items, next_cursor = page(self.teams.list(after_id(self.request), size + 1), size, team_json)
        return {"teams": items, "next": next_cursor}

    @view_config(route_name="api.teams", request_method="POST", permission="admin")
    def create(self):
        team = self.teams.create(json_body(self.request))
        self.request.response.status = 201
        self.request.response.location = self.request.route_url("api.team", slug=team.slug)
        return team_json(team)

    @view_config(route_name="api.team", request_method="GET", permission="view")
    def get(self):
        return team_json(self.teams.get(self.request.matchdict["slug"]))

    @view_config(route_name="api.team", request_method="PATCH", permission="admin")
    def update(self):
        team = self.teams.get(self.request.matchdict["slug"])
        return team_json(self.teams.update(team, json_body(self.request)))

    @view_config(route_name="api.team", request_method="DELETE", permission="admin")
    def delete(self):
        self.teams.delete(self.teams.get(self.request.matchdict["slug"]))
        return no_content(self.request)
