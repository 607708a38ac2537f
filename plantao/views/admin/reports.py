"""What the panel reports: gaps and conflicts ahead, the audit log, the installed plugins."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from pyramid.view import view_config, view_defaults

from ...datetimes import zone
from ...plugins import KINDS
from ...security import ADMIN
from ...services.audit import AuditService
from ...services.audit_sentences import AuditSentences
from ...services.gaps import GapService
from ...services.rotations import RotationService
from ...services.teams import TeamService
from . import AdminView, admin_template, localized
from .teams import team_picker

#: How far ahead the gaps page looks.
GAPS_WEEKS = 4
#: The most gaps, and conflicts, the page lists.
GAPS_ROWS = 500
#: Audit entries per page.
AUDIT_PAGE = 50
#: The kinds of entries the audit page filters by, and those a team admin's share of the log holds.
AUDIT_KINDS = {
    "team": "Teams",
    "rotation": "Rotations",
    "override": "Overrides and swaps",
    "person": "People",
    "leave": "Leave",
    "notification_channel": "Notification channels",
    "notification_settings": "Notification settings",
    "notification_preferences": "Notification preferences",
    "delivery": "Deliveries",
    "request": "Shift requests",
    "account": "Accounts",
    "api_token": "API tokens",
}
AUDIT_TEAM_KINDS = ("team", "rotation", "override", "leave", "notification_channel", "notification_settings",
                    "delivery", "request")

#: The words of the link from an entry to what it changed, by kind (msgids of ``plantao_admin``).
AUDIT_TARGETS = {
    "team": "Open the team",
    "rotation": "Open the rotation",
    "override": "Open the overrides",
    "person": "Open the person",
    "leave": "Open the leave",
    "notification_channel": "Open the notification channel",
    "notification_settings": "Open the notifications",
    "notification_preferences": "Open the notification preferences",
    "delivery": "Open the deliveries",
    "request": "Open the requests",
    "account": "Open the account",
    "api_token": "Open the API tokens",
    "hours_report": "Open the on-call hours",
}
#: The kinds whose pages a team admin opens (their teams' own); the others are an owner's.
AUDIT_TEAM_TARGETS = ("team", "rotation", "override", "leave", "notification_channel", "notification_settings",
                      "request")

KIND_TITLES = {
    "rotation_policy": "Rotation policies",
    "scheduling_rule": "Scheduling rules",
    "notification_channel": "Notification channels",
    "export_format": "Export formats",
}


def audit_scope(request) -> frozenset[str] | None:
    """The teams whose audit entries the request's credential reads: None for all of them (an owner).

    The ``audit`` permission lets only owners and team admins this far; anyone
    else would read nothing.
    """
    identity = request.plantao_identity or {}
    if identity.get("role") == ADMIN:
        return None
    return frozenset(identity.get("teams") or ())


def audit_diff(before: dict | None, after: dict | None) -> list[tuple[str, str, str]]:
    """(field, before, after) for every top-level field that differs."""
    before, after = before or {}, after or {}
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            rows.append((key, _show(old) if key in before else "", _show(new) if key in after else ""))
    return rows


def audit_target(request, entry, existing: set[tuple[str, str]], owner: bool) -> tuple[str, str] | None:
    """The panel page of what ``entry`` changed and the link's msgid; None when that is gone
    (see :meth:`AuditService.existing`), when the kind is unknown, or when the reader may not open it."""
    kind, entity_id = entry.entity, entry.entity_id or ""
    if kind not in AUDIT_TARGETS or (kind, entity_id) not in existing:
        return None
    if not owner and kind not in AUDIT_TEAM_TARGETS:
        return None
    record = entry.after if isinstance(entry.after, dict) else entry.before if isinstance(entry.before, dict) else {}
    team = record.get("team") if isinstance(record.get("team"), str) else None
    person = record.get("person")
    url = request.route_url
    if kind == "team":
        href = url("admin.team", slug=entity_id)
    elif kind == "notification_settings":
        href = url("admin.notifications", slug=entity_id)
    elif kind == "notification_channel":
        slug, _slash, channel = entity_id.partition("/")
        href = url("admin.channel", slug=slug, channel=channel)
    elif kind in ("rotation", "override", "request"):
        if team is None:
            return None
        href = (url("admin.rotation", slug=team, id=entity_id) if kind == "rotation"
                else url("admin.overrides" if kind == "override" else "admin.requests", slug=team))
    elif kind == "person":
        href = url("admin.person", id=entity_id)
    elif kind == "notification_preferences":
        href = url("admin.person.preferences", id=entity_id)
    elif kind == "leave":
        href = url("admin.leave", _query={"person": person} if isinstance(person, int) else {})
    elif kind == "account":
        href = url("admin.account", id=entity_id)
    elif kind == "api_token":
        href = url("admin.tokens")
    elif kind == "delivery":
        href = url("admin.deliveries")
    else:  # hours_report
        href = url("admin.reports.hours", _query={"month": entity_id})
    return href, AUDIT_TARGETS[kind]


def _show(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def schema_summary(schema: dict) -> list[dict]:
    """Each parameter of a plugin: name, type, default, title."""
    rows = []
    for name, spec in (schema.get("properties") or {}).items():
        kind = spec.get("type") or ("enum" if "enum" in spec else "")
        if "enum" in spec:
            kind = " | ".join(map(str, spec["enum"]))
        rows.append(
            {
                "name": name,
                "type": kind if isinstance(kind, str) else " | ".join(kind),
                "default": _show(spec["default"]) if "default" in spec else "",
                "title": spec.get("title", ""),
            }
        )
    return rows


@view_defaults(permission="admin")
class ReportViews(AdminView):
    @view_config(route_name="admin.gaps.pick", renderer=admin_template("pick.pt"))
    def gaps_pick(self):
        self.section = "gaps"
        return team_picker(self, "admin.gaps", self._("Gaps and conflicts"))

    @view_config(route_name="admin.gaps", renderer=admin_template("gaps.pt"))
    def gaps(self):
        self.section = "gaps"
        team = self.request.find_service(TeamService).get(self.request.matchdict["slug"])
        tz = zone(team.timezone)
        start = datetime.combine(datetime.now(tz).date(), time(0), tzinfo=tz)
        end = start + timedelta(weeks=GAPS_WEEKS)
        # Stored with the materialized roster: the page never runs the engine.
        stored = self.request.find_service(GapService)
        found = stored.gaps(team, start, end, limit=GAPS_ROWS)
        conflicts = stored.conflicts(team, start, end, limit=GAPS_ROWS)
        rotations = self.request.find_service(RotationService).names(team)
        rules = self.request.plugins.rules
        return self.page(
            team=team,
            start=start,
            end=end,
            gaps=[(g.role, max(g.start, start), min(g.end, end)) for g in found],
            conflicts=conflicts,
            rotation_name=lambda rotation_id: rotations.get(rotation_id, f"#{rotation_id}"),
            rule_title=lambda name: localized(getattr(rules.get(name), "title", None), self.lang) or (name or ""),
        )

    @view_config(route_name="admin.audit", renderer=admin_template("audit.pt"), permission="audit")
    def audit(self):
        self.section = "audit"
        before = self.request.params.get("before", "")
        entity = self.request.params.get("entity", "")
        actor = self.request.params.get("actor", "")
        teams = audit_scope(self.request)
        audit = self.request.find_service(AuditService)
        found = audit.page(
            AUDIT_PAGE, before=int(before) if before.isdigit() and int(before) < 2**31 else None,
            entity=entity, actor=actor, teams=teams,
        )
        entries = found.entries
        filters = {name: value for name, value in (("entity", entity), ("actor", actor)) if value}
        next_url = None
        if found.more:
            next_url = self.request.route_url("admin.audit", _query={"before": entries[-1].id, **filters})
        actors = audit.actors(teams=teams)
        if actor and actor not in actors and teams is None:
            # Kept selectable when the list was cut short; a team admin's list is their share only.
            actors.append(actor)
        sentence = AuditSentences(audit.names(entries, actors=actors), self._, self.when)
        kinds = AUDIT_TEAM_KINDS if teams is not None else AUDIT_KINDS
        existing = audit.existing(entries)
        return self.page(
            entries=entries, next_url=next_url, entity=entity, actor=actor, diff=audit_diff, sentence=sentence,
            target=lambda entry: audit_target(self.request, entry, existing, owner=teams is None),
            entities=[(kind, self._(AUDIT_KINDS[kind])) for kind in kinds],
            actors=sorted(((sentence.actor(credential), credential) for credential in actors),
                          key=lambda named: named[0].lower()),
            newest_url=self.request.route_url("admin.audit", _query=filters),
            paged=bool(before),
        )

    @view_config(route_name="admin.plugins", renderer=admin_template("plugins.pt"))
    def plugins(self):
        self.section = "plugins"
        infos = self.request.plugins.infos
        groups = []
        for kind in KINDS:
            items = [
                {
                    "name": info.name,
                    "title": localized(info.title, self.lang),
                    "description": localized(info.description, self.lang),
                    "source": info.source,
                    "module": info.module,
                    "params": schema_summary(info.params_schema),
                    "always_on": bool(getattr(self.request.plugins.by_kind.get(kind, {}).get(info.name), "always_on", False)),
                }
                for info in infos
                if info.kind == kind
            ]
            groups.append((self._(KIND_TITLES.get(kind, kind)), items))
        return self.page(groups=groups)
