"""Loopback connections as `Transport` (blocking) and `AsyncTransport` (asyncio) objects.

Both views of a side can be used at once: `as_async()` / `as_sync()` give the other one,
so a blocking client in a thread can talk to an asyncio server and the other way round.
"""

from __future__ import annotations

from .._closing import AsyncClosing, Closing
from ._connection import Side, connect_sides
from .faults import FaultPlan

__all__ = ["AsyncLoopbackTransport", "LoopbackTransport", "loopback_pair"]


class _LoopbackBase:
    __slots__ = ("_side",)

    def __init__(self, side: Side) -> None:
        self._side = side

    @property
    def closed(self) -> bool:
        return self._side.closed

    def abort(self) -> None:
        """Close with a reset: the peer's receive raises `TransportResetError`."""
        self._side.close("reset")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {'closed' if self._side.closed else 'open'}>"


class LoopbackTransport(_LoopbackBase, Closing):
    """The blocking view of one side of an in-memory connection."""

    __slots__ = ()

    def send(self, data: bytes) -> None:
        self._side.write(data)

    def receive(self, timeout: float | None) -> bytes:
        return self._side.read(timeout)

    def close(self) -> None:
        self._side.close()

    def as_async(self) -> AsyncLoopbackTransport:
        """The asyncio view of the same side."""
        return AsyncLoopbackTransport(self._side)


class AsyncLoopbackTransport(_LoopbackBase, AsyncClosing):
    """The asyncio view of one side of an in-memory connection."""

    __slots__ = ()

    async def send(self, data: bytes) -> None:
        self._side.write(data)

    async def receive(self, timeout: float | None) -> bytes:
        return await self._side.aread(timeout)

    async def aclose(self) -> None:
        self._side.close()

    def as_sync(self) -> LoopbackTransport:
        """The blocking view of the same side."""
        return LoopbackTransport(self._side)


def loopback_pair(
    *, faults: FaultPlan | None = None, client_faults: FaultPlan | None = None
) -> tuple[LoopbackTransport, LoopbackTransport]:
    """A connected (client, server) pair, blocking views (`as_async()` for asyncio).

    `faults` act on what the server writes, `client_faults` on what the client writes.
    """
    client, server = connect_sides(faults=faults, client_faults=client_faults)
    return LoopbackTransport(client), LoopbackTransport(server)
