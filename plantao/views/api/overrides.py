"""/api/v1/teams/{slug}/overrides and swaps, and their previews."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from pyramid.view import view_config, view_defaults

from ...services.overrides import OverrideService
from ...services.representations import override_json, preview_json
from ...services.teams import TeamService
from . import after_id, json_body, limit, no_content, page, path_int
from .documentation import documented


@view_defaults(renderer="json")
class OverridesAPI:
    def __init__(self, request):
        self.request = request
        # A write (or its preview) locks the team as it reads it.
        writing = request.method not in ("GET", "HEAD")
        self.team = request.find_service(TeamService).get(request.matchdict["slug"], lock=writing)
        self.overrides = request.find_service(OverrideService)

    @documented("listOverrides", "OverrideList", "a page of overrides", params=("limit", "cursor"), errors=(400, 404))
    @view_config(route_name="api.overrides", request_method="GET", permission="view")
    def list(self):
        """A team's overrides."""
        size = limit(self.request)
        found = self.overrides.list(self.team, after_id(self.request), size + 1)
        items, next_cursor = page(found, size, lambda o: override_json(o, self.team))
        return {"overrides": items, "next": next_cursor}

    @documented("createOverride", "Override", "created", status=201, body="OverrideCreate", errors=(400, 404, 422))
    @view_config(route_name="api.overrides", request_method="POST", permission="admin")
    def create(self):
        """Somebody else takes a stretch of the roster."""
        override = self.overrides.create(self.team, json_body(self.request))
        self.request.response.status = 201
        return override_json(override, self.team)

    @documented(
        "previewOverride", "Preview", "the difference to the stored roster", body="OverrideCreate",
        errors=(400, 404, 422),
    )
    @view_config(route_name="api.overrides.preview", request_method="POST", permission="admin")
    def preview(self):
        """What creating an override would do to the roster; nothing is saved.

        The body, its checks and its errors are those of the creation; the
        answer is that of a rotation's preview.
        """
        return self._preview(self.overrides.preview(self.team, json_body(self.request)))

    @documented("deleteOverride", errors=(404,))
    @view_config(route_name="api.override", request_method="DELETE", permission="admin")
    def delete(self):
        """Remove an override (both halves of a swap)."""
        self.overrides.delete(self.team, self.overrides.get(self.team, path_int(self.request, "id")))
        return no_content(self.request)

    @documented(
        "createSwap", "Swap", "the two overrides recording the swap", status=201, body="SwapCreate",
        errors=(400, 404, 422),
    )
    @view_config(route_name="api.swaps", request_method="POST", permission="admin")
    def swap(self):
        """The holders of two shifts trade places."""
        overrides = self.overrides.swap(self.team, json_body(self.request))
        self.request.response.status = 201
        return {"overrides": [override_json(o, self.team) for o in overrides]}

    @documented(
        "previewSwap", "Preview", "the difference to the stored roster", body="SwapCreate", errors=(400, 404, 422),
    )
    @view_config(route_name="api.swaps.preview", request_method="POST", permission="admin")
    def preview_swap(self):
        """What a swap would do to the roster (both shifts reassigned); nothing is saved.

        The body, its checks and its errors are those of the swap; the answer
        is that of a rotation's preview.
        """
        return self._preview(self.overrides.preview_swap(self.team, json_body(self.request)))

    def _preview(self, preview: dict) -> dict:
        # Belt and braces: a preview never commits, whatever a service did.
        self.request.tm.doom()
        return preview_json(preview, ZoneInfo(self.team.timezone))
