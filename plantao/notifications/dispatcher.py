"""The dispatcher: claims due deliveries, sends them, records every attempt.

Each round, in short transactions of its own:

1. the :class:`~plantao.notifications.scheduler.Scheduler` writes the
   time-based events now due;
2. new outbox events are fanned out into deliveries;
3. one due delivery at a time is *claimed*: ``pending -> sending`` with
   ``claimed_by`` and ``claimed_at``, selected ``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL so several dispatchers never claim the same row;
4. the claimed delivery is sent *outside* any transaction, then marked
   ``sent`` (or rescheduled with exponential backoff and jitter, or
   ``failed`` after ``NOTIFY_MAX_ATTEMPTS``), and the next one is claimed.

A claim covers only the delivery about to be sent, and its ``claimed_at``
is the moment it is taken: claiming a batch at once would let the lease of
the last ones run out while a slow receiver holds up the first ones, and
another dispatcher would send them a second time.

A dispatcher killed between claiming and marking leaves the row in
``sending``; once ``NOTIFY_LEASE_SECONDS`` have passed, any dispatcher
claims it again.  So a notification is never lost (at least once, with an
idempotency key the receiver can use) and, in the normal path, sent once.

SQLite allows one dispatcher: it holds an exclusive lock on a file beside
the database, and a second one refuses to start.
"""

from __future__ import annotations

import fcntl
import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import transaction
from sqlalchemy import and_, or_, select
from sqlalchemy.engine import make_url

from ..datetimes import utcnow
from ..db import get_tm_session
from ..models import Delivery, DeliveryAttempt, OutboxEvent
from ..plugin_api import DeliveryError, Message, SendAttempt
from .fanout import channel_params, fan_out
from .scheduler import Scheduler, ensure_state

log = logging.getLogger(__name__)

#: Rows handled per round and step.
BATCH = 50
#: The longest pause between retries, whatever the attempt number.
MAX_BACKOFF = timedelta(hours=6)


class DispatcherLocked(Exception):
    """Another dispatcher already runs against this SQLite database."""


def backoff(attempt: int, base_seconds: float, rng: random.Random | None = None) -> timedelta:
    """Delay before try ``attempt + 1``: ``base * 2**(attempt-1)``, capped, with half of it random."""
    rng = rng or random
    delay = min(base_seconds * 2 ** max(attempt - 1, 0), MAX_BACKOFF.total_seconds())
    return timedelta(seconds=delay / 2 + rng.uniform(0, delay / 2))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Job:
    """A claimed delivery, as plain data to send outside any transaction."""

    id: int
    channel: str
    destination: dict
    message: dict
    params: dict | None
    idempotency_key: str
    attempt: int


class SQLiteLock:
    """An exclusive ``flock`` beside the SQLite database file, released on exit or death."""

    def __init__(self, database_url: str):
        url = make_url(database_url)
        self.path = None
        self.database = url.database
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            self.path = Path(url.database + ".dispatcher.lock")
        self.handle = None

    def acquire(self) -> None:
        if self.path is None:
            return
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise DispatcherLocked(
                f"another dispatcher ({holder}) already runs against the SQLite database {self.database}; "
                "SQLite allows only one (use PostgreSQL to run several)"
            ) from None
        handle.truncate(0)
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class Dispatcher:
    """Runs rounds of schedule, fan out, claim, send."""

    def __init__(self, session_factory, settings, plugins, name: str | None = None, clock=None):
        self.session_factory = session_factory
        self.settings = settings
        self.plugins = plugins
        self.name = name or worker_name()
        self.clock = clock or utcnow
        self.stopped = threading.Event()
        self.lock = SQLiteLock(settings.database_url)

    # -- plumbing -------------------------------------------------------------------

    def _transaction(self, work):
        manager = transaction.TransactionManager(explicit=True)
        with manager:
            return work(get_tm_session(self.session_factory, manager))

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.notify_lease_seconds)

    @property
    def send_timeout(self) -> float:
        # A send must end well within the lease, or another dispatcher
        # would take the delivery over while this one still tries.
        return max(1.0, min(30.0, self.settings.notify_lease_seconds / 3))

    # -- one round --------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> dict:
        """One round; returns counts of what it did."""
        now = now or self.clock()
        stats = {"events": 0, "fanned_out": 0, "sent": 0, "retried": 0, "failed": 0}
        self._transaction(lambda db: ensure_state(db, now, self.settings))
        stats["events"] = self._transaction(lambda db: Scheduler(db, self.settings, self.plugins).tick(now))
        while True:
            count = self._transaction(lambda db: self._fan_out(db, now))
            stats["fanned_out"] += count
            if count < BATCH:
                break
        # The round's clock runs on while it sends, so that each claim is
        # dated when it is taken (``now`` may be a test's fixed instant).
        round_started = time.monotonic()
        # A delivery is tried at most once a round, even when its retry is due at once.
        tried: list[int] = []
        for _ in range(BATCH):
            if self.stopped.is_set():
                break
            claimed_at = now + timedelta(seconds=time.monotonic() - round_started)
            job = self._transaction(lambda db: self._claim(db, claimed_at, tried))
            if job is None:
                break
            tried.append(job.id)
            outcome = self._send(job)
            stats[outcome] += 1
        return stats

    def _fan_out(self, dbsession, now) -> int:
        events = dbsession.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.fanned_out_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for event in events:
            fan_out(dbsession, event, self.settings, self.plugins, now)
        return len(events)

    def _claim(self, dbsession, now, tried: list[int]) -> Job | None:
        """Claim the next due delivery not in ``tried``, or None when nothing is due."""
        due = or_(
            and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
            # Claimed by a dispatcher that died mid-send: take it over.
            and_(Delivery.status == "sending", Delivery.claimed_at < now - self.lease),
        )
        if tried:
            due = and_(due, Delivery.id.not_in(tried))
        delivery = dbsession.scalars(
            select(Delivery).where(due).order_by(Delivery.next_attempt_at, Delivery.id).limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if delivery is None:
            return None
        if delivery.status == "sending":
            log.warning("delivery %s was left sending by %s: sending it again", delivery.id, delivery.claimed_by)
        delivery.status = "sending"
        delivery.claimed_by = self.name
        delivery.claimed_at = now
        params = channel_params(dbsession, delivery.team_id, delivery.channel, self.settings, self.plugins)
        return Job(delivery.id, delivery.channel, dict(delivery.destination), dict(delivery.message),
                   params, delivery.idempotency_key, delivery.attempts + 1)

    def _send(self, job: Job) -> str:
        started = self.clock()
        error: DeliveryError | None = None
        plugin = self.plugins.channels.get(job.channel)
        if plugin is None:
            error = DeliveryError(f"channel {job.channel!r} is not installed", permanent=True)
        elif job.params is None:
            error = DeliveryError(f"channel {job.channel!r} is no longer configured for this team", permanent=True)
        else:
            try:
                plugin.send(
                    Message.from_json(job.message),
                    job.destination,
                    job.params,
                    SendAttempt(job.id, job.idempotency_key, job.attempt, self.send_timeout),
                )
            except DeliveryError as failure:
                error = failure
            except Exception as failure:  # a plugin's bug is one failed attempt, not a dead dispatcher
                log.exception("channel %s raised while sending delivery %s", job.channel, job.id)
                error = DeliveryError(f"{type(failure).__name__}: {failure}")
        finished = self.clock()
        return self._transaction(lambda db: self._record(db, job, started, finished, error))

    def _record(self, dbsession, job: Job, started, finished, error: DeliveryError | None) -> str:
        delivery = dbsession.get(Delivery, job.id, with_for_update=True)
        if delivery is None:  # its team or person was deleted meanwhile
            return "sent" if error is None else "failed"
        number = len(delivery.attempt_log) + 1
        delivery.attempt_log.append(
            DeliveryAttempt(number=number, worker=self.name, started_at=started, finished_at=finished,
                            ok=error is None, error=None if error is None else str(error)[:2000])
        )
        delivery.attempts = job.attempt
        if delivery.status == "sent":
            return "sent"
        if error is None:
            delivery.status = "sent"
            delivery.sent_at = finished
            delivery.last_error = None
            log.info("delivery %s (%s via %s) sent", delivery.id, delivery.kind, delivery.channel)
            return "sent"
        delivery.last_error = str(error)[:2000]
        if error.permanent or job.attempt >= self.settings.notify_max_attempts:
            delivery.status = "failed"
            log.warning("delivery %s given up after %d attempt(s): %s", delivery.id, job.attempt, error)
            return "failed"
        delivery.status = "pending"
        delivery.next_attempt_at = finished + backoff(job.attempt, self.settings.notify_backoff_seconds)
        log.info("delivery %s failed (attempt %d), retrying at %s: %s",
                 delivery.id, job.attempt, delivery.next_attempt_at, error)
        return "retried"

    # -- running ------------------------------------------------------------------------

    def run_forever(self) -> None:
        """Rounds every ``NOTIFY_POLL_SECONDS`` until :meth:`stop`; a failed round is logged and retried."""
        self.lock.acquire()
        self.run_locked()

    def run_locked(self) -> None:
        """:meth:`run_forever` for a caller that has already taken :attr:`lock`; releases it at the end."""
        log.info("notification dispatcher %s started", self.name)
        try:
            while not self.stopped.is_set():
                try:
                    stats = self.run_once()
                    busy = stats["sent"] + stats["retried"] + stats["failed"] >= BATCH
                except Exception:
                    log.exception("notification round failed; trying again")
                    busy = False
                if not busy:
                    self.stopped.wait(self.settings.notify_poll_seconds)
        finally:
            self.lock.release()
            log.info("notification dispatcher %s stopped", self.name)

    def stop(self) -> None:
        self.stopped.set()


class DispatcherThread(threading.Thread):
    """The dispatcher inside ``plantao serve`` (``PLANTAO_WORKER_IN_SERVE=true``).

    Start it with the dispatcher's lock already taken: serve learns whether
    it may deliver before it starts, and never lets the lock go in between.
    """

    def __init__(self, dispatcher: Dispatcher):
        super().__init__(name="plantao-dispatcher", daemon=True)
        self.dispatcher = dispatcher

    def run(self) -> None:
        self.dispatcher.run_locked()
