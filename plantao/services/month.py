"""The roster laid out as people read it: days, weeks, months.

The pages show what the API answers, so every shift here comes from
:meth:`OnCallService.shifts` (the roster in memory, or the same ``shifts``
table for months before its window); this module only groups them by local
day and adds what a calendar marks beside them (leave, holidays), read from
the roster in memory too when it holds the month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..engine import holiday_calendar
from ..models import Leave, Person, Rotation, RotationVersion, Shift, Team
from .context import ServiceContext
from .oncall import OnCallService, ShiftView

#: Shifts read for one person's page.
PERSON_PAGE_LIMIT = 60


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants where local ``day`` starts and the next one starts."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class DayCell:
    """One day of a calendar: the shifts overlapping it and what else happens."""

    day: date
    in_month: bool = True
    today: bool = False
    holiday: str | None = None
    shifts: list[ShiftView] = field(default_factory=list)


@dataclass(frozen=True)
class LeaveSegment:
    """One leave's stretch inside one week row: the columns it covers, ``first`` to ``last`` (0 to 6).

    ``since`` and ``until`` are the whole leave's first and last local days,
    which the grid prints beside the name; ``continues_before`` and
    ``continues_after`` say the leave goes on into the week before or after.
    """

    person: Person
    first: int
    last: int
    since: date
    until: date
    continues_before: bool
    continues_after: bool

    @property
    def columns(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True)
class LeaveSlot:
    """One cell of a row under a week: an empty day, or a leave across ``columns`` days from ``column``."""

    column: int
    columns: int = 1
    segment: LeaveSegment | None = None


def week_leave_segments(days: list[date], leaves, people: dict[int, Person], tz: ZoneInfo) -> list[LeaveSegment]:
    """The stretch of each of ``leaves`` inside the week ``days``, by first column.

    A leave is one interval, so it covers one run of consecutive days of a
    week: the grid shows it once, as a span, not once per day.
    """
    bounds = [day_bounds(day, tz) for day in days]
    segments = []
    for leave in leaves:
        covered = [i for i, (low, high) in enumerate(bounds) if leave.start < high and leave.end > low]
        if not covered:
            continue
        first, last = covered[0], covered[-1]
        segments.append(LeaveSegment(
            person=people[leave.person_id],
            first=first,
            last=last,
            since=leave.start.astimezone(tz).date(),
            until=(leave.end - timedelta(microseconds=1)).astimezone(tz).date(),
            continues_before=leave.start < bounds[first][0],
            continues_after=leave.end > bounds[last][1],
        ))
    segments.sort(key=lambda s: (s.first, -s.columns, s.person.name.lower()))
    return segments


def pack_leave_rows(segments: list[LeaveSegment], width: int = 7) -> list[list[LeaveSlot]]:
    """``segments`` packed into as few rows as they need (two leaves never share a day of a row),
    each row spelled out as the cells of a table row: empty days and spans."""
    rows: list[list[LeaveSegment]] = []
    for segment in sorted(segments, key=lambda s: (s.first, -s.columns)):
        for row in rows:
            if row[-1].last < segment.first:
                row.append(segment)
                break
        else:
            rows.append([segment])
    laid_out = []
    for row in rows:
        slots, column = [], 0
        for segment in row:
            slots += [LeaveSlot(day) for day in range(column, segment.first)]
            slots.append(LeaveSlot(segment.first, segment.columns, segment))
            column = segment.last + 1
        slots += [LeaveSlot(day) for day in range(column, width)]
        laid_out.append(slots)
    return laid_out


@dataclass
class MonthCalendar:
    team: Team
    month: date
    weeks: list[list[DayCell]]
    shifts: list[ShiftView]
    people: list[Person]
    leaves: list[Leave]
    #: For each week, the rows of leave shown under it (see :func:`pack_leave_rows`).
    leave_rows: list[list[list[LeaveSlot]]] = field(default_factory=list)

    @property
    def previous(self) -> date:
        return add_months(self.month, -1)

    @property
    def next(self) -> date:
        return add_months(self.month, 1)


class CalendarService:
    """Month calendars of a team and upcoming shifts of a person."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.read_model = ctx.roster
        self.oncall = OnCallService(ctx)

    @property
    def dbsession(self):
        """The request's session, opened only when a read must go to the database."""
        return self.ctx.dbsession

    def members(self, team: Team) -> list[Person]:
        """Everybody who appears in any version of the team's rotations."""
        if self.read_model is not None and (roster := self.read_model.snapshot().teams.get(team.id)):
            people = self.read_model.snapshot().people
            found = [people[pid].view for pid in roster.members if pid in people]
            return sorted(found, key=lambda p: p.name)
        ids: set[int] = set()
        versions = self.dbsession.scalars(
            select(RotationVersion).join(Rotation).where(Rotation.team_id == team.id)
        )
        for version in versions:
            ids.update(m for m in version.members or [] if isinstance(m, int))
        if team.fallback_person_id:
            ids.add(team.fallback_person_id)
        if not ids:
            return []
        return list(self.dbsession.scalars(select(Person).where(Person.id.in_(ids)).order_by(Person.name)))

    def days(self, team: Team, first: date, count: int, person_id: int | None = None) -> list[DayCell]:
        """``count`` consecutive local days from ``first`` with their shifts."""
        tz = ZoneInfo(team.timezone)
        start = day_bounds(first, tz)[0]
        end = day_bounds(first + timedelta(days=count - 1), tz)[1]
        shifts = self.oncall.shifts(team, start, end, person_id=person_id)
        cells = []
        for offset in range(count):
            day = first + timedelta(days=offset)
            low, high = day_bounds(day, tz)
            cells.append(DayCell(day, shifts=[s for s in shifts if s.start < high and s.end > low]))
        return cells

    def month(
        self, team: Team, month: date, *, today: date, first_weekday: int = 6,
        person_id: int | None = None, language: str = "pt-BR",
    ) -> MonthCalendar:
        """The weeks covering ``month`` (starting on ``first_weekday``, 0 = Monday)."""
        tz = ZoneInfo(team.timezone)
        month = first_of_month(month)
        following = add_months(month, 1)
        first = month - timedelta(days=(month.weekday() - first_weekday) % 7)
        last = following + timedelta(days=(first_weekday - following.weekday() - 1) % 7)
        count = (last - first).days + 1
        cells = self.days(team, first, count, person_id)

        people = {p.id: p for p in self.members(team)}
        for cell in cells:
            for shift in cell.shifts:
                people.setdefault(shift.person.id, shift.person)
        low, high = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
        watched = [pid for pid in people if person_id is None or pid == person_id]
        leaves = self._leaves(team, watched, low, high)
        holidays = self.holidays(team, first.year, last.year, language)
        for cell in cells:
            cell.in_month = cell.day.month == month.month
            cell.today = cell.day == today
            cell.holiday = holidays.get(cell.day)
        in_month = {s.id: s for c in cells if c.in_month for s in c.shifts}
        weeks = [cells[i:i + 7] for i in range(0, len(cells), 7)]
        return MonthCalendar(
            team=team,
            month=month,
            weeks=weeks,
            shifts=sorted(in_month.values(), key=lambda s: (s.start, s.role)),
            people=sorted(people.values(), key=lambda p: p.name.lower()),
            leaves=leaves,
            leave_rows=[
                pack_leave_rows(week_leave_segments([cell.day for cell in week], leaves, people, tz)) for week in weeks
            ],
        )

    def _leaves(self, team, watched: list[int], low: datetime, high: datetime) -> list:
        """The leave of ``watched`` overlapping ``[low, high)``, by start."""
        if not watched:
            return []
        roster = self.read_model.snapshot().teams.get(team.id) if self.read_model is not None else None
        if roster is not None and roster.covers(low) and set(watched) <= set(roster.members) | roster.people_ids:
            return [
                leave for leave in roster.leaves
                if leave.person_id in watched and leave.start < high and leave.end > low
            ]
        return list(
            self.dbsession.scalars(
                select(Leave)
                .where(Leave.person_id.in_(watched), Leave.start < high, Leave.end > low)
                .order_by(Leave.start)
            )
        )

    def holidays(self, team: Team, first_year: int, last_year: int, language: str) -> dict[date, str]:
        try:
            return holiday_calendar(
                first_year,
                last_year,
                country=team.holiday_country or "BR",
                subdivision=team.holiday_subdivision,
                optional=team.holiday_optional,
                custom=[(h.day, h.name) for h in team.custom_holidays],
                language=language,
            )
        except ValueError:
            return {}

    def upcoming_for_person(self, person: Person, moment: datetime) -> list[tuple[Team, ShiftView]]:
        """The person's shifts in every team that have not ended by ``moment``."""
        if self.read_model is not None:
            snapshot = self.read_model.snapshot()
            if moment >= snapshot.covered_from:
                found = [
                    (roster.team, shift)
                    for roster in snapshot.teams_of_person(person.id)
                    for shift in roster.overlapping(moment, datetime.max.replace(tzinfo=moment.tzinfo))
                    if shift.person.id == person.id
                ]
                found.sort(key=lambda pair: (pair[1].start, pair[1].id))
                return found[:PERSON_PAGE_LIMIT]
        rows = self.dbsession.execute(
            select(Shift, Team)
            .join(Team, Team.id == Shift.team_id)
            .where(Shift.person_id == person.id, Shift.end > moment)
            .order_by(Shift.start, Shift.id)
            .limit(PERSON_PAGE_LIMIT)
        )
        return [(team, ShiftView.of(shift)) for shift, team in rows]
