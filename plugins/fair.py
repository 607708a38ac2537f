"""The ``fair`` rotation policy: an optimal roster from OR-Tools' CP-SAT solver.

Slots are cut like the other policies' (one or more local handoff times a
day, or one handoff every few days); who takes each is not the queue's turn
but the answer of a constraint model over the whole planning window
(:meth:`RotationPolicy.assign`):

- hard: every slot covered when anybody may take it, leave
  (``respect_leave``), ``min_rest``, ``max_consecutive``, each person's
  ``unavailable`` weekdays and hours, nobody in two overlapping slots of the
  team (the other rotations' shifts are busy time), what is already decided;
- soft, weighted by ``weights``: balance of total, night (22:00-05:00),
  weekend and holiday hours over the last ``balance_days`` (hours already
  worked count), shifts spread out rather than clumped, and stability (the
  stored assignment kept where it can be).

The solver runs with one worker and a deterministic time limit
(``time_limit``), so the same input gives the same roster on any machine.
When no roster satisfies the hard rules, the window goes back to the
engine's queue (the round robin), which reports the rules it had to break.
"""

from __future__ import annotations

import math
import time as clock
from collections.abc import Iterator, Mapping
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

from plantao.plugin_api import (
    CLOCK_SCHEMA,
    AssignmentWindow,
    PolicyContext,
    RotationPolicy,
    Slot,
    WindowAssignment,
    hookimpl,
    local_date,
    parse_clock,
)
from plantao.engine.hours import split_hours
from plantao.engine.model import Restriction
from plantao.engine.restrictions import active_windows

from .policies import MEMBERS, DayGrid, grid_slots

#: The measures balanced, in the order of ``weights``.
MEASURES = ("total", "night", "weekend", "holiday")
DEFAULT_WEIGHTS = {"total": 4, "night": 2, "weekend": 2, "holiday": 2, "spread": 1, "stability": 20}
# Hours enter the model in quarters, weights in tenths: CP-SAT is integral.
_QUARTERS = 4
_TENTHS = 10


class PatternError(ValueError):
    """Handoff times the policy cannot cut a day with (the panel translates its ``code``)."""

    code = "fair_pattern"


WEIGHT_TITLES = {
    "total": "Balance of total hours",
    "night": "Balance of night hours",
    "weekend": "Balance of weekend hours",
    "holiday": "Balance of holiday hours",
    "spread": "Shifts spread out",
    "stability": "Keep the stored roster",
}


def _weight_schema(name: str, default: int) -> dict:
    return {"type": "number", "minimum": 0, "maximum": 100, "default": default, "title": WEIGHT_TITLES[name]}


class FairPolicy(RotationPolicy):
    """Slots cut by handoff times; the people chosen by an optimiser for balance."""

    name = "fair"
    title = {"pt-BR": "Equilibrado (otimizado)", "en": "Fair (optimised)"}
    description = {
        "pt-BR": "Corta o tempo em plantões pelos horários de passagem e escolhe quem assume cada um "
        "com um otimizador: respeita ausências, descanso mínimo e indisponibilidades e equilibra "
        "horas totais, noturnas, de fim de semana e de feriado, contando o que cada um já fez.",
        "en": "Cuts time into shifts at the handoff times and chooses who takes each with an "
        "optimiser: it respects leave, minimum rest and unavailability and balances total, "
        "night, weekend and holiday hours, counting what each person already worked.",
    }
    incompatible_rules = frozenset({"fair_holidays"})
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "handoff_times": {
                "type": "array",
                "items": CLOCK_SCHEMA,
                "uniqueItems": True,
                "maxItems": 6,
                "default": [],
                "title": "Handoff times",
                "description": "Local times (HH:MM) at which one shift hands over to the next "
                "every day: 07:00 and 19:00 make 12-hour day and night shifts. Empty: the "
                "rotation's start time, one 24-hour shift a day.",
            },
            "shift_days": {
                "type": "integer",
                "minimum": 1,
                "maximum": 28,
                "default": 1,
                "title": "Days per shift",
                "description": "With one handoff time, how many days each shift lasts (7: weekly).",
            },
            "unavailable": {
                "type": "array",
                "maxItems": 500,
                "default": [],
                "x-advanced": True,
                "title": "Unavailable",
                "description": "Times a person never takes: weekdays (0 = Monday ... 6 = Sunday) "
                "and, optionally, local hours (an end not after the start crosses midnight).",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["person"],
                    "properties": {
                        "person": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                        "weekdays": {
                            "type": "array",
                            "items": {"type": "integer", "minimum": 0, "maximum": 6, "format": "weekday"},
                            "uniqueItems": True,
                            "minItems": 1,
                        },
                        "start_time": CLOCK_SCHEMA,
                        "end_time": CLOCK_SCHEMA,
                    },
                },
            },
            "weights": {
                "type": "object",
                "additionalProperties": False,
                "default": dict(DEFAULT_WEIGHTS),
                "x-advanced": True,
                "title": "Weights",
                "description": "How much each goal counts: balance of total, night, weekend and "
                "holiday hours, spreading each person's shifts, and keeping the stored roster.",
                "properties": {name: _weight_schema(name, value) for name, value in DEFAULT_WEIGHTS.items()},
            },
            "time_limit": {
                "type": "number",
                "minimum": 0.1,
                "maximum": 60,
                "default": 5,
                "x-advanced": True,
                "title": "Time limit (seconds)",
                "description": "The solver's deterministic time limit, roughly seconds of one core.",
            },
            "balance_days": {
                "type": "integer",
                "minimum": 0,
                "maximum": 1095,
                "default": 365,
                "x-advanced": True,
                "title": "Balance over (days)",
                "description": "How far back the hours already worked count.",
            },
            "window_days": {
                "type": "integer",
                "minimum": 7,
                "maximum": 730,
                "default": 90,
                "x-advanced": True,
                "title": "Planning window (days)",
                "description": "The least the solver plans at once; the roster's horizon makes "
                "it longer when it is.",
            },
        },
    }

    # -- slots ----------------------------------------------------------------

    def slots(self, ctx: PolicyContext, start: datetime, end: datetime) -> Iterator[Slot]:
        """One slot from each handoff to the next, numbered from the one holding the anchor."""
        return grid_slots(_grid(ctx, self.defaults(ctx.params)), ctx, start, end)

    def queues(self, ctx: PolicyContext) -> dict[str, tuple[int, ...]]:
        """One queue, the rotation's members."""
        return {MEMBERS: ctx.members}

    def planning_days(self, params: Mapping[str, Any]) -> int:
        """``window_days``."""
        return int(self.defaults(params)["window_days"])

    def history_days(self, params: Mapping[str, Any]) -> int:
        """``balance_days``."""
        return int(self.defaults(params)["balance_days"])

    # -- the plan ---------------------------------------------------------------

    def assign(self, window: AssignmentWindow) -> WindowAssignment:
        """Solve the window; hand it back to the queue when no roster meets the hard rules."""
        began = clock.perf_counter()
        params = self.defaults(window.slots[0].params)
        plan = _Model(window, params)
        status, people, objective = plan.solve()
        report = {
            "status": status,
            "objective": objective,
            "seconds": round(clock.perf_counter() - began, 3),
            "slots": len(window.slots),
        }
        # Handed back, the queue's roster is the hint: say what it breaks.
        conflicts = plan.conflicts if people is not None else plan.conflicts + plan.broken_by(window.hint)
        return WindowAssignment(people=people, report=report, conflicts=tuple(conflicts))


def _grid(ctx: PolicyContext, params: Mapping[str, Any]) -> DayGrid:
    """The handoffs of ``params``: its handoff times (default: the anchor's local time)."""
    texts = params["handoff_times"]
    if texts:
        times = tuple(sorted(parse_clock(text) for text in texts))
    else:
        local = ctx.anchor.astimezone(ctx.tz)
        times = (time(local.hour, local.minute),)
    if len(times) > 1 and params["shift_days"] != 1:
        raise PatternError("fair: shift_days must be 1 when there are several handoff times")
    return DayGrid(local_date(ctx.anchor, ctx.tz), params["shift_days"], times, ctx.tz)


def _unavailable(rule: Mapping[str, Any]) -> Restriction:
    """One ``unavailable`` entry as the restriction it reads as: the same weekdays and hours.

    An entry is the weekdays and hours a person is *away*, so a slot that
    touches any of its windows is one they never take.
    """
    return Restriction(
        weekdays=frozenset(rule["weekdays"]) if rule.get("weekdays") else None,
        start_time=parse_clock(rule["start_time"]) if rule.get("start_time") else None,
        end_time=parse_clock(rule["end_time"]) if rule.get("end_time") else None,
    )


class _Model:
    """The CP-SAT model of one window."""

    def __init__(self, window: AssignmentWindow, params: Mapping[str, Any]) -> None:
        self.window = window
        self.params = params
        self.weights = {**DEFAULT_WEIGHTS, **params["weights"]}
        cp_model = _cp_model()
        self.model = cp_model.CpModel()
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        slots = window.slots
        self.people = sorted({p for ws in slots for p in ws.candidates} | {ws.fixed for ws in slots if ws.fixed})
        self.hours = [self._measures(ws.slot) for ws in slots]
        self.unavailable: dict[int, list[Restriction]] = {}
        for ws in slots[:1]:
            for rule in ws.params.get("unavailable", ()):
                self.unavailable.setdefault(rule["person"], []).append(_unavailable(rule))
        self.busy: dict[int, list] = {}
        for shift in window.busy:
            self.busy.setdefault(shift.person_id, []).append(shift)
        self.eligible: list[list[int]] = []
        # Slots nobody can take without breaking an opt-in rule against the
        # past: they are planned without it, and the engine reports it.
        self.relaxed: set[int] = set()
        self.conflicts: list[tuple[int, str, str]] = []
        for index, ws in enumerate(slots):
            if ws.fixed is not None:
                allowed = [ws.fixed]
            else:
                possible = [p for p in ws.candidates if self._may_take(p, ws)]
                allowed = [p for p in possible if self._rested(p, ws)]
                if possible and not allowed:
                    allowed = possible
                    self.relaxed.add(index)
                if ws.candidates and not possible:
                    self._why_nobody(index, ws)
            self.eligible.append(allowed)
            for person in allowed:
                self.x[index, person] = self.model.new_bool_var(f"x{index}_{person}")
            if allowed:
                self.model.add_exactly_one(self.x[index, p] for p in allowed)
        self.open = {i for i, ws in enumerate(slots) if ws.fixed is None}
        self._rest()
        self._consecutive()
        self.objective = self._objective()

    # -- facts ----------------------------------------------------------------

    def _measures(self, slot: Slot) -> dict[str, int]:
        split = split_hours(slot.start, slot.end, self.window.tz, self.window.holidays)
        return {
            "total": round(split.total * _QUARTERS),
            "night": round(split.night * _QUARTERS),
            "weekend": round(split.weekend * _QUARTERS),
            "holiday": round(split.holiday * _QUARTERS),
        }

    def _may_take(self, person: int, ws) -> bool:
        """Leave, unavailability and the team's other rotations: never broken."""
        slot = ws.slot
        if "respect_leave" in ws.rules and self.window.leaves.overlaps(person, slot.start, slot.end):
            return False
        return not self._unavailable(person, slot) and not self._busy(person, slot)

    def _unavailable(self, person: int, slot: Slot) -> bool:
        return any(
            next(active_windows(away, slot.start, slot.end, self.window.tz), None) is not None
            for away in self.unavailable.get(person, ())
        )

    def _busy(self, person: int, slot: Slot) -> bool:
        return any(busy.start < slot.end and busy.end > slot.start for busy in self.busy.get(person, ()))

    def _rested(self, person: int, ws) -> bool:
        """``min_rest`` since the person's last shift before the window."""
        rest = ws.rules.get("min_rest")
        if rest is None:
            return True
        last = self.window.history.last_end(person)
        return last is None or ws.slot.start - last >= timedelta(hours=rest["hours"])

    def _why_nobody(self, index: int, ws) -> None:
        """The planner's own reasons a slot has nobody (the rules' are the engine's to name)."""
        slot = ws.slot
        if any(self._unavailable(p, slot) for p in ws.candidates):
            self.conflicts.append((index, "unavailable", "Every member is on leave, unavailable or on call "
                                   "elsewhere then, so the slot was left unassigned."))
        elif any(self._busy(p, slot) for p in ws.candidates):
            self.conflicts.append((index, "busy", "Every member is on leave or on call in another rotation "
                                   "of the team then, so the slot was left unassigned."))

    def broken_by(self, people) -> list[tuple[int, str, str]]:
        """What of the planner's own constraints ``people`` (the queue's roster) breaks."""
        found = []
        for index, ws in enumerate(self.window.slots):
            person = people[index] if index < len(people) else None
            if person is None or ws.fixed is not None:
                continue
            if self._unavailable(person, ws.slot):
                found.append((index, "unavailable", f"No roster met every rule, so the queue's gave person "
                              f"{person} this slot although they are unavailable then."))
            elif self._busy(person, ws.slot):
                found.append((index, "busy", f"No roster met every rule, so the queue's gave person "
                              f"{person} this slot although they are on call in another rotation then."))
        return found

    # -- hard rules across slots -------------------------------------------------

    def _rest(self) -> None:
        """``min_rest``: two slots of one person at least the rule's hours apart."""
        slots = self.window.slots
        for later, ws in enumerate(slots):
            rest = ws.rules.get("min_rest")
            if rest is None:
                continue
            gap = timedelta(hours=rest["hours"])
            earlier = later - 1
            while earlier >= 0 and ws.slot.start - slots[earlier].slot.end < gap:
                if {earlier, later} & self.relaxed or not {earlier, later} & self.open:
                    earlier -= 1
                    continue
                for person in self.eligible[later]:
                    if (earlier, person) in self.x:
                        self.model.add_bool_or([self.x[earlier, person].negated(), self.x[later, person].negated()])
                earlier -= 1

    def _consecutive(self) -> None:
        """``max_consecutive``: no run of more than the rule's count, the run before the window included."""
        slots = self.window.slots
        history = self.window.history
        for last, ws in enumerate(slots):
            rule = ws.rules.get("max_consecutive")
            if rule is None:
                continue
            count = rule["count"]
            first = last - count
            span = set(range(max(first, 0), last + 1))
            if span & self.relaxed or not span & self.open:
                continue
            for person in self.eligible[last]:
                run = [self.x[i, person] for i in sorted(span) if (i, person) in self.x]
                before = history.streak(person) if first < 0 else 0
                # The streak the window opens with counts for its first slots.
                allowed = count - min(before, -first if first < 0 else 0)
                if len(run) > allowed:
                    self.model.add(sum(run) <= max(allowed, 0))

    # -- goals ----------------------------------------------------------------

    def _prior(self, people: list[int]) -> dict[str, dict[int, int]]:
        """Each person's hours of each measure in the lookback, time away counted at the team's rate.

        Hours not worked while on leave, or before a person's first shift in
        the lookback (they joined since), are no debt to repay: that time is
        credited at the rate the others worked, so somebody back from
        holidays takes their share from then on, not the holidays' too.
        """
        window = self.window
        since = window.start - timedelta(days=self.params["balance_days"])
        prior = {measure: dict.fromkeys(people, 0.0) for measure in MEASURES}
        first: dict[int, datetime] = {}
        for shift in window.worked:
            if shift.person_id not in prior["total"] or shift.end <= since:
                continue
            first[shift.person_id] = min(first.get(shift.person_id, shift.start), shift.start)
            split = split_hours(max(shift.start, since), min(shift.end, window.start), window.tz, window.holidays)
            for measure in MEASURES:
                prior[measure][shift.person_id] += getattr(split, measure) * _QUARTERS
        span = (window.start - since).total_seconds()
        present: dict[int, float] = {}
        for person in people:
            joined = max(first.get(person, window.start), since)
            away = sum(
                (min(leave.end, window.start) - max(leave.start, joined)).total_seconds()
                for leave in window.leaves.of(person)
                if leave.end > joined and leave.start < window.start
            )
            present[person] = max(0.0, (window.start - joined).total_seconds() - away)
        time_present = sum(present.values())
        for measure in MEASURES:
            rate = sum(prior[measure].values()) / time_present if time_present else 0.0
            for person in people:
                prior[measure][person] += rate * (span - present[person])
        return {measure: {p: round(v) for p, v in values.items()} for measure, values in prior.items()}

    def _objective(self) -> cp_model.LinearExprT:
        model, slots = self.model, self.window.slots
        # Balanced among those the window can still give a slot: somebody away
        # all along (or only holding a kept slot) cannot be evened out.
        people = sorted({p for i in self.open for p in self.eligible[i]})
        terms = []
        count = len(people)
        if count:
            prior = self._prior(people)
            for measure in MEASURES:
                weight = round(self.weights[measure] * _TENTHS)
                if not weight:
                    continue
                loads = {
                    p: prior[measure][p]
                    + sum(self.hours[i][measure] * self.x[i, p] for i in range(len(slots)) if (i, p) in self.x)
                    for p in people
                }
                # The spread between the most and the least loaded person:
                # a light model, where a sum of distances to the mean is not.
                bound = max(prior[measure].values(), default=0) + sum(h[measure] for h in self.hours) + 1
                most = model.new_int_var(0, bound, f"most_{measure}")
                least = model.new_int_var(0, bound, f"least_{measure}")
                for load in loads.values():
                    model.add(most >= load)
                    model.add(least <= load)
                terms.append(weight * (most - least))
        spread = round(self.weights["spread"] * _TENTHS)
        if spread and count > 2:
            # Among any `reach` slots in a row a person takes at most one
            # without penalty: the rest is a clump.
            reach = max(2, math.ceil(count / 2))
            mean = max(1, round(sum(h["total"] for h in self.hours) / max(len(slots), 1)))
            # Blocks of `reach` slots, overlapping by half, stand for every
            # run of that length at a fraction of the model's size.
            step = max(1, reach // 2)
            for person in people:
                for first in range(0, max(len(slots) - 1, 1), step):
                    run = [self.x[i, person] for i in range(first, first + reach) if (i, person) in self.x]
                    if len(run) < 2:
                        continue
                    excess = model.new_int_var(0, len(run), f"c_{person}_{first}")
                    model.add(excess >= sum(run) - 1)
                    terms.append(spread * mean * excess)
        stability = round(self.weights["stability"] * _TENTHS)
        if stability:
            for index, ws in enumerate(slots):
                keep = self.x.get((index, ws.previous)) if ws.previous is not None and ws.fixed is None else None
                if keep is not None:
                    terms.append(stability * self.hours[index]["total"] * (1 - keep))
        objective = sum(terms)
        model.minimize(objective)
        return objective

    # -- solving --------------------------------------------------------------

    def solve(self) -> tuple[str, tuple[int | None, ...] | None, float | None]:
        """Search from the best starting roster, never answering worse than it.

        The whole search, finding the start included, stays within
        ``time_limit`` of deterministic solver time.
        """
        window, budget = self.window, float(self.params["time_limit"])
        stored = [ws.previous if ws.previous in self.eligible[i] else None for i, ws in enumerate(window.slots)]
        queue = [window.hint[i] if i < len(window.hint) else None for i in range(len(window.slots))]
        mixed = [kept if kept is not None else hinted for kept, hinted in zip(stored, queue)]
        start = None
        for candidate in (mixed, queue) if mixed != queue else (queue,):
            start, used = self._complete(candidate, budget / 10)
            budget -= used
            if start is not None:
                break
        self.model.clear_hints()
        if start is not None:
            # A complete, feasible hint: the search begins with it as its
            # first solution, and keeps it unless it finds better.
            for index, value in enumerate(start[0]):
                self.model.add_hint(self.model.get_int_var_from_proto_index(index), value)
        else:
            for index, wanted in enumerate(mixed):
                for person in self.eligible[index] if wanted in self.eligible[index] else ():
                    self.model.add_hint(self.x[index, person], person == wanted)
        solver = _solver(max(budget, 0.01))
        # Large-neighbourhood search from the hint finds good rosters where a
        # tree search from scratch does not find any in time; interleaved, it
        # is deterministic on one worker.
        solver.parameters.interleave_search = True
        solver.parameters.use_lns_only = True
        status = solver.solve(self.model)
        cp_model = _cp_model()
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        if start is not None and (not found or solver.objective_value > start[1]):
            return "feasible", self._people(lambda var: start[0][var.index]), start[1]
        if not found:
            return "fallback", None, None
        label = "optimal" if status == cp_model.OPTIMAL else "feasible"
        return label, self._people(solver.value), float(solver.objective_value)

    def _complete(self, people: list[int | None], limit: float) -> tuple[tuple[list[int], float] | None, float]:
        """Every variable's value and the objective of ``people``, if it meets the hard rules;
        and the solver time it took."""
        if any(person not in self.eligible[i] for i, person in enumerate(people) if self.eligible[i]):
            return None, 0.0
        self.model.clear_hints()
        for index, wanted in enumerate(people):
            for person in self.eligible[index]:
                self.model.add_hint(self.x[index, person], person == wanted)
        solver = _solver(limit)
        solver.parameters.fix_variables_to_their_hinted_value = True
        cp_model = _cp_model()
        if solver.solve(self.model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, solver.deterministic_time
        values = [solver.value(self.model.get_int_var_from_proto_index(i)) for i in range(len(self.model.proto.variables))]
        return (values, float(solver.objective_value)), solver.deterministic_time

    def _people(self, value_of) -> tuple[int | None, ...]:
        return tuple(
            next((p for p in self.eligible[index] if value_of(self.x[index, p])), None)
            for index in range(len(self.window.slots))
        )


def _cp_model():
    """OR-Tools' CP-SAT, imported when a roster is first planned: it takes about a
    second, which every ``plantao`` command and server start would pay otherwise."""
    from ortools.sat.python import cp_model

    return cp_model


def _solver(limit: float) -> cp_model.CpSolver:
    solver = _cp_model().CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = limit
    # Only a safety net: the deterministic limit is what stops a search
    # (the wall clock would make the roster depend on the machine).
    solver.parameters.max_time_in_seconds = 20.0 * limit + 5
    return solver


def objective_of(window: AssignmentWindow, people) -> float | None:
    """The ``fair`` objective of assigning ``people`` to ``window``'s slots (None: breaks a hard rule).

    For comparing another roster (the round robin's, say) with the solver's.
    """
    policy = FairPolicy()
    plan = _Model(window, policy.defaults(window.slots[0].params))
    for index, person in enumerate(people):
        if person is None and not plan.eligible[index]:
            continue
        if (index, person) not in plan.x:
            return None
        plan.model.add(plan.x[index, person] == 1)
    solver = _solver(30.0)
    status = solver.solve(plan.model)
    if status not in (_cp_model().OPTIMAL, _cp_model().FEASIBLE):
        return None
    return float(solver.objective_value)


@hookimpl
def register_rotation_policies() -> list[RotationPolicy]:
    """The ``fair`` policy."""
    return [FairPolicy()]
