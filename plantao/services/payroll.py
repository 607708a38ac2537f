"""The monthly on-call hours report that payroll pays standby time from.

Under the CLT, standby time (*sobreaviso*, art. 244 §2, applied to on-call
staff by TST Súmula 428) is paid at a share of the normal hour
(``STANDBY_FACTOR``, one third by default), and HR pays nights, weekends and
holidays apart.  :class:`PayrollService` adds up, for every person, the hours
of the stored shifts inside a month, split by
:func:`plantao.engine.hours.split_hours` in each team's zone and with each
team's holiday calendar; leave is never counted.

A month payroll has paid is closed: its report is stored whole
(``hours_closures``) and answered as stored from then on, whatever later
changes to the roster, leave or holidays would make of it.

Figures are computed per person and team, rounded to hundredths of an hour
there (each part of the partition, the team's ``total_hours`` being the sum
of its rounded parts), and a person's figures are the sums of their teams':
so every total shown is exactly the sum of what it is made of.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..datetimes import isoformat, utcnow, zone
from ..engine.hours import HourSplit, split_hours
from ..models import HoursClosure, Leave, Override, Person, Shift, Team
from ..plugin_api import wall_clock
from . import audit
from .context import ServiceContext
from .errors import BadRequest, Conflict, Detail, Invalid, NotFound
from .response_schemas import DATE_TIME, closed_object
from .roster import RosterService

MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
#: The parts of the partition, as the report names them, in the order the tables show them.
PARTS = ("weekday_day_hours", "weekday_night_hours", "saturday_hours", "sunday_hours", "holiday_hours")
#: What a person's figures add up from their teams' (besides the parts and the total).
COUNTS = ("shifts", "override_shifts", "swap_shifts")
SUMS = ("override_hours", "swap_hours")
#: CLT art. 244 §2: one standby period lasts at most 24 hours.
LONGEST_STANDBY = timedelta(hours=24)
_CENTS = Decimal("0.01")

#: What ``POST /reports/hours/close`` takes.
HOURS_CLOSE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["month"],
    "properties": {"month": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$",
                             "description": "the month payroll has paid, YYYY-MM; it must have ended"}},
}

_HOURS = {"type": "number", "minimum": 0, "description": "hours, to the hundredth"}
_FIGURES = {
    "total_hours": {**_HOURS, "description": "every on-call hour of the month: the sum of the five parts below"},
    "weekday_day_hours": {**_HOURS, "description": "Monday to Friday, 05:00-22:00, not a holiday"},
    "weekday_night_hours": {**_HOURS, "description": "Monday to Friday, 22:00-05:00 (the CLT's night), not a holiday"},
    "saturday_hours": {**_HOURS, "description": "Saturdays that are not holidays"},
    "sunday_hours": {**_HOURS, "description": "Sundays that are not holidays"},
    "holiday_hours": {**_HOURS, "description": "the team's holidays (national, state, custom), whatever the weekday"},
    "shifts": {"type": "integer", "minimum": 0, "description": "shifts with hours counted in the month"},
    "override_hours": {**_HOURS, "description": "of total_hours, those of overrides (swaps apart)"},
    "override_shifts": {"type": "integer", "minimum": 0},
    "swap_hours": {**_HOURS, "description": "of total_hours, those of swaps"},
    "swap_shifts": {"type": "integer", "minimum": 0},
}
LONG_SHIFT_RESPONSE = closed_object(
    {
        "team": {"type": "string", "description": "the team's slug"},
        "start": DATE_TIME,
        "end": DATE_TIME,
        "hours": {**_HOURS, "description": "the whole standby period, inside the month or not"},
    },
    "a standby period longer than 24 hours (CLT art. 244 §2): flagged, not refused",
)
_TEAM_FIGURES = closed_object(
    {
        "team": closed_object({"slug": {"type": "string"}, "name": {"type": "string"},
                               "timezone": {"type": "string"}}),
        **_FIGURES,
        "long_shifts": {"type": "array", "items": LONG_SHIFT_RESPONSE},
    },
    "the person's hours in one team, in the team's zone and holiday calendar",
)
_MONEY = {"type": ["number", "null"], "minimum": 0}
#: One person of the report; ``hourly_rate`` and ``value`` only in the value column (owners, some rate set).
HOURS_PERSON_RESPONSE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["person", *sorted(_FIGURES), "long_shifts", "teams"],
    "properties": {
        "person": closed_object({"id": {"type": "integer"}, "name": {"type": "string"}}),
        **_FIGURES,
        "long_shifts": {"type": "array", "items": LONG_SHIFT_RESPONSE},
        "teams": {"type": "array", "items": _TEAM_FIGURES},
        "hourly_rate": {**_MONEY, "description": "value column only: money per hour; null: none set"},
        "value": {**_MONEY, "description": "value column only: total_hours × hourly_rate × standby_factor"},
    },
}
#: What ``GET /reports/hours`` answers.
HOURS_REPORT_RESPONSE = closed_object(
    {
        "month": {"type": "string", "description": "YYYY-MM"},
        "team": {"type": ["string", "null"], "description": "the team asked for; null: every team the reader sees"},
        "closed": {"type": "boolean", "description": "true: payroll closed the month; these are its stored figures"},
        "closed_by": {"type": ["string", "null"],
                      "description": "the credential that closed it, as the audit log names it (audit readers only)"},
        "closed_at": {"type": ["string", "null"], "format": "date-time"},
        "standby_factor": {"type": "string", "description": "STANDBY_FACTOR of the figures, e.g. 1/3"},
        "values": {"type": "boolean", "description": "whether the value column is there (owners, some rate set)"},
        "people": {"type": "array", "items": HOURS_PERSON_RESPONSE},
        "totals": {
            "type": "object",
            "additionalProperties": False,
            "required": sorted(set(_FIGURES) - {"long_shifts"}),
            "properties": {**_FIGURES, "value": {**_MONEY, "description": "value column only"}},
        },
    },
    "each person's on-call hours of a month, split for payroll",
)


def parse_month(value: str | None) -> tuple[int, int]:
    """``(year, month)`` of ``YYYY-MM``, or :class:`BadRequest`."""
    found = MONTH.fullmatch(value or "") if isinstance(value, str) else None
    if found is None or not 1900 <= int(found[1]) <= 9998:
        raise BadRequest(
            f"month must be a month as YYYY-MM (e.g. 2026-11), got {value!r}.", code="month", params={"value": value}
        )
    return int(found[1]), int(found[2])


def previous_month(today: date) -> str:
    """The month before ``today``'s, as ``YYYY-MM``: the one payroll is usually paying."""
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def hundredths(value: float | Decimal | str) -> Decimal:
    """``value`` rounded half up to hundredths (through its text: 2.675 is 2.68, as by hand)."""
    return Decimal(str(value)).quantize(_CENTS, rounding=ROUND_HALF_UP)


def _month_bounds(year: int, month: int, tz) -> tuple[datetime, datetime]:
    """The month as instants: from its first local midnight in ``tz`` to the next month's."""
    following = date(year + month // 12, month % 12 + 1, 1)
    return wall_clock(date(year, month, 1), time(0), tz), wall_clock(following, time(0), tz)


def _without(
    start: datetime, end: datetime, away: Iterable[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` minus the intervals ``away`` (sorted by start)."""
    pieces = []
    for leave_start, leave_end in away:
        if leave_end <= start or leave_start >= end:
            continue
        if leave_start > start:
            pieces.append((start, leave_start))
        start = max(start, leave_end)
        if start >= end:
            return pieces
    pieces.append((start, end))
    return pieces


@dataclass
class _Tally:
    """One person's hours in one team, unrounded."""

    split: HourSplit = field(default_factory=HourSplit)
    shifts: int = 0
    override_hours: float = 0.0
    override_shifts: int = 0
    swap_hours: float = 0.0
    swap_shifts: int = 0
    # Every shift of theirs overlapping the month, whole: for the 24-hour flag.
    stretches: list[tuple[datetime, datetime]] = field(default_factory=list)


class PayrollService:
    """The monthly on-call hours report, and closing a month payroll has paid."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    @property
    def dbsession(self):
        return self.ctx.dbsession

    # -- reading ------------------------------------------------------------

    def report(
        self,
        month: str,
        *,
        team: str | None = None,
        teams: frozenset[str] | None = None,
        rates: bool = False,
        closer: bool = True,
    ) -> dict:
        """The report of ``month`` (``YYYY-MM``) as this reader may see it.

        ``team`` limits it to one team's hours (404 when there is none by
        that slug); ``teams`` is what the reader may see (None: everything,
        see :func:`plantao.security.report_teams`).  ``rates`` (an owner)
        adds each person's hourly rate and the value column when anybody has
        a rate; ``closer`` (a reader of the audit log) names who closed a
        closed month.  A closed month answers its stored figures.
        """
        year, number = parse_month(month)
        if team is not None:
            found = self.dbsession.scalar(select(Team.slug).where(Team.slug == team))
            if found is None:
                raise NotFound(f"No team with slug {team!r}.", code="not_found.team", params={"slug": team})
        closure = self.closure(month)
        figures = closure.figures if closure is not None else self.figures(year, number)
        shown = teams if team is None else frozenset({team}) & (teams if teams is not None else {team})
        body = present(figures, shown, rates)
        body["team"] = team
        body["closed"] = closure is not None
        body["closed_by"] = closure.closed_by if closure is not None and closer else None
        body["closed_at"] = isoformat(closure.closed_at, zone(self.ctx.settings.timezone)) if closure else None
        return body

    def team_names(self) -> list[tuple[str, str]]:
        """``(slug, name)`` of every team, by name: the choices of the report's team filter."""
        query = select(Team.slug, Team.name).order_by(Team.name)
        return [(row.slug, row.name) for row in self.dbsession.execute(query)]

    def closure(self, month: str) -> HoursClosure | None:
        """The stored figures of ``month``, if it is closed."""
        return self.dbsession.scalar(select(HoursClosure).where(HoursClosure.month == month))

    def figures(self, year: int, month: int) -> dict:
        """Every team's figures of the month, as stored when it closes (see :func:`present`)."""
        label = f"{year:04d}-{month:02d}"
        teams = list(self.dbsession.scalars(
            select(Team).options(selectinload(Team.custom_holidays)).order_by(Team.id)
        ))
        roster = RosterService(self.ctx)
        tallies: dict[int, dict[int, _Tally]] = defaultdict(dict)
        bounds: dict[int, tuple[datetime, datetime]] = {}
        rows_by_team: dict[int, list] = {}
        for each in teams:
            tz = zone(each.timezone)
            bounds[each.id] = _month_bounds(year, month, tz)
            low, high = bounds[each.id]
            rows_by_team[each.id] = list(self.dbsession.execute(
                select(Shift.person_id, Shift.start, Shift.end, Shift.source, Shift.override_id)
                .where(Shift.team_id == each.id, Shift.start < high, Shift.end > low)
                .order_by(Shift.start, Shift.id)
            ))
        people_ids = {row.person_id for rows in rows_by_team.values() for row in rows}
        if not people_ids:
            return {"month": label, "standby_factor": str(self.ctx.settings.standby_factor), "people": []}
        low = min(b[0] for b in bounds.values())
        high = max(b[1] for b in bounds.values())
        leave: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
        for row in self.dbsession.execute(
            select(Leave.person_id, Leave.start, Leave.end)
            .where(Leave.person_id.in_(people_ids), Leave.start < high, Leave.end > low)
            .order_by(Leave.start)
        ):
            leave[row.person_id].append((row.start, row.end))
        override_ids = {row.override_id for rows in rows_by_team.values() for row in rows if row.override_id}
        swaps = set()
        if override_ids:
            swaps = set(self.dbsession.scalars(
                select(Override.id).where(Override.id.in_(override_ids), Override.swap_id.is_not(None))
            ))
        for each in teams:
            if not rows_by_team[each.id]:
                continue
            tz = zone(each.timezone)
            holidays = roster.holidays(each, year, year)
            low, high = bounds[each.id]
            stretches: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
            for row in rows_by_team[each.id]:
                stretches[row.person_id].append((row.start, row.end))
                split = HourSplit()
                for start, end in _without(max(row.start, low), min(row.end, high), leave.get(row.person_id, ())):
                    split = split + split_hours(start, end, tz, holidays)
                if split.total <= 0:
                    # Wholly on leave: not a shift of this month's pay.
                    continue
                tally = tallies[row.person_id].setdefault(each.id, _Tally())
                tally.split = tally.split + split
                tally.shifts += 1
                if row.source == "override" and row.override_id is not None:
                    if row.override_id in swaps:
                        tally.swap_hours += split.total
                        tally.swap_shifts += 1
                    else:
                        tally.override_hours += split.total
                        tally.override_shifts += 1
            for person_id, held in stretches.items():
                if each.id in tallies.get(person_id, {}):
                    tallies[person_id][each.id].stretches = held
        people = {p.id: p for p in self.dbsession.scalars(select(Person).where(Person.id.in_(tallies)))}
        by_id = {each.id: each for each in teams}
        stored = []
        for person_id, per_team in tallies.items():
            person = people[person_id]
            stored.append({
                "person": {"id": person.id, "name": person.name},
                "hourly_rate": None if person.hourly_rate is None else str(person.hourly_rate),
                "teams": [_team_row(by_id[team_id], tally) for team_id, tally in per_team.items()],
            })
        stored.sort(key=lambda entry: (entry["person"]["name"].casefold(), entry["person"]["id"]))
        return {"month": label, "standby_factor": str(self.ctx.settings.standby_factor), "people": stored}

    # -- closing -------------------------------------------------------------

    def close(self, month: str) -> HoursClosure:
        """Store ``month``'s figures as paid: from now on the report answers them.

        409 when it is closed already; 422 when it has not ended yet in every
        team's zone (and in PLANTAO_TIMEZONE).
        """
        year, number = parse_month(month)
        closed = Conflict(f"The month {month} is closed already.", code="month_closed", params={"month": month})
        if self.closure(month) is not None:
            raise closed
        zones = {self.ctx.settings.timezone, *self.dbsession.scalars(select(Team.timezone).distinct())}
        ends = max(_month_bounds(year, number, zone(name))[1] for name in zones)
        if utcnow() < ends:
            raise Invalid(
                f"The month {month} has not ended yet: it can be closed once it is over everywhere.",
                [Detail("month", "has not ended yet", "month_open", {"month": month})],
                code="month_open",
                params={"month": month},
            )
        figures = self.figures(year, number)
        closure = HoursClosure(month=month, figures=figures, closed_by=self.ctx.actor.credential, closed_at=utcnow())
        # Two owners closing at once both pass the check above; the unique
        # month stops the second, and the savepoint lets it be told apart.
        try:
            with self.dbsession.begin_nested():
                self.dbsession.add(closure)
                self.dbsession.flush()
        except IntegrityError:
            if self.closure(month) is not None:
                raise closed from None
            raise
        summary = present(figures, None, False)["totals"]
        audit.record(
            self.dbsession, self.ctx.actor, "close", "hours_report", month, None,
            {"month": month, "people": len(figures["people"]), "total_hours": summary["total_hours"]},
        )
        return closure


def _team_row(team: Team, tally: _Tally) -> dict:
    """One person's figures in one team, rounded (total: the sum of the rounded parts)."""
    split = tally.split
    parts = {
        "weekday_day_hours": hundredths(split.weekday_day),
        "weekday_night_hours": hundredths(split.weekday_night),
        "saturday_hours": hundredths(split.saturday),
        "sunday_hours": hundredths(split.sunday),
        "holiday_hours": hundredths(split.holiday),
    }
    tz = zone(team.timezone)
    return {
        "team": {"slug": team.slug, "name": team.name, "timezone": team.timezone},
        "total_hours": float(sum(parts.values())),
        **{name: float(value) for name, value in parts.items()},
        "shifts": tally.shifts,
        "override_hours": float(hundredths(tally.override_hours)),
        "override_shifts": tally.override_shifts,
        "swap_hours": float(hundredths(tally.swap_hours)),
        "swap_shifts": tally.swap_shifts,
        "long_shifts": [
            {"team": team.slug, "start": isoformat(start, tz), "end": isoformat(end, tz),
             "hours": float(hundredths((end - start).total_seconds() / 3600))}
            for start, end in _stretches(tally.stretches) if end - start > LONGEST_STANDBY
        ],
    }


def _stretches(shifts: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Shifts that follow each other without a break, as one standby period each."""
    # Stored shifts may be cut where nothing changes for the person (an
    # override of another role, a regeneration): the law counts the period.
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(shifts):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _add(rows: list[dict]) -> dict:
    """The figures of ``rows`` (a person's teams, or the people) added up; total = sum of parts."""
    parts = {name: sum((Decimal(str(row[name])) for row in rows), Decimal(0)) for name in PARTS}
    return {
        "total_hours": float(sum(parts.values())),
        **{name: float(value) for name, value in parts.items()},
        **{name: sum(row[name] for row in rows) for name in COUNTS},
        **{name: float(sum((Decimal(str(row[name])) for row in rows), Decimal(0))) for name in SUMS},
    }


def present(figures: dict, teams: frozenset[str] | None, rates: bool) -> dict:
    """The answer from stored ``figures``: only the hours in ``teams`` (None: all), rates with ``rates``.

    A person with no hours in those teams is left out.  The value column
    (``hourly_rate`` and ``value`` of each person, ``value`` of the totals)
    is there only with ``rates`` and when at least one person shown has a
    rate: hours × rate × the month's STANDBY_FACTOR, to the cent.
    """
    factor = Fraction(figures["standby_factor"])
    people = []
    for entry in figures["people"]:
        rows = [row for row in entry["teams"] if teams is None or row["team"]["slug"] in teams]
        if not rows:
            continue
        person = {"person": dict(entry["person"]), **_add(rows)}
        person["long_shifts"] = [flag for row in rows for flag in row["long_shifts"]]
        person["teams"] = [dict(row) for row in rows]
        person["_rate"] = entry.get("hourly_rate")
        people.append(person)
    values = rates and any(person["_rate"] is not None for person in people)
    totals = _add(people)
    if values:
        total_value = Decimal(0)
        for person in people:
            rate = person["_rate"]
            person["hourly_rate"] = None if rate is None else float(rate)
            if rate is None:
                person["value"] = None
                continue
            exact = Fraction(Decimal(str(person["total_hours"]))) * Fraction(Decimal(rate)) * factor
            value = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(_CENTS, rounding=ROUND_HALF_UP)
            person["value"] = float(value)
            total_value += value
        totals["value"] = float(total_value)
    for person in people:
        del person["_rate"]
    return {
        "month": figures["month"],
        "standby_factor": figures["standby_factor"],
        "values": values,
        "people": people,
        "totals": totals,
    }
