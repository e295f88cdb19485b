"""An asyncio UDP listener for discovery: shared ports, broadcast, send to any address."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque

from ._closing import AsyncClosing
from ._oserror import listen_error
from ._wakeup import Wakeup
from .errors import TransportClosedError, TransportError, TransportTimeout

__all__ = ["Datagram", "DatagramListener", "local_address_facing", "open_datagram_listener"]

logger = logging.getLogger(__name__)

Datagram = tuple[bytes, tuple[str, int]]


class _DatagramProtocol(asyncio.DatagramProtocol):
    def __init__(self, queue_size: int) -> None:
        self.received: deque[Datagram] = deque(maxlen=queue_size)
        self.readable = Wakeup(asyncio.get_running_loop())
        self.lost = False
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.received.append((data, (str(addr[0]), int(addr[1]))))
        self.readable.wake()

    def error_received(self, exc: Exception) -> None:
        logger.debug("UDP error ignored: %s", exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.readable.wake()
        if not self.closed.done():
            self.closed.set_result(None)


class DatagramListener(AsyncClosing):
    """Receives datagrams on a bound UDP socket and sends datagrams to chosen addresses.

    Keeps the newest `queue_size` datagrams that nobody has received yet.
    """

    def __init__(self, transport: asyncio.DatagramTransport, protocol: _DatagramProtocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port); the real port when port 0 was asked for."""
        host, port = self._transport.get_extra_info("sockname")[:2]
        return host, port

    async def receive(self, timeout: float | None) -> Datagram:
        """The next (data, (host, port)); `TransportTimeout` when none arrives in time."""
        protocol = self._protocol
        deadline = None if timeout is None else self._loop.time() + timeout
        while not protocol.received:
            if protocol.lost:
                raise TransportClosedError("this UDP listener is closed: open a new one")
            if not await protocol.readable.wait(deadline):
                raise TransportTimeout(f"no datagram within {timeout} s")
        return protocol.received.popleft()

    def send_to(self, data: bytes, address: tuple[str, int]) -> None:
        """Send one datagram to `address` (host, port) from this listener's socket."""
        if self._protocol.lost or self._transport.is_closing():
            raise TransportClosedError("this UDP listener is closed: open a new one")
        self._transport.sendto(data, address)

    def close(self) -> None:
        self._transport.close()

    async def aclose(self) -> None:
        """Close and wait until the socket is released."""
        self._transport.close()
        await self._protocol.closed


def _bound_socket(host: str, port: int, *, reuse_port: bool, broadcast: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


async def open_datagram_listener(
    host: str = "0.0.0.0",
    port: int = 0,
    *,
    reuse_port: bool = True,
    broadcast: bool = True,
    queue_size: int = 1024,
) -> DatagramListener:
    """Bind a UDP listener on (host, port); with `reuse_port`, SO_REUSEADDR and SO_REUSEPORT
    let several listeners (and other programs) share the port; `broadcast` sets SO_BROADCAST.
    Port 0 picks a free port (see `address`)."""
    try:
        sock = _bound_socket(host, port, reuse_port=reuse_port, broadcast=broadcast)
    except OSError as exc:
        raise listen_error(exc, host, port) from exc
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _DatagramProtocol(queue_size), sock=sock
    )
    return DatagramListener(transport, protocol)


def local_address_facing(host: str) -> str:
    """The local address that datagrams to `host` (unicast or broadcast) leave from.

    Connecting a UDP socket only picks a route; nothing is sent. `TransportError` when
    there is no route to `host`.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        try:
            sock.connect((host, 9))
        except OSError as exc:
            raise TransportError(
                f"no local address reaches {host} ({exc}): check the network"
            ) from exc
        return str(sock.getsockname()[0])
