"""Calendar clients' revalidations answered before Pyramid is even entered.

Calendar apps poll their feed every few minutes with ``If-None-Match``; the
answer is nearly always 304.  :class:`ConditionalFeeds` remembers, per feed
URL and credential, the ETag the app last served, and answers a matching
revalidation itself while the roster revision is unchanged.  Anything else
(a first request, a changed roster, a different credential, an entry older
than :data:`ENTRY_LIFETIME`) goes through the application as usual, which
refreshes the entry.
"""

from __future__ import annotations

import re
import threading
import time as clock
from collections import OrderedDict
from dataclasses import dataclass

from .routes import API

FEED_PATH = re.compile(rf"^{API}/(teams/[^/]+|people/\d+)/export\.[^/]+$")

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
    """WSGI wrapper of the Pyramid app; ``registry`` stays reachable as an attribute."""

    def __init__(self, app, registry):
        self.app = app
        self.registry = registry
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
        if tags and environ.get("REQUEST_METHOD") in ("GET", "HEAD") and FEED_PATH.match(environ.get("PATH_INFO", "")):
            entry = self.entries.get(_key(environ))
            if (
                entry is not None
                and entry.expires > clock.monotonic()
                and any(tag.strip().removeprefix("W/") == entry.etag for tag in tags.split(","))
                and entry.revision == self.registry.roster_cache.revision(self.registry["dbsession_factory"])
            ):
                self.answered += 1
                start_response("304 Not Modified", list(entry.headers))
                return [b""]
        return self.app(environ, start_response)
