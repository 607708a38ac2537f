"""Overrides and swaps in the admin panel, and the team calendar they start from.

A swap is done from the calendar: pick a shift, then either pick the person
who replaces its holder (an override of exactly that shift) or pick another
shift whose holder trades places (``OverrideService.swap``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from babel.dates import format_date
from pyramid.view import view_config, view_defaults

from ...datetimes import isoformat, utcnow, zone
from ...i18n import Formatter
from ...models import Person, Shift
from ...services.errors import Conflict, Detail, Invalid
from ...services.oncall import OnCallService
from ...services.overrides import OVERRIDE_SCHEMA, OverrideService
from ...services.people import PersonService
from ...services.rotations import RotationService
from ...services.teams import TeamService
from ...services.validation import MAX_ID
from ..api import path_int
from . import AdminView, admin_template
from .forms import Field, all_errors, datetime_input, form_instant, text, unplaced, with_errors
from .teams import team_picker

#: How many days one period (page) of the admin calendar lists.
CALENDAR_DAYS = 28


@dataclass
class CalendarPeriod:
    """The days one page of the admin calendar lists, and where its neighbours start.

    Pages run from today (the past cannot be changed: the team's public
    page shows it) to the last day of the stored horizon (nothing later is
    stored yet).  ``notice`` says why the page asked for was moved inside
    those limits; ``last`` says the horizon ends on this page.
    """

    start: date
    end: date  # the day after the last one listed
    today: date
    last_day: date  # the last day with stored shifts
    previous: date | None
    next: date | None
    notice: str | None = None

    @property
    def last(self) -> bool:
        return self.next is None


def as_id(raw: str) -> int | str:
    """A posted id as an int, or the raw text when it is none (the service then says why).

    Only ASCII digits: ``str.isdigit`` also accepts "²", which ``int`` refuses.
    """
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID else raw


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
        # Every problem of the form at once: who, from, until, the role and the reason.
        found: dict[str, list[str]] = {}
        if not values["person"]:
            found["person"] = [self._("This field is required.")]
        start = form_instant(self._, values["start"], self.tz, found, "start")
        end = form_instant(self._, values["end"], self.tz, found, "end")
        if start is not None and end is not None and end <= start:
            found.setdefault("end", []).append(self._("Must be after the start."))
        # The instants with their offset in the team's zone: for the service, and for the
        # datetime-local inputs when the form comes back (10/03/2026 09:00 as 2026-03-10T09:00).
        readable = {key: isoformat(moment, self.tz) for key, moment in (("start", start), ("end", end)) if moment}
        body.update(readable)
        values.update(readable)
        errors, general = all_errors(self._, OVERRIDE_SCHEMA, body, found)
        if errors or general:
            self.request.response.status = 422
            return self.render_overrides(values, errors, general)
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

    def calendar_period(self, now: datetime, errors: dict) -> CalendarPeriod:
        """The period asked by ``start`` (a day; today when blank), kept between today and the horizon.

        A ``start`` that is no day adds its reason to ``errors`` and shows the first period.
        """
        today = now.astimezone(self.tz).date()
        horizon = self.team.materialized_until or now + timedelta(days=self.request.plantao_settings.horizon_days)
        last_day = max(today, (horizon - timedelta(microseconds=1)).astimezone(self.tz).date())
        raw = self.request.params.get("start", "").strip()
        asked = form_instant(self._, raw, self.tz, errors, "start", day=True) if raw else None
        start = asked.astimezone(self.tz).date() if asked else today
        notice = None
        if start < today:
            start, notice = today, self._("The calendar starts today: what has passed cannot be changed here "
                                          "(the team's public page shows past months).")
        elif start > last_day:
            start = max(today, last_day - timedelta(days=CALENDAR_DAYS - 1))
            notice = self._("Nothing is stored that far ahead yet: this is the calendar's last period.")
        end = start + timedelta(days=CALENDAR_DAYS)
        return CalendarPeriod(
            start=start, end=end, today=today, last_day=last_day,
            previous=max(today, start - timedelta(days=CALENDAR_DAYS)) if start > today else None,
            next=end if end <= last_day else None, notice=notice,
        )

    def long_date(self, day: date) -> str:
        return format_date(day, "medium", locale=self.request.locale_name)

    def render_calendar(self, errors=None, general=None, status: int | None = None) -> dict:
        now = utcnow()
        period_errors: dict[str, list[str]] = {}
        period = self.calendar_period(now, period_errors)
        if period_errors and self.request.response.status_int == 200:
            self.request.response.status = 400
        # Today's page lists what is still to come: a shift of this morning that is over is history.
        low = max(now, datetime.combine(period.start, time(0), tzinfo=self.tz))
        high = datetime.combine(period.end, time(0), tzinfo=self.tz)
        shifts = self.request.find_service(OnCallService).shifts(self.team, low, high)
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
            period=period, period_errors=period_errors.get("start", []),
            period_label=f"{self.long_date(period.start)} – {self.long_date(period.end - timedelta(days=1))}",
            period_start=self.request.params.get("start", "").strip() if period_errors else period.start.isoformat(),
            horizon_label=self.long_date(period.last_day),
        )

    def calendar_query(self, **more) -> dict:
        """The calendar's query keeping the period on screen (``start``), plus ``more``."""
        start = self.request.params.get("start", "").strip()
        return {**({"start": start} if start else {}), **more}

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
        return self.redirect("admin.calendar", slug=self.team.slug, _query=self.calendar_query())

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
        return self.redirect("admin.calendar", slug=self.team.slug, _query=self.calendar_query())
