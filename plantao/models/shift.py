"""Overrides and the materialized roster."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, utcnow


class Override(Base):
    """A person replaces whoever holds ``role`` during an interval.

    A swap is recorded as two overrides sharing a ``swap_id``.
    """

    __tablename__ = "overrides"
    __table_args__ = (Index("ix_overrides_team_start", "team_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64), default="primary")
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    swap_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person = relationship("Person")


class Shift(Base):
    """One stretch of the final roster: who holds a role from start to end.

    Shifts are materialized for a horizon ahead so that "who is on call" and
    the feeds are index reads.  ``key`` is the engine's stable identity of the
    shift, kept across regenerations; ``sequence`` grows each time the shift
    is reassigned, as calendar clients expect.
    """

    __tablename__ = "shifts"
    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        Index("ix_shifts_team_role_start", "team_id", "role", "start"),
        # Reads across roles (the shifts list, the next handoff) go by start.
        Index("ix_shifts_team_start", "team_id", "start"),
        Index("ix_shifts_team_end", "team_id", "end"),
        Index("ix_shifts_person_start", "person_id", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))
    rotation_id: Mapped[int | None] = mapped_column(ForeignKey("rotations.id", ondelete="SET NULL"))
    override_id: Mapped[int | None] = mapped_column(ForeignKey("overrides.id", ondelete="SET NULL"))
    key: Mapped[str] = mapped_column(String(200))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person = relationship("Person", lazy="joined")
