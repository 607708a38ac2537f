"""Teams in the admin panel: list, create, edit, delete.

The list is an owner's (every team, with the button for a new one) and a
team admin's (the teams they administer, to reach their pages); the rest is
as ``admin`` decides: a team admin edits their own teams' settings, only an
owner creates or deletes a team.
"""

from __future__ import annotations

from datetime import timezone

from pyramid.view import view_config, view_defaults

from ...datetimes import DateTimeError, zone
from ...models import Team
from ...security import TEAM_ADMIN
from ...services.people import PersonService
from ...services.errors import Conflict, Invalid
from ...services.representations import team_json
from ...services.teams import RESERVED_SLUGS, TEAM_CREATE_SCHEMA, TEAM_UPDATE_SCHEMA, TeamService
from . import AdminView, admin_template, translate_error
from .forms import Field, all_errors, form_instant, optional_text, text, unplaced, with_errors

#: Brazilian states and the Federal District, for state holidays.
BR_SUBDIVISIONS = (
    "AC AL AM AP BA CE DF ES GO MA MG MS MT PA PB PE PI PR RJ RN RO RR RS SC SE SP TO".split()
)

#: Zones offered first; any IANA zone may be typed.
BR_ZONES = (
    "America/Sao_Paulo", "America/Bahia", "America/Fortaleza", "America/Recife", "America/Belem",
    "America/Manaus", "America/Cuiaba", "America/Campo_Grande", "America/Porto_Velho",
    "America/Boa_Vista", "America/Rio_Branco", "America/Noronha", "UTC",
)


def team_body(post, creating: bool) -> dict:
    """The JSON API's team body from the posted form."""
    body: dict = {"name": text(post, "name")}
    if creating:
        body["slug"] = text(post, "slug")
    if text(post, "timezone"):
        body["timezone"] = text(post, "timezone")
    custom = []
    for line in (post.get("holidays.custom") or "").splitlines():
        if line.strip():
            day, _, name = line.strip().partition(" ")
            custom.append({"date": day, "name": name.strip()})
    body["holidays"] = {
        "country": text(post, "holidays.country") or "BR",
        "subdivision": optional_text(post, "holidays.subdivision"),
        "optional": post.get("holidays.optional") == "on",
        "custom": custom,
    }
    fallback = text(post, "fallback_person")
    body["fallback_person"] = int(fallback) if fallback.isdigit() else None
    if text(post, "swap_approval"):
        body["swap_approval"] = text(post, "swap_approval")
    return body


@view_defaults(permission="admin")
class TeamViews(AdminView):
    section = "teams"

    def teams(self) -> TeamService:
        return self.request.find_service(TeamService)

    def fields(self, values: dict, creating: bool) -> list[Field]:
        _ = self._
        holidays = values.get("holidays") or {}
        people = self.request.find_service(PersonService).active()
        fields = []
        if creating:
            fields.append(
                Field("slug", _("Address (slug)"), value=values.get("slug", ""), required=True,
                      help=_("Lower-case letters, digits and dashes; it becomes part of the team's addresses, e.g. infra."),
                      attrs={"pattern": "[a-z0-9][a-z0-9-]{0,62}", "autocapitalize": "none"})
            )
        fields += [
            Field("name", _("Name"), value=values.get("name", ""), required=True, attrs={"maxlength": "200"}),
            Field("timezone", _("Time zone"), value=values.get("timezone") or self.request.plantao_settings.timezone,
                  help=_("IANA zone; handoff times are local to it."), attrs={"list": "zones"}),
            Field("holidays.country", _("Holiday country"), value=holidays.get("country") or "BR",
                  attrs={"maxlength": "2", "pattern": "[A-Z]{2}"}, help=_("Two-letter country code.")),
            Field("holidays.subdivision", _("State holidays"), widget="select",
                  value=holidays.get("subdivision") or "",
                  options=[("", _("National holidays only"))] + [(uf, uf) for uf in BR_SUBDIVISIONS]),
            Field("holidays.optional", _("Also count optional holidays (pontos facultativos, e.g. Carnival)"),
                  widget="checkbox", value=bool(holidays.get("optional"))),
            Field("holidays.custom", _("Team holidays"), widget="textarea", key="holidays.custom",
                  value="\n".join(f"{h['date']} {h['name']}" for h in holidays.get("custom") or []),
                  help=_("One per line: the date (DD/MM/YYYY), a space, the name.")),
            Field("fallback_person", _("Fallback person"), widget="select",
                  value=values.get("fallback_person") or "",
                  options=[("", _("Nobody"))] + [(p.id, p.name) for p in people],
                  help=_("Covers whatever no rotation or override covers.")),
            Field("swap_approval", _("Cover and swap requests"), widget="select",
                  value=values.get("swap_approval") or "none",
                  options=[("none", _("Take effect when a colleague accepts")),
                           ("admin", _("Wait for a team admin's approval"))]),
        ]
        return fields

    def problems(self, body: dict, creating: bool) -> tuple[dict, list]:
        """Every problem of the posted form at once: the schema's, and what the service checks
        after it (a reserved address, the time zone, the holidays' dates), which it would
        report in a second round.  Holiday dates typed as DD/MM/YYYY become ISO dates."""
        _ = self._
        found: dict[str, list[str]] = {}
        if creating and body.get("slug") in RESERVED_SLUGS:
            found["slug"] = [translate_error(_, "reserved_slug", {"slug": body["slug"]}, "")]
        if "timezone" in body:
            try:
                zone(body["timezone"])
            except DateTimeError as error:
                found["timezone"] = [translate_error(_, error.code, error.params, str(error))]
        for number, holiday in enumerate(body["holidays"]["custom"], start=1):
            problems: dict[str, list[str]] = {}
            day = form_instant(_, holiday["date"], timezone.utc, problems, "date", day=True)
            if day is None:
                found.setdefault("holidays.custom", []).extend(
                    _("Line ${number}: ${problem}", number=number, problem=problem) for problem in problems["date"]
                )
            else:
                holiday["date"] = day.date().isoformat()
        return all_errors(_, TEAM_CREATE_SCHEMA if creating else TEAM_UPDATE_SCHEMA, body, found)

    def render_form(self, values: dict, team: Team | None, errors=None, general=None) -> dict:
        fields = with_errors(self.fields(values, team is None), errors or {})
        return self.page(
            team=team, fields=fields, zones=sorted(set(BR_ZONES)),
            general_errors=list(general or []) + unplaced(fields, errors or {}),
        )

    @view_config(route_name="admin.teams", permission="view", renderer=admin_template("teams.pt"))
    def list(self):
        # ``view`` lets a team admin in; panel_role refuses whoever is neither.
        role = self.panel_role()
        teams = self.teams().by_name()
        if role == TEAM_ADMIN:
            own = self.request.plantao_identity["teams"]
            teams = [team for team in teams if team.slug in own]
        return self.page(teams=teams, owner_view=role != TEAM_ADMIN)

    @view_config(route_name="admin.team.new", request_method="GET", renderer=admin_template("team_form.pt"))
    def new(self):
        return self.render_form({}, None)

    @view_config(route_name="admin.team.new", request_method="POST", renderer=admin_template("team_form.pt"))
    def create(self):
        body = team_body(self.request.POST, creating=True)
        errors, general = self.problems(body, creating=True)
        if errors or general:
            self.request.response.status = 422
            return self.render_form(body, None, errors, general)
        try:
            team = self.teams().create(body)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_form(body, None, errors, general)
        self.flash(self._("Team ${name} created.", name=team.name))
        return self.redirect("admin.rotations", slug=team.slug)

    @view_config(route_name="admin.team", request_method="GET", renderer=admin_template("team_form.pt"))
    def edit(self):
        team = self.teams().get(self.request.matchdict["slug"])
        return self.render_form(team_json(team), team)

    @view_config(route_name="admin.team", request_method="POST", renderer=admin_template("team_form.pt"))
    def update(self):
        service = self.teams()
        team = service.get(self.request.matchdict["slug"])
        body = team_body(self.request.POST, creating=False)
        errors, general = self.problems(body, creating=False)
        if errors or general:
            self.request.response.status = 422
            return self.render_form({**body, "slug": team.slug}, team, errors, general)
        try:
            service.update(team, body)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_form({**body, "slug": team.slug}, team, errors, general)
        self.flash(self._("Team ${name} saved.", name=team.name))
        return self.redirect("admin.teams")

    @view_config(route_name="admin.team.delete", request_method="POST")
    def delete(self):
        service = self.teams()
        team = service.get(self.request.matchdict["slug"])
        name = team.name
        service.delete(team)
        self.flash(self._("Team ${name} deleted.", name=name))
        return self.redirect("admin.teams")


def team_picker(view: AdminView, target: str, title: str) -> dict:
    """The page behind a per-team nav entry: pick the team (or go straight to the only one)."""
    teams = view.request.find_service(TeamService).by_name()
    if len(teams) == 1:
        return view.redirect(target, slug=teams[0].slug)
    return view.page(teams=teams, target=target, title=title)
