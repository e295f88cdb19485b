"""Running a server's handler once per accepted connection, and stopping them all."""

from __future__ import annotations

import asyncio
import logging

from .interfaces import AsyncTransport, Handler

__all__ = ["HandlerTasks"]

logger = logging.getLogger(__name__)


class HandlerTasks:
    """The handler tasks of one server: each closes its connection when it ends."""

    __slots__ = ("_handler", "_tasks")

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, transport: AsyncTransport) -> None:
        """Start the handler for `transport` (call in the server's event loop)."""
        task = asyncio.get_running_loop().create_task(self._run(transport))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, transport: AsyncTransport) -> None:
        try:
            await self._handler(transport)
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("connection handler failed; the connection is closed")
        finally:
            await transport.aclose()

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def wait(self) -> None:
        """Wait until every handler has ended."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
