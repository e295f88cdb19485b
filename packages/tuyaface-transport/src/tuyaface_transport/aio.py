"""The `asyncio` transport: TCP through an `asyncio.Protocol`, not streams.

Chosen by measurement (bench/transport.py, client and server on one core, 100-byte echo,
20 rounds): a Protocol that hands `data_received` chunks to one waiting future ran at
1.04x of a bare Protocol echo (bare rate / this rate; 1.08x in client CPU per round trip),
while `StreamReader.read` under `asyncio.timeout` plus `write` / `drain` ran at 1.34x
(1.37x CPU): streams add a buffer copy, a timeout context and a drain per round trip. The
Protocol also keeps flow control simple (pause reading past HIGH_WATER bytes, wait in
`send` while the transport is paused) and reuses one deadline timer per connection.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
from collections.abc import Callable
from typing import cast

from ._asyncio_plugin import FACTORY, AsyncioFactory, tuyaface_provide_transports
from ._closing import AsyncClosing
from ._handlers import HandlerTasks
from ._oserror import connect_error, io_error, listen_error
from ._wakeup import Wakeup
from .errors import TransportClosedError, TransportTimeout
from .interfaces import Handler

__all__ = [
    "FACTORY",
    "HIGH_WATER",
    "AsyncioFactory",
    "AsyncioServer",
    "AsyncioTransport",
    "open_connection",
    "start_server",
    "tuyaface_provide_transports",
]

logger = logging.getLogger(__name__)

HIGH_WATER = 1 << 20
CLOSE_TIMEOUT = 1.0
BACKLOG = 1024
READ_BUFFER = 64 * 1024  # one read at most (asyncio's own reads take up to 256 KiB)


class _ReadBuffer(threading.local):
    """The buffer every connection of this thread reads into (`_BufferedStreamProtocol`).
    asyncio's own reads `recv(256 KiB)` into a new bytes object each, which glibc serves
    with an mmap, an mremap to the size read and a munmap (a page fault too; its dynamic
    mmap threshold never adapts, the block being freed shrunk): AsyncDevice connect +
    status + close -9.5% client CPU on 3.4 (two reads), -4% on 3.3, paired runs."""

    def __init__(self) -> None:
        self.view = memoryview(bytearray(READ_BUFFER))


_READ_BUFFER = _ReadBuffer()


class _StreamProtocol(asyncio.Protocol):
    """Collects received chunks and wakes the one coroutine waiting in `receive`."""

    # Slots: 50 bytes per connection less than an instance dict (tracemalloc).
    __slots__ = (
        "_closed",
        "_loop",
        "_readable",
        "_writable",
        "chunks",
        "consumer",
        "eof",
        "error",
        "lost",
        "on_made",
        "paused",
        "size",
        "transport",
    )

    def __init__(self, on_made: Callable[[_StreamProtocol], None] | None = None) -> None:
        self.on_made = on_made
        self.consumer: Callable[[bytes], bool] | None = None  # see AsyncioTransport.on_data
        self.transport: asyncio.Transport | None = None
        # None while nothing waits for `receive`: most connections hand every chunk to
        # `consumer` (56 bytes per connection, tracemalloc).
        self.chunks: list[bytes] | None = None
        self.size = 0
        self.eof = False
        self.lost = False
        self.error: Exception | None = None
        self._loop = asyncio.get_running_loop()
        # Made when first waited on: a connection whose chunks all go to `consumer` and
        # that is never paused needs neither (135 bytes per connection, tracemalloc).
        self._readable: Wakeup | None = None
        self._writable: Wakeup | None = None
        self.paused = False
        # Made when first asked for (a closing client, a server's bookkeeping): an idle
        # connection does without it (144 bytes per connection, tracemalloc).
        self._closed: asyncio.Future[None] | None = None

    @property
    def closed(self) -> asyncio.Future[None]:
        """Done once the connection is lost."""
        if self._closed is None:
            self._closed = self._loop.create_future()
            if self.lost:
                self._closed.set_result(None)
        return self._closed

    @property
    def readable(self) -> Wakeup:
        if self._readable is None:
            self._readable = Wakeup(self._loop)
        return self._readable

    @property
    def writable(self) -> Wakeup:
        if self._writable is None:
            self._writable = Wakeup(self._loop)
        return self._writable

    def wake_reader(self) -> None:
        if self._readable is not None:
            self._readable.wake()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport of whatever loop runs: uvloop's is no asyncio.Transport
        # subclass, so its type is never checked here (issue 11, item 7).
        self.transport = cast(asyncio.Transport, transport)
        if self.on_made is not None:
            self.on_made(self)

    def data_received(self, data: bytes) -> None:
        consumer = self.consumer
        chunks = self.chunks
        if consumer is not None and not chunks and consumer(data):
            return
        if chunks is None:
            self.chunks = [data]
        else:
            chunks.append(data)
        self.size += len(data)
        if self.size > HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self.wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self.wake_reader()
        self.nudge()
        return True  # keep the write side open, as a blocking socket does

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.error = exc
        self.wake_reader()
        if self._writable is not None:
            self._writable.wake()
        self.nudge()
        if self._readable is not None:
            self._readable.close()
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    def nudge(self) -> None:
        """Tell the consumer that `receive` has something: an empty chunk."""
        if self.consumer is not None:
            self.consumer(b"")

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self._writable is not None:
            self._writable.wake()

    def take(self) -> bytes:
        chunks = self.chunks or ()
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.chunks = None
        if self.size > HIGH_WATER and self.transport is not None:
            self.transport.resume_reading()
        self.size = 0
        return data


class _BufferedStreamProtocol(_StreamProtocol, asyncio.BufferedProtocol):
    """`_StreamProtocol` reading into this thread's `_READ_BUFFER`: for asyncio's own
    loops. (uvloop reads into a buffer it keeps: there this way cost +3% client CPU.)"""

    __slots__ = ()

    def get_buffer(self, sizehint: int) -> memoryview:
        return _READ_BUFFER.view  # filled and handed to `buffer_updated` in one callback

    def buffer_updated(self, nbytes: int) -> None:
        # copied out at once: the next read on this thread reuses the buffer
        self.data_received(_READ_BUFFER.view[:nbytes].tobytes())


def _protocol_type(loop: asyncio.AbstractEventLoop) -> type[_StreamProtocol]:
    return _BufferedStreamProtocol if isinstance(loop, asyncio.BaseEventLoop) else _StreamProtocol


class AsyncioTransport(AsyncClosing):
    """An asyncio TCP connection behind the `AsyncTransport` interface."""

    def __init__(self, protocol: _StreamProtocol) -> None:
        if protocol.transport is None:
            raise TransportClosedError("the protocol is not connected")
        self._protocol = protocol
        self._transport = protocol.transport
        self._loop = asyncio.get_running_loop()
        self._closing = False

    def on_data(self, consumer: Callable[[bytes], bool] | None) -> None:
        """While set (None: unset), a chunk arriving with nothing buffered goes to
        `consumer` at once, in the protocol's callback; it returns False to leave the chunk
        for `receive`. A reply handled there wakes its caller one loop turn sooner than a
        task in `receive` does (3.4 status round trip: -6% client CPU, paired runs).
        An empty chunk (its answer ignored) says `receive` would not wait: the stream
        ended, the connection was lost, or (when set) chunks wait already; so a consumer
        that takes every chunk needs no task waiting in `receive`."""
        protocol = self._protocol
        protocol.consumer = consumer
        if protocol.chunks or protocol.eof or protocol.lost:
            protocol.nudge()

    def _closed_error(self) -> TransportClosedError:
        return TransportClosedError("this connection is closed: open a new one")

    async def send(self, data: bytes) -> None:
        self.send_nowait(data)
        protocol = self._protocol
        while protocol.paused and not protocol.lost:
            await protocol.writable.wait(None)

    @property
    def writing_paused(self) -> bool:
        """True while the peer is not reading (flow control): `send` would wait."""
        return self._protocol.paused

    def send_nowait(self, data: bytes) -> None:
        """Write `data` without waiting for the peer to take it (check `writing_paused`
        first to respect flow control): a caller in a loop callback needs no task."""
        protocol = self._protocol
        if self._closing:
            raise self._closed_error()
        if protocol.lost:
            raise io_error(protocol.error or BrokenPipeError(), "sending")
        self._transport.write(data)

    async def receive(self, timeout: float | None) -> bytes:
        protocol = self._protocol
        if self._closing:
            raise self._closed_error()
        if protocol.chunks:
            return protocol.take()
        deadline = None if timeout is None else self._loop.time() + timeout
        readable = protocol.readable
        while True:
            if protocol.error is not None:
                raise io_error(protocol.error, "receiving")
            if protocol.eof or protocol.lost:
                return b""
            future = readable.arm(deadline)
            try:
                woken = await future
            finally:
                readable.disarm()
            if protocol.chunks:
                return protocol.take()
            if self._closing:
                raise TransportClosedError("the connection was closed while receiving")
            if not woken:
                raise TransportTimeout(f"nothing received within {timeout} s")

    async def aclose(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._protocol.wake_reader()
        transport = self._transport
        closed = self._protocol.closed
        if not transport.get_write_buffer_size():  # the usual case: nothing left to send
            # Closed on the next loop turn: no timeout to set, no waiter between.
            transport.close()
            await closed
            return
        transport.close()
        await asyncio.wait([closed], timeout=CLOSE_TIMEOUT)
        if not closed.done():  # the peer does not read what is left to send
            self._transport.abort()
            await closed

    def abort(self) -> None:
        """Close at once with a reset (RST) instead of an orderly end of stream."""
        self._closing = True
        self._protocol.wake_reader()
        sock = self._transport.get_extra_info("socket")
        if sock is not None and sock.fileno() >= 0:  # not closed already (abort twice)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._transport.abort()

    def __repr__(self) -> str:
        peer = self._transport.get_extra_info("peername")
        return f"<AsyncioTransport peer={peer} {'closed' if self._closing else 'open'}>"


async def open_connection(host: str, port: int, *, timeout: float) -> AsyncioTransport:
    """Connect to (host, port), IPv4 or IPv6, within `timeout` seconds."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            _, protocol = await loop.create_connection(_protocol_type(loop), host, port)
    except OSError as exc:
        raise connect_error(exc, host, port) from exc
    logger.debug("connected to %s:%s", host, port)
    return AsyncioTransport(protocol)


class AsyncioServer(AsyncClosing):
    """A listening asyncio TCP server; each connection runs the handler in its own task."""

    def __init__(self, handler: Handler) -> None:
        self._handlers = HandlerTasks(handler)
        self._server: asyncio.Server | None = None
        self._loop = asyncio.get_running_loop()
        self._closing = False
        self._live: set[_StreamProtocol] = set()
        self._protocol = _protocol_type(self._loop)

    def _new_protocol(self) -> _StreamProtocol:
        protocol = self._protocol(self._accepted)
        self._live.add(protocol)
        protocol.closed.add_done_callback(lambda _: self._live.discard(protocol))
        return protocol

    async def _listen(self, host: str, port: int) -> None:
        try:
            self._server = await self._loop.create_server(
                self._new_protocol, host, port, backlog=BACKLOG
            )
        except OSError as exc:
            raise listen_error(exc, host, port) from exc

    def _accepted(self, protocol: _StreamProtocol) -> None:
        self._handlers.spawn(AsyncioTransport(protocol))

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None or not self._server.sockets:
            raise TransportClosedError("the server is not listening")
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    def close(self) -> None:
        if self._server is not None and not self._closing:
            self._closing = True
            # Let accepts already under way attach first: Python 3.11 fails them with an
            # AssertionError, leaking their sockets, when the server closed in between.
            try:
                self._loop.call_soon(self._server.close)
            except RuntimeError:  # the loop is closed
                self._server.close()
        self._handlers.cancel()

    async def wait_closed(self) -> None:
        await asyncio.sleep(0)  # the deferred close above
        if self._server is not None:
            await self._server.wait_closed()
        await self._handlers.wait()
        while self._live:  # connections accepted just before closing included
            await asyncio.wait([protocol.closed for protocol in self._live])
            await self._handlers.wait()

    async def aclose(self) -> None:
        """Close and wait until closed."""
        self.close()
        await self.wait_closed()


async def start_server(host: str, port: int, handler: Handler) -> AsyncioServer:
    """Listen on (host, port) (port 0: the OS picks) and serve each connection."""
    server = AsyncioServer(handler)
    await server._listen(host, port)
    return server
