"""A team's roster on a time axis: the timeline of the team page.

One window (a day, a week, two weeks or a calendar month in the team's
zone) drawn as lanes of horizontal bars:

* the **final roster** on top, one lane per role: the stored shifts, what
  every other page, feed and the API show, read from the roster in memory
  like the month grid (no query per request inside its window);
* **overrides and leave**: the stored override shifts and the leave of the
  team's people;
* one lane per **rotation layer**: what each rotation puts on duty by
  itself, its own turns before overrides and priorities.  Nothing stores
  that, so it is the engine's ``RosterResult.layers`` for the window, kept
  in the per-process :class:`~plantao.services.oncall.RosterCache` by the
  team roster's generation (any change of the team makes a new one) and the
  window.  While the database cannot be reached (the roster in memory is
  stale) or the engine refuses the team, each rotation's lane shows its
  stored shifts instead, and the timeline says so.

The geometry is pure and tested on its own: a bar's place is its real
instant within the window (a day with a DST change is 23 or 25 hours wide),
clipped to the window, in percentages of the track.  Whether a name fits
inside its bar is estimated against the narrowest the track is ever drawn
(:data:`TRACK_MIN_REM`, the CSS ``min-width`` the template sets), so the
estimate errs towards initials; the full name is always in the bar's
``title``, its accessible label and the legend, never cut with an ellipsis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..datetimes import FIRST_YEAR, LAST_YEAR
from ..models import Leave, Person
from ..plugin_api import PersonView
from ..read_model import ShiftView, person_view
from .context import ServiceContext
from .errors import BadRequest, Invalid
from .month import add_months, first_of_month
from .oncall import OnCallService

# -- windows ------------------------------------------------------------------------------

#: The zoom levels, in order from the closest; the days of each fixed-length window.
ZOOMS = ("day", "week", "2weeks", "month")
ZOOM_DAYS = {"day": 1, "week": 7, "2weeks": 14}
DEFAULT_ZOOM = "week"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Window:
    """The local days ``[first, following)`` a timeline shows, at one zoom level."""

    zoom: str
    first: date
    following: date

    @property
    def days(self) -> int:
        return (self.following - self.first).days

    @property
    def last(self) -> date:
        return self.following - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.first <= day < self.following

    def previous(self) -> date:
        """The first day of the window before this one."""
        if self.zoom == "month":
            return add_months(self.first, -1)
        return self.first - timedelta(days=self.days)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The instants (UTC) where the window starts and ends: local midnights, DST-correct."""
        return local_midnight(self.first, tz), local_midnight(self.following, tz)


def window(zoom: str, first: date) -> Window:
    """The window of ``zoom`` starting at ``first``; a month is the calendar month holding ``first``."""
    if zoom == "month":
        first = first_of_month(first)
        return Window(zoom, first, add_months(first, 1))
    return Window(zoom, first, first + timedelta(days=ZOOM_DAYS[zoom]))


def default_window(zoom: str, today: date, first_weekday: int) -> Window:
    """What ``zoom`` shows without ``?from=``: today, this week (from the locale's first
    weekday, 0 = Monday), the fortnight starting this week, or this month."""
    if zoom in ("week", "2weeks"):
        return window(zoom, today - timedelta(days=(today.weekday() - first_weekday) % 7))
    return window(zoom, today)


def parse_window(zoom: str | None, start: str | None, today: date, first_weekday: int) -> Window:
    """The window of ``?zoom=`` and ``?from=`` (either may be missing); :class:`BadRequest` for values
    that are neither a zoom level nor a ``YYYY-MM-DD`` date between 1970 and 2200."""
    zoom = zoom or DEFAULT_ZOOM
    if zoom not in ZOOMS:
        raise BadRequest(f"zoom must be one of {', '.join(ZOOMS)}; got {zoom[:40]!r}.", code="timeline.zoom")
    if not start:
        return default_window(zoom, today, first_weekday)
    try:
        if not _DATE.match(start):
            raise ValueError(start)
        first = date.fromisoformat(start)
    except ValueError:
        raise BadRequest(
            f"from must be a date written YYYY-MM-DD; got {start[:40]!r}.", code="timeline.from"
        ) from None
    # The last window must end inside the calendar the rest of Plantão accepts.
    if not FIRST_YEAR <= first.year < LAST_YEAR:
        raise BadRequest(f"from must be between {FIRST_YEAR} and {LAST_YEAR - 1}.", code="timeline.from")
    return window(zoom, first)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant (UTC) local ``day`` starts, as the month grid's days start."""
    return _utc(datetime.combine(day, time(0), tzinfo=tz))


def _utc(moment: datetime) -> datetime:
    # Python subtracts two datetimes of the same zone by their wall clocks (a
    # DST day would be 24 hours long): every instant is measured in UTC.
    return moment.astimezone(timezone.utc)


# -- geometry -----------------------------------------------------------------------------

#: The narrowest the track is drawn, in rem, per zoom (the template sets it as
#: the track's ``min-width``: narrower screens scroll the timeline sideways).
TRACK_MIN_REM = {"day": 36, "week": 44, "2weeks": 48, "month": 48}
REM_PX = 16
#: A generous width of one character of a bar's text (.75rem, bold-ish), and
#: of the bar's edge and padding: an estimate that errs towards initials.
CHAR_PX = 7.0
BAR_PADDING_PX = 10.0
#: The lines a bar's name may wrap to (the bar is as tall as that).
LABEL_LINES = 2


@dataclass(frozen=True)
class Span:
    """Where a bar lies on the track, in percent of its width."""

    left: float
    width: float
    #: It started before the window, or goes on after it.
    clipped_before: bool = False
    clipped_after: bool = False


def position(moment: datetime, start: datetime, end: datetime) -> float | None:
    """Where ``moment`` lies in ``[start, end)``, in percent; None outside.

    Real elapsed time, not wall-clock time: across a DST change the hours
    keep their width and the day is shorter or longer.
    """
    moment, start, end = _utc(moment), _utc(start), _utc(end)
    if not start <= moment < end:
        return None
    return round(100 * (moment - start).total_seconds() / (end - start).total_seconds(), 4)


def span(begin: datetime, finish: datetime, start: datetime, end: datetime) -> Span | None:
    """The part of ``[begin, finish)`` inside the window ``[start, end)``, or None when none is."""
    begin, finish, start, end = _utc(begin), _utc(finish), _utc(start), _utc(end)
    if finish <= start or begin >= end or finish <= begin:
        return None
    total = (end - start).total_seconds()
    low, high = max(begin, start), min(finish, end)
    left = 100 * (low - start).total_seconds() / total
    width = 100 * (high - low).total_seconds() / total
    return Span(round(left, 4), round(width, 4), begin < start, finish > end)


def initials(name: str) -> str:
    """The initials of a person's first two names, as their avatar shows them: "LG"."""
    return "".join(part[0] for part in name.split()[:2]).upper()


def label_mode(name: str, width_px: float, lines: int = LABEL_LINES) -> str:
    """How a bar ``width_px`` wide shows ``name``: ``"name"`` when the name fits, wrapped at
    spaces onto at most ``lines`` lines, ``"initials"`` when they fit instead, else ``"none"``
    (the bar is a coloured sliver; its title, label and the legend name the person)."""
    room = width_px - BAR_PADDING_PX
    words = name.split()
    if words and max(len(word) for word in words) * CHAR_PX <= room:
        used, line = 1, 0.0
        for word in words:
            wanted = len(word) * CHAR_PX if not line else line + (1 + len(word)) * CHAR_PX
            if wanted <= room:
                line = wanted
            else:
                used, line = used + 1, len(word) * CHAR_PX
        if used <= lines:
            return "name"
    if len(initials(name)) * CHAR_PX <= room:
        return "initials"
    return "none"


def rows(intervals: Sequence[tuple[datetime, datetime]]) -> tuple[list[int], int]:
    """A row for each interval so that no two in a row overlap (first row free, by start);
    and how many rows that takes."""
    ends: list[datetime] = []
    placed: list[int] = [0] * len(intervals)
    for index in sorted(range(len(intervals)), key=lambda i: intervals[i]):
        begin, finish = intervals[index]
        row = next((r for r, taken in enumerate(ends) if taken <= begin), len(ends))
        if row == len(ends):
            ends.append(finish)
        else:
            ends[row] = finish
        placed[index] = row
    return placed, max(len(ends), 1)


# -- what is drawn ------------------------------------------------------------------------


@dataclass
class Bar:
    """One shift, override or leave on a lane."""

    kind: str  # "shift", "override" or "leave"
    person: PersonView
    start: datetime
    end: datetime
    span: Span
    row: int = 0
    label: str = "name"
    initials: str = ""
    role: str = "primary"
    reason: str = ""
    #: It covers the current instant.
    now: bool = False
    #: The stored shift a final-roster bar draws (what the admin timeline acts on); None elsewhere.
    shift_id: int | None = None


@dataclass
class Lane:
    """A row of bars: the final roster of a role, the overrides and leave, or a rotation's layer."""

    kind: str  # "final", "changes" or "rotation"
    bars: list[Bar]
    rows: int = 1
    role: str = "primary"
    #: A rotation's id, name (None when it could not be read) and priority.
    rotation_id: int | None = None
    name: str | None = None
    priority: int = 0


@dataclass
class Tick:
    """A division of the scale: a local day (or, zoomed on a day, a few hours)."""

    left: float
    width: float
    day: date
    moment: datetime
    today: bool = False
    weekend: bool = False


@dataclass
class Timeline:
    window: Window
    start: datetime
    end: datetime
    final: list[Lane]
    changes: Lane
    layers: list[Lane]
    #: False when the rotation lanes show stored shifts (the engine was not asked).
    layers_computed: bool
    ticks: list[Tick]
    #: Where the current instant lies, in percent; None outside the window.
    now: float | None
    #: Everybody on a bar, by name (the legend).
    people: list[PersonView] = field(default_factory=list)
    #: Several roles: lanes name theirs.
    several_roles: bool = False

    @property
    def track_rem(self) -> int:
        return TRACK_MIN_REM[self.window.zoom]


def ticks(win: Window, tz: ZoneInfo, today: date) -> list[Tick]:
    """The scale of ``win``: every three hours zoomed on a day, else every local day."""
    start, end = win.bounds(tz)
    found = []
    if win.zoom == "day":
        marks = [_utc(datetime.combine(win.first, time(hour), tzinfo=tz)) for hour in range(0, 24, 3)] + [end]
    else:
        marks = [local_midnight(win.first + timedelta(days=n), tz) for n in range(win.days + 1)]
    for here, following in zip(marks, marks[1:]):
        placed = span(here, following, start, end)
        if placed is None:
            continue
        day = here.astimezone(tz).date()
        found.append(Tick(placed.left, placed.width, day, here, today=day == today, weekend=day.weekday() >= 5))
    return found


def _bar(kind: str, person: PersonView, begin: datetime, finish: datetime, start: datetime, end: datetime,
         track_px: float, now: datetime, **extra) -> Bar | None:
    placed = span(begin, finish, start, end)
    if placed is None:
        return None
    return Bar(
        kind=kind, person=person, start=begin, end=finish, span=placed,
        label=label_mode(person.name, placed.width * track_px / 100), initials=initials(person.name),
        now=begin <= now < finish, **extra,
    )


def lane(kind: str, bars: Iterable[Bar | None], **extra) -> Lane:
    """A lane of ``bars`` (None left out), stacked into rows where they overlap."""
    kept = sorted((bar for bar in bars if bar is not None), key=lambda bar: (bar.start, bar.end, bar.person.name))
    placed, count = rows([(bar.start, bar.end) for bar in kept])
    for bar, row in zip(kept, placed):
        bar.row = row
    return Lane(kind, kept, count, **extra)


def _role_order(role: str) -> tuple:
    return (role != "primary", role != "secondary", role)


# -- the service --------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerShift:
    """One turn of a rotation on its own (the engine's layer), before overrides and priority."""

    rotation_id: int
    role: str
    person_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class RotationLayer:
    """A rotation as its lane names it."""

    id: int
    name: str | None
    role: str
    priority: int


class TimelineService:
    """Builds a team's timeline for one window."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx
        self.oncall = OnCallService(ctx)

    def timeline(
        self, team, win: Window, *, now: datetime, today: date,
        cache: Callable[[tuple, Callable[[], bytes]], bytes] | None = None,
    ) -> Timeline:
        """The lanes of ``team`` in ``win``; ``cache(key, build)`` keeps the rotation layers
        (:meth:`RosterCache.kept`), by the team roster's generation and the window."""
        tz = ZoneInfo(team.timezone)
        start, end = win.bounds(tz)
        track_px = TRACK_MIN_REM[win.zoom] * REM_PX
        stored = self.oncall.shifts(team, start, end)
        rotations, shifts, computed = self._layers(team, start, end, stored, cache)

        # A role some rotation fills keeps its lane when nobody holds it in the window (a gap).
        roles = sorted({shift.role for shift in stored} | {r.role for r in rotations}, key=_role_order)
        final = [
            lane("final", (
                # An override's shift is marked as one, as the month grid marks it.
                _bar("override" if s.source == "override" else "shift", s.person, s.start, s.end, start, end,
                     track_px, now, role=s.role, reason=s.reason if s.source == "override" else "", shift_id=s.id)
                for s in stored if s.role == role
            ), role=role)
            for role in roles or ["primary"]
        ]
        changes = lane("changes", [
            *(_bar("override", s.person, s.start, s.end, start, end, track_px, now, role=s.role, reason=s.reason)
              for s in stored if s.source == "override"),
            *(_bar("leave", person, begin, finish, start, end, track_px, now)
              for person, begin, finish in self._leaves(team, stored, start, end)),
        ])

        people = self._people({shift.person_id for shift in shifts})
        layers = [
            lane("rotation", (
                _bar("shift", people[s.person_id], s.start, s.end, start, end, track_px, now, role=s.role)
                for s in shifts if s.rotation_id == rotation.id and s.person_id in people
            ), role=rotation.role, rotation_id=rotation.id, name=rotation.name, priority=rotation.priority)
            for rotation in sorted(rotations, key=lambda r: (_role_order(r.role), -r.priority, r.id))
        ]

        shown = {bar.person.id: bar.person for group in (final, [changes], layers) for one in group for bar in one.bars}
        return Timeline(
            window=win, start=start, end=end, final=final, changes=changes, layers=layers,
            layers_computed=computed, ticks=ticks(win, tz, today), now=position(now, start, end),
            people=sorted(shown.values(), key=lambda person: (person.name.casefold(), person.id)),
            several_roles=len(roles) > 1,
        )

    # -- rotation layers -----------------------------------------------------------------

    def _layers(
        self, team, start: datetime, end: datetime, stored: list[ShiftView], cache,
    ) -> tuple[list[RotationLayer], list[LayerShift], bool]:
        """Each rotation and its own turns in ``[start, end)``; False when they are the stored shifts."""
        read_model = self.ctx.roster
        if read_model is not None and read_model.stale_seconds() is not None:
            # The database does not answer: nothing to run the engine on.
            return _stored_layers(stored)
        generation = self.oncall.generation(team, start)
        if cache is None or generation is None:
            body = self._computed(team, start, end)
        else:
            body = cache(("timeline-layers", team.id, generation, start, end), lambda: self._computed(team, start, end))
        found = json.loads(body)
        if found is None:
            return _stored_layers(stored)
        rotations = [RotationLayer(*row) for row in found["rotations"]]
        shifts = [
            LayerShift(rotation_id, role, person_id, datetime.fromisoformat(begin), datetime.fromisoformat(finish))
            for rotation_id, role, person_id, begin, finish in found["shifts"]
        ]
        return rotations, shifts, True

    def _computed(self, team, start: datetime, end: datetime) -> bytes:
        """The engine's layers of ``[start, end)`` as JSON (``null`` when the engine refuses the team)."""
        # Imported here: the roster service opens the request's session when built,
        # and only a window the cache does not hold needs it.
        from .roster import RosterService

        roster = RosterService(self.ctx)
        rotations = roster.rotations(team)
        try:
            result = roster.compute(team, start, end, rotations=rotations)
        except (Invalid, ValueError):
            # A rotation the engine cannot compute (its stored shifts say what was stored).
            return b"null"
        return json.dumps({
            "rotations": [[r.id, r.name, r.role or "primary", r.priority or 0] for r in rotations],
            "shifts": [
                [s.rotation_id, s.role, s.person_id, s.start.isoformat(), s.end.isoformat()]
                for s in result.layers if s.rotation_id is not None
            ],
        }).encode()

    def _people(self, ids: set[int]) -> dict[int, PersonView]:
        """The people ``ids`` from memory (the database for anybody written since it was read)."""
        known = self.ctx.roster.snapshot().people if self.ctx.roster is not None else {}
        found = {pid: known[pid].view for pid in ids if pid in known}
        missing = ids - found.keys()
        if missing:
            for person in self.ctx.dbsession.scalars(select(Person).where(Person.id.in_(missing))):
                found[person.id] = person_view(person)
        return found

    # -- leave ---------------------------------------------------------------------------

    def _leaves(self, team, stored: list[ShiftView], start: datetime, end: datetime):
        """``(person, start, end)`` of the leave overlapping the window of the team's people
        (its members and whoever holds a shift in it), as the month grid marks it."""
        roster = self.ctx.roster.snapshot().teams.get(team.id) if self.ctx.roster is not None else None
        if roster is not None and roster.covers(start):
            return [
                (leave.person, leave.start, leave.end)
                for leave in roster.leaves if leave.start < end and leave.end > start
            ]
        watched = {shift.person.id for shift in stored} | set(roster.members if roster is not None else ())
        if not watched:
            return []
        people = self._people(watched)
        on_leave = self.ctx.dbsession.scalars(
            select(Leave).where(Leave.person_id.in_(watched), Leave.start < end, Leave.end > start).order_by(Leave.start)
        )
        return [(people[l.person_id], l.start, l.end) for l in on_leave if l.person_id in people]


def _stored_layers(stored: list[ShiftView]) -> tuple[list[RotationLayer], list[LayerShift], bool]:
    """Each rotation's stored shifts (what won the layering), named by id only: the fallback."""
    rotations: dict[int, RotationLayer] = {}
    shifts = []
    for shift in stored:
        if shift.source != "rotation" or shift.rotation_id is None:
            continue
        rotations.setdefault(shift.rotation_id, RotationLayer(shift.rotation_id, None, shift.role, 0))
        shifts.append(LayerShift(shift.rotation_id, shift.role, shift.person.id, shift.start, shift.end))
    return list(rotations.values()), shifts, False
