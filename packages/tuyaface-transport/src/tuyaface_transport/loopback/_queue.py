"""A FIFO of timed items that threads and event loops can wait on together.

Items become readable at their time (monotonic clock). Waiting readers are woken through a
condition variable (threads) or a future set in their own loop (coroutines), so a blocking
reader in a thread and an asyncio writer, or the reverse, work together.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Generic, Literal, TypeVar

from ..errors import TransportClosedError, TransportResetError, TransportTimeout

__all__ = ["YIELD_EVERY", "End", "TimedQueue"]

# An async reader lets its loop run at least once per this many reads.
YIELD_EVERY = 64

T = TypeVar("T")
End = Literal["eof", "reset"]


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _wake_in_loop(loop: asyncio.AbstractEventLoop, future: asyncio.Future[None]) -> None:
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        _resolve(future)
        return
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits there any more
        loop.call_soon_threadsafe(_resolve, future)


class TimedQueue(Generic[T]):
    """Put from anywhere; `get` blocks a thread, `aget` awaits in any event loop."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._items: deque[tuple[float, T]] = deque()
        self._end: End | None = None
        self._reader_closed = False
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._unyielded = 0  # async reads since the reader last let its loop run

    def _wake_all(self) -> None:
        self._ready.notify_all()
        waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            _wake_in_loop(loop, future)

    def _check_writable(self) -> None:
        if self._reader_closed or self._end is not None:
            raise TransportResetError(
                f"the {self._what} was closed by the peer or dropped: reconnect"
            )

    def check_writable(self) -> None:
        """`TransportResetError` once the reader is gone or the queue ended."""
        with self._lock:
            self._check_writable()

    def put(self, items: Iterable[tuple[float, T]]) -> None:
        """Append items; `TransportResetError` once the reader is gone or the queue ended."""
        with self._lock:
            self._check_writable()
            self._items.extend(items)
            self._wake_all()

    def finish(self, end: End) -> None:
        """After the queued items, readers get end of stream ("eof") or a reset."""
        with self._lock:
            if self._end is None:
                self._end = end
                self._wake_all()

    def close_reader(self) -> list[T]:
        """The reader is gone: wake its waiters, refuse later puts; returns what was left."""
        with self._lock:
            self._reader_closed = True
            left = [item for _, item in self._items]
            self._items.clear()
            self._wake_all()
            return left

    def _poll(self, now: float) -> tuple[bool, T | None, float | None]:
        """(done, item or None at end of stream, time the head becomes readable)."""
        if self._reader_closed:
            raise TransportClosedError(f"this {self._what} is closed: open a new one")
        if self._items:
            at, item = self._items[0]
            if at <= now:
                self._items.popleft()
                return True, item, None
            return False, None, at
        if self._end == "reset":
            raise TransportResetError(f"the peer reset the {self._what}: reconnect and retry")
        return self._end == "eof", None, None

    def _wait_time(
        self, now: float, ready_at: float | None, deadline: float | None
    ) -> float | None:
        wait = None if ready_at is None else ready_at - now
        if deadline is not None:
            left = deadline - now
            if left <= 0:
                raise TransportTimeout(f"nothing arrived on the {self._what} in time")
            wait = left if wait is None else min(wait, left)
        return wait

    def get(self, timeout: float | None) -> T | None:
        """The next item (None at end of stream), blocking up to `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while True:
                now = time.monotonic()
                done, item, ready_at = self._poll(now)
                if done:
                    return item
                self._ready.wait(self._wait_time(now, ready_at, deadline))

    async def aget(self, timeout: float | None) -> T | None:
        """The next item (None at end of stream), awaiting up to `timeout` seconds.

        A reader draining a full queue (a flood written by another thread) never waits:
        every `YIELD_EVERY` items taken so it suspends once first, letting its loop run;
        cancelled there, nothing is lost.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else time.monotonic() + timeout
        self._unyielded += 1
        if self._unyielded >= YIELD_EVERY:
            self._unyielded = 0
            await asyncio.sleep(0)
        while True:
            with self._lock:
                now = time.monotonic()
                done, item, ready_at = self._poll(now)
                if done:
                    return item
                wait = self._wait_time(now, ready_at, deadline)
                future: asyncio.Future[None] = loop.create_future()
                self._waiters.append((loop, future))
            timer = loop.call_later(wait, _resolve, future) if wait is not None else None
            self._unyielded = 0
            try:
                await future
            finally:
                if timer is not None:
                    timer.cancel()
                with self._lock:
                    if (loop, future) in self._waiters:
                        self._waiters.remove((loop, future))
