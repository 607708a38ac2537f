"""The ORM models, one module per aggregate.

Importing this package registers every table on :data:`Base.metadata`, which
alembic compares against the migrations.
"""

from .audit import AuditEntry
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
from .person import Leave, Person
from .rotation import Rotation, RotationVersion
from .shift import Override, Shift
from .team import CustomHoliday, RosterState, Team

__all__ = [
    "AuditEntry",
    "Base",
    "ChannelConfig",
    "CustomHoliday",
    "Delivery",
    "DeliveryAttempt",
    "Leave",
    "NotificationPreference",
    "OutboxEvent",
    "Override",
    "Person",
    "Rotation",
    "RosterState",
    "RotationVersion",
    "SchedulerState",
    "Shift",
    "Team",
    "TeamNotificationSettings",
    "UTCDateTime",
    "utcnow",
]
