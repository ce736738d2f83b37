"""Rate limits: `100/h`-style settings and the fixed-window limiter whose figures every response carries."""

from __future__ import annotations

import re
import threading
import time

# What the headers announce when no limit is configured: a budget no test or person will spend.
UNLIMITED = (1_000_000, 3600.0)
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


def parse_rate_limit(value: str | tuple[int, float] | None) -> tuple[int, float] | None:
    """`"100/h"`, `"10/30s"` or `(100, 3600.0)` as (requests, window seconds)."""
    if value is None or isinstance(value, tuple):
        return value
    match = _RATE.match(value)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(f"rate limit {value!r} is not like 100/h, 100/min or 10/30s")
    multiplier = int(match.group(2) or 1)
    return int(match.group(1)), float(multiplier * _UNIT_SECONDS[match.group(3).lower()])


class RateLimiter:
    """A fixed window: `limit` calls per `window` seconds, counted from the first call of the window."""

    def __init__(self, limit: tuple[int, float] | None) -> None:
        self.enforced = limit is not None
        self.limit, self.window = limit or UNLIMITED
        self._lock = threading.Lock()
        self._window_start = 0.0
        self._used = 0

    def take(self) -> tuple[bool, int, int, float]:
        """Count one call: (allowed, limit, remaining, epoch time the window resets)."""
        with self._lock:
            now = time.time()
            if now >= self._window_start + self.window:
                self._window_start, self._used = now, 0
            reset = self._window_start + self.window
            if self._used >= self.limit and self.enforced:
                return False, self.limit, 0, reset
            self._used += 1
            return True, self.limit, max(0, self.limit - self._used), reset
