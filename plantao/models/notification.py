"""Notifications: channel settings per team, people's preferences, the outbox.

An :class:`OutboxEvent` is written in the same transaction as the change
that causes it; the dispatcher fans each event out into one
:class:`Delivery` per recipient and channel, and records every try in
:class:`DeliveryAttempt`.  :class:`SchedulerState` keeps the high-water
mark of the time-based events (reminders, handoffs, digests) so that a
restart neither misses nor repeats them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, utcnow


class ChannelConfig(Base):
    """One notification channel (a plugin) configured for a team."""

    __tablename__ = "notification_channels"
    __table_args__ = (UniqueConstraint("team_id", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The plugin's parameters, secrets included: never shown back in full.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # Events the team-level destination (group, webhook) receives.
    events: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(8), default="pt-BR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TeamNotificationSettings(Base):
    """When a team's reminders, digests and gap warnings go out."""

    __tablename__ = "notification_team_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    # Minutes before a shift starts, e.g. [1440, 60].
    reminder_leads: Mapped[list] = mapped_column(JSON, default=list)
    digest_weekday: Mapped[int] = mapped_column(Integer, default=0)
    digest_time: Mapped[str] = mapped_column(String(5), default="08:00")
    gap_lookahead_hours: Mapped[int] = mapped_column(Integer, default=72)


class NotificationPreference(Base):
    """What reaches one person, where, in which language and when."""

    __tablename__ = "notification_preferences"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), default="pt-BR")
    # Event kind -> channel names, e.g. {"reminder": ["telegram"], "digest": ["email"]}.
    events: Mapped[dict] = mapped_column(JSON, default=dict)
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OutboxEvent(Base):
    """Something worth telling people, written with the change that caused it."""

    __tablename__ = "notification_events"
    __table_args__ = (Index("ix_notification_events_fanned_out_at", "fanned_out_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    # Time-based events are found again after a restart: this keeps them single.
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One rendered message for one recipient on one channel."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        Index("ix_notification_deliveries_status_due", "status", "next_attempt_at"),
        Index("ix_notification_deliveries_event_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_events.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(64))
    destination: Mapped[dict] = mapped_column(JSON, default=dict)
    message: Mapped[dict] = mapped_column(JSON, default=dict)
    # pending -> sending -> sent; or back to pending for a retry; failed after the last try.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Passed to the channel (Idempotency-Key header, Message-ID) so receivers
    # can drop the rare second copy after a dispatcher died mid-send.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", cascade="all, delete-orphan", order_by="DeliveryAttempt.id"
    )


class DeliveryAttempt(Base):
    """One try at sending a delivery, successful or not."""

    __tablename__ = "notification_attempts"
    __table_args__ = (Index("ix_notification_attempts_delivery_id", "delivery_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notification_deliveries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)

    delivery: Mapped[Delivery] = relationship(back_populates="attempt_log")


class SchedulerState(Base):
    """How far the time-based events have been looked for (a high-water mark)."""

    __tablename__ = "notification_scheduler"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    high_water: Mapped[datetime] = mapped_column(UTCDateTime)
