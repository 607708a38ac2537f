"""Whether this instance may serve yet: ``plantao serve`` listens before its database answers.

An instance started while PostgreSQL is still down (a reboot of both, a
failover under way) listens at once and retries the migration in the
background.  Until it has succeeded, every request but the probes answers
503 with ``Retry-After`` and the reason in plain words (which database,
what went wrong), ``/healthz`` answers 200 (the process is up) and
``/readyz`` 503 with ``"status": "starting"``: Caddy keeps the instance out
and systemd does not restart it in a loop.
"""

from __future__ import annotations

import threading

from pyramid.httpexceptions import HTTPServiceUnavailable
from pyramid.interfaces import IRoutesMapper
from pyramid.tweens import MAIN

#: Seconds a client is asked to wait while the instance starts.
STARTING_RETRY_AFTER = 5

#: The probes answer while the instance starts (their routes in routes.py).
PROBES = frozenset({"healthz", "readyz"})


class Readiness:
    """Open (serving) unless :meth:`starting` said why not yet; thread-safe."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self.reason = ""

    @property
    def serving(self) -> bool:
        return self._open.is_set()

    def starting(self, reason: str) -> None:
        """Answer 503 with ``reason`` until :meth:`open` is called (called again, it updates the reason)."""
        self.reason = reason
        self._open.clear()

    def open(self) -> None:
        """Serve every request from now on."""
        self._open.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the instance serves (or ``timeout``); True if it does."""
        return self._open.wait(timeout)


def readiness_tween_factory(handler, registry):
    """Answer 503 (JSON or HTML, through the error views) while the instance starts."""
    readiness: Readiness = registry.readiness
    # Tweens are built once the routes are known; the probes pass by path
    # (routes are matched after the tweens run).
    probes = {route.pattern for route in registry.getUtility(IRoutesMapper).get_routes() if route.name in PROBES}

    def readiness_tween(request):
        if readiness.serving or request.path_info in probes:
            return handler(request)
        raise HTTPServiceUnavailable(
            detail=f"Plantão is starting and cannot answer yet: {readiness.reason}",
            headers={"Retry-After": str(STARTING_RETRY_AFTER)},
        )

    return readiness_tween


def includeme(config) -> None:
    """Put a :class:`Readiness` on the registry (open) and the tween in front of the views."""
    config.registry.readiness = Readiness()
    # Beneath the exception views, so the 503 is rendered like any other error.
    config.add_tween("plantao.readiness.readiness_tween_factory", over=MAIN)
