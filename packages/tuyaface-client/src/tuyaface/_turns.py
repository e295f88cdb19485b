"""`Turns`: a lock that serves its waiters first come, first served, each for a bounded time."""

from __future__ import annotations

import threading
import time
from collections import deque

from tuyaface_codec import Timeout

__all__ = ["Turns"]


class Turns:
    """One holder at a time; the others queue in arrival order. A waiter that gives up
    (its timeout ran out) leaves the queue without disturbing the order of the rest."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._queue: deque[threading.Condition] = deque()  # one condition per waiter
        self._held = False

    @property
    def waiting(self) -> int:
        """How many callers wait for their turn."""
        return len(self._queue)

    @property
    def held(self) -> bool:
        """True while a caller has its turn."""
        return self._held

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait for our turn, at most `timeout` seconds (None: no limit); False if it ran out."""
        with self._mutex:
            if not self._held and not self._queue:
                self._held = True
                return True
            me = threading.Condition(self._mutex)
            self._queue.append(me)
            deadline = None if timeout is None else time.monotonic() + timeout
            while self._held or self._queue[0] is not me:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    self._queue.remove(me)
                    self._wake_next()
                    return False
                me.wait(left)
            self._queue.popleft()
            self._held = True
            return True

    def release(self) -> None:
        """End our turn: the longest waiter goes next."""
        with self._mutex:
            if not self._held:
                raise RuntimeError("release() without a turn")
            self._held = False
            if self._queue:  # no call when nobody waits (Device.status: see there)
                self._wake_next()

    def take(self, timeout: float | None, where: str) -> None:
        """`acquire`, or Timeout naming `where` when no turn comes within `timeout`."""
        if not self.acquire(timeout):
            raise Timeout(
                f"{where}: no turn within {timeout:g} s: other callers hold the device "
                f"({self.waiting} more waiting; calls take turns, first come, first served)"
            )

    def _wake_next(self) -> None:
        if self._queue and not self._held:
            self._queue[0].notify()

    def turn(self, timeout: float | None, where: str) -> _Turn:
        """`with turns.turn(timeout, where):` holds a turn for the block; Timeout if it
        does not come within `timeout`."""
        return _Turn(self, timeout, where)


class _Turn:
    """One turn as a context manager (a class: about 1 us a call less than a generator)."""

    __slots__ = ("_timeout", "_turns", "_where")

    def __init__(self, turns: Turns, timeout: float | None, where: str) -> None:
        self._turns = turns
        self._timeout = timeout
        self._where = where

    def __enter__(self) -> None:
        self._turns.take(self._timeout, self._where)

    def __exit__(self, *exc_info: object) -> None:
        self._turns.release()
