"""`DpCache`: a device's last known DP values, with a cap on how many DP ids it keeps."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["DP_CACHE_WARN_INTERVAL", "MAX_CACHED_DPS", "DpCache"]

log = logging.getLogger(__name__)

# Tuya DP ids are numbers 1 - 255 (one byte in the device's data model), and real devices
# have far fewer. Twice that leaves room for odd firmware; a device that pushes more
# distinct ids is broken or hostile, and without a cap it grew the cache by ~100 MiB/s.
MAX_CACHED_DPS = 512
DP_CACHE_WARN_INTERVAL = 60.0  # seconds between two warnings about one device


class DpCache:
    """DP values by id. Ids already known are always updated; new ones are kept while
    fewer than `limit` are, and dropped (with a rate-limited warning) after that."""

    # One per device, for the device's life: without a __dict__, 50 bytes less per device
    # (bench/memory_per_device.py).
    __slots__ = ("_clock", "_dropped", "_limit", "_warned_at", "_where", "values")

    def __init__(self, limit: int, where: str, clock: Callable[[], float]) -> None:
        self.values: dict[str, Any] = {}
        self._limit = limit
        self._where = where
        self._clock = clock
        self._dropped = 0
        self._warned_at: float | None = None

    def update(self, dps: Mapping[str, Any]) -> None:
        """Take in the DP values an answer or a push carried."""
        values = self.values
        known = len(values)
        if known + len(dps) <= self._limit:
            values.update(dps)
            if len(values) > known:
                self._intern_ids()
            return
        dropped = 0
        for dp, value in dps.items():
            if dp in values:
                values[dp] = value
            elif len(values) < self._limit:
                values[sys.intern(dp)] = value
            else:
                dropped += 1
        if dropped:
            self._note_dropped(dropped)

    def _intern_ids(self) -> None:
        """New ids arrived (rare after the first answer): the cache keeps its ids interned,
        so that every device's cache shares one "18" where each would keep the copy its
        first answer's JSON made (bench/memory_per_device.py --status, 8 DPs of which 3
        two-digit ids: 153 bytes less per device). A new dict, as compact as the old
        (re-keying in place grew it by 192 bytes); order is kept. At most `limit` times."""
        self.values = {sys.intern(dp): value for dp, value in self.values.items()}

    def _note_dropped(self, count: int) -> None:
        self._dropped += count
        now = self._clock()
        if self._warned_at is not None and now - self._warned_at < DP_CACHE_WARN_INTERVAL:
            return
        log.warning(
            "%s: DP cache full (%d DP ids): %d new DP ids not cached (still delivered in "
            "answers and pushes)",
            self._where, self._limit, self._dropped,
        )  # fmt: skip
        self._warned_at = now
        self._dropped = 0
