"""1,000 open/close cycles per transport leave file descriptors and tasks where they were."""

from __future__ import annotations

import asyncio

import pytest
from conftest import TIMEOUT, connect, open_fds, serving

from tuyaface_transport import AsyncTransport, TransportConnectError, TransportFactory

CYCLES = 1000


async def _count_handled(transport: AsyncTransport) -> None:
    await transport.receive(TIMEOUT)


async def _warm_up(factory: TransportFactory) -> None:
    """One cycle before counting: the loop's one-time resources (the executor's thread;
    under uvloop, the spare descriptor libuv opens on /dev/null at the first connect)."""
    await asyncio.to_thread(lambda: None)
    async with serving(factory, _count_handled) as address:
        client = await connect(factory, "async", address)
        await client.close()


async def test_open_close_cycles_leak_nothing(factory: TransportFactory, mode: str) -> None:
    await _warm_up(factory)
    fds, tasks = open_fds(), len(asyncio.all_tasks())
    async with serving(factory, _count_handled) as address:
        if mode == "async":
            for _ in range(CYCLES):
                client = await connect(factory, mode, address)
                await client.close()
        else:
            host, port = address

            def cycles() -> None:
                for _ in range(CYCLES):
                    factory.connect(host, port, timeout=TIMEOUT).close()

            await asyncio.to_thread(cycles)
    assert len(asyncio.all_tasks()) == tasks
    assert open_fds() == fds


async def test_failed_connects_leak_nothing(
    factory: TransportFactory, unused_address: tuple[str, int]
) -> None:
    host, port = unused_address
    with pytest.raises(TransportConnectError):  # warm up, as in _warm_up
        await factory.aconnect(host, port, timeout=TIMEOUT)
    fds, tasks = open_fds(), len(asyncio.all_tasks())
    for _ in range(CYCLES // 4):
        with pytest.raises(TransportConnectError):
            await factory.aconnect(host, port, timeout=TIMEOUT)
        with pytest.raises(TransportConnectError):
            factory.connect(host, port, timeout=TIMEOUT)
    assert len(asyncio.all_tasks()) == tasks
    assert open_fds() == fds
