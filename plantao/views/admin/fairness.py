"""The panel's fairness report: a team's figures over a period, as a table and one bar chart per measure.

The charts are inline SVG drawn here on the server (no JavaScript), sized
by their ``viewBox`` so they scale with the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from babel.numbers import format_percent
from pyramid.httpexceptions import HTTPForbidden
from pyramid.security import Denied
from pyramid.view import view_config, view_defaults

from ...datetimes import zone
from ...security import report_teams
from ...services.errors import ServiceError
from ...services.fairness import HOUR_MEASURES, MEASURES, FairnessService
from ...services.teams import TeamService
from ...spreadsheets import dialect_for_language
from . import AdminView, admin_template, form_errors

#: The measures charted, in order, with their titles (msgids of plantao_admin).
CHARTED = (
    ("hours", "Hours"),
    ("night_hours", "Night hours (22:00-05:00)"),
    ("weekend_hours", "Weekend hours"),
    ("holiday_hours", "Holiday hours"),
    ("shifts", "Shifts"),
)
#: Every column of the table, with its title.
TITLES = dict(
    CHARTED, overrides_taken="Overrides taken", overrides_given="Overrides given",
)

# The geometry of a chart, in viewBox units: a name column, the bars, room for the value.
_WIDTH = 640
_NAMES = 170
_BARS = 380
_ROW = 26
_BAR = 18
_TOP = 6


@dataclass(frozen=True)
class Bar:
    """One person's bar: where it is drawn and what it says."""

    name: str
    value: str
    y: float
    width: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    """One measure's bar chart."""

    measure: str
    title: str
    label: str
    height: int
    bars: tuple[Bar, ...]
    names_x: int = _NAMES - 8
    bars_x: int = _NAMES
    width: int = _WIDTH
    bar_height: int = _BAR


@view_defaults(permission="reports")
class FairnessViews(AdminView):
    section = "fairness"

    @view_config(route_name="admin.fairness.pick", renderer=admin_template("pick.pt"))
    def pick(self):
        allowed = report_teams(self.request)
        teams = [team for team in self.request.find_service(TeamService).by_name()
                 if allowed is None or team.slug in allowed]
        if len(teams) == 1:
            return self.redirect("admin.fairness", slug=teams[0].slug)
        return self.page(teams=teams, target="admin.fairness", title=self._("Fairness"))

    @view_config(route_name="admin.fairness", renderer=admin_template("fairness.pt"))
    def team(self):
        slug = self.request.matchdict["slug"]
        allowed = report_teams(self.request)
        if allowed is not None and slug not in allowed:
            raise HTTPForbidden(result=Denied("A team admin sees the figures of their own teams only."))
        team = self.request.find_service(TeamService).get(slug)
        tz = zone(team.timezone)
        service = self.request.find_service(FairnessService)
        asked = {name: self.request.params.get(name, "").strip() for name in ("start", "end")}
        try:
            start, end = service.period(tz, asked["start"], asked["end"])
        except ServiceError as error:
            self.request.response.status = 400
            fields, general = form_errors(self._, error)
            return self.page(team=team, report=None, asked=asked, rows=[], charts=[], csv_url=None,
                             period_errors=general + [m for messages in fields.values() for m in messages])
        report = service.report(team, start, end)
        rows = report.rows()
        dialect = dialect_for_language(self.lang)
        csv_url = self.request.route_url(
            "api.team.fairness_csv", slug=team.slug,
            _query={"start": _param(start, tz), "end": _param(end, tz), "dialect": dialect},
        )
        return self.page(
            team=team, report=report,
            asked={"start": start.astimezone(tz).date().isoformat(), "end": end.astimezone(tz).date().isoformat()},
            rows=[{**row, **{m: self.number(row[m]) for m in MEASURES}} for row in rows],
            stats={measure: {name: self.number(value) for name, value in figures.items()}
                   for measure, figures in report.as_json()["measures"].items()},
            score=self.number(round(report.figures.score, 1)),
            imbalance=self.percent(report.figures.imbalance),
            uncovered=self.percent(report.figures.uncovered),
            gap_hours=self.number(round(report.figures.gap_hours, 1)),
            charts=[self.chart(measure, title, rows) for measure, title in CHARTED],
            titles={measure: self._(title) for measure, title in TITLES.items()},
            measures=MEASURES, csv_url=csv_url, period_errors=[],
        )

    def percent(self, fraction: float) -> str:
        return format_percent(fraction, format="#,##0.#%", locale=self.request.locale_name)

    def chart(self, measure: str, title: str, rows: list[dict]) -> Chart:
        """The bars of ``measure`` for each row, the longest bar filling the width."""
        values = [row[measure] for row in rows]
        top = max(values, default=0) or 1
        unit = self._("h") if measure in HOUR_MEASURES else ""
        bars = tuple(
            Bar(
                name=row["name"],
                value=f"{self.number(row[measure])}{unit}",
                y=_TOP + index * _ROW,
                width=round(_BARS * row[measure] / top, 1),
                text_y=_TOP + index * _ROW + _BAR - 4,
            )
            for index, row in enumerate(rows)
        )
        title = self._(title)
        label = self._("${measure} per person: ${values}", measure=title,
                       values="; ".join(f"{bar.name} {bar.value}" for bar in bars) or "—")
        return Chart(measure=measure, title=title, label=label, height=_TOP * 2 + max(1, len(bars)) * _ROW, bars=bars)


def _param(moment, tz) -> str:
    """``moment`` as the period form and the CSV link give it: a date when it is a local midnight."""
    local = moment.astimezone(tz)
    return local.date().isoformat() if local.time() == time(0) else local.isoformat(timespec="minutes")
