"""Rotations, and their changes dated in the future."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, utcnow


class Rotation(Base):
    """A rotation fills one role of a team following a policy plugin.

    What may change over time (parameters, members, rules, restrictions) lives
    in :class:`RotationVersion` rows, each effective from a date, so a change
    dated in the future leaves the roster before that date as it was.
    """

    __tablename__ = "rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(64), default="primary")
    policy: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    # The last report of a policy that plans whole windows (the fair
    # policy's solver): {"status", "objective", "seconds", ...}; null otherwise.
    solver: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    team = relationship("Team")
    versions: Mapped[list[RotationVersion]] = relationship(
        back_populates="rotation",
        cascade="all, delete-orphan",
        order_by="RotationVersion.effective_from",
    )


class RotationVersion(Base):
    """What a rotation looks like from ``effective_from`` on."""

    __tablename__ = "rotation_versions"
    __table_args__ = (Index("ix_rotation_versions_rotation_from", "rotation_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(ForeignKey("rotations.id", ondelete="CASCADE"))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # Person ids in turn order.
    members: Mapped[list] = mapped_column(JSON, default=list)
    # Opt-in scheduling rules: name -> parameters.
    rules: Mapped[dict] = mapped_column(JSON, default=dict)
    # {"weekdays": [0, 1, 2, 3, 4], "start_time": "19:00", "end_time": "07:00"} or null.
    restriction: Mapped[dict | None] = mapped_column(JSON)
    turn_mode: Mapped[str] = mapped_column(String(16), default="calendar")

    rotation: Mapped[Rotation] = relationship(back_populates="versions")


def people_named(members, params) -> set[int]:
    """The people a rotation version names: its members, and any list of ids in a parameter
    whose name ends in ``members`` (policies keep extra member orders there: the split
    policy's night order, say)."""
    named = {p for p in members or () if isinstance(p, int)}
    for key, value in (params or {}).items():
        if key.endswith("members") and isinstance(value, list):
            named.update(p for p in value if isinstance(p, int))
    return named
