"""/api/v1/teams/{slug}/rotations: rotations, their changes and previews."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pyramid.view import view_config, view_defaults

from ...datetimes import isoformat
from ...services.representations import preview_json
from ...services.rotations import RotationService
from ...services.teams import TeamService
from . import after_id, json_body, limit, no_content, page, path_int, service_context


@view_defaults(renderer="json")
class RotationsAPI:
    def __init__(self, request):
        self.request = request
        ctx = service_context(request)
        self.team = TeamService(ctx).get(request.matchdict["slug"])
        self.rotations = RotationService(ctx)

    def rotation(self):
        return self.rotations.get(self.team, path_int(self.request, "id"))

    @view_config(route_name="api.rotations", request_method="GET", permission="view")
    def list(self):
        size = limit(self.request)
        found = self.rotations.list(self.team, after_id(self.request), size + 1)
        items, next_cursor = page(found, size, lambda r: self.rotations.json(r, self.team))
        return {"rotations": items, "next": next_cursor}

    @view_config(route_name="api.rotations", request_method="POST", permission="admin")
    def create(self):
        rotation = self.rotations.create(self.team, json_body(self.request))
        self.request.response.status = 201
        self.request.response.location = self.request.route_url(
            "api.rotation", slug=self.team.slug, id=rotation.id
        )
        return self.rotations.json(rotation, self.team)

    @view_config(route_name="api.rotations.preview", request_method="POST", permission="admin")
    def preview(self):
        """The same body as a create (or a change with ``id``); nothing is saved."""
        preview = self.rotations.preview(self.team, json_body(self.request))
        # Belt and braces: a preview never commits, whatever a service did.
        self.request.tm.doom()
        return preview_json(preview, ZoneInfo(self.team.timezone))

    @view_config(route_name="api.rotation", request_method="GET", permission="view")
    def get(self):
        return self.rotations.json(self.rotation(), self.team)

    @view_config(route_name="api.rotation", request_method="PATCH", permission="admin")
    def update(self):
        rotation, applied_from = self.rotations.update_from(self.team, self.rotation(), json_body(self.request))
        answer = self.rotations.json(rotation, self.team)
        if applied_from is not None:
            # The instant actually used: a date in the past means the next whole minute.
            answer["effective_from"] = isoformat(applied_from, ZoneInfo(self.team.timezone))
        return answer

    @view_config(route_name="api.rotation", request_method="DELETE", permission="admin")
    def delete(self):
        self.rotations.delete(self.team, self.rotation())
        return no_content(self.request)
