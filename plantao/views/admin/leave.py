"""Leave in the admin panel: who is away when, added and removed by day.

The form asks for the first and the last day, both included, as people say
it ("de 10/03 a 14/03"), and the list says it the same way; the API and
the database keep the end exclusive (the day after, at midnight), which is
all :func:`leave_body` and :meth:`LeaveViews.period` convert.

An owner manages everybody's leave; a team admin their teams' members'
(as the API lets them, see :func:`plantao.security.route_kind`): the form
offers only them, the list shows only theirs, and a write naming anybody
else is refused (403) by :func:`may_change_leave`.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from pyramid.httpexceptions import HTTPForbidden
from pyramid.view import view_config, view_defaults

from babel.dates import format_skeleton

from ...datetimes import utcnow, zone
from ...models import Person
from ...security import ADMIN, TEAM_ADMIN, _members_leave_permits
from ...services.errors import Conflict, Detail, Invalid, NotFound
from ...services.people import LEAVE_SCHEMA, PersonService
from ...services.validation import MAX_ID
from ..api import path_int
from . import AdminView, admin_template, panel_role
from .forms import Field, all_errors, form_instant, text, unplaced, with_errors


def leave_body(_, values: dict, tz, errors: dict) -> dict:
    """The API's leave body from the form's whole days (``DD/MM/AAAA`` or ISO).

    The last day counts, so ``end`` (exclusive, as the API takes it) is the
    day after.  What cannot be read is added to ``errors`` by body field
    (``start``, ``end``) and left as typed.
    """
    first = form_instant(_, values["start"], tz, errors, "start", day=True)
    last = form_instant(_, values["last_day"], tz, errors, "end", day=True)
    body = {"start": values["start"], "end": values["last_day"], "reason": values["reason"]}
    if first is not None:
        body["start"] = first.astimezone(tz).date().isoformat()
    if last is not None:
        body["end"] = (last.astimezone(tz).date() + timedelta(days=1)).isoformat()
    if first is not None and last is not None and last < first:
        errors.setdefault("end", []).append(_("The last day cannot be before the first day."))
    return body


def day_input(raw: str, tz) -> str:
    """What a ``date`` input shows of a typed day: ISO when it reads (10/03/2026 as 2026-03-10),
    else as typed."""
    moment = form_instant(lambda msgid, **kw: msgid, raw, tz, {}, "", day=True) if raw else None
    return moment.astimezone(tz).date().isoformat() if moment is not None else raw


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
        tz = zone(self.request.plantao_settings.timezone)
        fields = with_errors(
            [
                Field("person", _("Person"), widget="select", value=values.get("person") or wanted,
                      options=[(p.id, p.name) for p in people], required=True),
                Field("start", _("First day"), widget="date", value=day_input(values.get("start", ""), tz),
                      required=True),
                Field("last_day", _("Last day (included)"), widget="date", key="end",
                      value=day_input(values.get("last_day", ""), tz),
                      required=True, help=_("The person is back the day after.")),
                Field("reason", _("Reason"), value=values.get("reason", ""),
                      help=_("Optional, e.g. vacation. Visible to admins only."), attrs={"maxlength": "500"}),
            ],
            errors or {},
        )
        return self.page(
            leaves=leaves,
            fields=fields,
            general_errors=list(general or []) + unplaced(fields, errors or {}),
            period=self.period,
        )

    def period(self, leave) -> str:
        """When ``leave`` is, as the form asked for it: "from 10/03 to 14/03", the last day included.

        Leave the API stored with times of day (not whole days in the
        instance's zone) reads as its two moments, the end exclusive.
        """
        tz = zone(self.request.plantao_settings.timezone)
        start, end = leave.start.astimezone(tz), leave.end.astimezone(tz)
        if start.time() != time(0) or end.time() != time(0):
            return self._("from ${first} to ${last}", first=self.when(leave.start), last=self.when(leave.end))
        first, last = start.date(), end.date() - timedelta(days=1)
        # The year only when it is not this one's.
        skeleton = "dM" if first.year == last.year == utcnow().astimezone(tz).year else "yMd"

        def day(value: date) -> str:
            return format_skeleton(skeleton, value, locale=self.request.locale_name)

        if first == last:
            return self._("on ${day}", day=day(first))
        return self._("from ${first} to ${last}", first=day(first), last=day(last))

    @view_config(request_method="GET")
    def list(self):
        return self.render({})

    @view_config(request_method="POST")
    def create(self):
        panel_role(self.request)
        post = self.request.POST
        values = {name: text(post, name) for name in ("person", "start", "last_day", "reason")}
        service = self.request.find_service(PersonService)
        # Every problem of the form at once: the person, both days, the reason.
        found: dict[str, list[str]] = {}
        try:
            person = self.chosen(service, values["person"])
        except Invalid:
            person = None
            found["person"] = [self._("This field is required.")]
        else:
            refuse_unless_may_change(self.request, person.id)
        body = leave_body(self._, values, zone(self.request.plantao_settings.timezone), found)
        errors, general = all_errors(self._, LEAVE_SCHEMA, body, found)
        if errors or general:
            self.request.response.status = 422
            return self.render(values, errors, general)
        try:
            service.add_leave(person, body)
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
