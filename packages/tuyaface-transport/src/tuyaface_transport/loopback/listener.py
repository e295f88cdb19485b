"""In-memory listeners, found by (name, port), that accept loopback connections."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading

from .._closing import AsyncClosing, Closing
from .._handlers import HandlerTasks
from ..errors import TransportClosedError, TransportConnectError, TransportError
from ..interfaces import Handler
from ._connection import Side, connect_sides
from ._queue import End, TimedQueue
from .faults import FaultPlan
from .transport import AsyncLoopbackTransport, LoopbackTransport

__all__ = ["FIRST_PORT", "LoopbackListener", "get_listener"]

logger = logging.getLogger(__name__)

FIRST_PORT = 49152  # fake ports handed out for port 0

_registry_lock = threading.Lock()
_registry: dict[tuple[str, int], LoopbackListener] = {}
_ports = itertools.count(FIRST_PORT)


def _register(listener: LoopbackListener, name: str, port: int) -> int:
    with _registry_lock:
        if port == 0:
            port = next(p for p in _ports if (name, p) not in _registry)
        elif (name, port) in _registry:
            raise TransportError(
                f"loopback address {name}:{port} is already in use: close that listener "
                "or ask for port 0"
            )
        _registry[(name, port)] = listener
        return port


def get_listener(name: str, port: int) -> LoopbackListener:
    """The open listener at (name, port); `TransportConnectError` when there is none."""
    with _registry_lock:
        listener = _registry.get((name, port))
    if listener is None:
        raise TransportConnectError(
            f"no loopback listener at {name}:{port}: start one first "
            "(LoopbackListener or the loopback transport's start_server)"
        )
    return listener


class LoopbackListener(Closing, AsyncClosing):
    """Accepts in-memory connections at (name, port); port 0 picks a free fake port.

    Serve them with `serve(handler)` (asyncio, like `start_server`) or take them one by one
    with `accept()` (blocking) or `aaccept()`. `faults` act on what the server side writes,
    `client_faults` on what the client side writes; both (and `accepting`) can be changed
    at any time and apply to the next connection. Counters: `accepted`, `turned_away`.
    """

    def __init__(
        self,
        name: str = "loopback",
        port: int = 0,
        *,
        faults: FaultPlan | None = None,
        client_faults: FaultPlan | None = None,
    ) -> None:
        self.faults = faults
        self.client_faults = client_faults
        self.accepting = True
        self.accepted = 0
        self.turned_away = 0
        self._lock = threading.RLock()
        self._closed = False
        self._open: dict[int, Side] = {}
        self._backlog: TimedQueue[Side] = TimedQueue("loopback listener")
        self._handlers: HandlerTasks | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._name = name
        self._port = _register(self, name, port)

    @property
    def address(self) -> tuple[str, int]:
        return self._name, self._port

    @property
    def open_connections(self) -> int:
        """Accepted connections that neither side has closed yet."""
        with self._lock:
            return len(self._open)

    def serve(self, handler: Handler, *, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Run `handler` in `loop` (default: the running one) for every new connection."""
        self._loop = loop or asyncio.get_running_loop()
        self._handlers = HandlerTasks(handler)

    def connect(self) -> LoopbackTransport:
        """Open a connection to this listener (blocking view of the client side)."""
        return LoopbackTransport(self._open_connection())

    async def aconnect(self) -> AsyncLoopbackTransport:
        """Open a connection to this listener (asyncio view of the client side)."""
        return AsyncLoopbackTransport(self._open_connection())

    def accept(self, timeout: float | None = None) -> LoopbackTransport:
        """The next connection's server side, blocking up to `timeout` seconds."""
        return LoopbackTransport(self._next(self._backlog.get(timeout)))

    async def aaccept(self, timeout: float | None = None) -> AsyncLoopbackTransport:
        """The next connection's server side, awaiting up to `timeout` seconds."""
        return AsyncLoopbackTransport(self._next(await self._backlog.aget(timeout)))

    def _next(self, side: Side | None) -> Side:
        if side is None:
            raise TransportClosedError("this loopback listener is closed")
        return side

    def _refuse(self, why: str) -> TransportConnectError:
        self.turned_away += 1
        name, port = self.address
        return TransportConnectError(f"loopback connection to {name}:{port} refused ({why})")

    def _open_connection(self) -> Side:
        with self._lock:
            if self._closed or not self.accepting:
                raise self._refuse("the listener is not accepting: retry later")
            plan, client_plan = self.faults, self.client_faults
            policy = "accept" if plan is None else plan.second_connection
            if self._open and policy != "accept":
                return self._turn_away(policy)
            index = self.accepted
            client, server = connect_sides(
                faults=plan if plan is not None and plan.applies_to(index) else None,
                client_faults=client_plan
                if client_plan is not None and client_plan.applies_to(index)
                else None,
                on_end=lambda: self._ended(index),
            )
            self.accepted += 1
            self._open[index] = server
        self._deliver(server)
        return client

    def _turn_away(self, policy: str) -> Side:
        if policy == "refuse":
            raise self._refuse("it serves one connection at a time: close the other first")
        self.turned_away += 1
        client, server = connect_sides()
        server.close("reset" if policy == "reset" else "eof")
        return client

    def _ended(self, index: int) -> None:
        with self._lock:
            self._open.pop(index, None)

    def _deliver(self, server: Side) -> None:
        handlers, loop = self._handlers, self._loop
        if handlers is None or loop is None:
            self._backlog.put(((0.0, server),))
            return
        try:
            loop.call_soon_threadsafe(handlers.spawn, AsyncLoopbackTransport(server))
        except RuntimeError:  # the serving loop is closed
            server.close("reset")
            raise self._refuse("its event loop is closed") from None

    def drop_connections(self, end: End = "eof") -> int:
        """Lose every open connection ("eof" or "reset"), as a device reboot would."""
        with self._lock:
            sides = list(self._open.values())
        for side in sides:
            side.drop(end)
        return len(sides)

    def close(self) -> None:
        """Stop accepting, reset connections nobody accepted, cancel running handlers."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        with _registry_lock:
            _registry.pop(self.address, None)
        for side in self._backlog.close_reader():
            side.close("reset")
        if self._handlers is not None and self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the serving loop is already closed
                self._loop.call_soon_threadsafe(self._handlers.cancel)

    async def wait_closed(self) -> None:
        """Wait for the handlers to end (await in the serving loop)."""
        if self._handlers is not None:
            await asyncio.sleep(0)  # connections handed over just before closing
            await self._handlers.wait()

    async def aclose(self) -> None:
        """Close and wait until closed."""
        self.close()
        await self.wait_closed()

    def __repr__(self) -> str:
        name, port = self.address
        return f"<LoopbackListener {name}:{port} open={self.open_connections}>"
