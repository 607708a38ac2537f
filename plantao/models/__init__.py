"""The ORM models, one module per aggregate.

Importing this package registers every table on :data:`Base.metadata`, which
alembic compares against the migrations.
"""

from .account import ROLES, Account, account_teams
from .audit import AuditEntry
from .gap import RosterConflict, RosterGap
from .login import LoginFailure, LoginSession
from .meta import Base, UTCDateTime, utcnow
from .notification import (
    ChannelConfig,
    Delivery,
    DeliveryAttempt,
    NotificationPreference,
    OutboxEvent,
    SchedulerState,
    TeamNotificationSettings,
)
from .payroll import HoursClosure
from .person import Leave, Person
from .rotation import Rotation, RotationVersion
from .shift import Override, Shift
from .request import ShiftRequest
from .revision import RosterState
from .team import CustomHoliday, Team
from .token import ApiToken, api_token_teams

__all__ = [
    "Account",
    "ApiToken",
    "AuditEntry",
    "Base",
    "ChannelConfig",
    "CustomHoliday",
    "Delivery",
    "DeliveryAttempt",
    "HoursClosure",
    "Leave",
    "LoginFailure",
    "LoginSession",
    "NotificationPreference",
    "OutboxEvent",
    "Override",
    "Person",
    "ROLES",
    "Rotation",
    "RosterConflict",
    "RosterGap",
    "RosterState",
    "RotationVersion",
    "SchedulerState",
    "Shift",
    "ShiftRequest",
    "Team",
    "TeamNotificationSettings",
    "UTCDateTime",
    "account_teams",
    "api_token_teams",
    "utcnow",
]
