"""Logging in: the limit on wrong passwords, and the sessions a login opens.

Both are kept in the database, so they hold across processes, instances
behind a load balancer and restarts.

**The throttle.** Every wrong password from a client address is recorded,
whichever door it knocked on: the login form, a bearer token, the viewer's
password; a wrong password for an account also counts for that account,
from whatever address (:func:`account_key`).  After ``max_failures`` failures within ``window`` the address is
refused outright (429) until the oldest of them leaves the window.  The
login form also makes every failure cost the client a growing delay, and a
successful login through it clears the address's record.

An address with no failure on record that has just shown the admin
password or a credential of its own (a token, an action link: what would
clear its failures through the login form) is not looked up again for
:data:`TRUSTED_FOR` seconds (:meth:`LoginThrottle.proven`): a script
calling the API with its token costs no query per request.  Any failure
from the address in this process ends that at once; one recorded by
another instance is seen there when the seconds are over.  So that holder
may get a few more guesses at the admin password through the other
instances (as many as their threads answer at once), but a holder of such
a credential can wipe its failures through the login form anyway; a
shared viewer password earns no trust, and an address with any failure on
record is always looked up.

**Sessions.** A login opens a row in ``login_sessions``; the browser's
signed cookie holds only the session's random secret, the database only its
hash.  A session ends when it is revoked (logout), when it has not been seen
for ``idle`` or when it reaches its absolute lifetime, however active.  The
subject is the role today and can be an account once named accounts exist.

**While the database is away.** Credentials (sessions and bearer
passwords) this process validated in the last :data:`REMEMBERED_FOR` are
honoured from memory (:class:`RecentlyValidated`) while the database cannot
be reached, so people keep reading the roster; their last use is recorded
only when the database answers.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from ..models import LoginFailure, LoginSession
from ..models.account import normalize_email
from ..models.meta import utcnow

#: Failures allowed within the window before the address is locked out.
MAX_FAILURES = 5
#: How long a failure counts, in seconds.
WINDOW = 15 * 60
#: Delay added per recent failure of the login form, in seconds, and its ceiling.
DELAY_STEP = 0.2
MAX_DELAY = 2.0

#: A session not seen for this long has ended.
IDLE_TIMEOUT = timedelta(hours=12)
#: ``last_seen_at`` is written at most this often: a busy session costs one
#: write a minute, not one per request.
TOUCH_INTERVAL = timedelta(minutes=1)

_ADDRESS_LENGTH = 64

#: How long a validated credential is honoured from memory while the database is unreachable.
REMEMBERED_FOR = 10 * 60

#: How long, in seconds, an address found with no failure that then showed the
#: admin password or a credential of its own is not looked up again (see
#: :meth:`LoginThrottle.proven`).
TRUSTED_FOR = 2.0


class RecentlyValidated:
    """Credentials this process validated lately, by the hash of their secret.

    Consulted only when the database cannot be reached; the secrets
    themselves are never kept.  The subject is whatever the credential
    stood for (a role, an account's or a token's record).  ``clock``
    answers monotonic seconds.
    """

    def __init__(self, lifetime: float = REMEMBERED_FOR, clock: Callable[[], float] = time.monotonic):
        self.lifetime = lifetime
        self.clock = clock
        self._seen: dict[str, tuple[object, float]] = {}
        self._lock = threading.Lock()

    def remember(self, secret: str, subject) -> None:
        """``secret`` was just validated as ``subject``'s."""
        now = self.clock()
        with self._lock:
            if len(self._seen) > 10_000:  # bounded: the oldest go first
                self._seen = {k: v for k, v in self._seen.items() if now - v[1] < self.lifetime}
            self._seen[_token_hash(secret)] = (subject, now)

    def forget(self, secret: str) -> None:
        """``secret`` opens nothing any more (logged out, expired, revoked)."""
        with self._lock:
            self._seen.pop(_token_hash(secret), None)

    def recall(self, secret: str):
        """Whose ``secret`` was, if validated within the lifetime; else None."""
        found = self._seen.get(_token_hash(secret))
        if found is None or self.clock() - found[1] >= self.lifetime:
            return None
        return found[0]


def _address(address: str) -> str:
    return (address or "unknown")[:_ADDRESS_LENGTH]


class FailureLog(Protocol):
    """Where the throttle keeps failures."""

    def since(self, address: str, horizon: datetime) -> list[datetime]:
        """The address's failures after ``horizon``, oldest first."""

    def record(self, address: str, at: datetime, kind: str, horizon: datetime) -> int:
        """Add a failure; answer how many the address has after ``horizon``."""

    def clear(self, address: str) -> None:
        """Forget the address's failures."""


class DatabaseFailureLog:
    """Failures in ``login_failures``, shared by every process on the database.

    Each call runs in a short transaction of its own, not the request's: a
    refused request's transaction is aborted, and its failure must still count.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.table = LoginFailure.__table__

    def since(self, address: str, horizon: datetime) -> list[datetime]:
        t = self.table
        with self.engine.connect() as connection:
            return list(
                connection.scalars(
                    select(t.c.at).where(t.c.client_addr == _address(address), t.c.at > horizon).order_by(t.c.at)
                )
            )

    def record(self, address: str, at: datetime, kind: str, horizon: datetime) -> int:
        t = self.table
        with self.engine.begin() as connection:
            # Failures that left the window count for nobody; they go as new ones come.
            connection.execute(delete(t).where(t.c.at <= horizon))
            connection.execute(insert(t).values(client_addr=_address(address), at=at, kind=kind))
            return connection.scalar(
                select(func.count()).select_from(t).where(t.c.client_addr == _address(address), t.c.at > horizon)
            )

    def clear(self, address: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(self.table).where(self.table.c.client_addr == _address(address)))


class MemoryFailureLog:
    """Failures in this process only: for the throttle's own tests and tools without a database."""

    def __init__(self):
        self._failures: dict[str, list[datetime]] = {}
        self._lock = threading.Lock()

    def since(self, address: str, horizon: datetime) -> list[datetime]:
        with self._lock:
            return [at for at in self._failures.get(address, []) if at > horizon]

    def record(self, address: str, at: datetime, kind: str, horizon: datetime) -> int:
        with self._lock:
            recent = [when for when in self._failures.get(address, []) if when > horizon] + [at]
            self._failures[address] = recent
            return len(recent)

    def clear(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


@dataclass
class LoginThrottle:
    """Failed-login bookkeeping per client address.

    ``clock`` answers seconds since the epoch (wall time, not monotonic: the
    failures are compared across processes and machines).
    """

    failures: FailureLog = field(default_factory=MemoryFailureLog)
    max_failures: int = MAX_FAILURES
    window: float = WINDOW
    delay_step: float = DELAY_STEP
    max_delay: float = MAX_DELAY
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    trusted_for: float = TRUSTED_FOR
    #: Monotonic seconds, for the trust (a wall clock set back must not lengthen it).
    monotonic: Callable[[], float] = time.monotonic
    # Address -> until when (monotonic) its lookup that found no failure may
    # vouch for it / it is trusted; the server's threads share them, under the lock.
    _clean: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _trusted: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    @staticmethod
    def _instant(seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, timezone.utc)

    def locked_for(self, address: str) -> float:
        """Seconds until ``address`` may try again; 0 when it may try now."""
        looked_up = self.monotonic()
        with self._lock:
            if self._trusted.get(address, 0.0) > looked_up:
                return 0.0
        now = self.clock()
        recent = self.failures.since(address, self._instant(now - self.window))
        with self._lock:
            if recent:
                # An older request's clean lookup no longer vouches for the address.
                self._clean.pop(address, None)
            else:
                self._clean = _unexpired(self._clean, looked_up)
                self._clean[address] = looked_up + self.trusted_for
        if len(recent) < self.max_failures:
            return 0.0
        # The lockout ends when enough failures have left the window.
        oldest_that_counts = recent[len(recent) - self.max_failures].timestamp()
        return max(0.0, oldest_that_counts + self.window - now)

    def failed(self, address: str, kind: str = "form", *, delay: bool = True) -> None:
        """Record a failure; with ``delay``, make the client wait a little longer each time.

        Bearer failures are not delayed: the lockout bounds them, and a
        sleeping request would hold one of the server's few threads.
        """
        with self._lock:
            self._trusted.pop(address, None)
            self._clean.pop(address, None)
        now = self.clock()
        count = self.failures.record(address, self._instant(now), kind, self._instant(now - self.window))
        wait = min(self.max_delay, self.delay_step * count)
        if delay and wait > 0:
            self.sleep(wait)

    def succeeded(self, address: str) -> None:
        self.failures.clear(address)

    def proven(self, address: str) -> None:
        """A request from ``address`` has just shown a credential of its own (see :data:`TRUSTED_FOR`).

        If :meth:`locked_for` found no failure of the address on record a
        moment ago, it answers 0 without looking up for the next
        :attr:`trusted_for` seconds, unless the address fails meanwhile.
        Only the credentials that would clear the address's failures
        through the login form count: the admin password, or one of the
        holder's own (a token, an action link), never a shared viewer
        password.
        """
        now = self.monotonic()
        with self._lock:
            vouched_until = self._clean.pop(address, None)
            if vouched_until is None or vouched_until <= now:
                return
            self._trusted = _unexpired(self._trusted, now)
            self._trusted[address] = vouched_until


def _unexpired(until: dict[str, float], now: float) -> dict[str, float]:
    """``until`` (key -> expiry), bounded: past 10,000 entries the expired ones go."""
    if len(until) <= 10_000:
        return until
    return {key: expiry for key, expiry in until.items() if expiry > now}


def account_key(email: str) -> str:
    """What the throttle counts an account's failures under: like an address, a key of its own.

    Wrong passwords for one account count together from every address, so
    guessing spread over many machines is stopped too; the key is a hash,
    so the throttle's table holds no email.
    """
    return "account:" + hashlib.sha256(normalize_email(email).encode("utf-8")).hexdigest()[:40]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class LoginSessions:
    """Server-side sessions in ``login_sessions``.

    Like the throttle, every call runs in a transaction of its own: a
    session is checked before a request's own work begins (on the cached,
    transaction-less reads too), and a logout must stick whatever the rest
    of the request does.
    """

    engine: Engine
    max_age: timedelta
    idle: timedelta = IDLE_TIMEOUT
    clock: Callable[[], datetime] = utcnow
    recent: RecentlyValidated = field(default_factory=RecentlyValidated)

    @property
    def table(self):
        return LoginSession.__table__

    def open(self, subject: str, client_addr: str | None = None, account_id: int | None = None) -> str:
        """Start a session for ``subject``; answer the secret for the browser's cookie.

        ``account_id`` names the account that logged in, if any: its
        sessions end when it is disabled or its password or role changes
        (:meth:`end_for_account`).
        """
        token = secrets.token_urlsafe(32)
        now = self.clock()
        t = self.table
        with self.engine.begin() as connection:
            # Sessions past their lifetime open nothing any more; they go as new ones come.
            connection.execute(delete(t).where(t.c.expires_at <= now))
            connection.execute(
                insert(t).values(
                    token_hash=_token_hash(token),
                    subject=subject,
                    account_id=account_id,
                    client_addr=_address(client_addr) if client_addr else None,
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + self.max_age,
                )
            )
        return token

    def subject(self, token) -> str | None:
        """Who the session with this secret belongs to, while it is valid.

        While the database cannot be reached, a session this process
        validated in the last :data:`REMEMBERED_FOR` still opens (else the
        database's error is raised: the request answers 503).
        """
        if not isinstance(token, str) or not token:
            return None
        try:
            subject = self._stored_subject(token)
        except SQLAlchemyError:
            subject = self.recent.recall(token)
            if subject is None:
                raise
            return subject
        if subject is not None:
            self.recent.remember(token, subject)
        else:
            self.recent.forget(token)
        return subject

    def _stored_subject(self, token: str) -> str | None:
        now = self.clock()
        t = self.table
        with self.engine.connect() as connection:
            row = connection.execute(
                select(t.c.id, t.c.subject, t.c.last_seen_at, t.c.expires_at, t.c.revoked_at).where(
                    t.c.token_hash == _token_hash(token)
                )
            ).first()
        if row is None or row.revoked_at is not None or now >= row.expires_at or now >= row.last_seen_at + self.idle:
            return None
        if now - row.last_seen_at >= TOUCH_INTERVAL:
            with self.engine.begin() as connection:
                connection.execute(update(t).where(t.c.id == row.id).values(last_seen_at=now))
        return row.subject

    def end(self, token) -> None:
        """Revoke the session with this secret: its cookie, wherever copied, opens nothing."""
        if not isinstance(token, str) or not token:
            return
        # Gone from memory first: during an outage the cookie must open nothing either.
        self.recent.forget(token)
        t = self.table
        with self.engine.begin() as connection:
            connection.execute(
                update(t)
                .where(t.c.token_hash == _token_hash(token), t.c.revoked_at.is_(None))
                .values(revoked_at=self.clock())
            )

    def end_for_account(self, account_id: int, connection: Connection | None = None) -> int:
        """Revoke every session of account ``account_id``; answer how many were open.

        Without ``connection`` it runs in a transaction of its own, like
        :meth:`end`.  A service that disables an account passes its own
        transaction's connection: the sessions then end if, and only if,
        that change commits (and on SQLite a second writer would wait for
        the first one's lock until it timed out).

        This process may still honour one of those sessions from memory
        while the database is unreachable (:class:`RecentlyValidated` knows
        secrets, not accounts), for at most :data:`REMEMBERED_FOR`.
        """
        t = self.table
        statement = (
            update(t)
            .where(t.c.account_id == account_id, t.c.revoked_at.is_(None))
            .values(revoked_at=self.clock())
        )
        if connection is not None:
            return connection.execute(statement).rowcount
        with self.engine.begin() as own:
            return own.execute(statement).rowcount
