"""One coroutine waiting for a protocol callback, with a deadline, on one event loop."""

from __future__ import annotations

import asyncio

from .errors import TransportError

__all__ = ["Wakeup"]


def _expire(future: asyncio.Future[bool]) -> None:
    if not future.done():
        future.set_result(False)


class Wakeup:
    """`wait` parks the receiving coroutine; `wake` (from a loop callback) resumes it."""

    __slots__ = ("_future",)

    def __init__(self) -> None:
        self._future: asyncio.Future[bool] | None = None

    def wake(self) -> None:
        future = self._future
        if future is not None and not future.done():
            future.set_result(True)

    async def wait(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> bool:
        """Wait for `wake` until `deadline` (loop time, None: forever); False on timeout."""
        if self._future is not None:
            raise TransportError(
                "another task is already receiving on this connection: receive from one task"
            )
        future: asyncio.Future[bool] = loop.create_future()
        timer = loop.call_at(deadline, _expire, future) if deadline is not None else None
        self._future = future
        try:
            return await future
        finally:
            self._future = None
            if timer is not None:
                timer.cancel()
