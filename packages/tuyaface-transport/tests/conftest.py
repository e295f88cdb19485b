"""Shared helpers: a server per transport and one async face over sync and async clients."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tuyaface_transport import AsyncTransport, Transport, TransportFactory, get_transport
from tuyaface_transport.testing import (
    loopback_listener,
    loopback_pair,
    tcp_listener,
    use_loop_from_env,
)

__all__ = ["loopback_listener", "loopback_pair", "tcp_listener"]

TRANSPORTS = ["tcp", "asyncio", "loopback"]
MODES = ["sync", "async"]
TIMEOUT = 5.0
_names = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    use_loop_from_env()  # $TUYAFACE_LOOP=uvloop: `tox -e uvloop`


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def host_for(name: str) -> str:
    return f"contract-{next(_names)}" if name == "loopback" else "127.0.0.1"


class Client:
    """An async face over a blocking transport (each call in a thread) or an async one."""

    def __init__(self, transport: Transport | AsyncTransport) -> None:
        self.transport = transport

    async def send(self, data: bytes) -> None:
        if isinstance(self.transport, AsyncTransport):
            await self.transport.send(data)
        else:
            await asyncio.to_thread(self.transport.send, data)

    async def receive(self, timeout: float | None = TIMEOUT) -> bytes:
        if isinstance(self.transport, AsyncTransport):
            return await self.transport.receive(timeout)
        return await asyncio.to_thread(self.transport.receive, timeout)

    async def receive_exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = await self.receive()
            assert chunk, f"end of stream after {len(data)} of {size} bytes"
            data += chunk
        return data

    async def close(self) -> None:
        if isinstance(self.transport, AsyncTransport):
            await self.transport.aclose()
        else:
            self.transport.close()


async def connect(factory: TransportFactory, mode: str, address: tuple[str, int]) -> Client:
    host, port = address
    if mode == "async":
        return Client(await factory.aconnect(host, port, timeout=TIMEOUT))
    return Client(await asyncio.to_thread(factory.connect, host, port, timeout=TIMEOUT))


@asynccontextmanager
async def serving(
    factory: TransportFactory, handler: Callable[[Any], Awaitable[None]]
) -> AsyncIterator[tuple[str, int]]:
    server = await factory.start_server(host_for(factory.name), 0, handler)
    async with server:
        yield server.address


async def echo(transport: AsyncTransport) -> None:
    while data := await transport.receive(TIMEOUT):
        await transport.send(data)


@pytest.fixture(params=TRANSPORTS)
def factory(request: pytest.FixtureRequest) -> TransportFactory:
    return get_transport(request.param)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def unused_address(factory: TransportFactory) -> Iterator[tuple[str, int]]:
    """An address nothing listens on: a bound, non-listening socket refuses connections."""
    if factory.name == "loopback":
        yield host_for("loopback"), 1
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()
