"""Leave in the admin panel: who is away when, added and removed by day.

An owner manages everybody's leave; a team admin their teams' members'
(as the API lets them, see :func:`plantao.security.route_kind`): the form
offers only them, the list shows only theirs, and a write naming anybody
else is refused (403) by :func:`may_change_leave`.
"""

from __future__ import annotations

from datetime import date, timedelta

from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config, view_defaults

from ...datetimes import utcnow
from ...models import Person
from ...security import ADMIN, TEAM_ADMIN, _members_leave_permits
from ...services.errors import Conflict, Detail, Invalid, NotFound
from ...services.people import PersonService
from ...services.validation import MAX_ID
from ..api import path_int
from . import AdminView, admin_template, panel_role
from .forms import Field, text, unplaced, with_errors


def leave_body(post) -> dict:
    """Whole days, as people think of leave: the last day counts, so ``end`` is the day after."""
    first, last = text(post, "start"), text(post, "last_day")
    body = {"start": first, "end": last, "reason": text(post, "reason")}
    try:
        body["end"] = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    except ValueError:
        pass
    return body


def may_change_leave(request, person_id: int) -> bool:
    """Whether the request may add or remove leave of person ``person_id``.

    An owner (``admin`` on these routes, which name no team) for anybody; a
    team admin for the members of the teams they administer, by the very
    rule the API's leave routes follow; nobody else.
    """
    if request.has_permission("admin"):
        return True
    identity = request.plantao_identity or {}
    if identity.get("role") != TEAM_ADMIN:
        return False
    return bool(_members_leave_permits(request, identity["teams"], str(person_id)))


def refuse_unless_may_change(request, person_id: int) -> None:
    """403 unless :func:`may_change_leave`."""
    if not may_change_leave(request, person_id):
        raise HTTPForbidden("A team admin may only change the leave of their teams' members.")


# ``view`` lets a team admin in; panel_role and may_change_leave are the checks.
@view_defaults(route_name="admin.leave", permission="view", renderer=admin_template("leave.pt"))
class LeaveViews(AdminView):
    section = "leave"

    def render(self, values: dict, errors=None, general=None) -> dict:
        _ = self._
        service = self.request.find_service(PersonService)
        everybody = panel_role(self.request) == ADMIN
        people = [p for p in service.active() if everybody or may_change_leave(self.request, p.id)]
        wanted = self.request.params.get("person", "")
        leaves = service.leaves_ending_after(
            utcnow() - timedelta(days=30), int(wanted) if wanted.isdigit() and int(wanted) <= MAX_ID else None
        )
        if not everybody:
            leaves = [leave for leave in leaves if may_change_leave(self.request, leave.person_id)]
        fields = with_errors(
            [
                Field("person", _("Person"), widget="select", value=values.get("person") or wanted,
                      options=[(p.id, p.name) for p in people], required=True),
                Field("start", _("First day"), widget="date", value=values.get("start", ""), required=True),
                Field("last_day", _("Last day"), widget="date", key="end", value=values.get("last_day", ""),
                      required=True, help=_("Included: the person is back the day after.")),
                Field("reason", _("Reason"), value=values.get("reason", ""),
                      help=_("Optional, e.g. vacation. Visible to admins only."), attrs={"maxlength": "500"}),
            ],
            errors or {},
        )
        return self.page(
            leaves=leaves,
            fields=fields,
            general_errors=list(general or []) + unplaced(fields, errors or {}),
            last_day=lambda leave: leave.end - timedelta(microseconds=1),
        )

    @view_config(request_method="GET")
    def list(self):
        return self.render({})

    @view_config(request_method="POST")
    def create(self):
        panel_role(self.request)
        post = self.request.POST
        values = {name: text(post, name) for name in ("person", "start", "last_day", "reason")}
        service = self.request.find_service(PersonService)
        try:
            person = self.chosen(service, values["person"])
            refuse_unless_may_change(self.request, person.id)
            service.add_leave(person, leave_body(post))
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render(values, errors, general)
        self.flash(self._("Leave of ${name} saved; the roster was recomputed.", name=person.name))
        return self.redirect("admin.leave", _query={"person": person.id})

    @staticmethod
    def chosen(service: PersonService, raw: str) -> Person:
        try:
            return service.get(int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None)
        except NotFound:
            raise Invalid("Invalid leave", [Detail("person", "is required", "required")], code="required") from None

    @view_config(route_name="admin.leave.delete", request_method="POST")
    def delete(self):
        panel_role(self.request)
        refuse_unless_may_change(self.request, path_int(self.request, "id"))
        service = self.request.find_service(PersonService)
        person = service.get(path_int(self.request, "id"))
        try:
            service.delete_leave(person, service.get_leave(person, path_int(self.request, "leave_id")))
        except (Invalid, Conflict) as error:
            # Leave that has ended is history: say why on the list it came from.
            self.flash_failure(error)
        else:
            self.flash(self._("Leave removed; the roster was recomputed."))
        return self.redirect("admin.leave", _query={"person": person.id})
