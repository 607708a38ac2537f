"""Short ways to write the rotations and rosters the engine tests talk about.

Tests read like the specification when a rotation is one line:
``rotation("weekly", members=(A, B, C), anchor=monday)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from plantao.engine import (
    RosterInput,
    RosterResult,
    RotationSpec,
    RotationVersionSpec,
    RosterShift,
    build_roster,
)
from plantao.engine.model import Restriction
from plantao_plugins.policies import register_rotation_policies
from plantao_plugins.rules import register_scheduling_rules

POLICIES = {policy.name: policy for policy in register_rotation_policies()}
RULES = {rule.name: rule for rule in register_scheduling_rules()}

SAO_PAULO = "America/Sao_Paulo"
NEW_YORK = "America/New_York"
LISBON = "Europe/Lisbon"

# People are plain ids to the engine; letters make the expected orders readable.
A, B, C, D, E = 1, 2, 3, 4, 5


def at(zone: str, *fields: int) -> datetime:
    """A local time in ``zone``: ``at(SAO_PAULO, 2025, 3, 3, 9)``."""
    return datetime(*fields, tzinfo=ZoneInfo(zone))


def version(
    effective_from: datetime,
    members: Iterable[int] = (A, B, C),
    *,
    params: Mapping[str, Any] | None = None,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
    restriction: Restriction | None = None,
    turn_mode: str = "calendar",
) -> RotationVersionSpec:
    return RotationVersionSpec(
        effective_from=effective_from,
        members=tuple(members),
        params=dict(params or {}),
        rules=dict(rules or {}),
        restriction=restriction,
        turn_mode=turn_mode,
    )


def rotation(
    policy: str,
    members: Iterable[int] = (A, B, C),
    *,
    anchor: datetime,
    id: int = 1,
    role: str = "primary",
    priority: int = 0,
    later: Iterable[RotationVersionSpec] = (),
    **version_fields: Any,
) -> RotationSpec:
    """A rotation whose first version starts at the anchor; ``later`` versions follow."""
    return RotationSpec(
        id=id,
        name=f"{policy} {id}",
        policy=policy,
        anchor=anchor,
        role=role,
        priority=priority,
        versions=(version(anchor, members, **version_fields), *later),
    )


def build(
    *rotations: RotationSpec, start: datetime, end: datetime, tz: str = SAO_PAULO, **fields: Any
) -> RosterResult:
    """Build the roster of some rotations with the built-in policies and rules."""
    data = RosterInput(tz=tz, rotations=tuple(rotations), **fields)
    return build_roster(data, start, end, policies=POLICIES, rules=RULES)


def people(shifts: Iterable[RosterShift]) -> list[int]:
    """Who is on duty, shift after shift."""
    return [shift.person_id for shift in shifts]


def local_spans(shifts: Iterable[RosterShift], zone: str) -> list[tuple[str, str]]:
    """Each shift's local start and end as ``"2025-03-08 09:00"`` strings."""
    tz = ZoneInfo(zone)
    return [
        (
            shift.start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            shift.end.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        )
        for shift in shifts
    ]
