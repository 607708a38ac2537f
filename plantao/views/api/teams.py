"""/api/v1/teams: teams and their settings."""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...services.representations import team_json
from ...services.teams import TeamService
from . import after_id, json_body, limit, no_content, page
from .documentation import documented


@view_defaults(renderer="json")
class TeamsAPI:
    def __init__(self, request):
        self.request = request
        self.teams = request.find_service(TeamService)

    @documented("listTeams", "TeamList", "a page of teams", params=("limit", "cursor"), errors=(400,))
    @view_config(route_name="api.teams", request_method="GET", permission="view")
    def list(self):
        """Teams."""
        size = limit(self.request)
        items, next_cursor = page(self.teams.list(after_id(self.request), size + 1), size, team_json)
        return {"teams": items, "next": next_cursor}

    @documented("createTeam", "Team", "created", status=201, location=True, body="TeamCreate", errors=(400, 409, 422))
    @view_config(route_name="api.teams", request_method="POST", permission="admin")
    def create(self):
        """Create a team."""
        team = self.teams.create(json_body(self.request))
        self.request.response.status = 201
        self.request.response.location = self.request.route_url("api.team", slug=team.slug)
        return team_json(team)

    @documented("getTeam", "Team", "the team", errors=(404,))
    @view_config(route_name="api.team", request_method="GET", permission="view")
    def get(self):
        """A team."""
        return team_json(self.teams.get(self.request.matchdict["slug"]))

    @documented("updateTeam", "Team", "the changed team", body="TeamUpdate", errors=(400, 404, 422))
    @view_config(route_name="api.team", request_method="PATCH", permission="admin")
    def update(self):
        """Change a team."""
        team = self.teams.get(self.request.matchdict["slug"])
        return team_json(self.teams.update(team, json_body(self.request)))

    @documented("deleteTeam", errors=(404,))
    @view_config(route_name="api.team", request_method="DELETE", permission="admin")
    def delete(self):
        """Delete a team with its rotations, overrides and shifts."""
        self.teams.delete(self.teams.get(self.request.matchdict["slug"]))
        return no_content(self.request)
