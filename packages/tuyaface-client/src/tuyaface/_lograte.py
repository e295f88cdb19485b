"""Rate-limited log records for what a peer can make happen once per frame.

A hostile or broken device can send thousands of unreadable pushes a second; one WARNING
each buried the log (120,000 records in 2 s, issue 10 item 11). `warn_rate_limited` lets
one record per (logger, device, message) through every `INTERVAL` seconds; the next one
that passes says how many were suppressed in between.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["INTERVAL", "RateLimiter", "warn_rate_limited"]

INTERVAL = 10.0
_MAX_KEYS = 1024  # past this, the oldest key is forgotten (its count is lost)


class RateLimiter:
    """At most one record per key per `interval` seconds, counting the ones held back."""

    __slots__ = ("_seen", "clock", "interval")

    def __init__(
        self, interval: float = INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.clock = clock
        # key -> [when the last record passed, records suppressed since]
        self._seen: dict[tuple[str, str, str], list[float]] = {}

    def log(
        self, logger: logging.Logger, level: int, who: str, msg: str, *args: object
    ) -> bool:
        """Log `msg % args` unless one like it (same logger, `who`, `msg`) passed within
        the interval; True when it was logged."""
        if not logger.isEnabledFor(level):
            return False
        key, now = (logger.name, who, msg), self.clock()
        entry = self._seen.get(key)
        if entry is not None and now - entry[0] < self.interval:
            entry[1] += 1
            return False
        suppressed = int(entry[1]) if entry is not None else 0
        if entry is None and len(self._seen) >= _MAX_KEYS:
            del self._seen[next(iter(self._seen))]
        self._seen[key] = [now, 0]
        if suppressed:
            msg += " (%d more like it suppressed)"
            args = (*args, suppressed)
        logger.log(level, msg, *args)
        return True


_LIMITER = RateLimiter()


def warn_rate_limited(logger: logging.Logger, who: str, msg: str, *args: object) -> bool:
    """A WARNING about `who` (a device), at most one per message every `INTERVAL` s."""
    return _LIMITER.log(logger, logging.WARNING, who, msg, *args)
