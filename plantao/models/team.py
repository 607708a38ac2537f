"""Teams: who shares a roster, in which zone, with which holidays."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, new_feed_token, utcnow


class Team(Base):
    """A team publishes one roster, reasoned about in its own time zone."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    holiday_country: Mapped[str] = mapped_column(String(2), default="BR")
    holiday_subdivision: Mapped[str | None] = mapped_column(String(10))
    holiday_optional: Mapped[bool] = mapped_column(Boolean, default=False)
    # Secret of the team's feed link when the roster is private.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_feed_token)
    fallback_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL")
    )
    # ``none``: an accepted cover or swap request takes effect at once;
    # ``admin``: it waits for a team admin's approval.
    swap_approval: Mapped[str] = mapped_column(String(8), default="none", server_default="none")
    # Shifts are stored up to here; the roster service extends it as time passes.
    materialized_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Grows with every change to this team's roster; each instance's
    # in-memory roster reloads the teams whose revision moved.
    roster_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    fallback_person = relationship("Person", foreign_keys=[fallback_person_id])
    custom_holidays: Mapped[list[CustomHoliday]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="CustomHoliday.day"
    )


class CustomHoliday(Base):
    """A team's own day off (a local anniversary, a company holiday)."""

    __tablename__ = "custom_holidays"
    __table_args__ = (UniqueConstraint("team_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))

    team: Mapped[Team] = relationship(back_populates="custom_holidays")
