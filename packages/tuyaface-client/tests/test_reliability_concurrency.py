"""docs/reliability.md client scenarios 5 and 13: many callers, one connection, one slot.

5. 3.4 / 3.5 devices number their frames with their own counter: an AsyncDevice whose
   heartbeats fall due all the time (every 0.3 s idle) while 4 tasks make 160 calls at
   random moments and the device pushes 100 times: no call times out, no reconnection,
   and more than 50 of the client's own heartbeats went out in between (3.3 too).
   `Device` (heartbeats while a thread waits for pushes, other threads calling): the same.
   The Session-level version: test_reliability_pushes.py::test_random_interleavings_...
   [with-heartbeats].
13. One connection slot: 16 callers sharing one client (tasks for AsyncDevice, threads for
   Device) each set their own DP and read it back over one connection; a second client
   instance gets `DeviceBusyError` within a second while the first keeps working.
   Also: test_blocking_device.py::test_threads_share_one_connection (3.3 / 3.5 over TCP),
   ::test_a_second_client_gets_device_busy_and_the_first_keeps_working (3.3), and
   test_async_device.py::test_concurrent_callers_share_one_connection.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from reliabilitykit import SCENARIO_VERSIONS, Bench, RecordingSleep, run
from reliabilitykit import simulated as simulated_device

from tuyaface import (
    Connected,
    ConnectFailed,
    Device,
    DeviceBusyError,
    Disconnected,
    StatusPush,
)
from tuyaface_codec import Command

VERSIONS = SCENARIO_VERSIONS
CALLERS = 16
# A second client learns the device is busy at once: its reply timeout is BUSY_TIMEOUT and
# it must know within half of that (load cannot stretch "at once" so far).
BUSY_TIMEOUT = 10.0
BUSY_BOUND = BUSY_TIMEOUT / 2


simulated = functools.partial(simulated_device, dps={"1": True})


@pytest.mark.parametrize("version", VERSIONS)
def test_heartbeats_racing_commands_and_pushes_never_time_out(version: str) -> None:
    async def caller(device: Any, rng: random.Random, dp: str) -> list[str]:
        kinds = []
        for _ in range(40):
            await asyncio.sleep(rng.uniform(0.0, 2.0))  # idle gaps: heartbeats fall due
            kind = rng.choice(["status", "set", "heartbeat", "refresh"])
            if kind == "status":
                assert "1" in await device.status()
            elif kind == "set":
                await device.set_status({dp: rng.randrange(100)})
            elif kind == "heartbeat":
                await device.heartbeat()
            else:
                await device.refresh([1])
            kinds.append(kind)
        return kinds

    async def pusher(bench: Bench, rng: random.Random) -> list[str]:
        for n in range(100):
            await asyncio.sleep(rng.uniform(0.0, 0.8))
            await bench.device.push({"99": n})
        return []

    async def main() -> None:
        async with Bench.serving(simulated(version)) as bench:
            device = bench.client(heartbeat_interval=0.3, sleep=RecordingSleep())
            events = device.events()
            assert isinstance(await anext(events), Connected)
            callers = [caller(device, random.Random(n), str(10 + n)) for n in range(4)]
            done = await asyncio.gather(*callers, pusher(bench, random.Random(9)))
            await device.aclose()
            changes = [e async for e in events if not isinstance(e, StatusPush)]
            assert changes == [Disconnected(None)]  # only the one at close
            assert bench.device.connections == 1
            kinds = [kind for caller_kinds in done for kind in caller_kinds]
            assert len(kinds) == 160
            beats = sum(f.cmd == Command.HEART_BEAT for f in bench.device.requests)
            assert beats - kinds.count("heartbeat") > 50  # the client's own, in between

    run(main)


@pytest.mark.parametrize("version", VERSIONS)
def test_device_heartbeats_while_waiting_for_pushes_race_other_threads_calls(
    version: str,
) -> None:
    """`Device` sends heartbeats only while it waits (for pushes): threads waiting with a
    heartbeat due every 10 ms, others calling in between; no call times out."""

    def waiter(device: Device) -> int:
        return sum(device.wait_for_push(0.03) is not None for _ in range(10))

    def caller(device: Device, rng: random.Random) -> None:
        for _ in range(20):
            if rng.random() < 0.5:
                assert "1" in device.status()
            else:
                device.set_status({"2": rng.randrange(100)})

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with Bench.serving(simulated(version)) as bench:
            device = Device(**bench.options(heartbeat_interval=0.01, timeout=1.0))
            with ThreadPoolExecutor(4) as threads:
                work = [loop.run_in_executor(threads, waiter, device) for _ in range(2)]
                work += [
                    loop.run_in_executor(threads, caller, device, random.Random(n))
                    for n in range(2)
                ]
                await asyncio.wait_for(asyncio.gather(*work), 20.0)
            device.close()
            assert bench.device.connections == 1
            beats = sum(f.cmd == Command.HEART_BEAT for f in bench.device.requests)
            assert beats >= 3  # (pushes queued by the sets cut many waits short)

    run(main, virtual=False)


@pytest.mark.parametrize("version", VERSIONS)
def test_16_tasks_share_one_async_device_and_a_second_one_is_busy(version: str) -> None:
    async def caller(device: Any, n: int) -> dict[str, Any]:
        await device.set_status({str(10 + n): n})
        return await device.status()  # type: ignore[no-any-return]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with Bench.serving(simulated(version)) as bench:
            first = bench.client(heartbeat_interval=None)
            results = await asyncio.gather(*(caller(first, n) for n in range(CALLERS)))
            for n, result in enumerate(results):
                assert result[str(10 + n)] == n  # read after its own set
            assert bench.device.connections == 1
            controls = [f for f in bench.device.requests if f.cmd != Command.HEART_BEAT]
            assert len(controls) == 2 * CALLERS

            second = bench.client(sleep=RecordingSleep(), timeout=BUSY_TIMEOUT)
            started, real_start = loop.time(), time.monotonic()
            with pytest.raises(DeviceBusyError, match="another client"):
                await second.status()
            assert loop.time() - started < BUSY_BOUND  # at once, not after a timeout
            assert time.monotonic() - real_start < BUSY_BOUND
            await second.aclose()
            assert bench.device.refused >= 1
            assert (await first.status())[str(10 + CALLERS - 1)] == CALLERS - 1
            assert first.connected
            await first.aclose()

    run(main)


@pytest.mark.parametrize("version", VERSIONS)
def test_16_threads_share_one_device_and_a_second_one_is_busy(version: str) -> None:
    def caller(device: Device, n: int) -> dict[str, Any]:
        device.set_status({str(10 + n): n})
        return device.status()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with Bench.serving(simulated(version)) as bench:
            first = Device(**bench.options(timeout=2.0))
            with ThreadPoolExecutor(CALLERS) as threads:
                calls = [loop.run_in_executor(threads, caller, first, n) for n in range(CALLERS)]
                results = await asyncio.wait_for(asyncio.gather(*calls), 10.0)
            for n, result in enumerate(results):
                assert result[str(10 + n)] == n
            assert bench.device.connections == 1
            assert len(bench.device.requests) == 2 * CALLERS

            second = Device(**bench.options(timeout=BUSY_TIMEOUT))
            started = time.monotonic()
            with pytest.raises(DeviceBusyError, match="another client"):
                await asyncio.to_thread(second.status)
            assert time.monotonic() - started < BUSY_BOUND
            second.close()
            assert (await asyncio.to_thread(first.status))[str(10 + CALLERS - 1)] == CALLERS - 1
            assert bench.device.connections == 1
            await asyncio.to_thread(first.close)

    # 16 blocking threads contend for the GIL with the loop that serves the simulator, so
    # a loop callback can wait its turn for tens of ms: that is thread scheduling, not our
    # code blocking the loop, so R10's slow-callback check (debug mode) is off here only.
    run(main, virtual=False, debug=False)


def test_a_busy_async_device_retries_with_growing_backoff_then_gets_in() -> None:
    """(3.4) The second client keeps trying in the background, backing off, and gets the
    slot once the first lets it go."""

    async def main() -> None:
        async with Bench.serving(simulated("3.4")) as bench:
            first = bench.client()
            await first.connect()
            sleep = RecordingSleep()
            second = bench.client(sleep=sleep)
            events = second.events()
            failures = [await anext(events) for _ in range(3)]
            assert all(isinstance(f, ConnectFailed) for f in failures)
            assert all(isinstance(f.error, DeviceBusyError) for f in failures)
            assert sleep.delays[1] > sleep.delays[0] * 1.3  # growing (jittered doubling)
            await first.aclose()
            assert isinstance(await anext(events), Connected)
            assert await second.status() == {"1": True}
            await second.aclose()

    run(main)
