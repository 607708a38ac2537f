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

# The bases and helpers live in the plugin API; this path keeps working for
# the policies written against it.
from plantao.plugin_api import (  # noqa: F401  (re-exported)
    CLOCK,
    CLOCK_SCHEMA,
    LANGUAGES,
    SLUG,
    Declaration,
    PolicyContext,
    RotationPolicy,
    Slot,
    local_date,
    parse_clock,
    slot_labels,
    wall_clock,
)

__all__ = [
    "CLOCK",
    "CLOCK_SCHEMA",
    "LANGUAGES",
    "SLUG",
    "Declaration",
    "PolicyContext",
    "RotationPolicy",
    "Slot",
    "local_date",
    "parse_clock",
    "slot_labels",
    "wall_clock",
]
