"""Rotation policies: how a rotation's time is cut into slots.

A policy answers one question: given the rotation's start, members and
parameters, which slots are there between two instants, and which member
queue does each slot draw from?  Who gets each slot is the engine's job
(:mod:`plantao.engine.roster`), so a policy is a pure, small piece of
calendar arithmetic that a plugin can provide through the
``register_rotation_policies`` hook.

Local wall-clock times are turned into instants by :func:`wall_clock`, whose
rule at daylight-saving transitions every built-in follows: a time that does
not exist (the hour skipped in spring) is read with the offset in force
before the jump, which moves it forward by the length of the jump (02:30
becomes 03:30), and a time that happens twice (the hour repeated in autumn)
is the first of the two.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import jsonschema

from plantao.engine.model import as_utc

LANGUAGES: tuple[str, ...] = ("pt-BR", "en")
SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

# A JSON Schema fragment for "HH:MM" local times, shared by the built-ins so
# that they all accept and document times in the same way.
CLOCK_SCHEMA: dict[str, Any] = {"type": "string", "pattern": CLOCK.pattern}


def parse_clock(value: str) -> time:
    """Parse a ``"HH:MM"`` local time as found in policy parameters."""
    if not isinstance(value, str) or not CLOCK.match(value):
        raise ValueError(f"expected a time as HH:MM, got {value!r}")
    return time.fromisoformat(value)


def wall_clock(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the clocks in ``tz`` show ``at`` on ``day``.

    ``fold=0`` is forced so that DST transitions resolve the same way
    everywhere: a skipped time moves forward by the jump, a repeated time is
    its first occurrence.
    """
    local = datetime.combine(day, at.replace(tzinfo=None, fold=0), tzinfo=tz)
    return local.astimezone(timezone.utc)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The date the clocks in ``tz`` show at ``instant``."""
    return instant.astimezone(tz).date()


def slot_labels(
    start: datetime, end: datetime, tz: ZoneInfo, holidays: Mapping[date, str]
) -> frozenset[str]:
    """Labels (``"holiday"``, ``"weekend"``) of the local dates a slot is mostly about.

    A slot takes the labels of a date when at least half of the slot falls
    on that date, or when it covers at least half of that date.  So a daily
    09:00-09:00 shift starting on Friday is not a weekend shift, a night
    21:00-09:00 into Christmas is a holiday shift, and a week always holds
    its weekend.
    """
    labels: set[str] = set()
    length = end - start
    day = local_date(start, tz)
    last = local_date(end, tz)
    while day <= last:
        day_start = wall_clock(day, time(0), tz)
        day_end = wall_clock(day + timedelta(days=1), time(0), tz)
        covered = min(end, day_end) - max(start, day_start)
        if covered > timedelta(0) and (2 * covered >= length or 2 * covered >= day_end - day_start):
            if day in holidays:
                labels.add("holiday")
            if day.weekday() >= 5:
                labels.add("weekend")
        day += timedelta(days=1)
    return frozenset(labels)


class Declaration:
    """What policies and rules share: a name, translated texts and parameters.

    ``params_schema`` is a JSON Schema (draft 2020-12) object schema where
    every property has a ``default``, so ``{}`` is always valid parameters
    and :meth:`defaults` can fill in whatever the user left out.
    """

    name: ClassVar[str]
    title: ClassVar[Mapping[str, str]]
    description: ClassVar[Mapping[str, str]]
    params_schema: ClassVar[Mapping[str, Any]] = {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }

    def defaults(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return ``params`` with every missing property set to its schema default."""
        filled = dict(params or {})
        for key, schema in self.params_schema.get("properties", {}).items():
            if key not in filled and "default" in schema:
                # Copied so that a caller mutating its params cannot change
                # the default for everybody else.
                filled[key] = copy.deepcopy(schema["default"])
        return filled

    def validate(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check ``params`` against the schema and return them with defaults.

        Raises :class:`ValueError` with the schema's own message when they
        are invalid, naming this declaration.
        """
        validator = jsonschema.Draft202012Validator(self.params_schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(dict(params or {})))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path)
            suffix = f" (at {where})" if where else ""
            raise ValueError(f"invalid parameters for {self.name!r}{suffix}: {error.message}")
        return self.defaults(params)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'name', '?')!r}>"


@dataclass(frozen=True, kw_only=True)
class Slot:
    """A stretch of time to be covered by one member of one queue.

    ``queue`` names the member queue the slot draws from (most policies have
    one, ``"members"``; ``split`` has ``"business"`` and ``"night"``) and
    ``candidates`` is that queue's members in rotation order.  ``index`` is
    the slot's ordinal within its queue, counted from the slot that holds the
    anchor (0).  ``labels`` carries facts rules may care about, such as
    ``"holiday"`` or ``"weekend"``.  Instants are stored in UTC.
    """

    start: datetime
    end: datetime
    queue: str
    candidates: tuple[int, ...]
    index: int
    labels: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start, "slot start"))
        object.__setattr__(self, "end", as_utc(self.end, "slot end"))
        object.__setattr__(self, "candidates", tuple(self.candidates))
        object.__setattr__(self, "labels", frozenset(self.labels))
        if not self.start < self.end:
            raise ValueError(f"a slot must end after it starts: {self!r}")


@dataclass(frozen=True, kw_only=True)
class PolicyContext:
    """What a policy knows about the rotation it cuts into slots.

    ``params`` already has its defaults filled; ``members`` is the rotation's
    member order in the version being scheduled.
    """

    tz: ZoneInfo
    anchor: datetime
    params: Mapping[str, Any]
    members: tuple[int, ...]
    holidays: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "anchor", as_utc(self.anchor, "anchor"))


class RotationPolicy(Declaration):
    """Base class of rotation policies, as returned by ``register_rotation_policies``.

    Subclasses set ``name`` (a slug), ``title`` and ``description`` (dicts
    with ``"pt-BR"`` and ``"en"``), ``params_schema`` and implement
    :meth:`slots`.  ``plantao.testing.RotationPolicyContract`` checks all of
    it; run it on your policy.
    """

    def slots(self, ctx: PolicyContext, start: datetime, end: datetime) -> Iterator[Slot]:
        """Yield, in order, the slots overlapping ``[start, end)``.

        Slots must be contiguous and not overlap, and must not depend on the
        window asked for: the slot holding an instant is always the same.
        The first slot may start before the anchor (the engine cuts it
        there); the engine never asks about time before the anchor, so a
        policy may treat a ``start`` before it as the anchor.  The generator
        must be lazy: the engine stops reading when it has what it needs.
        """
        raise NotImplementedError
