"""The monthly on-call hours report in the admin panel: what HR reads, prints, downloads and closes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pyramid.view import view_config, view_defaults

from ...datetimes import utcnow, zone
from ...security import report_teams
from ...spreadsheets import dialect_for_language
from ...services.errors import BadRequest, Conflict, Invalid, NotFound
from ...services.payroll import PayrollService, previous_month
from ..api.reports import hours_report
from . import AdminView, admin_template, form_errors


@view_defaults(route_name="admin.reports.hours", permission="reports")
class HoursReportViews(AdminView):
    section = "hours"

    def hours(self, value) -> str:
        """Hours (or money) to the hundredth, the way the reader writes numbers."""
        return self.number(Decimal(str(value)), "0.00")

    def default_month(self) -> str:
        return previous_month(utcnow().astimezone(zone(self.request.plantao_settings.timezone)).date())

    @view_config(request_method="GET", renderer=admin_template("hours.pt"))
    def show(self):
        """The report of ``month`` (the previous month by default), of the teams the reader sees."""
        month = self.request.params.get("month") or self.default_month()
        team = self.request.params.get("team") or ""
        report, problems = None, []
        try:
            report = hours_report(self.request)
        except (BadRequest, NotFound) as error:
            self.request.response.status = error.status
            fields, general = form_errors(self._, error)
            problems = general + [message for messages in fields.values() for message in messages]
        visible = report_teams(self.request)
        teams = [
            (slug, name) for slug, name in self.request.find_service(PayrollService).team_names()
            if visible is None or slug in visible
        ]
        query = {"month": month, **({"team": team} if team else {})}
        return self.page(
            month=month,
            team=team,
            teams=teams,
            report=report,
            problems=problems,
            hours=self.hours,
            payroll=bool(self.request.has_permission("payroll")),
            # The reader's spreadsheet first, the other language's next to it.
            csv_url=self.request.route_url(
                "api.reports.hours_csv", _query={**query, "dialect": dialect_for_language(self.lang)}
            ),
            csv_other_url=self.request.route_url(
                "api.reports.hours_csv", _query={**query, "dialect": "excel" if self.lang == "pt-BR" else "excel-br"}
            ),
            csv_other_label=self._("CSV for Excel in English") if self.lang == "pt-BR"
            else self._("CSV for Excel in Portuguese"),
            closed_at=self._closed_at(report),
        )

    def _closed_at(self, report: dict | None) -> str:
        if not report or not report["closed_at"]:
            return ""
        return self.when(datetime.fromisoformat(report["closed_at"]))

    @view_config(request_method="POST", permission="payroll")
    def close(self):
        """Close the month posted: its figures are stored as paid."""
        month = (self.request.POST.get("month") or "").strip()
        try:
            self.request.find_service(PayrollService).close(month)
        except (BadRequest, Conflict, Invalid) as error:
            self.flash_failure(error)
            return self.redirect("admin.reports.hours", _query={"month": month} if month else {})
        self.flash(self._("The on-call hours of ${month} are closed: the report keeps these figures.", month=month))
        return self.redirect("admin.reports.hours", _query={"month": month})
