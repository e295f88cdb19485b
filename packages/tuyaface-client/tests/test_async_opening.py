"""`AsyncDevice`'s opening: a caller's first query goes out with the connection's opening.
On 3.1 - 3.3 (no handshake) it stands in for the opening heartbeat: its answer shows that
the device accepted us, and a device that drops us at once is still a failed connection
attempt with growing backoff (docs/reliability.md, scenario 13). On 3.4 / 3.5 it leaves in
the same write as the handshake's FINISH. A `set_status` never goes so (it must not be
sent twice). And `aclose()` while the connection is being made returns at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from reliabilitykit import Bench, run, simulated
from simkit import DEV_ID, KEY

from tuyaface import (
    AsyncDevice,
    Backoff,
    Connected,
    ConnectFailed,
    DeviceBusyError,
    DeviceEvent,
    Disconnected,
    SimulatedDevice,
)
from tuyaface_codec import Command, get_protocol
from tuyaface_transport import get_transport

DPS = {"1": True, "2": 0}


class _Recorded:
    """A connection that records each write, otherwise the one it wraps."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    async def send(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        await self._transport.send(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class RecordedWrites:
    """The loopback transport, recording each write of the client."""

    name = "loopback-recorded"

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def connect(self, host: str, port: int, *, timeout: float) -> Any:
        return get_transport("loopback").connect(host, port, timeout=timeout)

    async def aconnect(self, host: str, port: int, *, timeout: float) -> Any:
        transport = await get_transport("loopback").aconnect(host, port, timeout=timeout)
        return _Recorded(transport, self.writes)


async def _call(device: AsyncDevice, call: str) -> Any:
    if call == "query":
        return await device.query([1, 2])
    return await getattr(device, call)()


async def _changes(device: AsyncDevice, events: Any) -> list[DeviceEvent]:
    await device.aclose()
    return [event async for event in events]


@pytest.mark.parametrize("version", ["3.1", "3.3"])
@pytest.mark.parametrize(
    ("call", "cmd"),
    [
        ("status", Command.DP_QUERY),
        ("query", Command.CONTROL_NEW),
        ("heartbeat", Command.HEART_BEAT),
    ],
)
def test_a_first_query_is_the_one_request_on_the_wire(version: str, call: str, cmd: int) -> None:
    async def main() -> None:
        async with Bench.serving(simulated(version, dps=DPS)) as bench:
            device = bench.client(heartbeat_interval=None)
            events = device.events()
            answer = await _call(device, call)
            assert answer == (None if call == "heartbeat" else DPS)
            assert [frame.cmd for frame in bench.device.requests] == [cmd]
            assert device.connected
            assert await device.status() == DPS  # the connection goes on
            assert await _changes(device, events) == [Connected(), Disconnected(None)]

    run(main)


def test_a_set_first_is_not_sent_with_the_opening() -> None:
    async def main() -> None:
        async with Bench.serving(simulated("3.3", dps=DPS)) as bench:
            device = bench.client(heartbeat_interval=None)
            await device.set_status({"1": False})
            sent = [frame.cmd for frame in bench.device.requests]
            assert sent == [Command.HEART_BEAT, Command.CONTROL]
            await device.aclose()

    run(main)


def test_a_first_status_on_a_device_that_drops_us_at_once_is_a_failed_attempt() -> None:
    async def main() -> None:
        async with Bench.serving(simulated("3.3", dps=DPS)) as bench:
            holder = await get_transport("loopback").aconnect(bench.host, bench.port, timeout=1)
            device = bench.client(heartbeat_interval=None, backoff=Backoff(random=lambda: 0.5))
            events = device.events()
            with pytest.raises(DeviceBusyError, match="another client"):
                await device.status()
            failures = [await anext(events) for _ in range(3)]
            assert all(isinstance(f, ConnectFailed) for f in failures), failures
            assert all(isinstance(f.error, DeviceBusyError) for f in failures)  # type: ignore[attr-defined]
            assert [f.retry_in for f in failures] == [1, 2, 4]  # type: ignore[attr-defined]
            assert not device.connected
            await holder.aclose()
            assert await device.status() == DPS
            assert await anext(events) == Connected()
            assert bench.device.refused >= 3
            await device.aclose()

    run(main)


@pytest.mark.parametrize("version", ["3.4", "3.5"])
def test_a_first_status_leaves_with_the_handshake_finish(version: str) -> None:
    assert get_protocol(version).needs_handshake

    async def main() -> None:
        recorded = RecordedWrites()
        async with Bench.serving(simulated(version, dps=DPS)) as bench:
            device = bench.client(heartbeat_interval=None, transport=recorded)
            assert await device.status() == DPS
            assert len(recorded.writes) == 2  # START; FINISH and the status request
            assert len(bench.device.requests) == 1
            await device.aclose()

    run(main)


async def test_aclose_while_connecting_returns_at_once() -> None:
    # (over TCP: the connect takes loop turns) It used to wait for its bound, `timeout`
    # seconds: the connection task began the new connection that aclose() had not seen.
    simulated = SimulatedDevice(DEV_ID, KEY, version="3.4")
    async with simulated.serve(transport="asyncio") as server:
        device = AsyncDevice(
            DEV_ID, KEY, server.host, port=server.port, version="3.4", transport="asyncio",
            timeout=2.0,
        )  # fmt: skip
        device.start()
        await asyncio.sleep(0)  # the connection task is in its connect
        started = time.monotonic()
        await device.aclose()
        assert time.monotonic() - started < 1.0
        assert not device.connected
