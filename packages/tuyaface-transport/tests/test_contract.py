"""One contract, every transport: tcp and asyncio over 127.0.0.1, loopback in memory,
each driven by a blocking client (in a thread) and by an asyncio client."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from conftest import TIMEOUT, Client, connect, echo, serving

from tuyaface_transport import (
    AsyncTransport,
    TransportClosedError,
    TransportConnectError,
    TransportError,
    TransportFactory,
    TransportResetError,
    TransportTimeout,
)
from tuyaface_transport.testing import LOOP_ENV


async def test_send_and_receive(factory: TransportFactory, mode: str) -> None:
    async with serving(factory, echo) as address:
        client = await connect(factory, mode, address)
        for size in (1, 100, 1500, 70_000):
            message = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
            await client.send(message)
            assert await client.receive_exactly(size) == message
        await client.close()


async def test_partial_reads_add_up(factory: TransportFactory, mode: str) -> None:
    big = bytes(range(256)) * 2048  # 512 KiB in one send

    async def handler(transport: AsyncTransport) -> None:
        await transport.send(big)
        for i in range(200):
            await transport.send(bytes([i]))
        await transport.receive(TIMEOUT)

    async with serving(factory, handler) as address:
        client = await connect(factory, mode, address)
        assert await client.receive_exactly(len(big) + 200) == big + bytes(range(200))
        await client.close()


async def test_connections_at_once_each_get_their_own_bytes(
    factory: TransportFactory, mode: str
) -> None:
    # (the asyncio transport reads every connection of a thread into one shared buffer)
    async def talk(client: Client, n: int) -> bytes:
        message = bytes([n]) * 70_000 + bytes(range(n))
        await client.send(message)
        return await client.receive_exactly(len(message))

    async with serving(factory, echo) as address:
        clients = [await connect(factory, mode, address) for _ in range(6)]
        answers = await asyncio.gather(*(talk(c, n) for n, c in enumerate(clients)))
        assert answers == [bytes([n]) * 70_000 + bytes(range(n)) for n in range(6)]
        for client in clients:
            await client.close()


async def test_receive_times_out_and_the_connection_survives(
    factory: TransportFactory, mode: str
) -> None:
    async with serving(factory, echo) as address:
        client = await connect(factory, mode, address)
        started = time.monotonic()
        with pytest.raises(TransportTimeout) as caught:
            await client.receive(0.1)
        assert 0.09 <= time.monotonic() - started < 2.0
        assert isinstance(caught.value, TimeoutError)
        assert isinstance(caught.value, OSError)
        with pytest.raises(TransportTimeout):
            await client.receive(0)
        await client.send(b"still here")
        assert await client.receive_exactly(10) == b"still here"
        await client.close()


async def test_end_of_stream(factory: TransportFactory, mode: str) -> None:
    async def handler(transport: AsyncTransport) -> None:
        await transport.send(b"bye")  # then the server closes

    async with serving(factory, handler) as address:
        client = await connect(factory, mode, address)
        assert await client.receive_exactly(3) == b"bye"
        assert await client.receive() == b""
        assert await client.receive() == b""
        await client.close()


async def test_refused_connection(
    factory: TransportFactory, mode: str, unused_address: tuple[str, int]
) -> None:
    with pytest.raises(TransportConnectError) as caught:
        await connect(factory, mode, unused_address)
    assert "refused" in str(caught.value) or "no loopback listener" in str(caught.value)


async def test_reset_by_peer(factory: TransportFactory, mode: str) -> None:
    async def handler(transport: AsyncTransport) -> None:
        assert await transport.receive(TIMEOUT) == b"hi"
        transport.abort()  # type: ignore[attr-defined]

    async with serving(factory, handler) as address:
        client = await connect(factory, mode, address)
        await client.send(b"hi")
        with pytest.raises(TransportResetError):
            await client.receive()
        with pytest.raises(TransportError):
            for _ in range(100):  # a send may still be accepted by the kernel once
                await client.send(b"x" * 1000)
                await asyncio.sleep(0.001)
        await client.close()


async def test_close_twice_and_use_after_close(factory: TransportFactory, mode: str) -> None:
    seen: list[bytes] = []

    async def handler(transport: AsyncTransport) -> None:
        seen.append(await transport.receive(TIMEOUT))
        seen.append(await transport.receive(TIMEOUT))

    async with serving(factory, handler) as address:
        client = await connect(factory, mode, address)
        await client.send(b"one")
        await client.close()
        await client.close()
        with pytest.raises(TransportClosedError):
            await client.send(b"two")
        with pytest.raises(TransportClosedError):
            await client.receive()
        deadline = time.monotonic() + 10.0  # the server will see both: no load takes so long
        while len(seen) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
    assert seen == [b"one", b""]  # the server saw the data, then end of stream


async def test_context_managers_close(factory: TransportFactory) -> None:
    async with serving(factory, echo) as (host, port):
        async with await factory.aconnect(host, port, timeout=TIMEOUT) as transport:
            await transport.send(b"a")
        with pytest.raises(TransportClosedError):
            await transport.receive(0)

        def blocking() -> None:
            with factory.connect(host, port, timeout=TIMEOUT) as sync_transport:
                sync_transport.send(b"a")
            with pytest.raises(TransportClosedError):
                sync_transport.receive(0)

        await asyncio.to_thread(blocking)


async def test_tests_run_on_the_loop_tuyaface_loop_names() -> None:
    """`tox -e uvloop` really runs these tests on uvloop (and the other envs on asyncio)."""
    expected = os.environ.get(LOOP_ENV) or "asyncio"
    assert type(asyncio.get_running_loop()).__module__.split(".")[0] == expected
