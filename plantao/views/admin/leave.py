"""Leave in the admin panel: who is away when, added and removed by day."""

from __future__ import annotations

from datetime import date, timedelta

from pyramid.view import view_config, view_defaults

from ...datetimes import utcnow
from ...models import Person
from ...services.errors import Conflict, Detail, Invalid, NotFound
from ...services.people import PersonService
from ...services.validation import MAX_ID
from ..api import path_int
from . import AdminView, admin_template
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


@view_defaults(route_name="admin.leave", permission="admin", renderer=admin_template("leave.pt"))
class LeaveViews(AdminView):
    section = "leave"

    def render(self, values: dict, errors=None, general=None) -> dict:
        _ = self._
        service = self.request.find_service(PersonService)
        people = service.active()
        wanted = self.request.params.get("person", "")
        leaves = service.leaves_ending_after(
            utcnow() - timedelta(days=30), int(wanted) if wanted.isdigit() and int(wanted) <= MAX_ID else None
        )
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
        post = self.request.POST
        values = {name: text(post, name) for name in ("person", "start", "last_day", "reason")}
        service = self.request.find_service(PersonService)
        try:
            person = self.chosen(service, values["person"])
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
