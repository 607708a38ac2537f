"""Everything a Plantão plugin author imports: the one public plugin API.

A plugin is a module with :data:`hookimpl` functions registered through the
``plantao`` entry-point group (see :mod:`plantao.hookspecs` and
``docs/plugins.md``).  Each ``register_*`` hook returns *declarations*,
instances of one of the four kind bases below, all built on
:class:`Declaration`:

- :class:`RotationPolicy` cuts a rotation's time into :class:`Slot` s;
- :class:`SchedulingRule` decides who may take a slot, and who should;
- :class:`NotificationChannel` sends a rendered :class:`Message`;
- :class:`ExportFormat` renders a feed's :class:`ExportShift` s.

What a plugin receives is plain, frozen data (:class:`PersonView` with the
contacts the reader may not see already blanked out, :class:`ExportShift`,
:class:`Message`): a plugin never reaches the database or the request.  So
this module imports nothing from the services, the models or the views, and
neither SQLAlchemy nor Pyramid (``tests/unit/test_layers.py`` checks it);
the engine, the services and the older import paths
(``plantao.engine.policies``, ``plantao.exports``, ...) import from here.
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, ClassVar, Protocol
from zoneinfo import ZoneInfo

import jsonschema
from jsonschema import Draft202012Validator

# Re-exported: the decorator of every hook, and how the API writes an instant
# in a zone (export formats write it the same way).
from .datetimes import isoformat
from .hookspecs import hookimpl
# CSV in the dialects Excel opens (excel-br, excel): every CSV of the
# product, export formats' included, writes through these.
from .spreadsheets import DIALECTS, Column, dialect_language, dialect_param, render_csv, spreadsheet_safe
# What a person reads for a role, in a language: formats and channels print
# roles through it, as the pages and notifications do.
from .role_labels import role_label

__all__ = [
    "CLOCK",
    "DIALECTS",
    "CLOCK_SCHEMA",
    "FULL_CONTACTS",
    "LANGUAGES",
    "MASK",
    "NO_CONTACTS",
    "ON_DUTY_CONTACTS",
    "SLUG",
    "AssignmentHistory",
    "AssignmentWindow",
    "Column",
    "ContactPolicy",
    "Contacts",
    "Declaration",
    "DeliveryError",
    "ExportContext",
    "ExportFormat",
    "ExportShift",
    "ExportTeam",
    "LeaveCalendar",
    "LeaveSpec",
    "Message",
    "NotificationChannel",
    "PersonView",
    "PolicyContext",
    "RotationPolicy",
    "RuleContext",
    "SchedulingRule",
    "SendAttempt",
    "Slot",
    "Variable",
    "WindowAssignment",
    "WindowSlot",
    "WorkedShift",
    "as_utc",
    "dialect_language",
    "dialect_param",
    "hookimpl",
    "is_masked",
    "isoformat",
    "local_date",
    "mask_secret",
    "parse_clock",
    "render_csv",
    "role_label",
    "slot_labels",
    "spreadsheet_safe",
    "wall_clock",
]


# -- declarations ---------------------------------------------------------------------


LANGUAGES: tuple[str, ...] = ("pt-BR", "en")
SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

def as_utc(value: datetime, what: str = "datetime") -> datetime:
    """Return ``value`` in UTC, refusing naive datetimes.

    A naive datetime has no defined instant, and guessing a zone here would
    silently move shifts by hours, so it is an error.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware: {value!r}")
    return value.astimezone(timezone.utc)


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


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True)
class Variable:
    """An environment variable a plugin reads, declared in its ``variables``.

    Plugins never read ``os.environ``: the configuration door
    (:mod:`plantao.config`) reads every declared variable from the same
    places as the core ones, checks it with them at start-up (one message
    for every error) and hands the values over in
    ``settings.plugin_variables`` (name -> value), which a channel reads in
    :meth:`NotificationChannel.defaults`.  ``plantao check`` lists them.

    ``schema`` is a JSON Schema of one value: ``{"type": "integer",
    "minimum": 1}``, ``{"type": "boolean"}``, ``{"enum": [...]}`` (read
    case-insensitively) or strings with any string keyword.  ``default`` is
    the text used when the variable is unset or blank (``None``: no value).
    A ``secret`` value is taken exactly as given, surrounding spaces included.
    """

    name: str
    description: str
    default: str | None = None
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    secret: bool = False

    def parse(self, raw: str | None) -> Any:
        """The value of ``raw`` (``None``: unset); :class:`ValueError` naming the variable if wrong."""
        text = raw if self.secret or raw is None else raw.strip()
        if text is None or text.strip() == "":
            text = self.default
        if text is None:
            return None
        types = self.schema.get("type", "string")
        types = [types] if isinstance(types, str) else list(types)
        if "integer" in types:
            try:
                value: Any = int(text)
            except ValueError:
                raise ValueError(f"{self.name} must be a whole number, got {text!r}") from None
            low, high = self.schema.get("minimum"), self.schema.get("maximum")
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{self.name} must be between {low} and {high}, got {value}")
        elif "boolean" in types:
            if text.lower() not in _TRUE | _FALSE:
                raise ValueError(f"{self.name} must be true or false, got {text!r}")
            value = text.lower() in _TRUE
        elif "enum" in self.schema:
            value = text.lower()
            if value not in self.schema["enum"]:
                choices = ", ".join(str(choice) for choice in self.schema["enum"])
                raise ValueError(f"{self.name} must be one of {choices}, got {value!r}")
        else:
            value = text
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(dict(self.schema)).iter_errors(value)
        )
        if error is not None:
            raise ValueError(f"{self.name}: {error.message}")
        return value


class Declaration:
    """What every plugin declaration shares: a name, translated texts and parameters.

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
    #: True lets this declaration take the place of a built-in of the same
    #: name (from the ``plantao_plugins`` distribution) instead of stopping
    #: start-up with a clash.  Two third-party declarations never replace
    #: each other.
    replaces_builtin: ClassVar[bool] = False
    #: The environment variables this declaration reads (see :class:`Variable`).
    variables: ClassVar[tuple[Variable, ...]] = ()

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
        self._check_params(params)
        return self.defaults(params)

    def _check_params(self, params: Mapping[str, Any] | None) -> None:
        validator = jsonschema.Draft202012Validator(self.params_schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(dict(params or {})))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path)
            suffix = f" (at {where})" if where else ""
            raise ValueError(f"invalid parameters for {self.name!r}{suffix}: {error.message}")

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

    def queues(self, ctx: PolicyContext) -> Mapping[str, tuple[int, ...]] | None:
        """Optional fast path: every queue's candidates, when they are fixed.

        Return a mapping from each queue the policy draws on to the
        candidates its slots carry, only if, under ``ctx``, every slot of a
        queue carries exactly those candidates and ``Slot.index`` counts the
        queue's slots from the anchor (which the contract checks).  The
        engine may then reach a window far from the rotation's anchor by
        arithmetic instead of replaying every slot since (when the rules
        and leave allow it).  The default, ``None``, keeps the replay, so a
        policy that does not implement this works exactly as before.
        """
        return None

    #: Opt-in scheduling rules this policy refuses (a rotation choosing one is
    #: answered 422): a policy that already does a rule's job names it here.
    incompatible_rules: ClassVar[frozenset[str]] = frozenset()

    def assign(self, window: AssignmentWindow) -> WindowAssignment | None:
        """Optional: choose who takes every slot of a whole planning window at once.

        The default (``None``) leaves each slot to the engine, which fills
        them one by one from the queue, as every built-in policy but ``fair``
        does.  A policy that overrides this (an optimising one) gets the
        window's slots with what is already decided, the stored assignment,
        the hours people worked before, leave and the rules in force, and
        returns one person (or ``None``, nobody) per slot.  Returning
        ``WindowAssignment(people=None, ...)`` hands the window back to the
        engine's queue (a fallback), with the report still recorded.  The
        engine then checks every rule in force on the answer, and reports
        each refusal as a conflict.  The answer must depend only on
        ``window``: the same window must give the same people.
        """
        return None

    @property
    def assigns(self) -> bool:
        """Whether this policy overrides :meth:`assign` (the engine asks it for whole windows)."""
        return type(self).assign is not RotationPolicy.assign

    def planning_days(self, params: Mapping[str, Any]) -> int:
        """How many days a window handed to :meth:`assign` spans at least (the
        materialization horizon may make it longer); read only when :attr:`assigns`."""
        return 90

    def history_days(self, params: Mapping[str, Any]) -> int:
        """How many days of the team's past shifts :meth:`assign` reads (``AssignmentWindow.worked``)."""
        return 0


@dataclass(frozen=True, kw_only=True)
class WorkedShift:
    """Somebody on duty in the team from ``start`` to ``end``: what a window's planner
    knows of the past (and of the team's other rotations) to balance hours."""

    person_id: int
    start: datetime
    end: datetime
    labels: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class WindowSlot:
    """One slot of a planning window.

    ``slot`` spans the time actually worked (a restriction's inactive hours
    cut off); ``params`` are the policy's parameters and ``rules`` the
    scheduling rules in force (name to parameters, defaults filled, the
    ``always_on`` ones included) under the rotation version in effect at its
    start; ``candidates`` are the active people who may be asked (the queue's
    members, without those who left).  ``fixed`` is who already holds it
    (it began before the window, or it is kept as stored): the planner must
    keep it.  ``previous`` is who the stored roster gives it: keeping it
    makes a regeneration stable.
    """

    slot: Slot
    params: Mapping[str, Any]
    rules: Mapping[str, Mapping[str, Any]]
    candidates: tuple[int, ...]
    fixed: int | None = None
    previous: int | None = None


@dataclass(frozen=True, kw_only=True)
class AssignmentWindow:
    """What :meth:`RotationPolicy.assign` plans: a rotation's slots from ``start`` to ``end``.

    ``history`` is the rotation's own assignment before the window, as the
    scheduling rules read it (last shift, streak, label counts);
    ``worked`` the team's shifts (any rotation, override or role) that
    ended before the window, newest last, for balancing hours over a
    lookback; ``busy`` the shifts of the team's other rotations overlapping
    the window (nobody is in two places at once).  ``hint`` is the engine's
    own queue answer for the window's slots (a feasible round robin where the
    rules allow), which an optimiser may start from.
    """

    rotation_id: int
    tz: ZoneInfo
    start: datetime
    end: datetime
    slots: tuple[WindowSlot, ...]
    holidays: Mapping[date, str] = field(default_factory=dict)
    leaves: LeaveCalendar = field(default_factory=lambda: LeaveCalendar())
    history: AssignmentHistory = field(default_factory=lambda: AssignmentHistory())
    worked: tuple[WorkedShift, ...] = ()
    busy: tuple[WorkedShift, ...] = ()
    hint: tuple[int | None, ...] = ()


@dataclass(frozen=True)
class WindowAssignment:
    """A planner's answer: one person (or ``None``) per slot of the window, in order.

    ``people=None`` hands the window back to the engine's queue (its roster
    is ``AssignmentWindow.hint``, decided slots kept).  ``report``
    is kept with the rotation and shown in its API answer (``fair`` gives
    ``{"status", "objective", "seconds"}``).
    """

    people: tuple[int | None, ...] | None
    report: Mapping[str, Any] = field(default_factory=dict)
    #: ``(slot position, constraint, message)`` for each of its own
    #: constraints the answer (or, handed back, the queue's roster) breaks:
    #: reported as conflicts with the rules' ones.
    conflicts: tuple[tuple[int, str, str], ...] = ()


# -- scheduling rules -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LeaveSpec:
    """A person is away (vacation, sick leave...) from ``start`` to ``end`` (UTC)."""

    person_id: int
    start: datetime
    end: datetime
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", as_utc(self.start, "start"))
        object.__setattr__(self, "end", as_utc(self.end, "end"))
        if not self.start < self.end:
            raise ValueError(f"a leave must end after it starts: {self!r}")


class LeaveCalendar:
    """Everybody's leaves, indexed so that "is X away then?" is a quick question."""

    def __init__(self, leaves: Iterable[LeaveSpec] = ()) -> None:
        by_person: dict[int, list[LeaveSpec]] = defaultdict(list)
        for leave in leaves:
            by_person[leave.person_id].append(leave)
        self._leaves: dict[int, tuple[LeaveSpec, ...]] = {}
        self._starts: dict[int, list[datetime]] = {}
        # The latest end among the leaves up to each position lets one
        # bisection answer an overlap query, instead of a scan per slot.
        self._reach: dict[int, list[datetime]] = {}
        for person, items in by_person.items():
            items.sort(key=lambda leave: (leave.start, leave.end))
            self._leaves[person] = tuple(items)
            self._starts[person] = [leave.start for leave in items]
            reach: list[datetime] = []
            for leave in items:
                reach.append(max(reach[-1], leave.end) if reach else leave.end)
            self._reach[person] = reach

    def of(self, person_id: int) -> tuple[LeaveSpec, ...]:
        """The person's leaves, sorted by start."""
        return self._leaves.get(person_id, ())

    def overlaps(self, person_id: int, start: datetime, end: datetime) -> bool:
        """True when the person is on leave at some time in ``[start, end)``."""
        starts = self._starts.get(person_id)
        if not starts:
            return False
        count = bisect_left(starts, end)
        return count > 0 and self._reach[person_id][count - 1] > start


class AssignmentHistory:
    """What a rotation has assigned so far, in time order, with running counters.

    The counters are kept up to date on every assignment so that rules stay
    constant-time per slot even for a rotation that started years ago.
    """

    def __init__(self) -> None:
        self._entries: list[tuple[Slot, int]] = []
        self._last_end: dict[int, datetime] = {}
        self._counts: Counter[int] = Counter()
        self._labels: dict[str, Counter[int]] = defaultdict(Counter)
        self._streak_person: int | None = None
        self._streak_length = 0

    def record(self, slot: Slot, person_id: int) -> None:
        """Add an assignment; slots must be recorded in time order."""
        self._entries.append((slot, person_id))
        self._last_end[person_id] = max(slot.end, self._last_end.get(person_id, slot.end))
        self._counts[person_id] += 1
        for label in slot.labels:
            self._labels[label][person_id] += 1
        if person_id == self._streak_person:
            self._streak_length += 1
        else:
            self._streak_person, self._streak_length = person_id, 1

    @property
    def entries(self) -> Sequence[tuple[Slot, int]]:
        """Every ``(slot, person_id)`` so far, oldest first (read it, do not change it)."""
        return self._entries

    def last_end(self, person_id: int) -> datetime | None:
        """When the person's latest shift in this rotation ended, if any."""
        return self._last_end.get(person_id)

    def count(self, person_id: int) -> int:
        """How many slots the person has taken in this rotation."""
        return self._counts[person_id]

    def label_count(self, person_id: int, label: str) -> int:
        """How many slots carrying ``label`` (e.g. ``"holiday"``) the person has taken."""
        return self._labels[label][person_id] if label in self._labels else 0

    def streak(self, person_id: int) -> int:
        """How many of the latest slots in a row the person took (0 if not the latest)."""
        return self._streak_length if person_id == self._streak_person else 0


@dataclass(frozen=True, kw_only=True)
class RuleContext:
    """What a rule may read while the engine fills one rotation's slots.

    ``params`` are this rule's parameters with defaults filled; ``history``
    covers the rotation being scheduled only.
    """

    tz: ZoneInfo
    params: Mapping[str, Any]
    history: AssignmentHistory = field(default_factory=AssignmentHistory)
    leaves: LeaveCalendar = field(default_factory=LeaveCalendar)
    holidays: Mapping[date, str] = field(default_factory=dict)
    rotation_id: int | None = None


class SchedulingRule(Declaration):
    """Base class of scheduling rules, as returned by ``register_scheduling_rules``.

    Subclasses set ``name``, ``title``, ``description``, ``params_schema``
    and ``always_on``, and override :meth:`allows`, :meth:`rank` or both.
    When no member satisfies every rule, the engine first relaxes the opt-in
    rules (and reports a conflict); ``always_on`` rules are never relaxed.
    """

    always_on: ClassVar[bool] = False
    #: True when :meth:`allows` looks at nothing but the members' leave (and
    #: the rule does not rank): a stretch without leave is then plain round
    #: robin, and the engine may jump over it instead of replaying it slot by
    #: slot.  Leave it False when in doubt: it only costs speed.
    judges_leave_only: ClassVar[bool] = False

    def allows(self, ctx: RuleContext, person_id: int, slot: Slot) -> bool:
        """Whether the person may take the slot; a hard constraint."""
        return True

    def rank(self, ctx: RuleContext, candidates: list[int], slot: Slot) -> list[int]:
        """Reorder the members allowed to take the slot, best first.

        ``candidates`` arrive in queue order; the sort must be stable so that
        ties keep it, which is what keeps a rotation fair.
        """
        return list(candidates)

    @property
    def ranks(self) -> bool:
        """Whether this rule overrides :meth:`rank` (the engine skips it otherwise)."""
        return type(self).rank is not SchedulingRule.rank

# -- people and their contacts --------------------------------------------------------


@dataclass(frozen=True)
class PersonView:
    """A detached snapshot of a person, safe to keep across requests and threads.

    What a plugin gets already shows only the contacts its reader may see
    (the others are ``None`` or empty).
    """

    id: int
    name: str
    email: str | None
    phone: str | None
    telegram_chat_id: str | None
    chat: dict
    active: bool

    def as_json(self) -> dict:
        """The person as the API shows it (with the contacts this view holds)."""
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "telegram_chat_id": self.telegram_chat_id,
            "chat": dict(self.chat or {}),
            "active": self.active,
        }


@dataclass(frozen=True)
class Contacts:
    """The contacts of one person that one reader may see (``None``/empty: hidden)."""

    email: str | None = None
    phone: str | None = None
    telegram_chat_id: str | None = None
    chat: dict = field(default_factory=dict)


class OnDutyLookup(Protocol):
    """Who is on call now or next (``plantao.services.contacts.OnDuty`` is one)."""

    def covers(self, person_id: int, team_id: int | None = None, role: str | None = None) -> bool: ...


@dataclass(frozen=True)
class ContactPolicy:
    """Which personal contacts a kind of reader may see.

    ``phone`` covers the phone and every chat handle (Telegram's included);
    with ``on_duty_only`` they show only for people on call now or next
    (see :class:`OnDuty`), and for nobody when who that is is not known.
    """

    email: bool = True
    phone: bool = True
    on_duty_only: bool = False

    @classmethod
    def for_reader(cls, is_authenticated: bool, public_contacts: bool) -> ContactPolicy:
        """Logged-in readers (and feed links) see all; anonymous ones, the on-duty phones."""
        if is_authenticated:
            return FULL_CONTACTS
        return ON_DUTY_CONTACTS if public_contacts else NO_CONTACTS

    def for_export(self) -> ContactPolicy:
        """The policy of an export body, which is cached per roster revision and
        so cannot follow handoffs: "now and next only" becomes "none"."""
        return NO_CONTACTS if self.on_duty_only else self

    def shown(
        self,
        person,
        on_duty: OnDutyLookup | None = None,
        team_id: int | None = None,
        role: str | None = None,
    ) -> Contacts:
        """What of ``person``'s contacts this reader sees (in ``team_id``/``role`` when given)."""
        phone = self.phone and (
            not self.on_duty_only or (on_duty is not None and on_duty.covers(person.id, team_id, role))
        )
        return Contacts(
            email=person.email if self.email else None,
            phone=person.phone if phone else None,
            telegram_chat_id=person.telegram_chat_id if phone else None,
            chat=dict(person.chat or {}) if phone else {},
        )


FULL_CONTACTS = ContactPolicy(email=True, phone=True)
NO_CONTACTS = ContactPolicy(email=False, phone=False)
ON_DUTY_CONTACTS = ContactPolicy(email=False, phone=True, on_duty_only=True)


# -- export formats -------------------------------------------------------------------


@dataclass(frozen=True)
class ExportTeam:
    """The team a shift belongs to."""

    id: int
    slug: str
    name: str
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ExportShift:
    """One shift of a feed, as the ``shifts`` API returns it, plus what calendars need.

    ``person`` already has the contacts the reader may not see blanked out
    (an anonymous reader's feed has none).
    ``key`` is the shift's stable identity within its team (kept when only
    the holder changes), ``sequence`` grows with each reassignment and
    ``updated_at`` is when the stored shift last changed.  ``reason`` is the
    override's reason, empty for other shifts.
    """

    id: int
    team: ExportTeam
    role: str
    person: PersonView
    start: datetime
    end: datetime
    source: str
    rotation_id: int | None
    override_id: int | None
    key: str
    sequence: int
    updated_at: datetime
    reason: str = ""

    @property
    def is_override(self) -> bool:
        return self.source == "override"

    def as_json(self) -> dict:
        """The shift exactly as ``GET .../shifts`` shows it, plus the team's slug."""
        tz = self.team.tz
        return {
            "id": self.id,
            "team": self.team.slug,
            "role": self.role,
            "person": self.person.as_json(),
            "start": isoformat(self.start, tz),
            "end": isoformat(self.end, tz),
            "source": self.source,
            "rotation_id": self.rotation_id,
            "override_id": self.override_id,
        }


@dataclass(frozen=True)
class ExportContext:
    """Everything about a feed except its shifts.

    ``teams`` are the teams whose shifts appear (one for a team feed, those
    of the person's shifts for a person feed); ``team`` is set for a team
    feed and ``person`` for a person feed.  ``timezone`` is the feed's zone:
    the team's, or ``PLANTAO_TIMEZONE`` for a person.  ``params`` are the
    format's parameters from the query string, validated against its
    ``params_schema`` with the defaults filled in.  ``url`` is the feed's
    address without its secret token, ``domain`` names this installation in
    identifiers (iCalendar UIDs), and ``generated_at`` is when the body is
    rendered (formats that want the same bytes for the same roster should
    not print it).
    """

    title: str
    timezone: str
    start: datetime
    end: datetime
    teams: tuple[ExportTeam, ...]
    team: ExportTeam | None = None
    person: PersonView | None = None
    role: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    url: str = ""
    domain: str = "plantao.local"
    generated_at: datetime | None = None
    contacts: ContactPolicy = FULL_CONTACTS

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ExportFormat(Declaration):
    """Base class of export formats; subclass it and register through the hook.

    Set ``name`` (the ``{format}`` of the URL), ``title`` and ``description``
    (``{"pt-BR": ..., "en": ...}``), ``params_schema`` (a JSON Schema whose
    every property has a default: its properties are read from the query
    string, integers and booleans converted), ``media_type`` (sent as the
    Content-Type, with ``charset`` for text types) and ``extension`` (of the
    downloaded file's name), and implement :meth:`render`.
    """

    name: str = ""
    title: dict[str, str] = {}
    description: dict[str, str] = {}
    params_schema: dict = {"type": "object", "additionalProperties": False, "properties": {}}
    media_type: str = "application/octet-stream"
    extension: str = "bin"
    #: Sent in the Content-Type of text media types.
    charset: str | None = "utf-8"

    def render(self, shifts: Sequence[ExportShift], context: ExportContext) -> bytes:
        """The body of the feed: ``shifts`` (ordered by start, then id) rendered."""
        raise NotImplementedError

    @property
    def content_type(self) -> str:
        """The Content-Type header: the media type, with the charset of text types."""
        if self.charset and self.media_type.startswith("text/"):
            return f"{self.media_type}; charset={self.charset}"
        return self.media_type

    def params(self, raw: Mapping[str, str]) -> dict:
        """The parameters of this format from query-string values, defaults filled in.

        Raises :class:`ValueError` with a plain message when a value is wrong.
        """
        properties = self.params_schema.get("properties", {})
        # Calendar clients poll the same URL over and over: remember its answer.
        raw_key = tuple(raw.get(name) for name in properties)
        cache = self.__dict__.setdefault("_params_cache", {})
        if raw_key in cache:
            return dict(cache[raw_key])
        values: dict[str, Any] = {}
        for name, schema in properties.items():
            text = raw.get(name)
            if text is None or text == "":
                if "default" in schema:
                    values[name] = schema["default"]
                continue
            values[name] = _coerce(name, text, schema)
        errors = sorted(Draft202012Validator(self.params_schema).iter_errors(values), key=lambda e: e.path)
        if errors:
            error = errors[0]
            where = ".".join(str(p) for p in error.absolute_path) or "parameters"
            raise ValueError(f"{where}: {error.message}")
        if len(cache) < 256:
            cache[raw_key] = dict(values)
        return values


def _coerce(name: str, text: str, schema: dict) -> Any:
    types = schema.get("type", "string")
    types = [types] if isinstance(types, str) else list(types)
    if "integer" in types:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, got {text!r}") from None
    if "boolean" in types:
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise ValueError(f"{name} must be true or false, got {text!r}")
    return text


# -- notification channels ------------------------------------------------------------


#: Shown instead of a secret parameter's value.
MASK = "********"


class DeliveryError(Exception):
    """Sending failed.  ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    """A notification rendered for one recipient, in their language."""

    kind: str
    subject: str
    text: str
    html: str
    language: str
    #: The event's data as JSON (what the webhook channel posts).
    data: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "text": self.text,
            "html": self.html,
            "language": self.language,
            "data": self.data,
        }

    @classmethod
    def from_json(cls, data: dict) -> Message:
        return cls(**{name: data[name] for name in ("kind", "subject", "text", "html", "language", "data")})


@dataclass(frozen=True)
class SendAttempt:
    """What :meth:`NotificationChannel.send` gets about this attempt at a delivery."""

    id: int
    idempotency_key: str
    attempt: int
    timeout: float


#: The name :class:`SendAttempt` had before 1.0's architecture pass; channels
#: written against it keep working.
Delivery = SendAttempt


class NotificationChannel(Declaration):
    """Base class of notification channels.

    Subclasses set ``name``, ``title``, ``description`` (dicts by language),
    ``params_schema`` (a JSON Schema of the team's settings) and
    ``secret_params`` (parameter names never shown back in full), and
    implement :meth:`send`.  A channel reaching people implements
    :meth:`person_destination`; one with a team-wide destination (a group,
    a webhook) implements :meth:`team_destination`.
    """

    name: ClassVar[str]
    title: ClassVar[dict[str, str]]
    description: ClassVar[dict[str, str]]
    params_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    secret_params: ClassVar[tuple[str, ...]] = ()

    def defaults(self, settings) -> dict:
        """Parameters the instance's configuration supplies (a team's win).

        Unlike the other kinds' ``defaults``, this one reads the instance's
        settings: the values of the channel's own :attr:`variables` are in
        ``settings.plugin_variables``, by variable name.
        """
        return {}

    def validate(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Check ``params`` against the schema and return them (a channel's
        defaults come from the settings, see :meth:`defaults`)."""
        self._check_params(params)
        return dict(params or {})

    def available(self, params: dict) -> bool:
        """True when ``params`` (defaults merged with the team's) let it send at all."""
        return True

    def person_destination(self, person, params: dict) -> dict | None:
        """Where ``person`` is reached on this channel, or None."""
        return None

    def team_destination(self, params: dict) -> dict | None:
        """The team-wide destination configured in ``params``, or None."""
        return None

    def send(self, message: Message, destination: dict, params: dict, delivery: SendAttempt) -> None:
        """Send ``message``; raise :class:`DeliveryError` on failure."""
        raise NotImplementedError

    def mask(self, params: dict) -> dict:
        """``params`` fit to show an admin: secrets reduced to their last characters."""
        return {
            key: (mask_secret(value) if key in self.secret_params and value else value)
            for key, value in params.items()
        }


def mask_secret(value) -> str:
    """``********`` plus the last 4 characters of a long secret, so admins can tell them apart."""
    text = str(value)
    return MASK + text[-4:] if len(text) >= 16 else MASK


def is_masked(value) -> bool:
    """True for a value :func:`mask_secret` produced (sent back unchanged by a form)."""
    return isinstance(value, str) and value.startswith(MASK)
