"""The built-in scheduling rules: respect_leave, min_rest, max_consecutive, fair_holidays.

They register through the ``register_scheduling_rules`` hook like any
third-party rule.  ``respect_leave`` applies to every rotation; the others
apply where a rotation version lists them.
"""

from __future__ import annotations

from datetime import timedelta

from plantao.plugin_api import RuleContext, SchedulingRule, Slot, hookimpl


class RespectLeave(SchedulingRule):
    """Nobody is scheduled while on leave."""

    name = "respect_leave"
    always_on = True
    judges_leave_only = True
    title = {"pt-BR": "Respeitar ausências", "en": "Respect leave"}
    description = {
        "pt-BR": "Quem está de férias ou afastado em qualquer momento do plantão não é escalado; "
        "a pessoa seguinte assume e quem foi pulado mantém seu lugar na fila.",
        "en": "Nobody on leave at any time during a shift is scheduled for it; the next member "
        "takes it and the skipped member keeps their place in the queue.",
    }

    def allows(self, ctx: RuleContext, person_id: int, slot: Slot) -> bool:
        """Not while any of the person's leaves overlaps the slot."""
        return not ctx.leaves.overlaps(person_id, slot.start, slot.end)


class MinRest(SchedulingRule):
    """A minimum rest between the end of one shift and the start of the next."""

    name = "min_rest"
    title = {"pt-BR": "Descanso mínimo", "en": "Minimum rest"}
    description = {
        "pt-BR": "Exige um intervalo mínimo, em horas, entre o fim de um plantão da pessoa e o "
        "início do próximo.",
        "en": "Requires a minimum number of hours between the end of a member's shift and the "
        "start of their next one.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "hours": {
                "type": "number",
                "minimum": 0,
                "maximum": 720,
                "default": 12,
                "title": "Hours",
                "description": "Minimum hours off between two shifts of the same member.",
            }
        },
    }

    def allows(self, ctx: RuleContext, person_id: int, slot: Slot) -> bool:
        """Only if the person's last shift in this rotation ended long enough ago."""
        last_end = ctx.history.last_end(person_id)
        return last_end is None or slot.start - last_end >= timedelta(hours=ctx.params["hours"])


class MaxConsecutive(SchedulingRule):
    """No more than a given number of the rotation's slots in a row for one member."""

    name = "max_consecutive"
    title = {"pt-BR": "Máximo de plantões seguidos", "en": "Maximum consecutive shifts"}
    description = {
        "pt-BR": "Limita quantos plantões seguidos do rodízio a mesma pessoa pode assumir.",
        "en": "Limits how many of the rotation's shifts in a row the same member may take.",
    }
    params_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "count": {
                "type": "integer",
                "minimum": 1,
                "maximum": 1000,
                "default": 2,
                "title": "Count",
                "description": "Most slots in a row one member may take.",
            }
        },
    }

    def allows(self, ctx: RuleContext, person_id: int, slot: Slot) -> bool:
        """Only if the person has not just taken ``count`` slots in a row."""
        return ctx.history.streak(person_id) < ctx.params["count"]


class FairHolidays(SchedulingRule):
    """Holiday shifts go first to whoever has had the fewest."""

    name = "fair_holidays"
    title = {"pt-BR": "Feriados equilibrados", "en": "Fair holidays"}
    description = {
        "pt-BR": "Em plantões de feriado, dá preferência a quem fez menos feriados neste rodízio; "
        "em caso de empate vale a ordem da fila.",
        "en": "On holiday shifts, prefers whoever has had the fewest holiday shifts in this "
        "rotation; ties keep the queue order.",
    }

    def rank(self, ctx: RuleContext, candidates: list[int], slot: Slot) -> list[int]:
        """On a holiday slot, fewest holiday slots first; a stable sort keeps the queue order."""
        if "holiday" not in slot.labels:
            return list(candidates)
        return sorted(candidates, key=lambda person: ctx.history.label_count(person, "holiday"))


@hookimpl
def register_scheduling_rules() -> list[SchedulingRule]:
    """The built-in scheduling rules."""
    return [RespectLeave(), MinRest(), MaxConsecutive(), FairHolidays()]
