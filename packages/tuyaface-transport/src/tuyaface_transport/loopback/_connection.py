"""The two sides of one in-memory connection, each writing into the other's queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..errors import TransportClosedError
from ._queue import End, TimedQueue
from .faults import FaultPlan, WriteFaults

__all__ = ["Side", "connect_sides"]


class _Link:
    """What both sides share: the two queues and the one-time end of the connection."""

    def __init__(self, on_end: Callable[[], None] | None) -> None:
        self.to_server: TimedQueue[bytes] = TimedQueue("loopback connection")
        self.to_client: TimedQueue[bytes] = TimedQueue("loopback connection")
        self._on_end = on_end
        self._lock = threading.Lock()
        self._ended = False

    def ended(self) -> None:
        with self._lock:
            if self._ended:
                return
            self._ended = True
        if self._on_end is not None:
            self._on_end()

    def drop(self, end: End) -> None:
        """The network lost the connection: both directions end after what is queued."""
        self.to_server.finish(end)
        self.to_client.finish(end)
        self.ended()


class Side:
    """One end: writes go (through its faults) to the peer, reads come from the peer."""

    __slots__ = ("_faults", "_inbound", "_link", "_outbound", "closed")

    def __init__(
        self,
        link: _Link,
        inbound: TimedQueue[bytes],
        outbound: TimedQueue[bytes],
        faults: FaultPlan | None,
    ) -> None:
        self._link = link
        self._inbound = inbound
        self._outbound = outbound
        self._faults = None if faults is None else WriteFaults(faults)
        self.closed = False

    def write(self, data: bytes) -> None:
        if self.closed:
            raise TransportClosedError("this connection is closed: open a new one")
        if not data:
            return
        if self._faults is None:
            self._outbound.put(((0.0, bytes(data)),))
            return
        self._outbound.check_writable()
        plan = self._faults.plan(bytes(data), time.monotonic())
        if plan.chunks:
            self._outbound.put(plan.chunks)
        if plan.then is not None:
            self._link.drop(plan.then)

    def read(self, timeout: float | None) -> bytes:
        return self._inbound.get(timeout) or b""

    async def aread(self, timeout: float | None) -> bytes:
        return await self._inbound.aget(timeout) or b""

    def drop(self, end: End = "eof") -> None:
        """Lose the whole connection, as a network failure would."""
        self._link.drop(end)

    def close(self, end: End = "eof") -> None:
        if self.closed:
            return
        self.closed = True
        self._outbound.finish(end)
        self._inbound.close_reader()
        self._link.ended()


def connect_sides(
    *,
    faults: FaultPlan | None = None,
    client_faults: FaultPlan | None = None,
    on_end: Callable[[], None] | None = None,
) -> tuple[Side, Side]:
    """A new connection: (client side, server side). `faults` act on the server's writes,
    `client_faults` on the client's; `on_end` runs once when either side closes or drops."""
    link = _Link(on_end)
    client = Side(link, link.to_client, link.to_server, client_faults)
    server = Side(link, link.to_server, link.to_client, faults)
    return client, server
