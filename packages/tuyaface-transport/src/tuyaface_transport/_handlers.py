"""Running a server's handler once per accepted connection, and stopping them all."""

from __future__ import annotations

import asyncio
import logging

from .interfaces import AsyncTransport, Handler

__all__ = ["HandlerTasks"]

logger = logging.getLogger(__name__)


class HandlerTasks:
    """The handler tasks of one server: each closes its connection when it ends.

    Only handlers that have started are cancelled on close: a task cancelled before its
    first step would never run its `finally`, and its connection would stay open.
    """

    __slots__ = ("_closing", "_handler", "_running", "_tasks")

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._tasks: set[asyncio.Task[None]] = set()
        self._running: set[asyncio.Task[None]] = set()
        self._closing = False

    def spawn(self, transport: AsyncTransport) -> None:
        """Serve `transport` (call in the server's event loop); once closing, just close it."""
        task = asyncio.get_running_loop().create_task(self._run(transport))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, transport: AsyncTransport) -> None:
        task = asyncio.current_task()
        try:
            if not self._closing and task is not None:
                self._running.add(task)
                await self._handler(transport)
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("connection handler failed; the connection is closed")
        finally:
            if task is not None:
                self._running.discard(task)
            await transport.aclose()

    def cancel(self) -> None:
        """Close: cancel the running handlers; the ones not started yet only close."""
        self._closing = True
        for task in list(self._running):
            task.cancel()

    async def wait(self) -> None:
        """Wait until every handler has ended."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
