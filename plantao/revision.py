"""The roster revision and every cache built on it.

One row (:class:`plantao.models.RosterState`) holds a revision that grows
with every roster change, on any instance.  Services only flag their
session (:func:`bump_revision`); the revision is incremented once, just
before that transaction commits, and once it has committed this instance
drops its caches at once, while other instances notice the new revision
within :data:`FRESHNESS` seconds.

The caches this module builds and keeps on the registry, all keyed by the
revision: ``roster_cache`` (who is on call now,
:class:`plantao.services.oncall.RosterCache`), ``feed_cache`` (rendered
feeds, :class:`plantao.services.exports.FeedCache`) and ``conditional_feeds``
(feed revalidations answered before Pyramid, :class:`ConditionalFeeds`).

Importing this module loads only the models: the services import it.
"""

from __future__ import annotations

import threading
import time as clock
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from .models import RosterState
from .routes import is_cached_read, is_feed_path

#: How long another instance's change may take to show here.
FRESHNESS = 1.0

# Session.info keys: a roster change is pending in this transaction; the
# transaction being committed carries one.
_CHANGED = "plantao.roster_changed"
_COMMITTING = "plantao.roster_committing"


def bump_revision(dbsession: Session) -> None:
    """Tell every instance that some roster changed (their caches compare this).

    The shared revision row is incremented once, just before the transaction
    commits, so that writers lock it last and briefly: locking it while
    regenerating teams would deadlock writers that touch several teams.
    The application's own caches are dropped as soon as the transaction
    commits (see :func:`includeme`), so the change is served at once.
    """
    dbsession.info[_CHANGED] = True


def current_revision(dbsession: Session) -> int:
    """The shared roster revision, as stored."""
    return dbsession.scalar(select(RosterState.revision).where(RosterState.id == 1)) or 0


@event.listens_for(Session, "before_commit")
def _increment_revision(dbsession: Session) -> None:
    # Every session, whichever factory made it (the app's, the CLI's, a
    # test's): a flagged transaction must never commit without its increment.
    # A savepoint's release is no commit: the increment waits for the real one.
    if dbsession.in_nested_transaction():
        return
    if dbsession.info.pop(_CHANGED, False):
        dbsession.info[_COMMITTING] = True
        dbsession.execute(
            update(RosterState).where(RosterState.id == 1).values(revision=RosterState.revision + 1)
        )


class RosterRevision:
    """This process's view of the roster revision, shared by its caches."""

    def __init__(self, session_factory: Callable[[], Session], freshness: float = FRESHNESS):
        self.session_factory = session_factory
        self.freshness = freshness
        self.known: int | None = None
        self.checked_at = 0.0
        self.lock = threading.Lock()
        self.listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (a cache's ``clear``) whenever the revision moves or is invalidated."""
        self.listeners.append(listener)

    def current(self) -> int:
        """The revision, re-read at most once per ``freshness`` seconds and at
        once after this instance committed a roster change."""
        now = clock.monotonic()
        if self.known is None or now - self.checked_at >= self.freshness:
            # A short session of its own, outside any request transaction.
            with self.session_factory() as dbsession:
                revision = current_revision(dbsession)
            with self.lock:
                changed = revision != self.known
                self.known = revision
                self.checked_at = now
            if changed:
                self._notify()
        return self.known

    def invalidate(self) -> None:
        """Forget everything (called after this instance commits a roster change)."""
        with self.lock:
            self.checked_at = 0.0
        self._notify()

    def _notify(self) -> None:
        for listener in self.listeners:
            listener()


# -- calendar clients' revalidations ------------------------------------------------------

#: How long a remembered ETag answers without the application looking again
#: (a feed with a defaulted interval moves with the days, not the revision).
ENTRY_LIFETIME = 60.0
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class _Remembered:
    etag: str
    revision: int
    expires: float
    headers: tuple[tuple[str, str], ...]


def _key(environ) -> tuple:
    # Everything that can change the answer: the feed, its query (tokens,
    # formats, intervals) and who asks (contacts differ by reader).
    cookie = environ.get("HTTP_COOKIE", "")
    return (
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_AUTHORIZATION", ""),
        cookie if "plantao_session" in cookie else "",
    )


class ConditionalFeeds:
    """Calendar clients' revalidations answered before Pyramid is even entered.

    Calendar apps poll their feed every few minutes with ``If-None-Match``;
    the answer is nearly always 304.  This WSGI wrapper of the Pyramid app
    remembers, per feed URL and credential, the ETag the app last served,
    and answers a matching revalidation itself while the roster revision is
    unchanged.  Anything else (a first request, a changed roster, a
    different credential, an entry older than :data:`ENTRY_LIFETIME`) goes
    through the application as usual, which refreshes the entry.
    ``registry`` stays reachable as an attribute.
    """

    def __init__(self, app, registry, revision: RosterRevision):
        self.app = app
        self.registry = registry
        self.revision = revision
        self.entries: OrderedDict[tuple, _Remembered] = OrderedDict()
        self.lock = threading.Lock()
        self.answered = 0

    def remember(self, request, etag: str, revision: int, headers: dict[str, str]) -> None:
        """Called by the feed views with what they just served for this request."""
        entry = _Remembered(etag, revision, clock.monotonic() + ENTRY_LIFETIME, tuple(headers.items()))
        with self.lock:
            self.entries[_key(request.environ)] = entry
            self.entries.move_to_end(_key(request.environ))
            while len(self.entries) > MAX_ENTRIES:
                self.entries.popitem(last=False)

    def __call__(self, environ, start_response):
        tags = environ.get("HTTP_IF_NONE_MATCH")
        if tags and environ.get("REQUEST_METHOD") in ("GET", "HEAD") and is_feed_path(self.registry, environ.get("PATH_INFO", "")):
            entry = self.entries.get(_key(environ))
            if (
                entry is not None
                and entry.expires > clock.monotonic()
                and any(tag.strip().removeprefix("W/") == entry.etag for tag in tags.split(","))
                and entry.revision == self.revision.current()
            ):
                self.answered += 1
                start_response("304 Not Modified", list(entry.headers))
                return [b""]
        return self.app(environ, start_response)


def wrap(app, registry) -> ConditionalFeeds:
    """The WSGI app with feed revalidations answered in front of it (kept as ``registry.conditional_feeds``)."""
    registry.conditional_feeds = ConditionalFeeds(app, registry, registry.roster_revision)
    return registry.conditional_feeds


def includeme(config) -> None:
    """Build the caches on the app's session factory and drop them when it commits a roster change."""
    # Built here, not imported at the top: the services import this module.
    from .services.exports import FeedCache
    from .services.oncall import RosterCache

    registry = config.registry
    session_factory = registry["dbsession_factory"]
    revision = registry.roster_revision = RosterRevision(session_factory)
    registry.roster_cache = RosterCache(revision)
    registry.feed_cache = FeedCache(revision)

    def after_commit(dbsession: Session) -> None:
        if not dbsession.in_nested_transaction() and dbsession.info.pop(_COMMITTING, False):
            revision.invalidate()

    event.listen(session_factory, "after_commit", after_commit)

    # The cached reads ("who is on call now", feeds) need no transaction
    # (nor a retry): they are the hottest requests, and each one saved counts.
    settings = config.get_settings()
    settings.setdefault("tm.activate_hook", lambda request: not is_cached_read(request))
    settings.setdefault("retry.activate_hook", lambda request: 1 if is_cached_read(request) else None)
