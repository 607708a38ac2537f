"""Contract test suites for plugin authors.

Subclass a contract in your own tests and set the declaration under test;
pytest then runs every check on it, the same ones Plantão's built-ins pass::

    from plantao.testing import RotationPolicyContract

    class TestFortnightly(RotationPolicyContract):
        policy = FortnightlyPolicy()

The suites need only pytest and jsonschema.  They check the declaration's
metadata and, for a policy, the shape of its slots in a few zones chosen for
their daylight-saving rules (none, northern, southern-hemisphere history);
for a channel, its destinations and the masking of its secrets; for an
export format, its media type and the bodies it renders.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import jsonschema

from plantao.engine.model import LeaveSpec
from plantao.plugin_api import (
    LANGUAGES,
    SLUG,
    AssignmentHistory,
    ExportContext,
    ExportFormat,
    ExportShift,
    ExportTeam,
    LeaveCalendar,
    NotificationChannel,
    PersonView,
    PolicyContext,
    RotationPolicy,
    RuleContext,
    SchedulingRule,
    Slot,
    is_masked,
)

__all__ = [
    "ExportFormatContract",
    "NotificationChannelContract",
    "RotationPolicyContract",
    "SchedulingRuleContract",
]


class _MetadataContract:
    """Checks every declaration kind shares: name, texts and a parameter schema."""

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


class _DeclarationContract(_MetadataContract):
    """Checks of the kinds whose parameters all have defaults (all but channels)."""

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


#: Somebody with every contact, and somebody with none (as an anonymous reader sees them).
_REACHABLE = PersonView(
    id=11, name="Ana Souza", email="ana@example.org", phone="+5511912345678",
    telegram_chat_id="123456789", chat={"slack": "U123"}, active=True,
)
_UNREACHABLE = PersonView(
    id=12, name="Bruno Lima", email=None, phone=None, telegram_chat_id=None, chat={}, active=True,
)


class NotificationChannelContract(_MetadataContract):
    """The behaviour every notification channel must have.

    Set ``channel`` and ``params``: parameters a team would save to make the
    channel work (secrets included, so that their masking is checked).  The
    suite never calls :meth:`~plantao.plugin_api.NotificationChannel.send`,
    which reaches the outside world: test that with your own server.
    """

    channel: ClassVar[NotificationChannel]
    params: ClassVar[Mapping[str, Any]] = {}

    def declaration(self) -> NotificationChannel:
        return self.channel

    def test_is_a_notification_channel_implementing_send(self) -> None:
        assert isinstance(self.channel, NotificationChannel)
        assert type(self.channel).send is not NotificationChannel.send, "implement send()"

    def test_the_sample_params_are_valid(self) -> None:
        jsonschema.validate(dict(self.params), self.channel.params_schema, jsonschema.Draft202012Validator)

    def test_secret_params_are_parameters_of_the_schema(self) -> None:
        secrets = self.channel.secret_params
        assert isinstance(secrets, tuple) and all(isinstance(name, str) for name in secrets)
        properties = self.channel.params_schema.get("properties", {})
        unknown = [name for name in secrets if name not in properties]
        assert not unknown, f"secret_params not in params_schema: {unknown}"

    def test_the_sample_params_make_it_available(self) -> None:
        assert self.channel.available(dict(self.params)) is True

    def test_available_answers_a_boolean_for_no_params(self) -> None:
        assert isinstance(self.channel.available({}), bool)

    def test_it_reaches_somebody_with_the_sample_params(self) -> None:
        params = dict(self.params)
        person = self.channel.person_destination(_REACHABLE, params)
        team = self.channel.team_destination(params)
        assert person is not None or team is not None, "neither a person nor a team destination"
        for destination in (person, team):
            assert destination is None or isinstance(destination, dict)

    def test_a_person_without_contacts_has_no_destination(self) -> None:
        assert self.channel.person_destination(_UNREACHABLE, dict(self.params)) is None

    def test_mask_hides_every_secret_and_keeps_the_rest(self) -> None:
        params = dict(self.params)
        masked = self.channel.mask(params)
        assert set(masked) == set(params)
        for name, value in params.items():
            if name in self.channel.secret_params and value:
                assert is_masked(masked[name]) and masked[name] != value, f"{name} is shown in full"
            else:
                assert masked[name] == value


class ExportFormatContract(_DeclarationContract):
    """The behaviour every export format must have.  Set ``format`` in a subclass.

    The sample feed holds two shifts of one team, the second an override,
    one holder with every contact and one with none.
    """

    format: ClassVar[ExportFormat]

    def declaration(self) -> ExportFormat:
        return self.format

    def sample(self, params: Mapping[str, str] | None = None) -> tuple[list[ExportShift], ExportContext]:
        """The sample feed's shifts and context, with ``params`` read as from a query string."""
        team = ExportTeam(id=1, slug="infra", name="Infra", timezone="America/Sao_Paulo")
        start = datetime(2024, 3, 4, 12, tzinfo=timezone.utc)
        updated = datetime(2024, 3, 1, 12, tzinfo=timezone.utc)
        shifts = [
            ExportShift(
                id=number + 1, team=team, role="primary", person=person,
                start=start + timedelta(days=number), end=start + timedelta(days=number + 1),
                source="override" if number else "rotation", rotation_id=None if number else 7,
                override_id=3 if number else None, key=f"rotation-7-{number}", sequence=number,
                updated_at=updated, reason="troca" if number else "",
            )
            for number, person in enumerate((_REACHABLE, _UNREACHABLE))
        ]
        context = ExportContext(
            title="Infra", timezone=team.timezone, start=start, end=start + timedelta(days=30),
            teams=(team,), team=team, params=self.format.params(params or {}),
            url="https://plantao.example.org/api/v1/teams/infra/export." + self.format.name,
            domain="plantao.example.org", generated_at=updated,
        )
        return shifts, context

    def test_is_an_export_format_implementing_render(self) -> None:
        assert isinstance(self.format, ExportFormat)
        assert type(self.format).render is not ExportFormat.render, "implement render()"

    def test_media_type_and_extension(self) -> None:
        kind, _, subtype = self.format.media_type.partition("/")
        assert kind and subtype, f"media_type {self.format.media_type!r} is not type/subtype"
        assert SLUG.match(self.format.extension.lower()), f"extension {self.format.extension!r}"
        assert self.format.content_type.startswith(self.format.media_type)

    def test_empty_query_parameters_give_the_defaults(self) -> None:
        assert self.format.params({}) == self.format.defaults({})

    def test_render_gives_bytes(self) -> None:
        shifts, context = self.sample()
        assert isinstance(self.format.render(shifts, context), bytes)

    def test_an_empty_feed_renders(self) -> None:
        _, context = self.sample()
        assert isinstance(self.format.render([], context), bytes)

    def test_text_bodies_decode_in_their_charset(self) -> None:
        if not self.format.media_type.startswith("text/") or not self.format.charset:
            return
        shifts, context = self.sample()
        self.format.render(shifts, context).decode(self.format.charset)

    def test_the_same_feed_gives_the_same_bytes(self) -> None:
        shifts, context = self.sample()
        assert self.format.render(shifts, context) == self.format.render(list(shifts), context)
