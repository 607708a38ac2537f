"""/api/v1/teams/{slug}/fairness: how evenly a team's roster shares the burden, as JSON or CSV."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden
from pyramid.security import Denied
from pyramid.view import view_config

from ...datetimes import zone
from ...security import report_teams
from ...services.errors import BadRequest
from ...services.fairness import FAIRNESS_COLUMNS, FAIRNESS_RESPONSE, FairnessReport, FairnessService
from ...services.teams import TeamService
from ...spreadsheets import MEDIA_TYPE, REPORT_DIALECT, dialect_param, render_csv
from .documentation import REPORT_CSV_RESPONSE, REPORT_SECURITY, documented




def fairness_report(request) -> FairnessReport:
    """The report the request asks for: its team (403 outside the credential's teams), its period."""
    slug = request.matchdict["slug"]
    allowed = report_teams(request)
    if allowed is not None and slug not in allowed:
        raise HTTPForbidden(result=Denied("This credential sees the figures of its own teams only."))
    team = request.find_service(TeamService).get(slug)
    service = request.find_service(FairnessService)
    start, end = service.period(zone(team.timezone), request.params.get("start"), request.params.get("end"))
    return service.report(team, start, end)


@documented(
    "getFairness",
    {"description": "the figures", "content": {"application/json": {"schema": FAIRNESS_RESPONSE}}},
    params=("fairnessStart", "fairnessEnd"), errors=(400, 403, 404), security=REPORT_SECURITY, tag="roster",
)
@view_config(route_name="api.team.fairness", request_method="GET", renderer="json", permission="reports")
def fairness(request):
    """How evenly the team's roster shares the burden over a period (default: the last 90 days and the next 90).

    Per person (the members of the rotations in effect, and whoever held a shift): shifts, hours,
    night hours (22:00-05:00 local), weekend hours, holiday hours, overrides taken and given; per
    measure its min, max, mean, spread (max − min), standard deviation and coefficient of variation;
    and a score from 0 to 100 that falls with imbalance and with gaps:
    `score = 100 × (1 − imbalance) × (1 − uncovered)` (see the README).  Read from the stored roster,
    so the figures stop where it is materialized (`roster_until`).  Owners see every team, team admins
    and tokens (read or write scope) their teams.
    """
    return fairness_report(request).as_json()


@documented(
    "getFairnessCsv", REPORT_CSV_RESPONSE, params=("fairnessStart", "fairnessEnd", "fairnessDialect"),
    errors=(400, 403, 404), security=REPORT_SECURITY, tag="roster",
)
@view_config(route_name="api.team.fairness_csv", request_method="GET", permission="reports")
def fairness_csv(request):
    """The fairness figures as a spreadsheet: one row per person.

    `dialect` is `excel-br` (the default: `;`, decimal comma, Portuguese headers) or `excel`
    (`,`, decimal point, English headers).
    """
    try:
        dialect = dialect_param(request.params.get("dialect"), REPORT_DIALECT)
    except ValueError as error:
        raise BadRequest(str(error), code="csv.dialect", params={"value": request.params.get("dialect")}) from None
    report = fairness_report(request)
    response = request.response
    response.content_type = MEDIA_TYPE
    response.charset = "utf-8"
    tz = zone(report.team.timezone)
    first, last = report.start.astimezone(tz).date(), report.end.astimezone(tz).date()
    filename = f"fairness-{report.team.slug}-{first.isoformat()}-{last.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.body = render_csv(FAIRNESS_COLUMNS, report.rows(), dialect)
    return response
