"""The built-in rotation policies: daily, weekly, custom and split.

They register through the ``register_rotation_policies`` hook like any
third-party policy.  Every handoff is a local wall-clock time in the team's
zone, so a 09:00 handoff stays at 09:00 across daylight-saving changes; the
one exception is ``custom`` counted in hours, which are real elapsed hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from plantao.plugin_api import (
    CLOCK_SCHEMA,
    PolicyContext,
    RotationPolicy,
    Slot,
    hookimpl,
    local_date,
    parse_clock,
    slot_labels,
    wall_clock,
)

MEMBERS = "members"
BUSINESS = "business"
NIGHT = "night"

# Far enough to cross any run of weekends and holidays a real calendar has,
# near enough to fail fast on a calendar where business days never come.
_WORKING_DAY_SEARCH = 366


class BusinessHoursError(ValueError):
    """Business hours that end before they start: a roster the split policy cannot cut.

    Its ``code`` is what the admin panel translates (see ``ServiceError.code``).
    """

    code = "business_hours"


def _handoff_time_schema(default: str = "09:00") -> dict[str, Any]:
    return {
        **CLOCK_SCHEMA,
        "default": default,
        "title": "Handoff time",
        "description": "Local time (HH:MM) at which one shift hands over to the next.",
    }


@dataclass(frozen=True)
class DayGrid:
    """Handoffs at the local times ``times`` (sorted), every ``period`` local days from ``base``.

    With one time that is one handoff every ``period`` days; with several
    (``period`` 1), the day is cut at each of them.
    """

    base: date
    period: int
    times: tuple[time, ...]
    tz: ZoneInfo

    def boundary(self, number: int) -> datetime:
        day, which = divmod(number, len(self.times))
        return wall_clock(self.base + timedelta(days=day * self.period), self.times[which], self.tz)

    def number_at(self, instant: datetime) -> int:
        """The number of the grid interval holding ``instant``."""
        number = (local_date(instant, self.tz) - self.base).days // self.period * len(self.times)
        # The local date is only a first guess: before the first handoff time
        # the instant still belongs to the previous interval.
        while self.boundary(number) > instant:
            number -= 1
        while self.boundary(number + 1) <= instant:
            number += 1
        return number


def grid_slots(grid: DayGrid, ctx: PolicyContext, start: datetime, end: datetime) -> Iterator[Slot]:
    """The slots of ``grid`` over ``[start, end)``: one queue, the rotation's members,
    numbered from the slot holding the anchor."""
    first = grid.number_at(ctx.anchor)
    number = grid.number_at(max(start, ctx.anchor))
    slot_start = grid.boundary(number)
    while slot_start < end:
        slot_end = grid.boundary(number + 1)
        yield Slot(
            start=slot_start,
            end=slot_end,
            queue=MEMBERS,
            candidates=ctx.members,
            index=number - first,
            labels=slot_labels(slot_start, slot_end, ctx.tz, ctx.holidays),
        )
        number += 1
        slot_start = slot_end


class DailyPolicy(RotationPolicy):
    """One shift a day, handed over at the same local time every day."""

    name = "daily"
    title = {"pt-BR": "Diário", "en": "Daily"}
    description = {
        "pt-BR": "Um plantão por dia, com passagem no horário escolhido (09:00 por padrão).",
        "en": "One shift a day, handed over at the chosen local time (09:00 by default).",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"handoff_time": _handoff_time_schema()},
    }

    def slots(self, ctx: PolicyContext, start: datetime, end: datetime) -> Iterator[Slot]:
        """One slot per local day, from one handoff to the next."""
        params = self.defaults(ctx.params)
        grid = DayGrid(local_date(ctx.anchor, ctx.tz), 1, (parse_clock(params["handoff_time"]),), ctx.tz)
        return grid_slots(grid, ctx, start, end)

    def queues(self, ctx: PolicyContext) -> dict[str, tuple[int, ...]]:
        """One queue, the rotation's members (the engine's fast path; see the base class)."""
        return {MEMBERS: ctx.members}


class WeeklyPolicy(RotationPolicy):
    """One shift a week, handed over on the same weekday and local time."""

    name = "weekly"
    title = {"pt-BR": "Semanal", "en": "Weekly"}
    description = {
        "pt-BR": "Um plantão por semana, com passagem no dia da semana e horário escolhidos "
        "(segunda-feira às 09:00 por padrão).",
        "en": "One shift a week, handed over on the chosen weekday and local time "
        "(Monday at 09:00 by default).",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "handoff_weekday": {
                "type": "integer",
                "minimum": 0,
                "maximum": 6,
                # The admin panel offers the day names (Monday ... Sunday).
                "format": "weekday",
                "default": 0,
                "title": "Handoff weekday",
                "description": "Day of the week of the handoff: 0 = Monday ... 6 = Sunday.",
            },
            "handoff_time": _handoff_time_schema(),
        },
    }

    def slots(self, ctx: PolicyContext, start: datetime, end: datetime) -> Iterator[Slot]:
        """One slot per week, from one handoff to the next."""
        params = self.defaults(ctx.params)
        anchor_day = local_date(ctx.anchor, ctx.tz)
        # Any date on the handoff weekday serves as the grid's origin; the
        # one just before the anchor keeps the numbers small.
        base = anchor_day - timedelta(days=(anchor_day.weekday() - params["handoff_weekday"]) % 7)
        grid = DayGrid(base, 7, (parse_clock(params["handoff_time"]),), ctx.tz)
        return grid_slots(grid, ctx, start, end)

    def queues(self, ctx: PolicyContext) -> dict[str, tuple[int, ...]]:
        """One queue, the rotation's members (the engine's fast path; see the base class)."""
        return {MEMBERS: ctx.members}


class CustomPolicy(RotationPolicy):
    """Shifts of any length, in elapsed hours or in local calendar days."""

    name = "custom"
    title = {"pt-BR": "Personalizado", "en": "Custom"}
    description = {
        "pt-BR": "Plantões de qualquer duração, em horas corridas ou em dias do calendário "
        "contados a partir do início do rodízio.",
        "en": "Shifts of any length, in elapsed hours or in calendar days counted from the "
        "start of the rotation.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "length": {
                "type": "integer",
                "minimum": 1,
                # A leap year in hours; in days, far beyond any real turn. The
                # bound keeps date arithmetic away from the end of the calendar.
                "maximum": 8784,
                "default": 1,
                "title": "Length",
                "description": "How many units each shift lasts.",
            },
            "unit": {
                "enum": ["hours", "days"],
                "default": "days",
                "title": "Unit",
                "description": "hours: real elapsed hours from the rotation's start; days: "
                "local calendar days, handed over at handoff_time.",
            },
            "handoff_time": _handoff_time_schema(),
        },
    }

    def slots(self, ctx: PolicyContext, start: datetime, end: datetime) -> Iterator[Slot]:
        """Slots of ``length`` units; days follow the local calendar, hours the clock."""
        params = self.defaults(ctx.params)
        if params["unit"] == "hours":
            return self._hour_slots(ctx, timedelta(hours=params["length"]), start, end)
        grid = DayGrid(
            local_date(ctx.anchor, ctx.tz), params["length"], (parse_clock(params["handoff_time"]),), ctx.tz
        )
        return grid_slots(grid, ctx, start, end)

    @staticmethod
    def _hour_slots(
        ctx: PolicyContext, length: timedelta, start: datetime, end: datetime
    ) -> Iterator[Slot]:
        number = (max(start, ctx.anchor) - ctx.anchor) // length
        slot_start = ctx.anchor + number * length
        while slot_start < end:
            slot_end = slot_start + length
            yield Slot(
                start=slot_start,
                end=slot_end,
                queue=MEMBERS,
                candidates=ctx.members,
                index=number,
                labels=slot_labels(slot_start, slot_end, ctx.tz, ctx.holidays),
            )
            number += 1
            slot_start = slot_end

    def queues(self, ctx: PolicyContext) -> dict[str, tuple[int, ...]]:
        """One queue, the rotation's members (the engine's fast path; see the base class)."""
        return {MEMBERS: ctx.members}


class SplitPolicy(RotationPolicy):
    """Business hours and off-hours as two rotations in one, each with its own order.

    Off-hours run from the end of one working day's business hours to the
    start of the next working day's, so a weekend is one slot (Friday 18:00
    to Monday 09:00) and a holiday stretches the slot around it.
    """

    name = "split"
    title = {"pt-BR": "Expediente e sobreaviso", "en": "Business hours and off-hours"}
    description = {
        "pt-BR": "Divide o plantão em horário comercial e fora dele (noites, fins de semana "
        "e feriados), cada um com sua própria fila de pessoas.",
        "en": "Splits duty into business hours and off-hours (nights, weekends and "
        "holidays), each with its own member queue.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "business_start": {
                **CLOCK_SCHEMA,
                "default": "09:00",
                "title": "Business hours start",
                "description": "Local time (HH:MM) at which business hours begin.",
            },
            "business_end": {
                **CLOCK_SCHEMA,
                "default": "18:00",
                "title": "Business hours end",
                "description": "Local time (HH:MM) at which business hours end; after "
                "business_start.",
            },
            "business_days": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 6, "format": "weekday"},
                "uniqueItems": True,
                "minItems": 1,
                "default": [0, 1, 2, 3, 4],
                "title": "Business days",
                "description": "Days of the week with business hours: 0 = Monday ... "
                "6 = Sunday.  Holidays never have business hours.",
            },
            "business_members": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                "uniqueItems": True,
                "maxItems": 200,
                "default": [],
                # Rarely set (empty means the rotation's members): under "More options".
                "x-advanced": True,
                "title": "Business-hours members",
                "description": "Person ids, in order, for business hours; empty means the "
                "rotation's members.",
            },
            "night_members": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                "uniqueItems": True,
                "maxItems": 200,
                "default": [],
                # Rarely set (empty means the rotation's members): under "More options".
                "x-advanced": True,
                "title": "Off-hours members",
                "description": "Person ids, in order, for nights, weekends and holidays; "
                "empty means the rotation's members.",
            },
        },
    }

    def slots(self, ctx: PolicyContext, start: datetime, end: datetime) -> Iterator[Slot]:
        """Alternating off-hours and business slots, numbered per queue from the anchor."""
        params = self.defaults(ctx.params)
        opens = parse_clock(params["business_start"])
        closes = parse_clock(params["business_end"])
        if not opens < closes:
            raise BusinessHoursError("split: business_end must be after business_start")
        business_days = frozenset(params["business_days"])
        members = self.queues(ctx)

        def is_working(day: date) -> bool:
            return day.weekday() in business_days and day not in ctx.holidays

        def next_working(day: date, step: int) -> date:
            for _ in range(_WORKING_DAY_SEARCH):
                day += timedelta(days=step)
                if is_working(day):
                    return day
            raise ValueError(f"split: no business day within {_WORKING_DAY_SEARCH} days of {day}")

        # Slots are numbered from the anchor, so walk from the working day
        # before it, whose evening opens the off-hours slot that may hold it.
        start = max(start, ctx.anchor)
        numbers = {BUSINESS: 0, NIGHT: 0}
        day = next_working(local_date(ctx.anchor, ctx.tz), -1)
        night_start = wall_clock(day, closes, ctx.tz)
        while True:
            day = next_working(day, 1)
            business_start = wall_clock(day, opens, ctx.tz)
            business_end = wall_clock(day, closes, ctx.tz)
            if business_end <= business_start:
                # The clocks jumped over these business hours (02:00-03:00
                # on a spring-forward night): the off-hours slot goes on.
                continue
            for queue, slot_start, slot_end in (
                (NIGHT, night_start, business_start),
                (BUSINESS, business_start, business_end),
            ):
                if slot_end <= ctx.anchor:
                    continue
                if slot_start >= end:
                    return
                if slot_end > start:
                    yield Slot(
                        start=slot_start,
                        end=slot_end,
                        queue=queue,
                        candidates=members[queue],
                        index=numbers[queue],
                        labels=slot_labels(slot_start, slot_end, ctx.tz, ctx.holidays),
                    )
                numbers[queue] += 1
            night_start = business_end

    def queues(self, ctx: PolicyContext) -> dict[str, tuple[int, ...]]:
        """Business hours and off-hours, each with its order (the engine's fast path)."""
        params = self.defaults(ctx.params)
        return {
            BUSINESS: tuple(params["business_members"]) or ctx.members,
            NIGHT: tuple(params["night_members"]) or ctx.members,
        }


@hookimpl
def register_rotation_policies() -> list[RotationPolicy]:
    """The built-in rotation policies."""
    return [DailyPolicy(), WeeklyPolicy(), CustomPolicy(), SplitPolicy()]
