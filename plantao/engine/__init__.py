"""The scheduling engine: plain data in, a roster out.

The engine knows nothing of the database or the web.  The service layer
turns rows into a :class:`RosterInput`, calls :func:`build_roster` with the
policy and rule registries, and stores the :class:`RosterResult`.  The same
input always gives the same roster, down to each shift's ``key``.
"""

from plantao.engine.holidays import holiday_calendar
from plantao.engine.diff import Reassignment, RosterDiff, diff_rosters
from plantao.engine.model import (
    RuleConflict,
    Gap,
    LeaveSpec,
    OverrideSpec,
    PlanningState,
    Restriction,
    RosterInput,
    RosterResult,
    RotationSpec,
    RotationVersionSpec,
    RosterShift,
)
from plantao.engine.policies import PolicyContext, RotationPolicy, Slot, wall_clock
from plantao.engine.restrictions import active_pieces
from plantao.engine.roster import build_roster
from plantao.engine.rules import AssignmentHistory, LeaveCalendar, RuleContext, SchedulingRule
from plantao.plugin_api import WorkedShift

__all__ = [
    "AssignmentHistory",
    "RuleConflict",
    "Gap",
    "LeaveCalendar",
    "LeaveSpec",
    "OverrideSpec",
    "PlanningState",
    "PolicyContext",
    "Reassignment",
    "Restriction",
    "RosterDiff",
    "RosterInput",
    "RosterResult",
    "RotationPolicy",
    "RotationSpec",
    "RotationVersionSpec",
    "RuleContext",
    "SchedulingRule",
    "RosterShift",
    "Slot",
    "WorkedShift",
    "active_pieces",
    "build_roster",
    "diff_rosters",
    "holiday_calendar",
    "wall_clock",
]
