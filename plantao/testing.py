"""Contract test suites for plugin authors.

Subclass a contract in your own tests and set the declaration under test;
pytest then runs every check on it, the same ones Plantão's built-ins pass::

    from plantao.testing import RotationPolicyContract

    class TestFortnightly(RotationPolicyContract):
        policy = FortnightlyPolicy()

The suites need only pytest and jsonschema.  They check the declaration's
metadata and, for a policy, the shape of its slots in a few zones chosen for
their daylight-saving rules (none, northern, southern-hemisphere history).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import jsonschema

from plantao.engine.model import LeaveSpec
from plantao.engine.policies import LANGUAGES, SLUG, PolicyContext, RotationPolicy, Slot
from plantao.engine.rules import AssignmentHistory, LeaveCalendar, RuleContext, SchedulingRule

__all__ = ["RotationPolicyContract", "SchedulingRuleContract"]


class _DeclarationContract:
    """Checks every declaration kind shares: name, texts and parameter schema."""

    def declaration(self) -> Any:
        raise NotImplementedError

    def test_name_is_a_slug(self) -> None:
        name = self.declaration().name
        problem = f"name {name!r} must be a slug: lowercase letters, digits, '_' and '-'"
        assert isinstance(name, str) and SLUG.match(name), problem

    def test_title_and_description_are_in_portuguese_and_english(self) -> None:
        declaration = self.declaration()
        for attribute in ("title", "description"):
            texts = getattr(declaration, attribute)
            assert isinstance(texts, Mapping), f"{attribute} must be a dict of language -> text"
            for language in LANGUAGES:
                text = texts.get(language)
                problem = f"{attribute} needs a non-empty {language!r} text"
                assert isinstance(text, str) and text.strip(), problem

    def test_params_schema_is_a_valid_json_schema(self) -> None:
        schema = self.declaration().params_schema
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema.get("type") == "object", "params_schema must describe an object"

    def test_every_parameter_has_a_default(self) -> None:
        properties = self.declaration().params_schema.get("properties", {})
        missing = [key for key, schema in properties.items() if "default" not in schema]
        assert not missing, f"parameters without a default: {missing}"

    def test_empty_params_are_valid(self) -> None:
        jsonschema.validate({}, self.declaration().params_schema, jsonschema.Draft202012Validator)

    def test_defaults_fill_every_parameter_and_validate(self) -> None:
        declaration = self.declaration()
        filled = declaration.defaults({})
        assert set(filled) >= set(declaration.params_schema.get("properties", {}))
        jsonschema.validate(filled, declaration.params_schema, jsonschema.Draft202012Validator)


class RotationPolicyContract(_DeclarationContract):
    """The behaviour every rotation policy must have.  Set ``policy`` in a subclass.

    Override ``params`` to run the slot checks with parameters other than
    the defaults as well.
    """

    policy: ClassVar[RotationPolicy]
    params: ClassVar[tuple[Mapping[str, Any], ...]] = ({},)
    members: ClassVar[tuple[int, ...]] = (11, 12, 13)
    zones: ClassVar[tuple[str, ...]] = ("America/Sao_Paulo", "America/New_York", "Europe/Lisbon")
    # Mid-week and mid-morning on purpose, so that the anchor falls inside a
    # slot rather than on a handoff of most policies.
    anchor_local: ClassVar[datetime] = datetime(2024, 1, 3, 10, 30)
    horizon: ClassVar[timedelta] = timedelta(days=120)

    def declaration(self) -> RotationPolicy:
        return self.policy

    def make_context(self, zone: str, params: Mapping[str, Any]) -> PolicyContext:
        """A context in ``zone`` with the params' defaults filled and a few holidays."""
        tz = ZoneInfo(zone)
        return PolicyContext(
            tz=tz,
            anchor=self.anchor_local.replace(tzinfo=tz),
            params=self.policy.defaults(params),
            members=self.members,
            holidays={date(2024, 2, 12): "Carnaval", date(2024, 3, 29): "Good Friday"},
        )

    def contexts(self) -> Iterator[PolicyContext]:
        """Every combination of zone and params the slot checks run on."""
        for zone in self.zones:
            for params in self.params:
                yield self.make_context(zone, params)

    def window(self, ctx: PolicyContext) -> tuple[datetime, datetime]:
        """The window the slot checks ask for: four months across March's clock changes."""
        return ctx.anchor, ctx.anchor + self.horizon

    def collect(self, ctx: PolicyContext, start: datetime, end: datetime) -> list[Slot]:
        slots = []
        for slot in self.policy.slots(ctx, start, end):
            slots.append(slot)
            assert len(slots) < 100_000, "the policy yields slots without end"
        return slots

    def test_default_params_are_accepted(self) -> None:
        self.policy.validate({})

    def test_default_params_produce_slots(self) -> None:
        for ctx in self.contexts():
            start, end = self.window(ctx)
            assert self.collect(ctx, start, end), f"no slot in {ctx.tz.key}"

    def test_slots_are_slots_with_aware_times(self) -> None:
        for ctx in self.contexts():
            for slot in self.collect(ctx, *self.window(ctx)):
                assert isinstance(slot, Slot)
                assert slot.start.utcoffset() is not None and slot.end.utcoffset() is not None
                assert slot.start < slot.end
                assert isinstance(slot.queue, str) and slot.queue
                assert all(isinstance(person, int) for person in slot.candidates)

    def test_slots_are_ordered_contiguous_and_do_not_overlap(self) -> None:
        for ctx in self.contexts():
            slots = self.collect(ctx, *self.window(ctx))
            for before, after in zip(slots, slots[1:]):
                assert before.end == after.start, (
                    f"{ctx.tz.key}: slot ending {before.end} is followed by one starting "
                    f"{after.start}"
                )

    def test_slots_cover_exactly_the_window(self) -> None:
        for ctx in self.contexts():
            start, end = self.window(ctx)
            slots = self.collect(ctx, start, end)
            assert slots[0].start <= start < slots[0].end, "the first slot must hold the start"
            assert slots[-1].start < end <= slots[-1].end, "the last slot must hold the end"
            assert all(slot.end > start and slot.start < end for slot in slots)

    def test_slots_do_not_depend_on_the_window_asked_for(self) -> None:
        for ctx in self.contexts():
            start, end = self.window(ctx)
            everything = self.collect(ctx, start, end)
            middle_start = start + (end - start) / 3
            middle_end = start + 2 * (end - start) / 3
            expected = [s for s in everything if s.end > middle_start and s.start < middle_end]
            assert self.collect(ctx, middle_start, middle_end) == expected

    def test_slots_are_deterministic(self) -> None:
        for ctx in self.contexts():
            window = self.window(ctx)
            assert self.collect(ctx, *window) == self.collect(ctx, *window)

    def test_slot_indexes_count_from_the_anchor_within_each_queue(self) -> None:
        for ctx in self.contexts():
            expected: dict[str, int] = {}
            for slot in self.collect(ctx, *self.window(ctx)):
                assert slot.index == expected.get(slot.queue, 0), (
                    f"{ctx.tz.key}: slot {slot.start} of queue {slot.queue!r} has index "
                    f"{slot.index}, expected {expected.get(slot.queue, 0)}"
                )
                expected[slot.queue] = slot.index + 1

    def test_the_rotation_members_are_candidates_by_default(self) -> None:
        ctx = self.make_context(self.zones[0], {})
        for slot in self.collect(ctx, *self.window(ctx)):
            assert slot.candidates == self.members


class SchedulingRuleContract(_DeclarationContract):
    """The behaviour every scheduling rule must have.  Set ``rule`` in a subclass."""

    rule: ClassVar[SchedulingRule]
    members: ClassVar[tuple[int, ...]] = (11, 12, 13)

    def declaration(self) -> SchedulingRule:
        return self.rule

    def make_context(
        self, history: AssignmentHistory | None = None, leaves: tuple[LeaveSpec, ...] = ()
    ) -> RuleContext:
        """A rule context in São Paulo with default params."""
        return RuleContext(
            tz=ZoneInfo("America/Sao_Paulo"),
            params=self.rule.defaults({}),
            history=history or AssignmentHistory(),
            leaves=LeaveCalendar(leaves),
            holidays={date(2024, 12, 25): "Natal"},
        )

    def sample_slots(self) -> list[Slot]:
        """A week of daily slots, Christmas among them, each labelled as a policy would."""
        first = datetime(2024, 12, 23, 12, tzinfo=timezone.utc)
        return [
            Slot(
                start=first + timedelta(days=number),
                end=first + timedelta(days=number + 1),
                queue="members",
                candidates=self.members,
                index=number,
                labels=frozenset({"holiday"}) if number == 2 else frozenset(),
            )
            for number in range(7)
        ]

    def contexts_with_history(self) -> Iterator[tuple[RuleContext, Slot]]:
        """Each sample slot with the round-robin history before it."""
        history = AssignmentHistory()
        ctx = self.make_context(history)
        for number, slot in enumerate(self.sample_slots()):
            yield ctx, slot
            history.record(slot, self.members[number % len(self.members)])

    def test_always_on_is_a_boolean(self) -> None:
        assert isinstance(self.rule.always_on, bool)

    def test_default_params_are_accepted(self) -> None:
        self.rule.validate({})

    def test_allows_answers_a_boolean(self) -> None:
        for ctx, slot in self.contexts_with_history():
            for person in self.members:
                assert isinstance(self.rule.allows(ctx, person, slot), bool)

    def test_a_fresh_history_allows_everybody(self) -> None:
        ctx = self.make_context()
        slot = self.sample_slots()[0]
        assert all(self.rule.allows(ctx, person, slot) for person in self.members)

    def test_rank_returns_the_same_members_reordered(self) -> None:
        for ctx, slot in self.contexts_with_history():
            ranked = self.rule.rank(ctx, list(self.members), slot)
            assert sorted(ranked) == sorted(self.members)

    def test_rank_does_not_change_its_input(self) -> None:
        for ctx, slot in self.contexts_with_history():
            candidates = list(self.members)
            self.rule.rank(ctx, candidates, slot)
            assert candidates == list(self.members)

    def test_rank_of_nobody_is_nobody(self) -> None:
        ctx = self.make_context()
        assert list(self.rule.rank(ctx, [], self.sample_slots()[0])) == []

    def test_rules_are_deterministic(self) -> None:
        first = [
            (
                tuple(self.rule.rank(ctx, list(self.members), slot)),
                tuple(self.rule.allows(ctx, person, slot) for person in self.members),
            )
            for ctx, slot in self.contexts_with_history()
        ]
        second = [
            (
                tuple(self.rule.rank(ctx, list(self.members), slot)),
                tuple(self.rule.allows(ctx, person, slot) for person in self.members),
            )
            for ctx, slot in self.contexts_with_history()
        ]
        assert first == second
