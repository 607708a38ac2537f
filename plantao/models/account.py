"""Named accounts: who logs in, with which role, over which teams."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .meta import Base, UTCDateTime, utcnow
from .person import Person
from .team import Team

#: What an account may do: everything (``owner``), its own teams' rosters
#: (``team_admin``), or read (``viewer``).
ROLES = ("owner", "team_admin", "viewer")

#: The teams a ``team_admin`` looks after.
account_teams = Table(
    "account_teams",
    Base.metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    # The primary key leads with the account; deleting a team looks its rows up by team.
    Index("ix_account_teams_team_id", "team_id"),
)


def normalize_email(email: str) -> str:
    """The form an email is stored and looked up in: stripped, lower-cased."""
    return email.strip().lower()


class Account(Base):
    """Someone who logs in by email and password.

    Accounts are disabled rather than deleted, so the audit log's names keep
    meaning something.  ``person`` optionally links the account to its
    holder in the roster.  Only an argon2 hash of the password is stored.
    """

    __tablename__ = "accounts"
    # A role the code does not know would grant nothing anybody can reason about.
    __table_args__ = (CheckConstraint(f"role IN ({', '.join(repr(role) for role in ROLES)})", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    person: Mapped[Person | None] = relationship(Person)
    teams: Mapped[list[Team]] = relationship(Team, secondary=account_teams, order_by=Team.slug)

    @validates("email")
    def _normalize_email(self, key: str, email: str) -> str:
        # Here rather than in each caller: two spellings of one address
        # must never make two accounts, nor miss each other at login.
        return normalize_email(email)
