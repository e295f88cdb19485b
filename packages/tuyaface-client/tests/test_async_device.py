"""AsyncDevice specifics: the persistent connection, events, backoff, concurrency, close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from simkit import DEV_ID, KEY, PATIENCE, until

from tuyaface import (
    AsyncDevice,
    Backoff,
    Connected,
    ConnectError,
    ConnectFailed,
    DeviceBusyError,
    Disconnected,
    EventStream,
    NetworkError,
    SimulatedDevice,
    SimulatorServer,
    StatusPush,
    Timeout,
)
from tuyaface_codec import Command, LocalProtocolError
from tuyaface_transport import get_transport

DEVICE_EVENTS = (StatusPush, Connected, Disconnected, ConnectFailed)


@contextlib.asynccontextmanager
async def serving(
    version: str = "3.3", transport: str = "loopback", **knobs: Any
) -> AsyncIterator[tuple[SimulatedDevice, SimulatorServer]]:
    simulated = SimulatedDevice(DEV_ID, KEY, version=version, **knobs)
    async with simulated.serve(transport=transport) as server:
        yield simulated, server


def device_for(server: SimulatorServer, version: str = "3.3", **options: Any) -> AsyncDevice:
    return AsyncDevice(
        DEV_ID, KEY, server.host, port=server.port, version=version, transport=server.transport,
        **options,
    )


class FakeSleep:
    """Records backoff delays and returns at once (yielding to the loop)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


async def next_of(stream: EventStream, *kinds: type[Any], timeout: float = 2.0) -> Any:
    """The next event of one of `kinds`, skipping others."""
    async with asyncio.timeout(timeout):
        async for event in stream:
            if isinstance(event, kinds):
                return event
    raise AssertionError("the event stream ended")


async def test_events_report_connections_and_pushes() -> None:
    sleep = FakeSleep()
    async with serving(dps={"1": False}) as (simulated, server):
        async with device_for(server, sleep=sleep) as device:
            events = device.events()
            assert isinstance(await next_of(events, *DEVICE_EVENTS), Connected)
            assert await device.status() == {"1": False}
            assert await simulated.push({"1": True})  # a button press on the device
            push = await next_of(events, StatusPush)
            assert push.dps == {"1": True}
            assert device.dps == {"1": True}
            await simulated.disconnect()
            gone = await next_of(events, Disconnected)
            assert isinstance(gone.error, NetworkError)
            assert isinstance(await next_of(events, Connected), Connected)
            assert sleep.delays and sleep.delays[0] == pytest.approx(1.0, rel=0.25)
            assert await device.status() == {"1": True}
        assert simulated.connections == 2
        collected = [event async for event in events]  # the stream ends on close
        assert isinstance(collected[-1], Disconnected) and collected[-1].error is None


async def test_backoff_doubles_up_to_60_s_and_resets_once_connected() -> None:
    sleep = FakeSleep()
    backoff = Backoff(random=lambda: 0.5)  # the middle of the jitter range: no jitter
    async with serving() as (_, server):
        server.listener.accepting = False  # the device is away (rebooting)
        device = device_for(server, sleep=sleep, backoff=backoff)
        events = device.events()
        failures = [await next_of(events, ConnectFailed) for _ in range(8)]
        assert all(isinstance(failure.error, ConnectError) for failure in failures)
        assert [f.retry_in for f in failures] == [1, 2, 4, 8, 16, 32, 60, 60]
        server.listener.accepting = True
        await next_of(events, Connected)
        assert backoff.failures == 0
        assert sleep.delays[:8] == [1, 2, 4, 8, 16, 32, 60, 60]
        await device.aclose()


async def test_a_call_during_a_backoff_pause_connects_at_once() -> None:
    async with serving(dps={"1": True}) as (_, server):
        server.listener.accepting = False
        device = device_for(server, backoff=Backoff(initial=30.0, jitter=0.0))
        events = device.events()
        assert (await next_of(events, ConnectFailed)).retry_in == 30.0
        server.listener.accepting = True
        async with asyncio.timeout(2.0):
            assert await device.status() == {"1": True}
        await device.aclose()


async def test_calls_fail_fast_while_the_device_is_unreachable() -> None:
    device = AsyncDevice(DEV_ID, KEY, "no-such-device", version="3.3", transport="loopback")
    async with asyncio.timeout(2.0):
        with pytest.raises(ConnectError, match="check the IP address"):
            await device.status()
    await device.aclose()


async def test_a_second_client_gets_device_busy() -> None:
    async with serving() as (simulated, server):
        factory = get_transport("loopback")
        holder = await factory.aconnect(server.host, server.port, timeout=1.0)
        await until(lambda: simulated.connections == 1, "the simulator takes the first one")
        async with device_for(server) as device:
            with pytest.raises(DeviceBusyError, match="another client"):
                await asyncio.wait_for(device.status(), PATIENCE)
        await holder.aclose()
        assert simulated.refused >= 1


@pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])
async def test_concurrent_callers_share_one_connection(version: str) -> None:
    async with serving(version, dps={"1": False, "2": 0}) as (simulated, server):
        async with device_for(server, version) as device:
            sets = [device.set_status({"2": n}) for n in range(8)]
            reads = [device.status() for _ in range(8)]
            results = await asyncio.wait_for(asyncio.gather(*sets, *reads), PATIENCE)
        assert results[8:] == [r for r in results[8:] if set(r) == {"1", "2"}]
        assert simulated.connections == 1
        assert simulated.dps["2"] == 7  # sent in order, one at a time
        answered = [f for f in simulated.requests if f.cmd != Command.HEART_BEAT]
        assert len(answered) == 16


async def test_heartbeats_run_by_themselves() -> None:
    async with (
        serving() as (simulated, server),
        device_for(server, heartbeat_interval=0.03) as device,
    ):
        await device.connect()

        def beats() -> int:
            return sum(f.cmd == Command.HEART_BEAT for f in simulated.requests)

        await until(lambda: beats() >= 3, "three heartbeats, 30 ms apart")


async def test_a_half_open_connection_is_noticed_and_replaced() -> None:
    sleep = FakeSleep()
    async with serving() as (simulated, server):
        options = {"heartbeat_interval": 0.03, "timeout": 0.1, "sleep": sleep}
        async with device_for(server, **options) as device:
            events = device.events()
            await next_of(events, Connected)
            simulated.answering = False  # wedged: reads, never answers, keeps the socket
            gone = await next_of(events, Disconnected, timeout=1.0)
            assert isinstance(gone.error, Timeout)
            simulated.answering = True
            await next_of(events, Connected, timeout=2.0)
            assert await device.heartbeat() is None


async def test_a_reply_timeout_on_34_then_the_next_call_works() -> None:
    async with (
        serving("3.4", dps={"1": True}, reply_delay=0.3) as (simulated, server),
        device_for(server, "3.4", timeout=0.1, sleep=FakeSleep()) as device,
    ):
        with pytest.raises(Timeout):
            await device.status()
        simulated.reply_delay = 0.0
        async with asyncio.timeout(2.0):
            assert await device.status() == {"1": True}


async def test_aclose_fails_pending_calls_and_later_ones() -> None:
    async with serving(reply_delay=5.0) as (simulated, server):
        device = device_for(server)
        pending = asyncio.ensure_future(device.status())
        await until(lambda: simulated.connections == 1, "the call is under way")
        await device.aclose()
        with pytest.raises(LocalProtocolError):
            await asyncio.wait_for(pending, PATIENCE)
        with pytest.raises(LocalProtocolError, match="closed"):
            await device.status()
        assert [event async for event in device.events()] == []


@pytest.mark.parametrize("version", ["3.3", "3.4"])
async def test_a_cancelled_call_leaves_no_waiter_and_the_next_gets_its_own_answer(
    version: str,
) -> None:
    async with (
        serving(version, dps={"1": True}, reply_delay=0.05) as (simulated, server),
        device_for(server, version) as device,
    ):
        await device.connect()
        call = asyncio.ensure_future(device.status())
        await asyncio.sleep(0)  # its first step writes the request, then waits
        assert device._results is not None and not call.done()
        call.cancel()
        await device.set_status({"1": False})  # behind the cancelled one's answer
        assert await device.status() == {"1": False}
        assert call.cancelled()
        # its waiter went with its answer (the map itself is dropped when empty: memory)
        assert device._results is None
        assert device.dps == {"1": False} == simulated.dps


def test_no_io_before_first_use() -> None:
    device = AsyncDevice(DEV_ID, KEY, "nothing-listens-here", version="3.5", transport="loopback")
    assert not device.connected
    assert repr(device) == f"<AsyncDevice device {DEV_ID} at nothing-listens-here:6668 v3.5>"
    asyncio.run(device.aclose())


async def test_a_device_that_drops_us_at_once_is_a_connect_failure_not_a_connection() -> None:
    sleep = FakeSleep()
    backoff = Backoff(random=lambda: 0.5)
    async with serving("3.3") as (simulated, server):
        holder = await get_transport("loopback").aconnect(server.host, server.port, timeout=1.0)
        await until(lambda: simulated.connections == 1, "the simulator serves the holder")
        device = device_for(server, sleep=sleep, backoff=backoff)
        events = device.events()
        failures = [await next_of(events, *DEVICE_EVENTS) for _ in range(3)]
        assert all(isinstance(f, ConnectFailed) for f in failures)
        assert all(isinstance(f.error, DeviceBusyError) for f in failures)
        assert [f.retry_in for f in failures] == [1, 2, 4]
        await holder.aclose()
        await next_of(events, Connected)
        await device.aclose()
        assert simulated.refused >= 3


class CountingAsyncio:
    """The asyncio transport, counting the reads that reach `receive` (a task's turn)."""

    name = "counting-asyncio"

    def __init__(self) -> None:
        self.received = 0

    def connect(self, host: str, port: int, *, timeout: float) -> Any:
        """A factory has both halves; only the asyncio one is counted."""
        return get_transport("asyncio").connect(host, port, timeout=timeout)

    async def aconnect(self, host: str, port: int, *, timeout: float) -> Any:
        transport = await get_transport("asyncio").aconnect(host, port, timeout=timeout)
        receive = transport.receive

        async def counted(wait: float | None) -> bytes:
            data = await receive(wait)
            self.received += bool(data)
            return data

        transport.receive = counted
        return transport


@pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])
async def test_replies_are_handled_in_the_protocol_callback_not_a_reader_turn(
    version: str,
) -> None:
    counting = CountingAsyncio()
    async with serving(version, transport="asyncio", dps={"1": True}) as (_, server):
        device = AsyncDevice(
            DEV_ID, KEY, server.host, port=server.port, version=version, transport=counting
        )
        async with device, asyncio.timeout(PATIENCE):
            events = device.events()
            assert await device.status() == {"1": True}
            before = counting.received
            for _ in range(20):
                assert await device.status() == {"1": True}
            await device.set_status({"1": False})
            async for event in events:  # the push, also handled in the callback
                if isinstance(event, StatusPush):
                    assert event.dps == {"1": False}
                    break
            assert counting.received == before
