"""Keeping every team's materialized roster a full horizon ahead of time.

Shifts are stored up to ``PLANTAO_HORIZON_DAYS`` ahead.  As days pass, that
horizon shrinks; a background thread of ``plantao serve`` extends it, and
``plantao roster refresh`` does the same once (for cron or a systemd timer
when the web app is not running).  With several instances on one database,
one of them keeps the horizon (:class:`plantao.leadership.Leadership`) and
another takes over within a round if it dies.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import select

from .db import run_in_transaction
from .leadership import Leadership
from .models import Team
from .services.context import ServiceContext
from .services.requests import RequestService
from .services.roster import RosterService

log = logging.getLogger(__name__)

#: How often the keeper looks for teams whose horizon needs extending.
CHECK_INTERVAL = 15 * 60.0
#: How often it expires the cover and swap requests whose time has come (their
#: people are told), which nothing else touches.
SETTLE_INTERVAL = 60.0


def refresh_stale_teams(registry) -> int:
    """Extend the horizon of every team that needs it; return how many did.

    Each team gets a transaction of its own: writers of other teams are not
    held up, and one team that fails does not stop the others.  They go
    through the app's sessions, so each commit that changed a roster drops
    the app's caches (:mod:`plantao.caches`).
    """
    team_ids = run_in_transaction(registry, lambda dbsession: list(dbsession.scalars(select(Team.id).order_by(Team.id))))

    def refresh(team_id: int):
        def work(dbsession) -> bool:
            team = dbsession.get(Team, team_id)
            if team is None:  # deleted meanwhile
                return False
            context = ServiceContext(dbsession, registry.plantao_settings, registry.plugins)
            return RosterService(context).refresh_if_stale(team)

        return work

    refreshed = 0
    for team_id in team_ids:
        try:
            refreshed += run_in_transaction(registry, refresh(team_id))
        except Exception:
            log.exception("could not extend the roster horizon of team %s", team_id)
    if refreshed:
        log.info("extended the roster horizon of %d team(s)", refreshed)
    return refreshed


def settle_due_requests(registry) -> int:
    """Expire the cover and swap requests whose interval has started; return how many."""

    def work(dbsession) -> int:
        context = ServiceContext(dbsession, registry.plantao_settings, registry.plugins)
        return RequestService(context).settle_due()

    settled = run_in_transaction(registry, work)
    if settled:
        log.info("settled %d cover or swap request(s)", settled)
    return settled


class HorizonKeeper(threading.Thread):
    """A daemon thread calling :func:`refresh_stale_teams` every ``interval`` seconds and
    :func:`settle_due_requests` every :data:`SETTLE_INTERVAL`, in one instance at a time."""

    def __init__(self, registry, interval: float = CHECK_INTERVAL):
        super().__init__(name="plantao-horizon", daemon=True)
        self.registry = registry
        self.interval = interval
        self.stopped = threading.Event()
        self.leadership = Leadership(registry["dbengine"], "horizon")

    def run(self) -> None:
        horizon_due = 0.0
        while not self.stopped.is_set():
            try:
                if self.leadership.lead():
                    if time.monotonic() >= horizon_due:
                        refresh_stale_teams(self.registry)
                        horizon_due = time.monotonic() + self.interval
                    settle_due_requests(self.registry)
                else:
                    log.debug("another instance keeps the roster horizon")
            except Exception:  # the next round retries; the app keeps serving
                log.exception("could not extend the roster horizon or settle requests")
            self.stopped.wait(min(self.interval, SETTLE_INTERVAL))
        self.leadership.release()

    def stop(self) -> None:
        self.stopped.set()
