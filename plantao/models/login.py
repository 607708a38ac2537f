"""Logins: server-side sessions and the failed attempts that throttle guessing.

Both live in the database, not in a process, so every instance behind a
load balancer (and a restarted one) sees the same sessions and the same
failures.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, UTCDateTime, utcnow


class LoginSession(Base):
    """One login: the browser holds the secret, the database only its hash.

    ``subject`` says who logged in: ``admin`` or ``viewer`` today, an
    account's own subject once named accounts exist.  A session is valid
    while it is not revoked, was seen within the idle limit and has not
    passed ``expires_at`` (the absolute lifetime).
    """

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the cookie's secret: a copy of this table opens no session.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(64))
    # The named account logged in, if any: its sessions end with it.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    client_addr: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """A wrong password from a client address: the login form, a bearer token or a viewer's."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_client_addr_at", "client_addr", "at"),
        Index("ix_login_failures_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_addr: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ``form`` or ``bearer``: where the wrong password was tried.
    kind: Mapped[str] = mapped_column(String(16))
