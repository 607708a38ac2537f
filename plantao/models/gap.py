"""Gaps and conflicts stored with the materialized roster.

The engine finds them while it computes the roster; storing them with the
shifts lets the gaps API, the admin report and the dispatcher read them with
an index instead of replaying every rotation per request or per round.
Like shifts, rows that ended are history and never change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, UTCDateTime


class RosterGap(Base):
    """Time when nobody holds a role that some rotation or override covers.

    A gap is identified by its team, role and start: regenerating the roster
    keeps the row (and ``announced_at``) while the gap lasts, so it is
    announced once however often it is looked at.
    """

    __tablename__ = "roster_gaps"
    __table_args__ = (
        Index("ix_roster_gaps_team_start", "team_id", "start"),
        Index("ix_roster_gaps_announced_at_end", "announced_at", "end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the dispatcher told the team and the admins; None: not yet.
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RosterConflict(Base):
    """A slot whose scheduling rules could not all be satisfied."""

    __tablename__ = "roster_conflicts"
    __table_args__ = (Index("ix_roster_conflicts_team_start", "team_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    # The rule relaxed; None when the rotation simply had nobody to assign.
    rule: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
