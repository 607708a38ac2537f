"""Slowing down and limiting failed logins, per client address.

The admin panel's login form is the one door a password guesser can knock
on without a token, so every failure costs the client a growing delay, and
after ``max_failures`` failures within ``window`` the address is refused
outright until the oldest failure leaves the window.  A successful login
clears the address's record.

The record lives in this process's memory: a restart forgets it, and each
instance behind a load balancer counts on its own.  Both are acceptable for
a service that runs as one waitress process behind Caddy.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

#: Failures allowed within the window before the address is locked out.
MAX_FAILURES = 5
#: How long a failure counts, in seconds.
WINDOW = 15 * 60
#: Delay added per recent failure, in seconds, and its ceiling.
DELAY_STEP = 0.2
MAX_DELAY = 2.0


@dataclass
class LoginThrottle:
    """Failed-login bookkeeping for every client address of this process."""

    max_failures: int = MAX_FAILURES
    window: float = WINDOW
    delay_step: float = DELAY_STEP
    max_delay: float = MAX_DELAY
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _failures: dict[str, deque] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _recent(self, address: str) -> deque:
        """The address's failures still inside the window (caller holds the lock)."""
        failures = self._failures.get(address)
        if failures is None:
            return deque()
        horizon = self.clock() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[address]
        return failures

    def locked_for(self, address: str) -> float:
        """Seconds until ``address`` may try again; 0 when it may try now."""
        with self._lock:
            failures = self._recent(address)
            if len(failures) < self.max_failures:
                return 0.0
            # The lockout ends when enough failures have left the window.
            oldest_that_counts = failures[len(failures) - self.max_failures]
            return max(0.0, oldest_that_counts + self.window - self.clock())

    def failed(self, address: str) -> None:
        """Record a failure and make the client wait a little longer each time."""
        with self._lock:
            failures = self._recent(address)
            failures.append(self.clock())
            self._failures[address] = failures
            delay = min(self.max_delay, self.delay_step * len(failures))
        if delay > 0:
            self.sleep(delay)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
