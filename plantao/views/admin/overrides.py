"""Overrides and swaps in the admin panel, and the team calendar they start from.

A swap is done from the calendar: pick a shift, then either pick the person
who replaces its holder (an override of exactly that shift) or pick another
shift whose holder trades places (``OverrideService.swap``).
"""

from __future__ import annotations

from datetime import timedelta

from pyramid.view import view_config, view_defaults

from ...datetimes import isoformat, utcnow, zone
from ...i18n import Formatter
from ...models import Person, Shift
from ...services.errors import Conflict, Detail, Invalid
from ...services.oncall import OnCallService
from ...services.overrides import OverrideService
from ...services.people import PersonService
from ...services.rotations import RotationService
from ...services.teams import TeamService
from ...services.validation import MAX_ID
from ..api import path_int
from . import AdminView, admin_template
from .forms import Field, datetime_input, text, unplaced, with_errors
from .teams import team_picker

#: How far ahead the admin calendar lists shifts.
CALENDAR_DAYS = 28


def as_id(raw: str) -> int | str:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and int(raw) <= MAX_ID else raw


@view_defaults(permission="admin")
class OverrideViews(AdminView):
    section = "overrides"

    def __init__(self, request):
        super().__init__(request)
        if "slug" in request.matchdict:
            self.team = self.request.find_service(TeamService).get(request.matchdict["slug"])
            self.tz = zone(self.team.timezone)

    def active_people(self) -> list[Person]:
        return self.request.find_service(PersonService).active()

    def roles(self) -> list[str]:
        return sorted(self.request.find_service(RotationService).roles(self.team) | {"primary"})

    # -- the overrides list ------------------------------------------------------

    def render_overrides(self, values: dict, errors=None, general=None) -> dict:
        _ = self._
        fields = with_errors(
            [
                Field("person", _("Who takes over"), widget="select", value=values.get("person", ""),
                      options=[(p.id, p.name) for p in self.active_people()], required=True),
                Field("role", _("Role"), widget="select", value=values.get("role") or "primary",
                      options=[(role, role) for role in self.roles()]),
                Field("start", _("From"), widget="datetime-local", value=datetime_input(values.get("start")),
                      required=True, help=_("Local time of the team (${zone}).", zone=self.team.timezone)),
                Field("end", _("Until"), widget="datetime-local", value=datetime_input(values.get("end")),
                      required=True),
                Field("reason", _("Reason"), value=values.get("reason", ""), attrs={"maxlength": "500"}),
            ],
            errors or {},
        )
        # start/end problems are reported together by the service.
        if errors and "start/end" in errors:
            fields[2].errors += errors["start/end"]
        overrides = self.request.find_service(OverrideService).ending_after(self.team, utcnow() - timedelta(days=7))
        return self.page(
            team=self.team, fields=fields, overrides=overrides,
            general_errors=list(general or [])
            + unplaced(fields, {k: v for k, v in (errors or {}).items() if k != "start/end"}),
        )

    @view_config(route_name="admin.overrides.pick", renderer=admin_template("pick.pt"))
    def pick(self):
        return team_picker(self, "admin.overrides", self._("Overrides and swaps"))

    @view_config(route_name="admin.overrides", request_method="GET", renderer=admin_template("overrides.pt"))
    def list(self):
        return self.render_overrides({})

    @view_config(route_name="admin.overrides", request_method="POST", renderer=admin_template("overrides.pt"))
    def create(self):
        post = self.request.POST
        values = {name: text(post, name) for name in ("person", "role", "start", "end", "reason")}
        body = {**values, "person": as_id(values["person"])}
        try:
            self.request.find_service(OverrideService).create(self.team, body)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_overrides(values, errors, general)
        self.flash(self._("Override saved; the roster was recomputed."))
        return self.redirect("admin.overrides", slug=self.team.slug)

    @view_config(route_name="admin.override.delete", request_method="POST")
    def delete(self):
        service = self.request.find_service(OverrideService)
        try:
            service.delete(self.team, service.get(self.team, path_int(self.request, "id")))
        except (Invalid, Conflict) as error:
            # An ended override is history: say why on the list it came from.
            self.flash_failure(error)
        else:
            self.flash(self._("Override removed; the roster was recomputed."))
        return self.redirect("admin.overrides", slug=self.team.slug)

    # -- the calendar: replace or swap a shift ---------------------------------------

    def render_calendar(self, errors=None, general=None, status: int | None = None) -> dict:
        now = utcnow()
        shifts = self.request.find_service(OnCallService).shifts(self.team, now, now + timedelta(days=CALENDAR_DAYS))
        chosen_raw = self.request.params.get("shift", "")
        chosen = next((s for s in shifts if str(s.id) == chosen_raw), None)
        days: list[tuple[str, list[Shift]]] = []
        for shift in shifts:
            label = self.day_label(shift)
            if not days or days[-1][0] != label:
                days.append((label, []))
            days[-1][1].append(shift)
        messages = [m for ms in (errors or {}).values() for m in ms]
        return self.page(
            team=self.team, days=days, chosen=chosen, people=self.active_people(),
            general_errors=list(general or []) + messages,
        )

    def day_label(self, shift: Shift) -> str:
        return Formatter(self.request.locale_name, self.team.timezone).long_day(shift.start.astimezone(self.tz).date())

    @view_config(route_name="admin.calendar", request_method="GET", renderer=admin_template("calendar.pt"))
    def calendar(self):
        return self.render_calendar()

    def shift(self, raw: str) -> Shift | None:
        shift_id = as_id(raw)
        if not isinstance(shift_id, int):
            return None
        return self.request.find_service(OnCallService).shift(self.team, shift_id)

    @view_config(route_name="admin.calendar.replace", request_method="POST", renderer=admin_template("calendar.pt"))
    def replace(self):
        post = self.request.POST
        shift = self.shift(post.get("shift", ""))
        try:
            if shift is None:
                raise Invalid("Pick a shift first.", [Detail("shift", "is required", "required")], code="required")
            self.request.find_service(OverrideService).create(
                self.team,
                {
                    "person": as_id(post.get("person", "")),
                    "start": isoformat(shift.start, self.tz),
                    "end": isoformat(shift.end, self.tz),
                    "role": shift.role,
                    "reason": text(post, "reason"),
                },
            )
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_calendar(errors, general)
        self.flash(self._("Shift replaced; the roster was recomputed."))
        return self.redirect("admin.calendar", slug=self.team.slug)

    @view_config(route_name="admin.calendar.swap", request_method="POST", renderer=admin_template("calendar.pt"))
    def swap(self):
        post = self.request.POST
        body = {"shifts": [as_id(post.get("shift", "")), as_id(post.get("other", ""))]}
        if text(post, "reason"):
            body["reason"] = text(post, "reason")
        try:
            self.request.find_service(OverrideService).swap(self.team, body)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_calendar(errors, general)
        self.flash(self._("Shifts swapped; the roster was recomputed."))
        return self.redirect("admin.calendar", slug=self.team.slug)
