"""/api/v1/reports/hours: each person's on-call hours of a month, for payroll (JSON and CSV), and closing a month."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPForbidden
from pyramid.security import Denied
from pyramid.view import view_config, view_defaults

from ...datetimes import utcnow, zone
from ...security import report_teams
from ...services.errors import BadRequest
from ...services.payroll import HOURS_CLOSE_SCHEMA, PARTS, PayrollService, previous_month
from ...services.teams import TeamService
from ...services.validation import validate
from ...spreadsheets import MEDIA_TYPE, REPORT_DIALECT, Column, dialect_param, render_csv
from . import json_body
from .documentation import REPORT_CSV_RESPONSE, REPORT_SECURITY, documented


#: The columns of the CSV, one row per person; the value column's two come last when there.
HOURS_COLUMNS = (
    # Not "ID": Excel takes a file that begins with those two letters for SYLK.
    Column("person_id", {"pt-BR": "Id", "en": "Id"}, "integer"),
    Column("name", {"pt-BR": "Nome", "en": "Name"}),
    Column("total_hours", {"pt-BR": "Horas de sobreaviso", "en": "On-call hours"}, "hours"),
    Column("weekday_day_hours", {"pt-BR": "Horas diurnas (seg-sex)", "en": "Weekday day hours"}, "hours"),
    Column("weekday_night_hours", {"pt-BR": "Horas noturnas (seg-sex, 22h-5h)", "en": "Weekday night hours"},
           "hours"),
    Column("saturday_hours", {"pt-BR": "Horas de sábado", "en": "Saturday hours"}, "hours"),
    Column("sunday_hours", {"pt-BR": "Horas de domingo", "en": "Sunday hours"}, "hours"),
    Column("holiday_hours", {"pt-BR": "Horas de feriado", "en": "Holiday hours"}, "hours"),
    Column("shifts", {"pt-BR": "Plantões", "en": "Shifts"}, "integer"),
    Column("override_hours", {"pt-BR": "Horas de substituições", "en": "Override hours"}, "hours"),
    Column("swap_hours", {"pt-BR": "Horas de trocas", "en": "Swap hours"}, "hours"),
    Column("long_shifts", {"pt-BR": "Plantões acima de 24 h", "en": "Shifts over 24 h"}, "integer"),
    Column("teams", {"pt-BR": "Equipes", "en": "Teams"}),
)
VALUE_COLUMNS = (
    Column("hourly_rate", {"pt-BR": "Valor da hora", "en": "Hourly rate"}, "money"),
    Column("value", {"pt-BR": "Valor do sobreaviso", "en": "Standby pay"}, "money"),
)

#: The query parameters both answers read.
HOURS_QUERY = ("month", "reportTeam")


def hours_report(request) -> dict:
    """The report the request asks for (``month``, ``team``), as its credential may see it.

    Shared by the API and the admin page.  A ``team`` the credential may not
    see answers 403 (after 404 when there is no such team).
    """
    params = request.params
    month = params.get("month") or previous_month(utcnow().astimezone(zone(request.plantao_settings.timezone)).date())
    team = params.get("team") or None
    teams = report_teams(request)
    if team is not None and teams is not None and team not in teams:
        request.find_service(TeamService).get(team)
        raise HTTPForbidden(result=Denied("This credential sees the hours of its own teams only."))
    return request.find_service(PayrollService).report(
        month, team=team, teams=teams, rates=bool(request.has_permission("payroll")),
        closer=bool(request.has_permission("audit")),
    )


def csv_rows(report: dict) -> list[dict]:
    """The report's people as rows of :data:`HOURS_COLUMNS` (and :data:`VALUE_COLUMNS`)."""
    rows = []
    for entry in report["people"]:
        row = {key: entry[key] for key in ("total_hours", *PARTS, "shifts", "override_hours", "swap_hours")}
        row.update(
            person_id=entry["person"]["id"],
            name=entry["person"]["name"],
            long_shifts=len(entry["long_shifts"]),
            teams=", ".join(figures["team"]["name"] for figures in entry["teams"]),
            hourly_rate=entry.get("hourly_rate"),
            value=entry.get("value"),
        )
        rows.append(row)
    return rows


@view_defaults(renderer="json")
class HoursReportAPI:
    def __init__(self, request):
        self.request = request

    @documented(
        "getHoursReport", "HoursReport", "each person's on-call hours of the month", params=HOURS_QUERY,
        errors=(400, 404), security=REPORT_SECURITY, tag="reports",
    )
    @view_config(route_name="api.reports.hours", request_method="GET", permission="reports")
    def report(self):
        """Each person's on-call (standby) hours of a month, split for payroll.

        For every person, across all teams (or `team`), the hours of the month in each team's zone,
        split into a partition summing to `total_hours` by the precedence holiday > Sunday > Saturday >
        weekday night (22:00-05:00) > weekday day, with the team's holidays (national, state and
        custom); leave is never counted, and a shift across the month's bounds counts its hours inside.
        Standby periods over 24 hours are listed in `long_shifts`. `month` defaults to the previous
        month. Owners, team admins (their teams' hours) and read tokens (their teams') read it; only
        owners see hourly rates and the value column (hours × rate × STANDBY_FACTOR). A closed month
        answers its stored figures with `closed` true.
        """
        return hours_report(self.request)

    @documented(
        "getHoursReportCsv", REPORT_CSV_RESPONSE, params=(*HOURS_QUERY, "hoursDialect"), errors=(400, 404),
        security=REPORT_SECURITY, tag="reports",
    )
    @view_config(route_name="api.reports.hours_csv", request_method="GET", permission="reports")
    def csv(self):
        """The hours report as a spreadsheet: one row per person.

        `dialect` is `excel-br` by default (`;`, decimal comma, pt-BR headers) or `excel`. The value
        columns (hourly rate, standby pay) are there for owners when some person has a rate.
        """
        try:
            dialect = dialect_param(self.request.params.get("dialect"), REPORT_DIALECT)
        except ValueError as error:
            raise BadRequest(f"{str(error)[:1].upper()}{str(error)[1:]}.", code="query.dialect") from None
        report = hours_report(self.request)
        columns = HOURS_COLUMNS + (VALUE_COLUMNS if report["values"] else ())
        response = self.request.response
        response.content_type = MEDIA_TYPE
        response.charset = "utf-8"
        suffix = f"-{report['team']}" if report["team"] else ""
        response.headers["Content-Disposition"] = f'attachment; filename="hours-{report["month"]}{suffix}.csv"'
        response.body = render_csv(columns, csv_rows(report), dialect)
        return response

    @documented(
        "closeHoursMonth", "HoursReport", "the month's report, closed: these figures are stored", status=201,
        body="HoursClose", errors=(400, 409, 422), security=REPORT_SECURITY, tag="reports",
    )
    @view_config(route_name="api.reports.hours_close", request_method="POST", permission="payroll")
    def close(self):
        """Close a month payroll has paid: its figures are stored and answered from then on.

        Owners only. A month that has not ended (in every team's zone) answers 422; a closed one 409.
        """
        body = json_body(self.request)
        validate(HOURS_CLOSE_SCHEMA, body)
        self.request.find_service(PayrollService).close(body["month"])
        self.request.response.status = 201
        return self.request.find_service(PayrollService).report(body["month"], rates=True, closer=True)
