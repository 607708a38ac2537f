"""People who take shifts, and the time they are away."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, new_feed_token, utcnow


class Person(Base):
    """Someone who can be on call.

    People who leave are deactivated rather than erased: they drop out of
    future shifts while their past shifts stay in the history.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64))
    # Other chat handles by network, e.g. {"slack": "U024BE7LH", "whatsapp": "+55..."}.
    chat: Mapped[dict] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Money per hour, for the hours report's value column; only owners see it.
    hourly_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # Secret of the person's own feed and page links; rotating it kills old links.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_feed_token)
    # Secret of the person's action link (their own page, preferences, cover and
    # swap requests).  Never part of a feed URL: calendar services keep those.
    action_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_feed_token)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    leaves: Mapped[list[Leave]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="Leave.start"
    )


class Leave(Base):
    """An interval in which a person cannot take shifts."""

    __tablename__ = "leaves"
    __table_args__ = (Index("ix_leaves_person_start", "person_id", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person: Mapped[Person] = relationship(back_populates="leaves")
