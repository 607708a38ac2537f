"""Cover and swap requests in the admin panel: a team's list, and a team admin's decisions.

Open requests come first (those awaiting approval at the top: where the
team's ``swap_approval`` is ``admin``, an accepted request waits there for
a team admin), then the last closed ones.  A team admin approves or
declines an accepted request, and may cancel a live one for its requester;
the decisions go through :class:`RequestService`, as the JSON API's do.
"""

from __future__ import annotations

from pyramid.view import view_config, view_defaults

from ...models.request import LIVE_STATUSES
from ...services.errors import Conflict, Invalid, NotFound
from ...services.requests import STATUS_TITLES, RequestService
from ...services.teams import TeamService
from ..api import path_int
from . import AdminView, admin_template
from .teams import team_picker

#: How many closed requests the list shows, newest first.
CLOSED_SHOWN = 50

#: Each kind and status as the panel names them (msgids of ``plantao_admin``).
KIND_LABELS = {"cover": "Cover", "swap": "Swap"}
STATUS_LABELS = STATUS_TITLES


@view_defaults(permission="admin")
class RequestViews(AdminView):
    section = "requests"

    def __init__(self, request):
        super().__init__(request)
        if "slug" in request.matchdict:
            self.team = request.find_service(TeamService).get(request.matchdict["slug"])
        self.requests = request.find_service(RequestService)

    @view_config(route_name="admin.requests.pick", renderer=admin_template("pick.pt"))
    def pick(self):
        return team_picker(self, "admin.requests", self._("Cover and swap requests"))

    @view_config(route_name="admin.requests", request_method="GET", renderer=admin_template("requests.pt"))
    def list(self):
        service = self.requests
        live = [*service.list(self.team, status="awaiting_approval"), *service.list(self.team, status="open")]
        recent = service.list(self.team, limit=len(live) + CLOSED_SHOWN)
        closed = [item for item in recent if item.status not in LIVE_STATUSES][:CLOSED_SHOWN]
        names = service.names(live + closed)
        return self.page(
            team=self.team,
            live=[self.row(item, names) for item in live],
            closed=[self.row(item, names) for item in closed],
        )

    def row(self, item, names: dict[int, str]) -> dict:
        tz = self.team.timezone
        return {
            "item": item,
            "kind": self._(KIND_LABELS.get(item.kind, item.kind)),
            "status": self._(STATUS_LABELS.get(item.status, item.status)),
            "requester": names.get(item.requester_id, ""),
            "with_person": names.get(item.with_person_id, "") if item.with_person_id else None,
            "with_period": f"{self.when(item.with_start, tz)} → {self.when(item.with_end, tz)}"
            if item.with_start else None,
            "accepted_by": names.get(item.accepted_by_id) if item.accepted_by_id else None,
            "period": f"{self.when(item.start, tz)} → {self.when(item.end, tz)}",
            "public_url": self.request.route_url("request", slug=self.team.slug, id=item.id),
            "actions": [
                (action, self.request.route_url("admin.request.action", slug=self.team.slug, id=item.id,
                                                action=action))
                for action in (("approve", "decline") if item.status == "awaiting_approval" else ())
                + (("cancel",) if item.status in LIVE_STATUSES else ())
            ],
        }

    @view_config(route_name="admin.request.action", request_method="POST")
    def act(self):
        action = self.request.matchdict["action"]
        request_id = path_int(self.request, "id")
        service = self.requests
        try:
            # Cancelling is the requester's act: the admin does it for them.
            person = service.get(self.team, request_id).requester_id if action == "cancel" else None
            service.act(self.team, request_id, action, person, {})
        except (Invalid, Conflict, NotFound) as error:
            self.flash_failure(error)
        else:
            done = {"approve": "Request #${id} approved; the roster was recomputed.",
                    "decline": "Request #${id} declined.", "cancel": "Request #${id} cancelled."}[action]
            self.flash(self._(done, id=request_id))
        return self.redirect("admin.requests", slug=self.team.slug)
