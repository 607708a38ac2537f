"""Notifications in the admin panel: channels per team, team timings, deliveries, preferences.

A channel's form is drawn from its plugin's ``params_schema`` (as rotation
policies' forms are), so a third-party channel gets its form without a
template change.  Secret parameters are only ever shown masked; posting the
masked value back keeps the stored secret (the service's rule, the same as
the API's).  "Send a test message" sends now, through the saved settings,
and says how it went.
"""

from __future__ import annotations

import re

from pyramid.view import view_config, view_defaults

from ...models import Person, Team
from ...plugin_api import is_masked
from ...notifications.events import KINDS
from ...services.errors import Conflict, Invalid
from ...services.notification_settings import DELIVERY_STATUSES, NotificationService
from ...services.people import PersonService
from ...services.teams import TeamService
from ..api import path_int
from ..preferences import personal_channels, preferences_body, preferences_matrix
from . import AdminView, admin_template, localized
from .forms import Field, number, parse_schema, schema_fields, text, unplaced, with_errors
from .teams import team_picker

#: Deliveries per page of the deliveries list.
DELIVERIES_PAGE = 50

_UNREACHABLE = re.compile(r"^cannot reach (?P<host>\S*): (?P<reason>.*)$")
_HTTP_ERROR = re.compile(r"^HTTP (?P<code>\d{3}) from (?P<host>\S*): ?(?P<detail>.*)$", re.S)


def event_titles(_) -> dict[str, str]:
    return {
        "reminder": _("Shift reminders"),
        "handoff": _("Handoffs"),
        "roster_changed": _("Roster changes"),
        "coverage_gap": _("Coverage gaps"),
        "digest": _("Weekly digest"),
        "cover_requested": _("Cover and swap requests"),
        "request_updated": _("Updates on requests"),
        "test": _("Test message"),
    }


def status_titles(_) -> dict[str, str]:
    return {"pending": _("Waiting"), "sending": _("Sending"), "sent": _("Sent"), "failed": _("Failed")}


def language_options(_) -> list[tuple[str, str]]:
    return [("pt-BR", _("Portuguese (Brazil)")), ("en", _("English"))]


def plain_error(_, error: str) -> str:
    """A channel's error in the reader's words (the technical detail kept in parentheses)."""
    match = _UNREACHABLE.match(error)
    if match:
        return _("Could not connect to ${host} (${reason}).", **match.groupdict())
    match = _HTTP_ERROR.match(error)
    if match:
        return _("${host} refused the message with HTTP error ${code}: ${detail}", **match.groupdict())
    return error


def destination_text(destination: dict) -> str:
    """Where a test went, for the page: an address, a URL, a chat id (nothing for a secret webhook)."""
    return ", ".join(value for value in destination.values() if isinstance(value, str))


def settings_body(post) -> dict:
    """The API's team notification settings body from the posted form."""
    leads = [number(part) for part in (post.get("reminder_leads") or "").replace(";", ",").split(",") if part.strip()]
    body: dict = {"reminder_leads": leads}
    if text(post, "digest_weekday"):
        body["digest_weekday"] = number(text(post, "digest_weekday"))
    if text(post, "digest_time"):
        body["digest_time"] = text(post, "digest_time")
    if text(post, "gap_lookahead_hours"):
        body["gap_lookahead_hours"] = number(text(post, "gap_lookahead_hours"))
    return body


@view_defaults(permission="admin")
class NotificationViews(AdminView):
    section = "notifications"

    def __init__(self, request):
        super().__init__(request)
        self.service = self.request.find_service(NotificationService)

    def team(self) -> Team:
        return self.request.find_service(TeamService).get(self.request.matchdict["slug"])

    def channel_title(self, name: str) -> str:
        plugin = self.request.plugins.channels.get(name)
        return localized(getattr(plugin, "title", None), self.lang) or name

    # -- a team's notifications: channels and timings -------------------------------

    def settings_fields(self, values: dict) -> list[Field]:
        _ = self._
        return [
            Field("reminder_leads", _("Reminders before a shift (minutes)"),
                  value=", ".join(str(lead) for lead in values.get("reminder_leads") or []),
                  help=_("Up to five, separated by commas, e.g. 1440, 60 (a day and an hour before). "
                         "Empty turns reminders off for the team."),
                  attrs={"inputmode": "numeric"}),
            Field("digest_weekday", _("Weekly digest on"), widget="select", value=values.get("digest_weekday", 0),
                  options=list(enumerate(self.weekday_names()))),
            Field("digest_time", _("Weekly digest at"), widget="time", value=values.get("digest_time") or "",
                  help=_("Local time of the team.")),
            Field("gap_lookahead_hours", _("Warn about gaps this many hours ahead"), widget="number",
                  value=values.get("gap_lookahead_hours", ""), attrs={"min": "0", "max": "720", "step": "1"}),
        ]

    def render_overview(self, team: Team, values: dict | None = None, errors=None, general=None) -> dict:
        configured = self.service.channels(team)
        names = {config.channel for config in configured}
        fields = with_errors(self.settings_fields(values or self.service.team_settings_json(team)), errors or {})
        return self.page(
            team=team,
            channels=[
                {"name": c.channel, "title": self.channel_title(c.channel), "enabled": c.enabled,
                 "installed": c.channel in self.request.plugins.channels}
                for c in configured
            ],
            available=[
                {"name": name, "title": self.channel_title(name),
                 "description": localized(plugin.description, self.lang)}
                for name, plugin in sorted(self.request.plugins.channels.items())
                if name not in names
            ],
            fields=fields,
            general_errors=list(general or []) + unplaced(fields, errors or {}),
        )

    @view_config(route_name="admin.notifications.pick", renderer=admin_template("pick.pt"))
    def pick(self):
        return team_picker(self, "admin.notifications", self._("Notifications"))

    @view_config(route_name="admin.notifications", request_method="GET", renderer=admin_template("notifications.pt"))
    def overview(self):
        return self.render_overview(self.team())

    @view_config(route_name="admin.notification_settings", request_method="POST",
                 renderer=admin_template("notifications.pt"))
    def save_settings(self):
        team = self.team()
        body = settings_body(self.request.POST)
        try:
            self.service.put_team_settings(team, body)
        except Invalid as error:
            errors, general = self.failed(error)
            return self.render_overview(team, body, errors, general)
        self.flash(self._("Notification timings of ${name} saved.", name=team.name))
        return self.redirect("admin.notifications", slug=team.slug)

    # -- one channel ------------------------------------------------------------------

    def channel_fields(self, plugin, values: dict, typed_secrets: bool = False) -> dict:
        """The channel's fields: on/off, its parameters (from its schema), events, language.

        ``typed_secrets``: the values were posted, so a secret not masked was
        typed in this form; it is never sent back to the browser.
        """
        _ = self._
        schema = plugin.params_schema or {}
        required = set(schema.get("required") or ())
        params = dict(values.get("params") or {})
        for key in plugin.secret_params:
            if typed_secrets and key in params and not is_masked(params[key]):
                params[key] = ""
        param_fields = schema_fields(self, schema, params, "params", "", [])
        for field in param_fields:
            name = field.name.partition(".")[2]
            field.required = name in required
            if field.widget == "select" and name not in required:
                field.options = [("", _("Default"))] + field.options
            if name in plugin.secret_params:
                field.widget = "password"
                field.attrs = {**field.attrs, "autocomplete": "new-password", "spellcheck": "false"}
                field.help = _("Secret: shown masked. Leave it as it is to keep the stored one, "
                               "or type a new one to replace it.")
        titles = event_titles(_)
        return {
            "enabled": Field("enabled", _("Enabled"), widget="checkbox", value=values.get("enabled", True)),
            "params": param_fields,
            "options": [
                Field("events", _("Events sent to the team-wide destination"), widget="checkboxes",
                      value=list(values.get("events") or []), options=[(kind, titles[kind]) for kind in KINDS],
                      help=_("The group, webhook or team address of this channel. People choose their own "
                             "events in their preferences.")),
                Field("language", _("Language of team messages"), widget="select",
                      value=values.get("language") or "pt-BR", options=language_options(_)),
            ],
        }

    def render_channel(self, team: Team, name: str, values: dict | None = None, errors=None, general=None,
                       typed_secrets: bool = False, test_result: dict | None = None) -> dict:
        plugin = self.service.plugin(name)
        configured = next((c for c in self.service.channels(team) if c.channel == name), None)
        if values is None:
            values = (self.service.channel_json(configured) if configured
                      else {"enabled": True, "params": {}, "events": list(KINDS), "language": "pt-BR"})
        form = self.channel_fields(plugin, values, typed_secrets)
        every = [form["enabled"], *form["params"], *form["options"]]
        with_errors(every, errors or {})
        people = self.request.find_service(PersonService).active()
        return self.page(
            team=team,
            channel=name,
            title=self.channel_title(name),
            description=localized(plugin.description, self.lang),
            configured=configured is not None,
            form=form,
            people=[(p.id, p.name) for p in people],
            test_result=test_result,
            general_errors=list(general or []) + unplaced(every, errors or {}),
        )

    @view_config(route_name="admin.channel", request_method="GET", renderer=admin_template("channel_form.pt"))
    def channel(self):
        return self.render_channel(self.team(), self.request.matchdict["channel"])

    @view_config(route_name="admin.channel", request_method="POST", renderer=admin_template("channel_form.pt"))
    def save_channel(self):
        team, name = self.team(), self.request.matchdict["channel"]
        plugin = self.service.plugin(name)
        post = self.request.POST
        body = {
            "enabled": post.get("enabled") == "on",
            "params": parse_schema(post, plugin.params_schema or {}, "params"),
            "events": [kind for kind in post.getall("events") if kind],
            "language": text(post, "language"),
        }
        try:
            self.service.put_channel(team, name, body)
        except Invalid as error:
            errors, general = self.failed(error)
            return self.render_channel(team, name, body, errors, general, typed_secrets=True)
        self.flash(self._("Channel ${name} saved.", name=self.channel_title(name)))
        return self.redirect("admin.notifications", slug=team.slug)

    @view_config(route_name="admin.channel.delete", request_method="POST")
    def delete_channel(self):
        team, name = self.team(), self.request.matchdict["channel"]
        self.service.delete_channel(team, name)
        self.flash(self._("Channel ${name} removed from ${team}.", name=self.channel_title(name), team=team.name))
        return self.redirect("admin.notifications", slug=team.slug)

    @view_config(route_name="admin.channel.test", request_method="POST", renderer=admin_template("channel_form.pt"))
    def test_channel(self):
        """Send a test message now through the saved settings; the page says how it went."""
        team, name = self.team(), self.request.matchdict["channel"]
        person = text(self.request.POST, "person")
        body = {"person": number(person)} if person else {}
        try:
            result = self.service.send_test(team, name, body)
        except Invalid as error:
            errors, general = self.failed(error)
            return self.render_channel(team, name, errors=errors, general=general)
        # Nothing to save: a test only sends.
        self.request.tm.doom()
        if result["ok"]:
            where = destination_text(result["destination"]) or self.channel_title(name)
            message = self._("Test message sent to ${destination}.", destination=where)
        else:
            message = self._("The test message was not delivered: ${error}",
                             error=plain_error(self._, result["error"] or ""))
        return self.render_channel(team, name, test_result={"ok": result["ok"], "message": message})

    # -- deliveries -------------------------------------------------------------------

    @view_config(route_name="admin.deliveries", renderer=admin_template("deliveries.pt"))
    def deliveries(self):
        params = self.request.params
        status = params.get("status", "")
        status = status if status in DELIVERY_STATUSES else ""
        teams = self.request.find_service(TeamService).by_name()
        slug = params.get("team", "")
        team = next((t for t in teams if t.slug == slug), None)
        before = params.get("before", "")
        before_id = int(before) if before.isdigit() and int(before) < 2**31 else None
        found = self.service.recent_deliveries(status or None, team, before_id, DELIVERIES_PAGE + 1)
        items = found[:DELIVERIES_PAGE]
        filters = {key: value for key, value in (("status", status), ("team", team.slug if team else "")) if value}
        people = self.request.find_service(PersonService).names(
            {d.person_id for d in items if d.person_id}
        ) if items else {}
        team_names = {t.id: t.name for t in teams}
        return self.page(
            deliveries=items,
            statuses=[(s, status_titles(self._)[s]) for s in DELIVERY_STATUSES],
            status_title=status_titles(self._),
            kind_title=event_titles(self._),
            channel_title=self.channel_title,
            person_name=lambda person_id: people.get(person_id, f"#{person_id}"),
            team_name=lambda team_id: team_names.get(team_id, ""),
            teams=teams,
            status=status,
            team=team,
            filters=filters,
            next_url=(self.request.route_url("admin.deliveries", _query={**filters, "before": items[-1].id})
                      if len(found) > DELIVERIES_PAGE else None),
            newest_url=self.request.route_url("admin.deliveries", _query=filters) if before_id else None,
        )

    @view_config(route_name="admin.delivery.retry", request_method="POST")
    def retry(self):
        delivery = self.service.delivery(path_int(self.request, "id"))
        try:
            self.service.retry(delivery)
        except Conflict:
            self.request.tm.doom()
            self.flash(self._("Delivery ${id} was not retried: only failed or waiting deliveries can be.",
                              id=delivery.id))
        else:
            self.flash(self._("Delivery ${id} will be sent again shortly.", id=delivery.id))
        post = self.request.POST
        filters = {key: post[key] for key in ("status", "team") if post.get(key)}
        return self.redirect("admin.deliveries", _query=filters)

    # -- a person's preferences ----------------------------------------------------------

    def preference_fields(self, values: dict) -> list[Field]:
        _ = self._
        quiet = values.get("quiet_hours") or {}
        return [
            Field("reminders", _("Reminders before their shifts"), widget="checkbox",
                  value=bool(values.get("reminders", True))),
            Field("quiet_hours.start", _("Quiet hours from"), widget="time", value=quiet.get("start") or "",
                  help=_("Non-urgent messages (digests, changes far ahead) wait until the quiet hours end. "
                         "Leave both times empty for none.")),
            Field("quiet_hours.end", _("Quiet hours until"), widget="time", value=quiet.get("end") or ""),
            Field("timezone", _("Time zone of the quiet hours"), value=values.get("timezone") or "",
                  help=_("IANA zone; empty means ${zone}.", zone=self.request.plantao_settings.timezone)),
            Field("language", _("Language of the messages"), widget="select",
                  value=values.get("language") or "pt-BR", options=language_options(_)),
        ]

    def render_preferences(self, person: Person, values: dict, errors=None, general=None) -> dict:
        errors = errors or {}
        fields = with_errors(self.preference_fields(values), errors)
        channels = personal_channels(self.request.plugins)
        events_errors = [m for key, messages in errors.items() if key.split(".")[0] == "events" for m in messages]
        placed = {key for key in errors if key.split(".")[0] == "events"}
        titles = event_titles(self._)
        return self.page(
            person=person,
            fields=fields,
            channels=[(name, self.channel_title(name)) for name in channels],
            matrix=[{**row, "title": titles[row["kind"]]} for row in preferences_matrix(values, channels)],
            events_errors=events_errors,
            general_errors=list(general or []) + unplaced(fields, {k: v for k, v in errors.items() if k not in placed}),
        )

    @view_config(route_name="admin.person.preferences", request_method="GET",
                 renderer=admin_template("preferences.pt"))
    def preferences(self):
        self.section = "people"
        person = self.request.find_service(PersonService).get(path_int(self.request, "id"))
        return self.render_preferences(person, self.service.preferences_json(person))

    @view_config(route_name="admin.person.preferences", request_method="POST",
                 renderer=admin_template("preferences.pt"))
    def save_preferences(self):
        self.section = "people"
        person = self.request.find_service(PersonService).get(path_int(self.request, "id"))
        body = preferences_body(self.request.POST, personal_channels(self.request.plugins), with_timezone=True)
        try:
            self.service.put_preferences(person, body)
        except Invalid as error:
            errors, general = self.failed(error)
            return self.render_preferences(person, body, errors, general)
        self.flash(self._("Notification preferences of ${name} saved.", name=person.name))
        return self.redirect("admin.person", id=person.id)

