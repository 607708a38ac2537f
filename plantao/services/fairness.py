"""How evenly a team's roster shares the burden: the fairness report.

:func:`measure_roster` is pure: given shifts (stored :class:`~plantao.models.Shift`
rows or the engine's :class:`~plantao.engine.model.RosterShift`), it counts
each person's shifts, hours, night, weekend and holiday hours and overrides,
the statistics of each measure across people, and a score.  The rotation
preview calls it with the shifts a change would store; :class:`FairnessService`
with the stored roster of a period.

The score (0-100) falls with imbalance and with gaps::

    score = 100 × (1 − imbalance) × (1 − uncovered)

``imbalance`` is the weighted mean, over the scored measures that somebody
holds (mean above zero), of each measure's coefficient of variation across
people (population standard deviation ÷ mean), each capped at 1; the
weights are :data:`SCORE_WEIGHTS`.  ``uncovered`` is the share of the time
the roster had to cover that nobody covered: gap hours ÷ (hours held + gap
hours).  A roster where everybody holds the same and nothing is uncovered
scores 100; overrides are shown but not scored, since a swap or a cover is
an arrangement people chose.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import lazyload, selectinload

from .. import engine as roster_engine
from ..datetimes import DateTimeError, isoformat, parse_instant, utcnow
from ..engine.hours import split_hours
from ..models import Override, Person, Rotation, Shift, ShiftRequest, Team
from ..models.rotation import people_named
from ..spreadsheets import Column
from .context import ServiceContext
from .errors import BadRequest
from .gaps import gaps_between
from .response_schemas import DATE_TIME, closed_object
from .roster import RosterService

#: Every measure of a person, in the order the report shows them.
MEASURES = (
    "shifts", "hours", "night_hours", "weekend_hours", "holiday_hours", "overrides_taken", "overrides_given",
)
#: The measures counted in hours (the others are counts).
HOUR_MEASURES = frozenset({"hours", "night_hours", "weekend_hours", "holiday_hours"})
#: How much each measure's imbalance weighs in the score; overrides are not scored.
SCORE_WEIGHTS = {"hours": 0.4, "night_hours": 0.2, "weekend_hours": 0.2, "holiday_hours": 0.1, "shifts": 0.1}
#: The CSV's columns: one row per person.
FAIRNESS_COLUMNS = (
    Column("id", {"pt-BR": "Id", "en": "Id"}, "integer"),
    Column("name", {"pt-BR": "Pessoa", "en": "Person"}),
    Column("shifts", {"pt-BR": "Plantões", "en": "Shifts"}, "integer"),
    Column("hours", {"pt-BR": "Horas", "en": "Hours"}, "hours"),
    Column("night_hours", {"pt-BR": "Horas noturnas (22h-5h)", "en": "Night hours (22:00-05:00)"}, "hours"),
    Column("weekend_hours", {"pt-BR": "Horas em fins de semana", "en": "Weekend hours"}, "hours"),
    Column("holiday_hours", {"pt-BR": "Horas em feriados", "en": "Holiday hours"}, "hours"),
    Column("overrides_taken", {"pt-BR": "Substituições assumidas", "en": "Overrides taken"}, "integer"),
    Column("overrides_given", {"pt-BR": "Substituições cedidas", "en": "Overrides given"}, "integer"),
)
#: The report's default period: this far back and this far ahead of now.
DEFAULT_BEHIND = timedelta(days=90)
DEFAULT_AHEAD = timedelta(days=90)
#: The longest period one report covers (three years, a leap day included).
MAX_PERIOD = timedelta(days=3 * 365 + 1)

_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class PersonFigures:
    """One person's share of the roster in the period."""

    person_id: int
    shifts: int = 0
    hours: float = 0.0
    night_hours: float = 0.0
    weekend_hours: float = 0.0
    holiday_hours: float = 0.0
    overrides_taken: int = 0
    overrides_given: int = 0

    def value(self, measure: str) -> float:
        return getattr(self, measure)


@dataclass(frozen=True)
class MeasureStats:
    """One measure across people: ``spread`` is max − min, ``cv`` the coefficient of variation."""

    min: float
    max: float
    mean: float
    spread: float
    stdev: float
    cv: float

    def as_json(self, *, hours: bool) -> dict:
        digits = 2 if hours else 3
        return {
            "min": round(self.min, digits), "max": round(self.max, digits), "mean": round(self.mean, 3),
            "spread": round(self.spread, digits), "stdev": round(self.stdev, 3), "cv": round(self.cv, 4),
        }


@dataclass(frozen=True)
class FairnessMeasures:
    """The figures of a roster: per person, per measure, and the score with its two factors."""

    people: tuple[PersonFigures, ...]
    measures: dict[str, MeasureStats]
    score: float
    imbalance: float
    uncovered: float
    gap_hours: float
    held_hours: float

    def person(self, person_id: int) -> PersonFigures | None:
        return next((figures for figures in self.people if figures.person_id == person_id), None)

    def as_json(self, names: Mapping[int, str]) -> dict:
        """The figures as the API answers them; ``names`` by person id (a missing one shows as ``#id``)."""
        return {
            "score": round(self.score, 1),
            "imbalance": round(self.imbalance, 4),
            "uncovered": round(self.uncovered, 4),
            "gap_hours": round(self.gap_hours, 2),
            "held_hours": round(self.held_hours, 2),
            "people": [
                {
                    "id": figures.person_id,
                    "name": names.get(figures.person_id, f"#{figures.person_id}"),
                    **{
                        measure: round(figures.value(measure), 2) if measure in HOUR_MEASURES
                        else figures.value(measure)
                        for measure in MEASURES
                    },
                }
                for figures in self.people
            ],
            "measures": {
                measure: stats.as_json(hours=measure in HOUR_MEASURES) for measure, stats in self.measures.items()
            },
        }


def measure_roster(
    shifts: Iterable,
    *,
    tz: ZoneInfo,
    holidays: Container[date],
    start: datetime,
    end: datetime,
    people: Iterable[int] = (),
    gap_hours: float = 0.0,
    overrides_given: Mapping[int, int] | None = None,
) -> FairnessMeasures:
    """The fairness figures of ``shifts`` within ``[start, end)``; pure, no database.

    ``shifts`` have ``person_id``, ``start``, ``end`` and ``source`` (an
    ``override`` source is an override taken; one with an ``override_id``
    counts once however many pieces it was stored as); each is clipped to
    the period and counted once if any of it lies inside.  ``people`` are
    shown even when they hold nothing (the team's members); whoever holds a
    shift or gave an override is shown too.  ``gap_hours`` is the time in
    the period nobody covered, and ``overrides_given`` how many overrides
    replaced each person.  See the module for the score.
    """
    counts: dict[int, dict[str, float]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    taken: dict[int, set] = defaultdict(set)
    held = 0.0
    for number, shift in enumerate(shifts):
        low, high = max(shift.start, start), min(shift.end, end)
        if low >= high:
            continue
        split = split_hours(low, high, tz, holidays)
        figures = counts[shift.person_id]
        figures["shifts"] += 1
        figures["hours"] += _hours(split.total)
        figures["night_hours"] += _hours(split.night)
        figures["weekend_hours"] += _hours(split.weekend)
        figures["holiday_hours"] += _hours(split.holiday)
        held += _hours(split.total)
        if shift.source == "override":
            override_id = getattr(shift, "override_id", None)
            taken[shift.person_id].add(("override", override_id) if override_id is not None else ("shift", number))
    for person_id, given in (overrides_given or {}).items():
        counts[person_id]["overrides_given"] += given
    for person_id in people:
        if person_id not in counts:
            counts[person_id] = dict.fromkeys(MEASURES, 0)
    for person_id, found in taken.items():
        counts[person_id]["overrides_taken"] = len(found)

    figures = tuple(
        PersonFigures(
            person_id=person_id,
            **{measure: int(value) if measure not in HOUR_MEASURES else float(value)
               for measure, value in counts[person_id].items()},
        )
        for person_id in sorted(counts)
    )
    measures = {measure: _stats([person.value(measure) for person in figures]) for measure in MEASURES}
    imbalance = roster_imbalance(measures)
    gap_hours = max(0.0, float(gap_hours))
    uncovered = gap_hours / (held + gap_hours) if held + gap_hours > 0 else 0.0
    return FairnessMeasures(
        people=figures,
        measures=measures,
        score=fairness_score(imbalance, uncovered),
        imbalance=imbalance,
        uncovered=uncovered,
        gap_hours=gap_hours,
        held_hours=held,
    )


def roster_imbalance(measures: Mapping[str, MeasureStats]) -> float:
    """The weighted mean of the scored measures' coefficients of variation, each capped at 1.

    A measure nobody holds (mean zero, a period without holidays say) says
    nothing about balance and is left out; with none left the imbalance is 0.
    """
    weighted = [(weight, min(1.0, measures[name].cv)) for name, weight in SCORE_WEIGHTS.items()
                if name in measures and measures[name].mean > 0]
    total = sum(weight for weight, _ in weighted)
    return sum(weight * cv for weight, cv in weighted) / total if total else 0.0


def fairness_score(imbalance: float, uncovered: float) -> float:
    """``100 × (1 − imbalance) × (1 − uncovered)``, both factors kept within 0..1."""
    imbalance = min(1.0, max(0.0, imbalance))
    uncovered = min(1.0, max(0.0, uncovered))
    return 100.0 * (1.0 - imbalance) * (1.0 - uncovered)


def _hours(value) -> float:
    """Hours as a float, whether :func:`split_hours` gives them as a timedelta or a number."""
    return value / _HOUR if isinstance(value, timedelta) else float(value)


def _stats(values: list[float]) -> MeasureStats:
    if not values:
        return MeasureStats(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    mean = math.fsum(values) / len(values)
    stdev = math.sqrt(math.fsum((value - mean) ** 2 for value in values) / len(values))
    # Sums of float hours leave crumbs: equal shares must give exactly zero.
    if stdev < 1e-9 * max(1.0, abs(mean)):
        stdev = 0.0
    low, high = min(values), max(values)
    return MeasureStats(
        min=float(low), max=float(high), mean=mean, spread=float(high - low), stdev=stdev,
        cv=stdev / mean if mean > 0 else 0.0,
    )


# -- the report of a team's stored roster ----------------------------------------------

_HOURS = {"type": "number", "minimum": 0}
_COUNT = {"type": "integer", "minimum": 0}
#: One person's row of :meth:`FairnessReport.as_json`.
FAIRNESS_PERSON_RESPONSE = closed_object(
    {
        "id": {"type": "integer", "description": "the person's id"},
        "name": {"type": "string"},
        "shifts": {**_COUNT, "description": "shifts held, wholly or partly, in the period"},
        "hours": {**_HOURS, "description": "hours held in the period"},
        "night_hours": {**_HOURS, "description": "of them, hours between 22:00 and 05:00 local (the CLT's night)"},
        "weekend_hours": {**_HOURS, "description": "of them, hours of a local Saturday or Sunday"},
        "holiday_hours": {**_HOURS, "description": "of them, hours of one of the team's holidays"},
        "overrides_taken": {**_COUNT, "description": "overrides this person took"},
        "overrides_given": {**_COUNT, "description": "overrides that replaced this person"},
    },
    "one person's share of the roster",
)
#: One measure's statistics across people.
FAIRNESS_MEASURE_RESPONSE = closed_object(
    {
        "min": {"type": "number"},
        "max": {"type": "number"},
        "mean": {"type": "number"},
        "spread": {"type": "number", "description": "max − min"},
        "stdev": {"type": "number", "description": "population standard deviation"},
        "cv": {"type": "number", "description": "coefficient of variation: stdev ÷ mean (0 when the mean is 0)"},
    }
)
#: What ``GET /api/v1/teams/{slug}/fairness`` answers (:meth:`FairnessReport.as_json`).
FAIRNESS_RESPONSE = closed_object(
    {
        "team": {"type": "string"},
        "start": DATE_TIME,
        "end": DATE_TIME,
        "roster_until": {
            **DATE_TIME,
            "description": "the figures count the stored roster up to here: `end`, or where the materialized "
            "roster ends if sooner",
        },
        "score": {
            "type": "number", "minimum": 0, "maximum": 100,
            "description": "100 × (1 − imbalance) × (1 − uncovered); 100 is a perfectly even roster without gaps",
        },
        "imbalance": {
            "type": "number", "minimum": 0, "maximum": 1,
            "description": "weighted mean of the coefficients of variation of hours (0.4), night hours (0.2), "
            "weekend hours (0.2), holiday hours (0.1) and shifts (0.1), each capped at 1, over those somebody holds",
        },
        "uncovered": {
            "type": "number", "minimum": 0, "maximum": 1,
            "description": "gap hours ÷ (hours held + gap hours)",
        },
        "gap_hours": {**_HOURS, "description": "hours nobody covered, per role, in the period"},
        "held_hours": {**_HOURS, "description": "hours held by anybody, per role, in the period"},
        "people": {"type": "array", "items": FAIRNESS_PERSON_RESPONSE, "description": "by name"},
        "measures": closed_object({measure: FAIRNESS_MEASURE_RESPONSE for measure in MEASURES}),
    },
    "how evenly the team's roster shares the burden over a period",
)


@dataclass(frozen=True)
class FairnessReport:
    """A team's figures over ``[start, end)``; the stored roster is counted up to ``roster_until``."""

    team: Team
    start: datetime
    end: datetime
    roster_until: datetime
    figures: FairnessMeasures
    names: dict[int, str] = field(default_factory=dict)

    def rows(self) -> list[dict]:
        """One row per person (id, name and each measure), by name."""
        return self.as_json()["people"]

    def as_json(self) -> dict:
        """What the API answers: the figures (people by name), with the team and the period."""
        tz = ZoneInfo(self.team.timezone)
        figures = self.figures.as_json(self.names)
        figures["people"].sort(key=lambda row: (row["name"].lower(), row["id"]))
        return {
            "team": self.team.slug,
            "start": isoformat(self.start, tz),
            "end": isoformat(self.end, tz),
            "roster_until": isoformat(self.roster_until, tz),
            **figures,
        }


class FairnessService:
    """The fairness report of a team's stored roster: its shifts, gaps, members and overrides."""

    def __init__(self, ctx: ServiceContext):
        self.ctx = ctx

    @property
    def dbsession(self):
        return self.ctx.dbsession

    def period(self, tz: ZoneInfo, start: str | None, end: str | None, now: datetime | None = None):
        """The period asked for as ``(start, end)`` UTC, from the texts of the ``start`` and ``end``
        parameters (dates or date-times, read in the team's zone ``tz`` as everywhere in the API).

        Without either, :data:`DEFAULT_BEHIND` before today's local midnight
        to :data:`DEFAULT_AHEAD` after it; with one only, the period lasts as
        long (180 days) from the start or up to the end given.
        Raises :class:`BadRequest` for unreadable values, an end not after the
        start, or a period longer than :data:`MAX_PERIOD`.
        """
        now = now or utcnow()
        midnight = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
        low = _instant("start", start, tz)
        high = _instant("end", end, tz)
        if low is None and high is None:
            low, high = midnight - DEFAULT_BEHIND, midnight + DEFAULT_AHEAD
        elif high is None:
            high = low + DEFAULT_BEHIND + DEFAULT_AHEAD
        elif low is None:
            low = high - DEFAULT_BEHIND - DEFAULT_AHEAD
        if high <= low:
            bounds = {"start": isoformat(low, tz), "end": isoformat(high, tz)}
            raise BadRequest("end must be after start.", bounds, code="interval.order", params=bounds)
        if high - low > MAX_PERIOD:
            raise BadRequest(
                "The period may cover at most 3 years; ask for a shorter one.",
                code="fairness.too_long", params={"years": 3},
            )
        return low.astimezone(timezone.utc), high.astimezone(timezone.utc)

    def report(self, team: Team, start: datetime, end: datetime) -> FairnessReport:
        """The figures of ``team``'s stored roster over ``[start, end)``.

        Only the stored roster is read (the engine runs only to learn whom a
        plain override replaced): shifts and gaps beyond where the roster is
        materialized are not known yet, so the figures stop there
        (``roster_until``).
        """
        tz = ZoneInfo(team.timezone)
        until = end
        if team.materialized_until is not None:
            until = max(start, min(end, team.materialized_until))
        shifts = list(
            self.dbsession.scalars(
                select(Shift)
                .where(Shift.team_id == team.id, Shift.start < until, Shift.end > start)
                .order_by(Shift.start, Shift.id)
                .options(lazyload(Shift.person))
            )
        )
        gaps = gaps_between(self.dbsession, team, start, until) if until > start else []
        gap_hours = sum((min(gap.end, until) - max(gap.start, start)) / _HOUR for gap in gaps)
        roster = RosterService(self.ctx)
        holidays = roster.holidays(team, start.astimezone(tz).year - 1, until.astimezone(tz).year + 1)
        members = self.members(team, start, until)
        given = self.overrides_given(team, start, until) if until > start else {}
        figures = measure_roster(
            shifts, tz=tz, holidays=holidays, start=start, end=until, people=members,
            gap_hours=gap_hours, overrides_given=given,
        )
        ids = [person.person_id for person in figures.people]
        names = dict(self.dbsession.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
        return FairnessReport(team=team, start=start, end=end, roster_until=until, figures=figures, names=names)

    def members(self, team: Team, start: datetime, end: datetime) -> set[int]:
        """The people the team's rotations name in the versions in effect during ``[start, end)``,
        less those who had left by ``start``."""
        named: set[int] = set()
        for rotation in self.dbsession.scalars(
            select(Rotation).where(Rotation.team_id == team.id).options(selectinload(Rotation.versions))
        ):
            if rotation.start >= end:
                continue
            versions = sorted(rotation.versions, key=lambda version: version.effective_from)
            for version, following in zip(versions, [*versions[1:], None]):
                if version.effective_from < end and (following is None or following.effective_from > start):
                    named |= people_named(version.members, version.params)
        if not named:
            return named
        gone = set(
            self.dbsession.scalars(
                select(Person.id).where(
                    Person.id.in_(named), Person.active.is_(False), Person.deactivated_at <= start
                )
            )
        )
        return named - gone

    def overrides_given(self, team: Team, start: datetime, end: datetime) -> dict[int, int]:
        """How many of the overrides overlapping ``[start, end)`` replaced each person.

        Who an override replaced is stored only when it came from a request
        or a swap: a cover request names its requester, and the two
        overrides of a swap give each other's person.  For any other
        override it is whoever the rotations alone (no override) put on the
        role then, as the engine computes it: possibly several people, each
        counting one.
        """
        overrides = list(
            self.dbsession.scalars(
                select(Override).where(Override.team_id == team.id, Override.start < end, Override.end > start)
            )
        )
        if not overrides:
            return {}
        given: dict[int, int] = defaultdict(int)
        requesters = dict(
            self.dbsession.execute(
                select(ShiftRequest.override_id, ShiftRequest.requester_id).where(
                    ShiftRequest.team_id == team.id,
                    ShiftRequest.kind == "cover",
                    ShiftRequest.status == "done",
                    ShiftRequest.override_id.in_([override.id for override in overrides]),
                )
            ).all()
        )
        swap_ids = {override.swap_id for override in overrides if override.swap_id}
        pairs: dict[str, list[Override]] = defaultdict(list)
        if swap_ids:
            for override in self.dbsession.scalars(
                select(Override).where(Override.team_id == team.id, Override.swap_id.in_(swap_ids))
            ):
                pairs[override.swap_id].append(override)
        unknown: list[Override] = []
        for override in overrides:
            if override.id in requesters:
                if requesters[override.id] != override.person_id:
                    given[requesters[override.id]] += 1
                continue
            partners = [other for other in pairs.get(override.swap_id or "", ()) if other.id != override.id]
            if partners:
                for partner in partners:
                    if partner.person_id != override.person_id:
                        given[partner.person_id] += 1
                continue
            unknown.append(override)
        if unknown:
            for person_id, count in self._replaced_by_rotations(team, unknown, start, end).items():
                given[person_id] += count
        return dict(given)

    def _replaced_by_rotations(self, team: Team, overrides: list[Override], start: datetime, end: datetime):
        """Who the rotations alone held each of ``overrides`` (within the period): one each per override."""
        low = max(start, min(override.start for override in overrides))
        high = min(end, max(override.end for override in overrides))
        roster = RosterService(self.ctx)
        data = roster.roster_input(team, since=low, until=high)
        try:
            result = roster_engine.build_roster(
                replace(data, overrides=()), low, high, policies=self.ctx.plugins.policies, rules=self.ctx.plugins.rules
            )
        except (ValueError, ArithmeticError):
            # A roster the engine cannot compute any more (a plugin since
            # removed, say) leaves these overrides' givers unknown, not the report.
            return {}
        given: dict[int, int] = defaultdict(int)
        for override in overrides:
            a, b = max(override.start, low), min(override.end, high)
            holders = {
                shift.person_id
                for shift in result.shifts
                if shift.role == override.role and shift.start < b and shift.end > a
            }
            for person_id in holders - {override.person_id}:
                given[person_id] += 1
        return given


def _instant(name: str, text: str | None, tz: ZoneInfo) -> datetime | None:
    if text is None or text == "":
        return None
    try:
        return parse_instant(text, tz)
    except DateTimeError as error:
        raise BadRequest(f"{name}: {error}", code=error.code, params=error.params) from None

