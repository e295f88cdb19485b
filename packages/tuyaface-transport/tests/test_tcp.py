"""What only the socket transports do: connect timeouts, IPv6, TCP_NODELAY."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import pytest
from conftest import TIMEOUT, connect, echo, serving

from tuyaface_transport import (
    AsyncTransport,
    TransportClosedError,
    TransportConnectError,
    TransportConnectTimeout,
    TransportTimeout,
    get_transport,
)


@pytest.fixture
def full_backlog() -> Iterator[tuple[str, int]]:
    """A 127.0.0.1 listener that never accepts and whose accept queue is full: the kernel
    drops further SYNs, so a connect there can only time out."""
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        address = listener.getsockname()
        for _ in range(8):
            sock = stack.enter_context(socket.socket())
            sock.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                sock.connect(address)
        yield address


@pytest.mark.parametrize("name", ["tcp", "asyncio"])
async def test_connect_timeout(name: str, mode: str, full_backlog: tuple[str, int]) -> None:
    factory = get_transport(name)
    host, port = full_backlog
    with pytest.raises(TransportConnectTimeout) as caught:
        if mode == "async":
            await factory.aconnect(host, port, timeout=0.2)
        else:
            factory.connect(host, port, timeout=0.2)
    assert isinstance(caught.value, TransportConnectError)
    assert isinstance(caught.value, TransportTimeout)
    assert isinstance(caught.value, TimeoutError)


def _ipv6_loopback() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback on this machine")
@pytest.mark.parametrize("name", ["tcp", "asyncio"])
async def test_ipv6_loopback(name: str, mode: str) -> None:
    factory = get_transport(name)
    server = await factory.start_server("::1", 0, echo)
    async with server:
        client = await connect(factory, mode, server.address)
        await client.send(b"six")
        assert await client.receive_exactly(3) == b"six"
        await client.close()


@pytest.mark.parametrize("name", ["tcp", "asyncio"])  # loopback has no socket
async def test_nodelay_on_blocking_connections(name: str) -> None:
    factory = get_transport(name)
    async with serving(factory, echo) as (host, port):
        with factory.connect(host, port, timeout=TIMEOUT) as transport:
            sock = transport._sock  # type: ignore[attr-defined]
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            assert sock.gettimeout() is None  # blocking; timeouts come from the kernel



async def test_asyncio_on_data_takes_chunks_in_the_callback_or_leaves_them_to_receive() -> None:
    factory = get_transport("asyncio")
    async with serving(factory, echo) as (host, port):
        transport = await factory.aconnect(host, port, timeout=TIMEOUT)
        offered: list[bytes] = []

        def consumer(data: bytes) -> bool:
            offered.append(data)
            return data == b"take"

        transport.on_data(consumer)
        await transport.send(b"take")
        async with asyncio.timeout(TIMEOUT):
            while not offered:
                await asyncio.sleep(0.001)
        await transport.send(b"keep")  # refused by the consumer: `receive` gets it
        assert await transport.receive(TIMEOUT) == b"keep"
        assert offered == [b"take", b"keep"]
        transport.on_data(None)
        await transport.send(b"again")
        assert await transport.receive(TIMEOUT) == b"again"
        assert offered == [b"take", b"keep"]
        await transport.aclose()


async def test_asyncio_on_data_is_told_of_the_end_of_stream_with_an_empty_chunk() -> None:
    factory = get_transport("asyncio")

    async def close_at_once(transport: AsyncTransport) -> None:
        await transport.aclose()

    async with serving(factory, close_at_once) as (host, port):
        transport = await factory.aconnect(host, port, timeout=TIMEOUT)
        offered: list[bytes] = []
        transport.on_data(lambda data: offered.append(data) or False)
        async with asyncio.timeout(TIMEOUT):
            while not offered:
                await asyncio.sleep(0.001)
        assert offered[0] == b""  # and `receive` tells what it was
        assert await transport.receive(TIMEOUT) == b""
        transport.on_data(offered.append)  # set after the end: told at once
        assert offered[-1] == b"" and len(offered) >= 2
        await transport.aclose()


async def test_asyncio_send_nowait_writes_at_once_and_fails_once_closed() -> None:
    factory = get_transport("asyncio")
    async with serving(factory, echo) as (host, port):
        transport = await factory.aconnect(host, port, timeout=TIMEOUT)
        assert not transport.writing_paused
        transport.send_nowait(b"ping")  # no await: written from plain code
        assert await transport.receive(TIMEOUT) == b"ping"
        await transport.aclose()
        with pytest.raises(TransportClosedError):
            transport.send_nowait(b"late")


async def test_asyncio_aclose_returns_when_the_connection_was_lost_before() -> None:
    """The close future is made on demand: made after the loss, it is already done."""
    factory = get_transport("asyncio")

    async def reset_at_once(transport: AsyncTransport) -> None:
        transport.abort()  # type: ignore[attr-defined]

    async with serving(factory, reset_at_once) as (host, port):
        transport = await factory.aconnect(host, port, timeout=TIMEOUT)
        offered: list[bytes] = []
        transport.on_data(lambda data: offered.append(data) or False)
        async with asyncio.timeout(TIMEOUT):
            while not transport._protocol.lost:
                await asyncio.sleep(0.001)
            await transport.aclose()  # nothing left to lose: must not wait for a loss
        assert offered and offered[-1] == b""
