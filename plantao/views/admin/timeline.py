"""The team's timeline in the admin panel: where an admin acts on the roster.

The public timeline (:mod:`plantao.services.timeline`, ``templates/timeline.pt``)
drawn with its final-roster bars as choices.  Choosing a bar (``?shift=``)
opens a panel to override a stretch of that shift (who takes it over, from
when to when, within the shift), and turns the bars of other people's shifts
into swap choices (``?shift=A&other=B``).  Every action shows its preview
first, told as the rotation form's preview is (:func:`.rotations.change_preview`):
what changes, for whom, in the team's local times, and the gaps and conflicts
it would cause.  The preview is ``OverrideService.preview`` or
``preview_swap``: the very write, in a savepoint rolled back.  A Confirm
button then posts the same fields, which are checked again and stored
through ``OverrideService.create`` or ``swap``, with the team's roster
revision the preview was computed on: when the roster changed meanwhile
(another write, or the same Confirm posted twice), nothing is stored and the
preview is shown again as things now are (409), to be confirmed again.

Without JavaScript everything is links and forms; ``admin.js`` adds dragging
across a bar to choose a stretch (``?shift=&start=&end=`` pre-fill the form).
Who may act is who may write the team's overrides: owners and the team's
admins (permission ``admin`` on a route naming the team).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pyramid.view import view_config, view_defaults

from ...datetimes import LAST_YEAR, DateTimeError, isoformat, parse_instant, zone
from ...engine.materialize import takes_effect
from ...i18n import Formatter, translate
from ...models import Shift
from ...services.errors import ServiceError
from ...services.gaps import GapService
from ...services.month import CalendarService
from ...services.oncall import OnCallService, RosterCache
from ...services.overrides import OVERRIDE_SCHEMA, OverrideService
from ...services.people import PersonService
from ...services.teams import TeamService
from ...services.timeline import Bar, TimelineService, parse_window, window
from ...shared import shared
from ..pages import person_class, timeline_navigation
from . import AdminView, admin_template
from .forms import Field, all_errors, datetime_input, form_instant, text, unplaced, with_errors
from .overrides import as_id
from .rotations import change_preview, conflict_key, gap_key

#: The admin timeline's window without ``?zoom=``: two weeks, from today.
DEFAULT_ZOOM = "2weeks"
#: The fields of the override form, as the confirm step posts them again.
OVERRIDE_FIELDS = ("shift", "person", "start", "end", "reason")
#: The hidden field of a Confirm form: the team's roster revision its preview was computed on.
REVISION_FIELD = "revision"


@dataclass
class Problems:
    """What a request's parameters or form got wrong, by field, in the reader's words, and the
    status that says so (404 when a shift named does not exist, else 400)."""

    by_field: dict[str, list[str]]
    status: int = 400

    def add(self, key: str, message: str, status: int = 400) -> None:
        self.by_field.setdefault(key, []).append(message)
        if status == 404:
            self.status = 404

    def __bool__(self) -> bool:
        return any(self.by_field.values())


@view_defaults(permission="admin")
class TimelineViews(AdminView):
    section = "overrides"

    def __init__(self, request):
        super().__init__(request)
        self.team = request.find_service(TeamService).get(request.matchdict["slug"])
        self.tz = zone(self.team.timezone)
        self.fmt = Formatter(request.locale_name, self.team.timezone)
        self.state = request.find_service(OnCallService).at(self.team)
        self.now = self.state.at
        self.overrides = request.find_service(OverrideService)

    # -- reading the request ------------------------------------------------------

    def window_query(self) -> dict:
        """The window on screen (``zoom``, ``from``) as asked, for the links and forms that keep it."""
        params = self.request.params
        return {key: params[key].strip() for key in ("zoom", "from") if params.get(key, "").strip()}

    def url(self, anchor: str | None = None, **query) -> str:
        """The admin timeline's address with ``query`` (empty values left out); ``anchor``: the part
        of the page it opens at (without JavaScript, what was chosen is then in sight and read first)."""
        kept = {key: str(value) for key, value in query.items() if value not in (None, "")}
        return self.request.route_url("admin.timeline", slug=self.team.slug, _query=kept,
                                      **({"_anchor": anchor} if anchor else {}))

    def shift_param(self, key: str, raw: str, problems: Problems, *, required: bool = False) -> Shift | None:
        """The team's shift ``raw`` names, still to come or under way; None (the reason in
        ``problems``) when it is missing, no id, another team's or unknown, or over."""
        if not raw:
            if required:
                problems.add(key, self._("Choose a shift first."))
            return None
        shift_id = as_id(raw)
        if not isinstance(shift_id, int):
            shown = raw if len(raw) <= 40 else f"{raw[:40]}…"
            problems.add(key, self._("“${value}” is not a shift number.", value=shown))
            return None
        shift = self.request.find_service(OnCallService).shift(self.team, shift_id)
        if shift is None:
            problems.add(key, self._("This team has no shift with id ${id}.", id=shift_id), status=404)
            return None
        if shift.end <= self.now:
            problems.add(key, self._("This shift has ended: the past is kept as it happened."))
            return None
        return shift

    def people(self, holder_id: int | None) -> list[tuple[int, str]]:
        """Who may take a stretch over: the team's active people (everybody active when the team
        has no members yet), the holder left out."""
        active = self.request.find_service(PersonService).active()
        members = {person.id for person in self.request.find_service(CalendarService).members(self.team)}
        chosen = [person for person in active if person.id in members] or active
        return [(person.id, person.name) for person in chosen if person.id != holder_id]

    def read_override(self, source, problems: Problems) -> tuple[Shift | None, dict, dict]:
        """The override form (posted, or the query that pre-fills it): the chosen shift, the
        values to show again and the body ``OverrideService`` takes; every problem in ``problems``."""
        values = {name: text(source, name) for name in OVERRIDE_FIELDS}
        shift = self.shift_param("shift", values["shift"], problems, required=True)
        found = problems.by_field
        start = form_instant(self._, values["start"], self.tz, found, "start")
        end = form_instant(self._, values["end"], self.tz, found, "end")
        if start is not None and end is not None and end <= start:
            problems.add("end", self._("Must be after the start."))
        if shift is not None:
            within = self._("Must lie within the shift (${start} – ${end}).",
                            start=self.when(shift.start, self.team.timezone), end=self.when(shift.end, self.team.timezone))
            if start is not None and not shift.start <= start < shift.end:
                problems.add("start", within)
            if end is not None and not shift.start < end <= shift.end:
                problems.add("end", within)
        if not values["person"]:
            problems.add("person", self._("Choose who takes over."))
        elif shift is not None and as_id(values["person"]) == shift.person_id:
            problems.add("person", self._("${name} already holds this shift.", name=shift.person.name))
        # The instants with their offset in the team's zone: for the service, and for the forms.
        readable = {key: isoformat(moment, self.tz) for key, moment in (("start", start), ("end", end)) if moment}
        values.update(readable)
        body = {
            "person": as_id(values["person"]),
            "start": values["start"],
            "end": values["end"],
            "role": shift.role if shift is not None else "primary",
            "reason": values["reason"],
        }
        errors, general = all_errors(self._, OVERRIDE_SCHEMA, body, found)
        problems.by_field = {**errors, **({"": general} if general else {})}
        return shift, values, body

    def stored_problems(self) -> tuple[set, set]:
        """The keys of the gaps and conflicts stored ahead: a preview lists only the ones it adds."""
        stored = self.request.find_service(GapService)
        far = datetime(LAST_YEAR, 1, 1, tzinfo=self.now.tzinfo)
        return (
            {gap_key(gap) for gap in stored.gaps(self.team, self.now, far)},
            {conflict_key(conflict) for conflict in stored.conflicts(self.team, self.now, far)},
        )

    # -- views -------------------------------------------------------------------

    @view_config(route_name="admin.timeline", request_method="GET", renderer=admin_template("timeline.pt"))
    def show(self):
        """The timeline; with ``shift``, the chosen shift's panel; with ``other`` too, the swap's preview."""
        self.asked_window()  # garbage is a 400 before anything runs
        params = self.request.params
        problems = Problems({})
        chosen = self.shift_param("shift", text(params, "shift"), problems)
        other = self.shift_param("other", text(params, "other"), problems)
        if other is not None and chosen is None and not problems:
            problems.add("shift", self._("Choose a shift first."))
        if problems:
            self.request.response.status = problems.status
            return self.render(chosen=chosen, general=self.messages(problems))
        if other is not None:
            return self.swap_preview(chosen, other)
        if chosen is not None:
            values = self.whole_shift(chosen)
            asked = {name: text(params, name) for name in ("start", "end", "person", "reason") if text(params, name)}
            if asked:
                # Dragged across the bar, or back from the preview: the form as it was asked.
                problems = Problems({})
                _shift, values, _body = self.read_override({**values, **asked}, problems)
                errors = {key: messages for key, messages in problems.by_field.items() if key in asked}
                if errors:
                    self.request.response.status = 400
                return self.render(chosen=chosen, values=values, errors=errors)
        return self.render(chosen=chosen)

    @view_config(route_name="admin.timeline.override", request_method="POST", renderer=admin_template("timeline.pt"))
    def override(self):
        """The override form: its preview, or (``confirm``) the override stored, when the roster is
        still the one the preview showed (else the preview again, as things now are)."""
        self.asked_window()  # a window it could not show again refuses the write before it happens
        problems = Problems({})
        shift, values, body = self.read_override(self.request.POST, problems)
        if problems:
            self.request.tm.doom()
            self.request.response.status = problems.status
            return self.render(chosen=shift, values=values, errors=problems.by_field)
        stale = []
        if "confirm" in self.request.POST:
            if self.roster_unchanged():
                try:
                    self.overrides.create(self.team, body)
                except ServiceError as error:
                    errors, general = self.failed(error)
                    return self.render(chosen=shift, values=values, errors={**errors, "": general})
                self.flash(self._("Override saved; the roster was recomputed."))
                return self.redirect("admin.timeline", slug=self.team.slug, _query=self.window_query())
            stale = [self.changed_meanwhile()]
        # A preview never commits, whatever a service does (doomed first: an error cannot commit either).
        self.request.tm.doom()
        known = self.stored_problems()
        try:
            preview = self.overrides.preview(self.team, body)
        except ServiceError as error:
            errors, general = self.failed(error)
            return self.render(chosen=shift, values=values, errors={**errors, "": general})
        if stale:
            self.request.response.status = 409
        person = self.request.find_service(PersonService).names().get(body["person"], f"#{body['person']}")
        tz = self.team.timezone
        return self.render(
            chosen=shift, general=stale,
            action={
                "kind": "override",
                "title": self._("Override: ${name} takes over from ${holder}", name=person, holder=shift.person.name),
                "lines": [self._("From ${start} to ${end}, in the place of ${holder}.",
                                 start=self.when(takes_effect(_parse(values["start"], self.tz), self.now), tz),
                                 end=self.when(_parse(values["end"], self.tz), tz), holder=shift.person.name)],
                "route": "admin.timeline.override",
                "fields": [(name, values[name]) for name in OVERRIDE_FIELDS] + [self.revision_field()],
                "back": self.url("chosen", **self.window_query(), **{n: values[n] for n in OVERRIDE_FIELDS}),
                "reason_field": False,
            },
            **change_preview(self, preview, known=known),
            solver=[],
        )

    def swap_preview(self, chosen: Shift, other: Shift, stale: list[str] | None = None, reason: str = "") -> dict:
        """What swapping ``chosen`` and ``other`` would do, with the Confirm form (``stale``: why it
        is shown again instead of saved; ``reason``: the reason typed before)."""
        # A GET, and a preview: nothing of it commits, whatever a service does (doomed first).
        self.request.tm.doom()
        known = self.stored_problems()
        try:
            preview = self.overrides.preview_swap(self.team, {"shifts": [chosen.id, other.id]})
        except ServiceError as error:
            errors, general = self.failed(error)
            return self.render(chosen=chosen, general=(stale or []) + general + [m for ms in errors.values() for m in ms])
        if stale:
            self.request.response.status = 409
        tz = self.team.timezone
        first, second = chosen.person.name, other.person.name
        return self.render(
            chosen=chosen,
            other=other,
            general=stale,
            action={
                "kind": "swap",
                "title": self._("Swap: ${first} and ${second} trade shifts", first=first, second=second),
                "lines": [
                    self._("${holder}'s shift, ${start} to ${end}, goes to ${name}.", holder=first, name=second,
                           start=self.when(takes_effect(chosen.start, self.now), tz), end=self.when(chosen.end, tz)),
                    self._("${holder}'s shift, ${start} to ${end}, goes to ${name}.", holder=second, name=first,
                           start=self.when(takes_effect(other.start, self.now), tz), end=self.when(other.end, tz)),
                ],
                "route": "admin.timeline.swap",
                "fields": [("shift", str(chosen.id)), ("other", str(other.id)), self.revision_field()],
                "back": self.url("chosen", **self.window_query(), shift=chosen.id),
                "reason_field": True,
                "reason": reason,
            },
            **change_preview(self, preview, known=known),
            solver=[],
        )

    @view_config(route_name="admin.timeline.swap", request_method="POST", renderer=admin_template("timeline.pt"))
    def swap(self):
        """The swap's Confirm: the holders of the two shifts trade places, when the roster is still
        the one the preview showed (else the preview again, as things now are)."""
        self.asked_window()  # a window it could not show again refuses the write before it happens
        post = self.request.POST
        problems = Problems({})
        chosen = self.shift_param("shift", text(post, "shift"), problems, required=True)
        other = self.shift_param("other", text(post, "other"), problems, required=True)
        reason = text(post, "reason")
        if len(reason) > OVERRIDE_SCHEMA["properties"]["reason"]["maxLength"]:
            problems.add("reason", self._("This value is too long."))
        if problems:
            self.request.tm.doom()
            self.request.response.status = problems.status
            return self.render(chosen=chosen, general=self.messages(problems))
        if not self.roster_unchanged():
            return self.swap_preview(chosen, other, stale=[self.changed_meanwhile()], reason=reason)
        body = {"shifts": [chosen.id, other.id], **({"reason": reason} if reason else {})}
        try:
            self.overrides.swap(self.team, body)
        except ServiceError as error:
            errors, general = self.failed(error)
            return self.render(chosen=chosen, general=general + [m for ms in errors.values() for m in ms])
        self.flash(self._("Shifts swapped; the roster was recomputed."))
        return self.redirect("admin.timeline", slug=self.team.slug, _query=self.window_query())

    # -- the Confirm step -----------------------------------------------------------

    def revision_field(self) -> tuple[str, str]:
        """The Confirm form's hidden field: the roster revision the preview was computed on (read
        after it, so that a change its own lock waited for counts)."""
        return REVISION_FIELD, str(self.team.roster_revision)

    def roster_unchanged(self) -> bool:
        """Whether the team's roster is still the one the Confirm's preview showed: no write to the
        team since (another admin's, or this very Confirm posted twice).  Read under the team's
        lock, held to the end of the request, so that no write slips in between."""
        return text(self.request.POST, REVISION_FIELD) == str(self.overrides.locked_revision(self.team))

    def changed_meanwhile(self) -> str:
        """Why a Confirm shows its preview again instead of saving."""
        return self._("The roster changed after this preview was shown: here is what the change would do now. "
                      "Confirm again to save it.")

    # -- rendering ---------------------------------------------------------------

    def messages(self, problems: Problems) -> list[str]:
        return [message for messages in problems.by_field.values() for message in messages]

    def whole_shift(self, shift: Shift) -> dict:
        """The override form of ``shift`` as it opens: the whole shift, nobody chosen yet."""
        return {"shift": str(shift.id), "start": isoformat(shift.start, self.tz), "end": isoformat(shift.end, self.tz),
                "person": "", "reason": ""}

    def override_fields(self, chosen: Shift, values: dict, errors: dict) -> list[Field]:
        _ = self._
        return with_errors([
            Field("person", _("Who takes over"), widget="select", value=values.get("person", ""), required=True,
                  options=[("", "—")] + self.people(chosen.person_id)),
            Field("start", _("From"), widget="datetime-local", value=datetime_input(values.get("start")),
                  required=True, help=_("Local time of the team (${zone}).", zone=self.team.timezone)),
            Field("end", _("Until"), widget="datetime-local", value=datetime_input(values.get("end")),
                  required=True),
            Field("reason", _("Reason"), value=values.get("reason", ""), attrs={"maxlength": "500"}),
        ], errors)

    def render(self, *, chosen: Shift | None = None, other: Shift | None = None, values: dict | None = None,
               errors: dict | None = None, general: list[str] | None = None, action: dict | None = None,
               **preview) -> dict:
        """The page: the action's preview and Confirm, else the chosen shift's panel; then the timeline."""
        errors = {key: messages for key, messages in (errors or {}).items() if messages}
        if chosen is not None and values is None:
            values = self.whole_shift(chosen)
        fields = self.override_fields(chosen, values, errors) if chosen is not None and action is None else []
        leftovers = unplaced(fields, errors) if fields else [m for ms in errors.values() for m in ms]
        query = self.window_query()
        return self.page(
            team=self.team, chosen=chosen, other=other, fields=fields, action=action,
            general_errors=list(general or []) + leftovers,
            stretch=self.stretch(chosen, values or {}) if fields else None,
            window_fields=sorted(query.items()),
            cancel_url=self.url(**query),
            calendar_url=self.request.route_url("admin.calendar", slug=self.team.slug),
            public_url=self.request.route_url("team", slug=self.team.slug, _query={"view": "timeline", **query}),
            **self.timeline_values(chosen, other),
            **preview,
        )

    def stretch(self, chosen: Shift, values: dict) -> dict | None:
        """The stretch the form holds, when it is less than the whole shift (admin.js marks it)."""
        start, end = _parse(values.get("start"), self.tz), _parse(values.get("end"), self.tz)
        if start is None or end is None or (start, end) == (chosen.start, chosen.end):
            return None
        return {"start": start.isoformat(), "end": end.isoformat()}

    def asked_window(self):
        """The window ``zoom`` and ``from`` ask for (from today without ``from``); a 400 for garbage."""
        params = self.request.params
        today = self.fmt.local(self.now).date()
        asked_from = params.get("from", "").strip()
        win = parse_window(params.get("zoom", "").strip() or DEFAULT_ZOOM, asked_from, today, self.fmt.first_weekday)
        return win if asked_from else window(win.zoom, today)

    def timeline_values(self, chosen: Shift | None, other: Shift | None) -> dict:
        """What ``templates/timeline.pt`` draws, the final roster's bars made the admin's choices."""
        fmt, now = self.fmt, self.now
        today = fmt.local(now).date()
        win = self.asked_window()
        timeline = self.request.find_service(TimelineService).timeline(
            self.team, win, now=now, today=today, cache=shared(self.request, RosterCache).kept,
        )
        kept = {"shift": chosen.id} if chosen is not None else {}

        def url(zoom: str, first: date | None = None) -> str:
            return self.url(zoom=zoom, **({"from": first.isoformat()} if first else {}), **kept)

        def bar_action(bar: Bar) -> dict | None:
            if bar.shift_id is None or bar.end <= now:
                return None
            keep = self.window_query()
            if chosen is not None and bar.shift_id == chosen.id:
                return {"href": self.url("chosen", **keep, shift=bar.shift_id), "label": self._("Chosen shift"),
                        "css": "is-chosen"}
            if chosen is None or bar.person.id == chosen.person_id:
                return {"href": self.url("chosen", **keep, shift=bar.shift_id), "label": self._("Choose this shift"),
                        "css": "is-choice"}
            css = "is-swap-choice" + (" is-other" if other is not None and other.id == bar.shift_id else "")
            return {"href": self.url("action-title", **keep, shift=chosen.id, other=bar.shift_id),
                    "label": self._("Swap with this shift"), "css": css}

        request = self.request
        return {
            "fmt": fmt,
            "state": self.state,
            "timeline": timeline,
            "month_url": None,
            "person_class": person_class,
            **timeline_navigation(win, window(win.zoom, today), today, fmt, url),
            "bar_action": bar_action,
            # The timeline's own words are the public pages' (domain plantao).
            "public_": lambda msgid, **mapping: translate(request, msgid, **mapping),
        }


def _parse(value: str | None, tz) -> datetime | None:
    """An instant the form holds (ISO with its offset, once read), or None."""
    if not value:
        return None
    try:
        return parse_instant(value, tz)
    except DateTimeError:
        return None

