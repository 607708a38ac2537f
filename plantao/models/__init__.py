"""The ORM models, one module per aggregate.

Importing this package registers every table on :data:`Base.metadata`, which
alembic compares against the migrations.
"""

from .audit import AuditEntry
from .meta import Base, UTCDateTime, utcnow
from .person import Leave, Person
from .rotation import Rotation, RotationVersion
from .shift import Override, Shift
from .team import CustomHoliday, RosterState, Team

__all__ = [
    "AuditEntry",
    "Base",
    "CustomHoliday",
    "Leave",
    "Override",
    "Person",
    "Rotation",
    "RosterState",
    "RotationVersion",
    "Shift",
    "Team",
    "UTCDateTime",
    "utcnow",
]
