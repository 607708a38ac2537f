"""Scheduling rules: who may take a slot, and who should.

A rule can forbid a member a slot (:meth:`SchedulingRule.allows`: leave,
minimum rest, consecutive shifts) or reorder the members who may take it
(:meth:`SchedulingRule.rank`: spread holidays fairly).  Rules are plugins,
provided through the ``register_scheduling_rules`` hook; those marked
``always_on`` apply to every rotation, the others only where a rotation
version lists them.
"""

# The bases live in the plugin API; this path keeps working for the rules
# written against it.
from plantao.plugin_api import (  # noqa: F401  (re-exported)
    AssignmentHistory,
    Declaration,
    LeaveCalendar,
    RuleContext,
    SchedulingRule,
    Slot,
)

__all__ = ["AssignmentHistory", "Declaration", "LeaveCalendar", "RuleContext", "SchedulingRule", "Slot"]
