"""Rotations in the admin panel: forms drawn from the plugins' parameter schemas.

Every policy and opt-in rule declares its parameters as a JSON Schema; the
form shows one field per property (an object's properties as a group, an
array of objects as rows), so a third-party policy gets its form without a
template change.  Saving goes through a preview first: the form
posts, the page shows which shifts would change and for whom, and a Confirm
button posts the same body again (in a hidden field) to save it.
"""

from __future__ import annotations

import json

from babel.dates import format_skeleton, format_time
from pyramid.view import view_config, view_defaults

from ...datetimes import DateTimeError, parse_form_instant, parse_instant, zone
from ...engine.changes import KINDS, group_changes, tally
from ...i18n import Formatter
from ...models import Rotation
from ...role_labels import ROLE_LABELS, role_label
from ...services.people import PersonService
from ...services.errors import Conflict, Invalid
from ...services.rotations import RotationService
from ...services.teams import TeamService
from ..api import path_int
from . import DOMAIN, AdminView, admin_template, localized, translate_error
from .forms import (
    Field,
    datetime_input,
    id_list,
    moved,
    number,
    opens,
    parse_schema,
    schema_fields,
    text,
    unplaced,
    with_defaults,
    with_errors,
)
from .teams import team_picker

#: Shifts listed per group of changes in a preview (and gaps, conflicts); the rest are counted.
PREVIEW_ROWS = 60

COMPARED_FIELDS = ("name", "role", "policy", "priority", "params", "members", "rules", "restrictions")

#: The policy a new rotation's form starts on: one shift a week is what most teams run.
DEFAULT_POLICY = "weekly"


def apply_moves(post, values: dict, name: str) -> None:
    """The no-JS up/down buttons: reorder the ticked people of widget ``name``."""
    order = moved(post, name)
    if order is None:
        return
    chosen = {str(person) for person in id_list(post, name)}
    reordered = [int(person) for person in order if person in chosen]
    if name == "members":
        values["members"] = reordered
    else:
        values["params"][name.split(".", 2)[2]] = reordered


@view_defaults(permission="admin")
class RotationViews(AdminView):
    section = "rotations"

    def __init__(self, request):
        super().__init__(request)
        #: The form's dates that could not be read, by field: said in the form's own words.
        self.date_errors: dict[str, list[str]] = {}
        if "slug" in request.matchdict:
            self.team = self.request.find_service(TeamService).get(request.matchdict["slug"])
            self.rotations = self.request.find_service(RotationService)

    def rotation(self) -> Rotation:
        return self.rotations.get(self.team, path_int(self.request, "id"))

    def people(self) -> list[tuple[int, str]]:
        return [(p.id, p.name) for p in self.request.find_service(PersonService).active()]

    # -- the form ------------------------------------------------------------------

    def read_form(self) -> dict:
        """Body-shaped values from the posted form (only the chosen policy's parameters)."""
        post = self.request.POST
        plugins = self.request.plugins
        policy = text(post, "policy")
        declaration = plugins.policies.get(policy)
        values = {
            "name": text(post, "name"),
            # A role typed in "new role" wins over the list (the no-JS path of "Other…").
            "role": text(post, "role_new").lower() or text(post, "role") or "primary",
            "priority": number(text(post, "priority") or "0"),
            "policy": policy,
            "start": self.form_instant(post, "start"),
            "members": id_list(post, "members"),
            "params": parse_schema(post, declaration.params_schema, f"p.{policy}") if declaration else {},
            "rules": {
                name: parse_schema(post, getattr(plugins.rules.get(name), "params_schema", {}) or {}, f"r.{name}")
                for name in post.getall("rules")
                if name in plugins.rules
            },
        }
        weekdays = id_list(post, "restrictions.weekdays")
        restrictions = {
            "weekdays": weekdays or None,
            "start_time": text(post, "restrictions.start_time") or None,
            "end_time": text(post, "restrictions.end_time") or None,
            "turn_mode": text(post, "restrictions.turn_mode") or "calendar",
        }
        if any(restrictions[k] for k in ("weekdays", "start_time", "end_time")) or restrictions["turn_mode"] != "calendar":
            values["restrictions"] = {k: v for k, v in restrictions.items() if v is not None}
        else:
            values["restrictions"] = None
        if text(post, "effective_from"):
            values["effective_from"] = self.form_instant(post, "effective_from")
        apply_moves(post, values, "members")
        for key in list(values["params"]):
            apply_moves(post, values, f"p.{policy}.{key}")
        return values

    def form_instant(self, post, name: str) -> str:
        """A date field as the API reads it: ``25/12/2026 09:00`` becomes ``2026-12-25T09:00`` (the team's zone).

        What cannot be read stays as typed, for the form to show again, and
        its error (saying how to write a date) waits in ``date_errors``.
        """
        raw = text(post, name)
        if not raw:
            return raw
        tz = zone(self.team.timezone)
        try:
            return parse_form_instant(raw, tz).astimezone(tz).strftime("%Y-%m-%dT%H:%M")
        except DateTimeError as error:
            if error.code == "datetime":
                shown = raw if len(raw) <= 40 else f"{raw[:40]}…"
                message = self._("“${value}” is not a valid date: write DD/MM/YYYY or DD/MM/YYYY HH:MM "
                                 "(e.g. 25/12/2026 09:00).", value=shown)
            else:
                message = translate_error(self._, error.code, error.params, str(error))
            self.date_errors[name] = [message]
            return raw

    def fields(self, values: dict, editing: bool) -> dict:
        _ = self._
        plugins = self.request.plugins
        people = self.people()
        chosen = values.get("policy") or (
            DEFAULT_POLICY if DEFAULT_POLICY in plugins.policies else next(iter(sorted(plugins.policies)), "")
        )
        restrictions = values.get("restrictions") or {}
        priority = values.get("priority", 0)
        main = [
            Field("name", _("Name"), value=values.get("name", ""), required=True, attrs={"maxlength": "200"}),
            self.role_field(values.get("role") or "primary"),
            Field("start", _("Start"), widget="datetime-local", value=datetime_input(values.get("start")),
                  help=_("Local time of the team (${zone}); empty means now.", zone=self.team.timezone)),
        ]
        if editing:
            main.append(
                Field("effective_from", _("Change applies from"), widget="datetime-local",
                      value=datetime_input(values.get("effective_from")),
                      help=_("Members, parameters, rules and restrictions change from this moment on; "
                             "the roster before it stays. Empty means now."))
            )
        policy = Field(
            "policy", _("Policy"), widget="select", value=chosen, required=True,
            options=[(name, localized(p.title, self.lang)) for name, p in sorted(plugins.policies.items())],
            attrs={"data-policy-select": ""},
        )
        members = Field("members", _("Members"), widget="people", value=list(values.get("members") or []),
                        options=people)
        more = [
            Field("priority", _("Priority"), widget="number", value=priority, changed=priority not in (0, ""),
                  help=_("Where rotations of a role overlap, the higher priority wins."), attrs={"step": "1"}),
        ]
        policies = []
        for name, declaration in sorted(plugins.policies.items()):
            params = (values.get("params") or {}) if name == chosen else {}
            fields = schema_fields(self, declaration.params_schema, params, f"p.{name}", "params", people)
            policies.append(
                {
                    "name": name,
                    "title": localized(declaration.title, self.lang),
                    "description": localized(declaration.description, self.lang),
                    "chosen": name == chosen,
                    "fields": fields,
                    # The essential parameters are shown; the rest wait under "More options".
                    "essential": [f for f in fields if not f.advanced],
                    "more": [f for f in fields if f.advanced],
                }
            )
        rules = []
        chosen_rules = values.get("rules") or {}
        if isinstance(chosen_rules, list):
            chosen_rules = {name: {} for name in chosen_rules}
        for name, rule in sorted(plugins.rules.items()):
            if getattr(rule, "always_on", False):
                continue
            schema = getattr(rule, "params_schema", None) or {}
            rules.append(
                {
                    "name": name,
                    "title": localized(rule.title, self.lang),
                    "description": localized(rule.description, self.lang),
                    "on": name in chosen_rules,
                    "fields": schema_fields(self, schema, chosen_rules.get(name) or {}, f"r.{name}",
                                            f"rules.{name}", people),
                }
            )
        restriction_fields = [
            Field("restrictions.weekdays", _("Active only on"), widget="checkboxes",
                  value=restrictions.get("weekdays") or [],
                  options=list(enumerate(self.weekday_names()))),
            Field("restrictions.start_time", _("Active from"), widget="time",
                  value=restrictions.get("start_time") or ""),
            Field("restrictions.end_time", _("Active until"), widget="time", value=restrictions.get("end_time") or "",
                  help=_("An end before the start crosses midnight (19:00 to 07:00).")),
            Field("restrictions.turn_mode", _("Turns"), widget="select",
                  value=restrictions.get("turn_mode") or "calendar",
                  options=[("calendar", _("follow the calendar")), ("active", _("advance only on active time"))]),
        ]
        return {"main": main, "more": more, "policy": policy, "members": members, "policies": policies,
                "rules": rules, "restrictions": restriction_fields}

    def role_field(self, role: str) -> Field:
        """The role: a select of the team's roles, and a text input for a new one that wins when filled.

        ``primary`` and ``secondary`` are always offered, with translated
        labels; the team's other roles are shown as typed.  A role not yet
        stored (typed, then back from the preview or an error) stays in the
        text input, where it can be corrected.
        """
        _ = self._
        known = list(ROLE_LABELS) + sorted(self.rotations.roles(self.team) - set(ROLE_LABELS))
        typed = "" if role in known else role
        return Field(
            "role", _("Role"), widget="select-other", value="" if typed else role,
            options=[(name, role_label(name, self.request.locale_name, capitalized=True)) for name in known],
            help=_("Rotations of the same role share one roster, e.g. primary and secondary."),
            attrs={"data-other-label": _("Other…")},
            children=[
                Field("role_new", _("New role"), value=typed,
                      help=_("Only for a role not in the list: lower-case letters, digits, - and _. "
                             "When filled, it is used instead of the list."),
                      attrs={"pattern": "[a-z0-9][a-z0-9_-]{0,63}", "maxlength": "64"}),
            ],
        )

    def render_form(self, values: dict, rotation: Rotation | None, errors=None, general=None) -> dict:
        errors = errors or {}
        form = self.fields(values, rotation is not None)
        every = form["main"] + form["more"] + [form["policy"], form["members"]] + form["restrictions"]
        with_errors(every, errors)
        for policy in form["policies"]:
            with_errors(policy["fields"], errors if policy["chosen"] else {})
            policy["more_open"] = opens(policy["more"])
            every += policy["fields"]
        for rule in form["rules"]:
            with_errors(rule["fields"], errors)
            every += rule["fields"]
        # Restriction problems name "restrictions" as a whole: shown by its fieldset.
        restriction_errors = errors.get("restrictions", [])
        # A "More options" section opens by itself when it holds an error or a value other than its default.
        form["open"] = {
            "more": opens(form["more"]),
            "rules": any(rule["on"] for rule in form["rules"]) or any(opens(rule["fields"]) for rule in form["rules"]),
            "restrictions": bool(restriction_errors or values.get("restrictions")) or opens(form["restrictions"]),
        }
        placed = {f.key for f in every} | {"restrictions"}
        leftovers = unplaced(every, {k: v for k, v in errors.items() if k not in placed})
        return self.page(
            team=self.team, rotation=rotation, form=form, restriction_errors=restriction_errors,
            general_errors=list(general or []) + leftovers, template="form",
        )

    # -- body for the services -------------------------------------------------------

    def body(self, values: dict, rotation: Rotation | None) -> dict:
        """What the JSON API would receive: everything for a new rotation, the changes for an edit."""
        body = {k: values[k] for k in COMPARED_FIELDS if k in values}
        self.policy_name = values.get("policy")
        if values.get("start"):
            body["start"] = values["start"]
        if rotation is None:
            return body
        current = self.rotations.json(rotation, self.team)
        changes = {k: v for k, v in body.items() if k != "start" and self.normal(k, v) != self.normal(k, current.get(k))}
        if "start" in body and not self.same_instant(body["start"], current["start"]):
            changes["start"] = body["start"]
        if values.get("effective_from"):
            changes["effective_from"] = values["effective_from"]
        return changes

    def normal(self, name: str, value):
        """Parameters with their schema defaults filled in: the form always shows (and posts) them."""
        plugins = self.request.plugins
        if name == "params" and isinstance(value, dict):
            return with_defaults(getattr(plugins.policies.get(self.policy_name), "params_schema", {}), value)
        if name == "rules" and isinstance(value, dict):
            return {
                rule: with_defaults(getattr(plugins.rules.get(rule), "params_schema", None) or {}, params or {})
                for rule, params in value.items()
            }
        return value

    def same_instant(self, a: str, b: str) -> bool:
        tz = zone(self.team.timezone)
        try:
            return parse_instant(a, tz) == parse_instant(b, tz)
        except DateTimeError:
            return False

    # -- views -----------------------------------------------------------------------

    @view_config(route_name="admin.rotations.pick", renderer=admin_template("pick.pt"))
    def pick(self):
        return team_picker(self, "admin.rotations", self._("Rotations"))

    @view_config(route_name="admin.rotations", renderer=admin_template("rotations.pt"))
    def list(self):
        people = dict(self.people())
        rotations = []
        for rotation in self.rotations.list(self.team, 0, 1000):
            data = self.rotations.json(rotation, self.team)
            policy = self.request.plugins.policies.get(rotation.policy)
            rotations.append(
                {
                    "id": rotation.id,
                    "name": rotation.name,
                    "role": rotation.role,
                    "priority": rotation.priority,
                    "policy": localized(getattr(policy, "title", None), self.lang) or rotation.policy,
                    "start": rotation.start,
                    "members": [people.get(m, f"#{m}") for m in data["members"]],
                    "versions": len(rotation.versions),
                }
            )
        return self.page(team=self.team, rotations=rotations)

    @view_config(route_name="admin.rotation.new", request_method="GET", renderer=admin_template("rotation.pt"))
    def new(self):
        return self.render_form({}, None)

    @view_config(route_name="admin.rotation", request_method="GET", renderer=admin_template("rotation.pt"))
    def edit(self):
        rotation = self.rotation()
        return self.render_form(self.rotations.json(rotation, self.team), rotation)

    @view_config(route_name="admin.rotation.new", request_method="POST", renderer=admin_template("rotation.pt"))
    def post_new(self):
        return self.submit(None)

    @view_config(route_name="admin.rotation", request_method="POST", renderer=admin_template("rotation.pt"))
    def post_edit(self):
        return self.submit(self.rotation())

    def submit(self, rotation: Rotation | None):
        post = self.request.POST
        if "_body" in post:
            try:
                saved = json.loads(post["_body"])
                values, body = saved["values"], saved["body"]
                if not _saved_form_shape(values, body):
                    raise TypeError("not a saved form")
            except (ValueError, KeyError, TypeError, RecursionError):
                return self.render_form({}, rotation, general=[self._("The form was damaged; start again.")])
            if "_confirm" in post:
                return self.save(rotation, values, body)
            return self.render_form(values, rotation)
        values = self.read_form()
        if "_move" in post:
            return self.render_form(values, rotation)
        body = self.body(values, rotation)
        # Every field's problem in one round: the schema's, the parameters', the rules' and the dates'.
        problems = self.rotations.problems(self.team, body, rotation)
        if problems or self.date_errors:
            errors, general = self.failed(Invalid("Invalid rotation", problems, code="invalid.rotation"))
            # A date the form could not read is said in the form's words, not the service's.
            return self.render_form(values, rotation, {**errors, **self.date_errors}, general if problems else [])
        try:
            preview = self.preview(rotation, body)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_form(values, rotation, errors, general)
        # A preview never commits, whatever a service did.
        self.request.tm.doom()
        return self.page(
            team=self.team, rotation=rotation, template="preview",
            saved=json.dumps({"values": values, "body": body}),
            **self.preview_rows(preview),
            **self.preview_planning(preview, rotation, values),
        )

    def preview(self, rotation: Rotation | None, body: dict) -> dict:
        """``RotationService.preview`` of the very body that Confirm will save."""
        if rotation is None:
            return self.rotations.preview(self.team, body)
        # The preview body always names the policy; an edit's changes may leave it out.
        return self.rotations.preview(
            self.team, {**body, "policy": body.get("policy", rotation.policy), "id": rotation.id}
        )

    def preview_rows(self, preview: dict) -> dict:
        """The preview's changes told in sentences: a summary at the top, then each group's shifts."""
        return change_preview(self, preview)

    def preview_planning(self, preview: dict, rotation: Rotation | None, values: dict) -> dict:
        """Each planner's report (the fairness scores are :func:`change_preview`'s).

        A planner (the ``fair`` policy) reports per rotation; the rotation
        being created has no stored id, so an id the team does not have is it.
        """
        names = {r.id: r.name for r in self.rotations.list(self.team, 0, 1000)}
        if rotation is not None:
            names[rotation.id] = values.get("name") or rotation.name
        solver = []
        for rotation_id, report in sorted((preview["result"].reports or {}).items()):
            facts = {
                "rotation": names.get(rotation_id) or values.get("name") or "",
                "status": self._(str(report.get("status", ""))),
                "seconds": report.get("seconds", ""),
            }
            if report.get("objective") is None:
                solver.append(self._("${rotation}: ${status}, ${seconds} s.", **facts))
            else:
                objective = f"{report['objective']:g}"
                solver.append(self._("${rotation}: ${status}, objective ${objective}, ${seconds} s.",
                                     objective=objective, **facts))
        return {"solver": solver}

    def save(self, rotation: Rotation | None, values: dict, body: dict):
        try:
            if rotation is None:
                rotation = self.rotations.create(self.team, body)
                message = self._("Rotation ${name} created.", name=rotation.name)
            else:
                self.rotations.update(self.team, rotation, body)
                message = self._("Rotation ${name} saved.", name=rotation.name)
        except (Invalid, Conflict) as error:
            errors, general = self.failed(error)
            return self.render_form(values, rotation, errors, general)
        self.flash(message)
        return self.redirect("admin.rotations", slug=self.team.slug)

    @view_config(route_name="admin.rotation.delete", request_method="POST")
    def delete(self):
        rotation = self.rotation()
        name = rotation.name
        self.rotations.delete(self.team, rotation)
        self.flash(self._("Rotation ${name} deleted.", name=name))
        return self.redirect("admin.rotations", slug=self.team.slug)


def gap_key(gap) -> tuple:
    """What tells a gap from another: its role and its stretch."""
    return (gap.role, gap.start, gap.end)


def conflict_key(conflict) -> tuple:
    """What tells a rule conflict from another: its role, stretch and rule."""
    return (conflict.role, conflict.start, conflict.end, conflict.rule)


def change_preview(view: AdminView, preview: dict, *, known: tuple[set, set] | None = None) -> dict:
    """A preview (``RosterService.preview``'s or ``OverrideService.preview``'s answer) as the
    ``change-preview`` macro of ``templates/admin/rotation.pt`` draws it: a summary at the top,
    one line per person, then each group of changes with its shifts in the team's local times,
    and the gaps and conflicts of the roster the change leaves.

    ``view`` is an admin view with a ``team``.  With ``known`` (the keys, :func:`gap_key` and
    :func:`conflict_key`, of the gaps and conflicts stored before the change) only the gaps and
    conflicts the change would cause are listed, and ``preview_new_only`` says so.
    """
    tz = view.team.timezone
    groups = group_changes(preview["before"], preview["after"], zone(tz))
    words = ChangeWords(view, view.request.find_service(PersonService).names(), groups)
    result = preview["result"]
    gaps, conflicts = list(result.gaps), list(result.conflicts)
    if known is not None:
        gaps = [g for g in gaps if gap_key(g) not in known[0]]
        conflicts = [c for c in conflicts if conflict_key(c) not in known[1]]
    return {
        "summary": words.summary(),
        "change_kinds": words.kinds(),
        "unchanged": not groups,
        "preview_gaps": [
            (words.role(g.role), view.when(g.start, tz), view.when(g.end, tz)) for g in gaps[:PREVIEW_ROWS]
        ],
        "preview_conflicts": [
            (view.when(c.start, tz), c.rule or "", c.message) for c in conflicts[:PREVIEW_ROWS]
        ],
        "preview_new_only": known is not None,
        "fairness_change": fairness_scores(preview),
    }


def fairness_scores(preview: dict) -> list | None:
    """The fairness score of the roster ahead before and after the change, when both are known."""
    fairness = preview.get("fairness") or {}
    scores = [(fairness.get(when) or {}).get("score") for when in ("before", "after")]
    return scores if None not in scores else None


class ChangeWords:
    """The groups of :func:`~plantao.engine.changes.group_changes` in the reader's words.

    Times are the team's; dates carry the year only when the changes reach
    into two years.  Names come from ``names`` (``#id`` for somebody gone);
    where the changes touch more than one role, each name says its role.
    """

    def __init__(self, view: AdminView, names: dict[int, str], groups):
        self.view = view
        self._ = view._
        self.names = names
        self.groups = groups
        self.formatter = Formatter(view.request.locale_name, view.team.timezone)
        years = {self.formatter.local(moment).year for group in groups for moment in (group.first, group.last)}
        self.skeleton = "yMEd" if len(years) > 1 else "MEd"
        self.roles = len({group.role for group in groups}) > 1

    def plural(self, singular: str, plural: str, count: int, **mapping) -> str:
        """``singular`` or ``plural`` (msgids of the admin domain), as ``count`` asks in the reader's language."""
        return self.view.request.localizer.pluralize(
            singular, plural, count, domain=DOMAIN, mapping={"count": count, **mapping}
        )

    # -- pieces ------------------------------------------------------------------

    def role(self, role: str) -> str:
        return role_label(role, self.view.request.locale_name, capitalized=True)

    def name(self, person_id: int | None, role: str | None = None) -> str:
        name = self.names.get(person_id, f"#{person_id}")
        return f"{name} ({self.role(role)})" if role and self.roles else name

    def day(self, moment) -> str:
        return format_skeleton(self.skeleton, self.formatter.local(moment), locale=self.formatter.locale)

    def moment(self, moment) -> str:
        return f"{self.day(moment)} {self.formatter.time(moment)}"

    def clock(self, value) -> str:
        return format_time(value, "short", locale=self.formatter.locale)

    def weekday_clock(self, moments) -> str | None:
        """``seg. 09:00`` when every moment falls on that weekday at that time; else ``None``."""
        local = {(self.formatter.local(m).weekday(), self.formatter.local(m).time()) for m in moments}
        if len(local) != 1:
            return None
        moment = self.formatter.local(moments[0])
        return f"{self.formatter.weekday(moment.date())} {self.clock(moment.time())}"

    # -- sentences ---------------------------------------------------------------

    def labels(self, befores, afters, old_clock, new_clock) -> tuple[str | None, str | None]:
        """The old and new times of moments that move: clocks ("09:00", "10:00"), with the weekday
        ("seg. 09:00", "ter. 10:00") when the day changes too; ``None`` when neither tells it."""
        local = self.formatter.local
        if any(local(old).date() != local(new).date() for old, new in zip(befores, afters)):
            old, new = self.weekday_clock(befores), self.weekday_clock(afters)
            if old and new:
                return old, new
            if old_clock == new_clock:
                return None, None
        return self.clock(old_clock), self.clock(new_clock)

    def moved(self, group) -> str:
        """What happens to the times of a ``moved`` group's shifts, as one sentence."""
        (old_start, old_end), (new_start, new_end) = group.old_times, group.new_times
        starts = [change.before.start for change in group.changes], [change.after.start for change in group.changes]
        ends = [change.before.end for change in group.changes], [change.after.end for change in group.changes]
        count = group.count
        if not group.start_shift:
            old, new = self.labels(*ends, old_end, new_end)
            if old and new:
                return self.plural("${count} shift changes its end from ${old} to ${new}",
                                   "${count} shifts change their end from ${old} to ${new}", count, old=old, new=new)
        elif not group.end_shift:
            old, new = self.labels(*starts, old_start, new_start)
            if old and new:
                return self.plural("${count} shift changes its start from ${old} to ${new}",
                                   "${count} shifts change their start from ${old} to ${new}", count, old=old, new=new)
        else:
            if group.start_shift == group.end_shift and old_start == old_end:
                # One handoff time (a weekly or daily rotation): "from 09:00 to 10:00".
                old, new = self.labels(*starts, old_start, new_start)
            elif (old_start, old_end) != (new_start, new_end):
                old = f"{self.clock(old_start)}–{self.clock(old_end)}"
                new = f"{self.clock(new_start)}–{self.clock(new_end)}"
            else:
                old = new = None
            if old and new:
                return self.plural("${count} shift moves from ${old} to ${new}",
                                   "${count} shifts move from ${old} to ${new}", count, old=old, new=new)
        # Whole days on shifts of different weekdays: the rows tell the dates.
        return self.plural("${count} shift changes times", "${count} shifts change times", count)

    def sentence(self, group) -> str:
        """One group as one sentence."""
        if group.kind == "moved":
            said = self.moved(group)
            return f"{self.role(group.role)}: {said}" if self.roles else said
        if group.kind == "reassigned":
            return self.plural("${count} shift passes from ${old} to ${new}",
                               "${count} shifts pass from ${old} to ${new}", group.count,
                               old=self.name(group.old_person_id, group.role),
                               new=self.name(group.new_person_id, group.role))
        if group.kind == "added":
            return self.plural("${count} new shift for ${name}", "${count} new shifts for ${name}", group.count,
                               name=self.name(group.new_person_id, group.role))
        return self.plural("${count} shift of ${name} removed", "${count} shifts of ${name} removed", group.count,
                           name=self.name(group.old_person_id, group.role))

    def person(self, counted) -> str:
        """One person's gains and losses: "Ana: 3 fewer shifts (gives 2 to Bruno, 1 removed)"."""
        _ = self._
        if counted.net > 0:
            total = self.plural("${count} more shift", "${count} more shifts", counted.net)
        elif counted.net < 0:
            total = self.plural("${count} fewer shift", "${count} fewer shifts", -counted.net)
        else:
            total = _("as many shifts as before")
        def by_name(item):
            return self.names.get(item[0], "").casefold()

        parts = [_("gives ${count} to ${name}", count=n, name=self.name(other))
                 for other, n in sorted(counted.given.items(), key=by_name)]
        parts += [_("receives ${count} from ${name}", count=n, name=self.name(other))
                  for other, n in sorted(counted.taken.items(), key=by_name)]
        if counted.added:
            parts.append(self.plural("${count} new", "${count} new", counted.added))
        if counted.removed:
            parts.append(self.plural("${count} removed", "${count} removed", counted.removed))
        return _("${name}: ${total} (${details})", name=self.name(counted.person_id, counted.role),
                 total=total, details=", ".join(parts))

    # -- what the template draws ---------------------------------------------------

    def summary(self) -> list[str]:
        """The moved groups (their holders keep them), then one line per person who gains or loses shifts."""
        lines = [self.sentence(group) for group in self.groups if group.kind == "moved"]
        people = sorted(tally(self.groups), key=lambda t: (self.names.get(t.person_id, "").casefold(), t.role))
        return lines + [self.person(counted) for counted in people]

    def rows(self, group) -> list[dict]:
        rows = []
        for change in group.changes[:PREVIEW_ROWS]:
            shift = change.after or change.before
            rows.append({
                "start": self.moment(shift.start),
                "end": self.moment(shift.end),
                "role": self.role(shift.role),
                "person": self.name(shift.person_id),
                "was": self.name(change.before.person_id) if change.before else "",
                "was_times": f"{self.moment(change.before.start)} → {self.moment(change.before.end)}"
                if change.before else "",
                "now_times": f"{self.moment(change.after.start)} → {self.moment(change.after.end)}"
                if change.after else "",
            })
        return rows

    def kinds(self) -> list[dict]:
        """Per kind of change (with its heading), each group: its sentence, dates and shifts."""
        _ = self._
        titles = {
            "moved": _("Shifts that change times"),
            "reassigned": _("Shifts that change hands"),
            "added": _("New shifts"),
            "removed": _("Removed shifts"),
        }
        kinds = []
        for kind in KINDS:
            groups = [group for group in self.groups if group.kind == kind]
            if not groups:
                continue
            drawn = []
            for group in groups:
                first, last = self.day(group.changes[0].start), self.day(group.changes[-1].start)
                drawn.append({
                    "sentence": self.sentence(group),
                    "dates": first if first == last else f"{first} – {last}",
                    "people": ", ".join(self.name(person) for person in group.people) if kind == "moved" else "",
                    "rows": self.rows(group),
                    "more": max(group.count - PREVIEW_ROWS, 0),
                })
            kinds.append({"kind": kind, "title": titles[kind], "groups": drawn})
        return kinds


#: What ``read_form`` produces, field by field: a saved form must look so.
_SAVED_FIELDS = {"name": str, "role": str, "policy": str, "start": str, "members": list, "params": dict, "rules": dict}


def _saved_form_shape(values, body) -> bool:
    """Whether a form sent back in the hidden ``_body`` field still has its shape."""
    return (
        isinstance(values, dict)
        and isinstance(body, dict)
        and all(isinstance(values.get(name), kind) for name, kind in _SAVED_FIELDS.items())
        and all(isinstance(member, int) for member in values["members"])
        and all(isinstance(params, dict) for params in values["rules"].values())
        and isinstance(values.get("restrictions"), (dict, type(None)))
    )
