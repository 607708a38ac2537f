"""What the HTTP server (waitress) writes to the log, kept readable under load."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

#: The logger waitress warns on when requests wait for a free thread.
QUEUE_LOGGER = "waitress.queue"
#: waitress' own wording (waitress/task.py), which identifies the warning.
QUEUE_DEPTH_MESSAGE = "Task queue depth is %d"


class QueueDepthThrottle(logging.Filter):
    """Lets one waitress "Task queue depth" warning through per ``interval`` seconds.

    waitress warns once per request that has to wait for a free thread, so
    a busy minute writes tens of thousands of identical lines and buries
    everything else in the log.  The record let through says the current
    depth and how many warnings were held back since the previous one;
    any other record on the logger passes untouched.

    ``clock`` returns seconds (``time.monotonic`` by default; tests pass a
    fake one).  One throttle serves a whole process: every waitress server
    in it warns on the same logger.
    """

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.interval = interval
        self.clock = clock
        # waitress logs from inside its dispatcher lock, from whichever
        # thread queued the request: the count must not lose increments.
        self._lock = threading.Lock()
        self._last: float | None = None
        self._held_back = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != QUEUE_DEPTH_MESSAGE:
            return True
        now = self.clock()
        with self._lock:
            if self._last is not None and now - self._last < self.interval:
                self._held_back += 1
                return False
            held_back, self._held_back = self._held_back, 0
            self._last = now
        depth = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
        record.msg = (
            "Task queue depth is %s (requests waiting for a free thread); %d such warning(s) "
            "held back since the last one (logged at most once every %g s)"
        )
        record.args = (depth, held_back, self.interval)
        return True


def throttle_queue_warnings(interval: float = 60.0) -> QueueDepthThrottle:
    """Install a :class:`QueueDepthThrottle` on waitress' queue logger, once per process.

    Calling it again returns the throttle already installed, so a command
    that configures logging twice does not stack two of them.
    """
    logger = logging.getLogger(QUEUE_LOGGER)
    for existing in logger.filters:
        if isinstance(existing, QueueDepthThrottle):
            return existing
    throttle = QueueDepthThrottle(interval)
    logger.addFilter(throttle)
    return throttle
