"""A request budget, so that a run stays within what the vendor allows however many threads write at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["RateBudget"]


class RateBudget:
    """A thread-safe request budget: at most `requests_per_second`, evenly spaced; clients may share one."""

    def __init__(
        self,
        requests_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        self.requests_per_second = requests_per_second
        self._interval = 1.0 / requests_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = float("-inf")

    def acquire(self) -> None:
        """Block until the next request may be sent."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)

    def __repr__(self) -> str:
        return f"RateBudget(requests_per_second={self.requests_per_second})"
