"""API tokens: named bearer secrets (``plt_...``) an owner hands to integrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, UTCDateTime, utcnow
from .team import Team

#: The teams a token is limited to; none means every team.
api_token_teams = Table(
    "api_token_teams",
    Base.metadata,
    Column("token_id", ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    # The primary key leads with the token; deleting a team looks its rows up by team.
    Index("ix_api_token_teams_team_id", "team_id"),
)


class ApiToken(Base):
    """A named secret for the API, with scopes and optionally teams.

    Only the SHA-256 of the secret is stored: the owner sees the secret once,
    when the token is created.  Tokens are revoked rather than deleted, so
    the audit log's mentions of them keep meaning something.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the secret: a copy of this table opens nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Some of ``read``, ``write``, ``notifications``.
    scopes: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The credential that created it, as the audit log names actors.
    created_by: Mapped[str] = mapped_column(String(400))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_from: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    teams: Mapped[list[Team]] = relationship(Team, secondary=api_token_teams, order_by=Team.slug)
