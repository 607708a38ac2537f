"""The roster in memory and every cache built on it, and when they move.

The revisions (the rows, the flag services set with :func:`bump_revision`)
live with the models in :mod:`plantao.models.revision`; the roster in
memory that follows them in :mod:`plantao.read_model`.  This module,
included by the app factory, builds on the registry: ``read_model`` (the
:class:`~plantao.read_model.ReadModel`), ``roster_cache`` (serialized
``oncall`` answers, :class:`plantao.services.oncall.RosterCache`),
``feed_cache`` (rendered feeds, :class:`plantao.services.feeds.FeedCache`)
and ``repeated_reads`` (feeds and shifts asked for again, answered before
Pyramid, :class:`RepeatedReads`).  The read model is refreshed the moment this
instance commits a roster change; other instances notice within
:data:`~plantao.models.revision.FRESHNESS` seconds.
"""

from __future__ import annotations

import threading
import time as clock
from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.orm import Session

from .db import get_session_factory, standby_engine
from .models.revision import COMMITTING, PATCHES
from .read_model import ReadModel
from .routes import is_cached_read, oncall_slug
from .services.contacts import ContactPolicy, OnDuty
from .services.feeds import FeedCache
from .services.oncall import RosterCache
from .shared import keep, register_shared


# -- calendar clients' revalidations ------------------------------------------------------

#: How long a remembered ETag answers without the application looking again
#: (a feed with a defaulted interval moves with the days, not the revision).
ENTRY_LIFETIME = 60.0
MAX_ENTRIES = 4096
#: Bodies kept for repeated requests: none larger than this, and this many bytes together.
MAX_KEPT_BODY = 4 * 1024 * 1024
MAX_BODY_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class _Remembered:
    etag: str
    #: (kind, ident, version) of the feed when it was served (FeedCache.version).
    version: tuple
    expires: float
    headers: tuple[tuple[str, str], ...]
    #: The full answer's body and its own headers (Content-Type...), kept with the cache's.
    body: bytes = b""
    content: tuple[tuple[str, str], ...] = ()


def _session_cookie(environ) -> str:
    """The request's cookies when they carry a login session (security.SESSION_COOKIE), else ''."""
    cookie = environ.get("HTTP_COOKIE", "")
    return cookie if "plantao_session" in cookie else ""


def _key(environ) -> tuple:
    # Everything that can change the answer: the feed, its query (tokens,
    # formats, intervals) and who asks (contacts differ by reader).
    return (
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("HTTP_AUTHORIZATION", ""),
        _session_cookie(environ),
    )


def stale_headers(read_model: ReadModel) -> list[tuple[str, str]]:
    """``X-Plantao-Stale: <seconds since the last successful look at the database>``
    while the roster in memory may be late; nothing otherwise."""
    stale = read_model.stale_seconds()
    return [("X-Plantao-Stale", str(stale))] if stale is not None else []


class RepeatedReads:
    """Feeds and shifts asked for again, answered before Pyramid is even entered.

    Calendar apps poll their feed every few minutes with ``If-None-Match``
    (the answer is nearly always 304), integrators the same weeks of shifts.
    This WSGI wrapper of the Pyramid app remembers, per URL and credential,
    what the app last served, and answers a matching revalidation (304), or
    the same request again (the body), itself while what it shows is
    unchanged (:meth:`FeedCache.version` for a feed; for shifts, the team's
    roster generation and, for readers who see only the phones of those on
    call, who is on call).  Anything else (a first request, a changed roster, a
    different credential, an entry older than :data:`ENTRY_LIFETIME`) goes
    through the application as usual, which refreshes the entry.
    ``registry`` stays reachable as an attribute.
    """

    def __init__(self, app, registry, feeds: FeedCache):
        self.app = app
        self.registry = registry
        self.feeds = feeds
        self.entries: OrderedDict[tuple, _Remembered] = OrderedDict()
        self.body_bytes = 0
        self.lock = threading.Lock()
        self.answered = 0

    def remember(self, request, etag: str, version: tuple, headers: dict[str, str], *,
                 body: bytes = b"", content: dict[str, str] | None = None) -> None:
        """Called by the feed views with what they just served for this request."""
        if len(body) > MAX_KEPT_BODY:
            body = b""  # revalidations only: the application serves it again
        entry = _Remembered(
            etag, version, clock.monotonic() + ENTRY_LIFETIME, tuple(headers.items()), body,
            tuple((content or {}).items()),
        )
        key = _key(request.environ)
        with self.lock:
            previous = self.entries.pop(key, None)
            if previous is not None:
                self.body_bytes -= len(previous.body)
            self.entries[key] = entry
            self.body_bytes += len(body)
            while self.entries and (len(self.entries) > MAX_ENTRIES or self.body_bytes > MAX_BODY_BYTES):
                _, dropped = self.entries.popitem(last=False)
                self.body_bytes -= len(dropped.body)

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or not self.entries:
            return self.app(environ, start_response)
        entry = self.entries.get(_key(environ))
        if entry is None or entry.expires <= clock.monotonic() or not self._unchanged(entry.version):
            return self.app(environ, start_response)
        tags = environ.get("HTTP_IF_NONE_MATCH")
        marked = stale_headers(self.registry.read_model)
        if tags:
            if any(tag.strip().removeprefix("W/") == entry.etag for tag in tags.split(",")):
                self.answered += 1
                start_response("304 Not Modified", [*entry.headers, *marked])
                return [b""]
        elif (
            entry.body
            and "HTTP_IF_MODIFIED_SINCE" not in environ
            and not _session_cookie(environ)
        ):
            # The same request again, by the same credential (anonymous, a
            # feed token, a bearer password): the body it got.  A session
            # cookie goes through the application, which checks the session
            # is still open before showing a roster again.
            self.answered += 1
            start_response("200 OK", [
                *entry.headers, *entry.content, ("Content-Length", str(len(entry.body))), *marked,
            ])
            return [entry.body]
        return self.app(environ, start_response)


    def _unchanged(self, version: tuple) -> bool:
        kind, ident, served = version
        try:
            if kind == "shifts":
                return shifts_version(self.registry.read_model, ident, served[1] is not None) == served
            return self.feeds.version(kind, ident) == served
        except Exception:  # the application answers, and explains, instead
            return False


def shifts_version(read_model: ReadModel, team_id: int, on_duty_matters: bool) -> tuple:
    """What a team's shifts answer depends on: its roster's generation, and who is on call
    when the reader sees only their phones."""
    snapshot = read_model.snapshot()
    roster = snapshot.teams.get(team_id)
    holders = OnDuty.in_memory(snapshot, team_id=team_id).holders if on_duty_matters else None
    return (roster.generation if roster is not None else None, holders)


class PublicOnCall:
    """Anonymous ``GET .../oncall`` of a public roster, answered before Pyramid is even entered.

    Status pages and bots poll "who is on call now" without credentials;
    the answer is the same serialized body the view serves
    (:meth:`RosterCache.oncall_body` with the anonymous reader's contacts),
    so this WSGI wrapper gives it without the framework's per-request work.
    Anything else (a query string, a credential, a private roster, an
    instance still starting, a team not in memory) goes through the
    application as usual.  ``registry`` stays reachable as an attribute.
    """

    def __init__(self, app, registry):
        self.app = app
        self.registry = registry
        settings = registry.plantao_settings
        self.enabled = settings.public_roster
        self.policy = ContactPolicy.for_reader(False, settings.public_contacts)
        self.answered = 0

    def __call__(self, environ, start_response):
        if (
            self.enabled
            and environ.get("REQUEST_METHOD") == "GET"
            and not environ.get("QUERY_STRING")
            and "HTTP_AUTHORIZATION" not in environ
            and not _session_cookie(environ)
        ):
            body = self._answer(oncall_slug(environ.get("PATH_INFO", "")))
            if body is not None:
                self.answered += 1
                start_response("200 OK", [
                    ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                    *stale_headers(self.registry.read_model),
                ])
                return [body]
        return self.app(environ, start_response)

    def _answer(self, slug: str | None) -> bytes | None:
        registry = self.registry
        if slug is None or not registry.readiness.serving or not registry.read_model.loaded:
            return None
        if registry.read_model.snapshot().team(slug) is None:
            return None  # the application answers the 404
        try:
            return registry.roster_cache.oncall_body(slug, None, self.policy)
        except Exception:  # the application answers, and explains, instead
            return None


def stale_tween_factory(handler, registry):
    """Mark answers given while the database is unreachable: ``X-Plantao-Stale: <seconds>``.

    The reads answered from the roster in memory carry it, so a client
    (or the status page polling ``oncall``) knows the answer may be late by
    that many seconds since the last successful look at the database.
    """
    read_model: ReadModel = registry.read_model

    def stale_tween(request):
        response = handler(request)
        if request.method in ("GET", "HEAD") and response.status_code < 400:
            response.headers.update(stale_headers(read_model))
        return response

    return stale_tween


def wrap(app, registry) -> PublicOnCall:
    """The WSGI app with anonymous ``oncall`` reads and feed revalidations answered in front of it
    (kept as ``registry.public_oncall`` and ``registry.repeated_reads``)."""
    registry.repeated_reads = RepeatedReads(app, registry, registry.feed_cache)
    # The views remember what they served through the service door, like the caches.
    keep(registry, registry.repeated_reads, RepeatedReads)
    registry.public_oncall = PublicOnCall(registry.repeated_reads, registry)
    return registry.public_oncall


def includeme(config) -> None:
    """Build the read model and the caches on the app's session factory; refresh
    the model when this instance commits a roster change.

    Views find them through the service door
    (``request.find_service(RosterCache)``); they are also kept on the
    registry for the WSGI wrapper, the readiness probe and tests.
    """
    registry = config.registry
    session_factory = registry["dbsession_factory"]
    standby = standby_engine(registry["dbengine"].url.render_as_string(hide_password=False))
    read_model = registry.read_model = ReadModel(
        session_factory, standby=get_session_factory(standby) if standby is not None else None
    )
    registry.roster_cache = RosterCache(read_model)
    registry.feed_cache = FeedCache(read_model)
    register_shared(config, read_model, ReadModel)
    register_shared(config, registry.roster_cache, RosterCache)
    register_shared(config, registry.feed_cache, FeedCache)

    def after_commit(dbsession: Session) -> None:
        # The writer's next read (and its answer's) must show the change:
        # refresh here, in the committing thread, before the response leaves;
        # a writer that prepared its team's roster (plantao.read_model.RosterPatch)
        # hands it over instead of the team being read again.
        if dbsession.in_nested_transaction():
            return
        committing = dbsession.info.pop(COMMITTING, None)
        if committing is None:
            return
        if committing.people:
            read_model.refresh()
        else:
            read_model.take_own_change(committing.teams, dbsession.info.pop(PATCHES, {}))

    event.listen(session_factory, "after_commit", after_commit)
    config.add_tween("plantao.caches.stale_tween_factory")

    # The cached reads ("who is on call now", feeds) need no transaction
    # (nor a retry): they are the hottest requests, and each one saved counts.
    settings = config.get_settings()
    settings.setdefault("tm.activate_hook", lambda request: not is_cached_read(request))
    settings.setdefault("retry.activate_hook", lambda request: 1 if is_cached_read(request) else None)
