"""Cover and swap requests: staff who ask a colleague to take (or trade) a shift."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, utcnow

#: ``cover``: anyone eligible takes the interval; ``swap``: one named colleague
#: trades their shift for it.
KINDS = ("cover", "swap")

#: Where a request stands.  Only ``open`` and ``awaiting_approval`` still move.
STATUSES = ("open", "awaiting_approval", "done", "declined", "cancelled", "expired", "obsolete")
LIVE_STATUSES = ("open", "awaiting_approval")


class ShiftRequest(Base):
    """A person's request that somebody else take part of their roster.

    The request is keyed by team, role and interval rather than by a stored
    shift: shifts are re-keyed whenever the roster regenerates, while what
    the requester asks about is "my primary on Saturday 08:00-20:00".  A
    swap also names the colleague's interval it would trade with.
    """

    __tablename__ = "shift_requests"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status"),
        Index("ix_shift_requests_team_status", "team_id", "status"),
        Index("ix_shift_requests_requester", "requester_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), default="open")
    role: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # A swap: the colleague and the interval of theirs offered in exchange.
    with_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    with_role: Mapped[str | None] = mapped_column(String(64))
    with_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    with_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    # Who was offered it when it was made (ids): they hear how it ends.
    offered: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Who took it, and when (before any approval).
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The override a cover became, or the swap_id of the pair a swap became.
    override_id: Mapped[int | None] = mapped_column(ForeignKey("overrides.id", ondelete="SET NULL"))
    swap_id: Mapped[str | None] = mapped_column(String(36))
    # The credential that approved, declined or cancelled it, as the audit log names actors.
    decided_by: Mapped[str | None] = mapped_column(String(400))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Grows with each change of status: a client can tell it acted on the state it saw.
    version: Mapped[int] = mapped_column(Integer, default=1)

    team = relationship("Team")
    requester = relationship("Person", foreign_keys=[requester_id])
    with_person = relationship("Person", foreign_keys=[with_person_id])
    accepted_by = relationship("Person", foreign_keys=[accepted_by_id])
