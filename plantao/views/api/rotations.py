"""/api/v1/teams/{slug}/rotations: rotations, their changes and previews."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pyramid.view import view_config, view_defaults

from ...datetimes import isoformat
from ...services.representations import preview_json
from ...services.rotations import RotationService
from ...services.teams import TeamService
from . import after_id, json_body, limit, no_content, page, path_int
from .documentation import documented


@view_defaults(renderer="json")
class RotationsAPI:
    def __init__(self, request):
        self.request = request
        self.team = request.find_service(TeamService).get(request.matchdict["slug"])
        self.rotations = request.find_service(RotationService)

    def rotation(self):
        return self.rotations.get(self.team, path_int(self.request, "id"))

    @documented("listRotations", "RotationList", "a page of rotations", params=("limit", "cursor"), errors=(400, 404))
    @view_config(route_name="api.rotations", request_method="GET", permission="view")
    def list(self):
        """A team's rotations."""
        size = limit(self.request)
        found = self.rotations.list(self.team, after_id(self.request), size + 1)
        items, next_cursor = page(found, size, lambda r: self.rotations.json(r, self.team))
        return {"rotations": items, "next": next_cursor}

    @documented(
        "createRotation", "Rotation", "created", status=201, location=True, body="RotationCreate",
        errors=(400, 404, 422),
    )
    @view_config(route_name="api.rotations", request_method="POST", permission="admin")
    def create(self):
        """Create a rotation."""
        rotation = self.rotations.create(self.team, json_body(self.request))
        self.request.response.status = 201
        self.request.response.location = self.request.route_url(
            "api.rotation", slug=self.team.slug, id=rotation.id
        )
        return self.rotations.json(rotation, self.team)

    @documented(
        "previewRotation", "Preview", "the difference to the stored roster", body="RotationPreview",
        errors=(400, 404, 422),
    )
    @view_config(route_name="api.rotations.preview", request_method="POST", permission="admin")
    def preview(self):
        """What creating (or, with id, changing) a rotation would do; nothing is saved.

        The body is that of a creation, or of a change with the rotation's `id`.
        """
        preview = self.rotations.preview(self.team, json_body(self.request))
        # Belt and braces: a preview never commits, whatever a service did.
        self.request.tm.doom()
        return preview_json(preview, ZoneInfo(self.team.timezone))

    @documented("getRotation", "Rotation", "the rotation", errors=(404,))
    @view_config(route_name="api.rotation", request_method="GET", permission="view")
    def get(self):
        """A rotation."""
        return self.rotations.json(self.rotation(), self.team)

    @documented(
        "updateRotation", "RotationChanged", "the changed rotation", body="RotationUpdate", errors=(400, 404, 422)
    )
    @view_config(route_name="api.rotation", request_method="PATCH", permission="admin")
    def update(self):
        """Change a rotation from effective_from (default now) on."""
        rotation, applied_from = self.rotations.update_from(self.team, self.rotation(), json_body(self.request))
        answer = self.rotations.json(rotation, self.team)
        if applied_from is not None:
            # The instant actually used: a date in the past means the next whole minute.
            answer["effective_from"] = isoformat(applied_from, ZoneInfo(self.team.timezone))
        return answer

    @documented("deleteRotation", errors=(404,))
    @view_config(route_name="api.rotation", request_method="DELETE", permission="admin")
    def delete(self):
        """Delete a rotation."""
        self.rotations.delete(self.team, self.rotation())
        return no_content(self.request)
