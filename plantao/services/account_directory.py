"""Who a logged-in account is, looked up on every request its session makes.

A session names its account (``account:<id>``); the security policy asks
:class:`AccountDirectory` for the account's current role, teams and whether
it is still active, so that changing or disabling an account takes effect
at once, on every instance.  It reads through the engine, outside any
request transaction (the cached reads run without one), and remembers what
it found: while the database cannot be reached, an account it saw in the
last :data:`~plantao.services.login.REMEMBERED_FOR` seconds keeps reading
the roster from memory, like its session does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..models import Person, Team
from ..models.account import Account, account_teams
from .accounts import authenticate
from .login import RecentlyValidated


@dataclass(frozen=True)
class AccountRecord:
    """An account as the security policy needs it (no secret)."""

    id: int
    name: str
    email: str
    role: str
    active: bool
    person_id: int | None
    team_slugs: tuple[str, ...]


class AccountDirectory:
    """Finds accounts by id for the security policy (see the module docstring)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.monotonic):
        self.engine = engine
        self.recent = RecentlyValidated(clock=clock)

    def find(self, account_id: int) -> AccountRecord | None:
        """The account as stored now; while the database is away, as seen lately (else its error)."""
        key = str(account_id)
        try:
            record = self._stored(account_id)
        except SQLAlchemyError:
            seen = self.recent.recall(key)
            if seen is None:
                raise
            return seen
        if record is None:
            self.recent.forget(key)
        else:
            self.recent.remember(key, record)
        return record

    def authenticate(self, email, password) -> AccountRecord | None:
        """The active account with this email and password (see
        :func:`plantao.services.accounts.authenticate`), in a short transaction of its own."""
        with self.engine.begin() as connection:
            account_id = authenticate(connection, email, password)
        return self.find(account_id) if account_id is not None else None

    def _stored(self, account_id: int) -> AccountRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(Account.id, Account.name, Account.email, Account.role, Account.active, Account.person_id)
                .where(Account.id == account_id)
            ).first()
            if row is None:
                return None
            slugs = connection.scalars(
                select(Team.slug)
                .join(account_teams, account_teams.c.team_id == Team.id)
                .where(account_teams.c.account_id == account_id)
                .order_by(Team.slug)
            ).all()
        return AccountRecord(row.id, row.name, row.email, row.role, bool(row.active), row.person_id, tuple(slugs))


@dataclass(frozen=True)
class ActionLinkHolder:
    """The person an action link belongs to, as the security policy needs it."""

    id: int
    name: str
    active: bool


def action_link_holder(engine: Engine, token: str) -> ActionLinkHolder | None:
    """The person whose action link carries ``token``, or None.

    The token is looked up by equality on a unique column: what a guess could
    learn from timing is whether some stored token shares its first bytes in
    the index, which does not bring a guess of 32 random bytes any closer.
    """
    if not token or len(token) > 64:
        return None
    with engine.connect() as connection:
        row = connection.execute(
            select(Person.id, Person.name, Person.active).where(Person.action_token == token)
        ).first()
    return ActionLinkHolder(row.id, row.name, bool(row.active)) if row is not None else None
