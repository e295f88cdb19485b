"""docs/reliability.md client scenarios 1, 3 and 12: what the wire does to a reply.

1. The connection drops after k bytes, for every k of a status reply: the call in flight
   fails with a `NetworkError` naming the device, the next call succeeds; the AsyncDevice
   reconnects with backoff (1 s doubling to 60 s, jittered: the sleeps are asserted).
   Also: test_blocking_device.py::test_a_drop_in_the_middle_of_a_reply_fails_that_call_only
   (one k, 3.3) and test_async_device.py::test_backoff_doubles_up_to_60_s_and_resets_once_
   connected (the doubling without jitter).
3. Every frame the device writes arrives twice: each reply is delivered once.
12. The device's bytes arrive one at a time: the results are those of a clean run.
   Also: test_blocking_device.py::test_one_byte_at_a_time_changes_nothing (3.5, Device).

Each runs on 3.3, 3.4 and 3.5, through `Device` and `AsyncDevice`, over loopback.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from reliabilitykit import SCENARIO_VERSIONS, Bench, Face, RecordingSleep, jitter, run
from reliabilitykit import simulated as simulated_device
from simkit import DEV_ID, DRIVERS

from tuyaface import (
    Backoff,
    Connected,
    ConnectError,
    ConnectFailed,
    Disconnected,
    NetworkError,
    Timeout,
)
from tuyaface_codec import get_protocol
from tuyaface_transport import FaultPlan

VERSIONS = SCENARIO_VERSIONS
DPS = {"1": True, "2": 7, "3": "auto"}


simulated = functools.partial(simulated_device, dps=DPS)


def where(bench: Bench) -> str:
    return f"device {DEV_ID} at {bench.host}:{bench.port}"


async def reply_offsets(bench: Bench, driver: str) -> tuple[int, int]:
    """(bytes the device writes before its status reply, the reply's size) on a clean
    connection, measured through the tap."""
    face = bench.face(driver, heartbeat_interval=None)
    assert await face.status() == DPS
    await face.aclose()
    *before, reply = bench.taps[-1].sent
    return sum(map(len, before)), len(reply)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_a_drop_after_any_byte_of_a_reply_fails_that_call_only(version: str, driver: str) -> None:
    async def main() -> int:
        async with Bench.serving(simulated(version)) as bench:
            before, size = await reply_offsets(bench, driver)
            for k in range(1, size):  # (k = 0 cuts at the end of the write before)
                # Only the next connection is cut, k bytes into the reply.
                next_only = bench.listener.accepted + 1
                bench.listener.faults = FaultPlan(close_after=before + k, connections=next_only)
                face = bench.face(driver, heartbeat_interval=None)
                with pytest.raises(NetworkError) as caught:
                    await face.status()
                assert not isinstance(caught.value, Timeout), k
                assert where(bench) in str(caught.value)
                assert "connection" in str(caught.value)
                assert await face.status() == DPS  # the device is back: a new connection
                await face.aclose()
            return size

    assert run(main, virtual=driver == "AsyncDevice") > 60


@pytest.mark.parametrize("version", VERSIONS)
def test_after_a_drop_the_async_device_backs_off_until_the_device_is_back(version: str) -> None:
    draws = [0.0, 0.999, 0.5, 0.25, 0.75]  # jitter: -20 %, +20 %, 0, -10 %, +10 %
    bases = [1, 2, 4, 8, 16, 32, 60, 60, 60]  # doubling, capped at 60 s before and after
    expected = [min(60, b * (1 + 0.2 * (2 * draws[i % 5] - 1))) for i, b in enumerate(bases)]

    async def main() -> None:
        async with Bench.serving(simulated(version)) as bench:
            before, size = await reply_offsets(bench, "AsyncDevice")
            bench.listener.faults = FaultPlan(
                close_after=before + size // 2, connections=bench.listener.accepted + 1
            )
            sleep = RecordingSleep()
            device = bench.client(sleep=sleep, backoff=Backoff(random=jitter(draws)))
            events = device.events()
            assert isinstance(await anext(events), Connected)
            bench.listener.accepting = False  # it drops us, then reboots for a while
            with pytest.raises(NetworkError, match="closed the connection"):
                await device.status()
            assert isinstance(await anext(events), Disconnected)
            for _ in range(8):
                failed = await anext(events)
                assert isinstance(failed, ConnectFailed)
                assert isinstance(failed.error, ConnectError)
            bench.listener.accepting = True
            assert await device.status() == DPS
            assert isinstance(await anext(events), Connected)
            await device.aclose()
            # After the drop: 1 s, then doubling per failed attempt, capped at 60 s.
            assert sleep.delays == pytest.approx(expected)

    run(main)


async def transcript(bench: Bench, face: Face) -> list[Any]:
    """Status, set and its push, refresh and its push, heartbeat, status: what came back."""
    seen: list[Any] = [await face.status()]
    await face.set_status({"1": False, "2": 8})
    seen.append(await face.next_push(2.0))
    bench.device.dps["3"] = "eco"  # changed on the device without a push
    seen.append(await face.status())
    await face.refresh([3])
    seen.append(await face.next_push(2.0))
    await face.heartbeat()
    bench.device.dps["2"] = 9
    seen.append(await face.status())
    seen.append(await face.status())
    return seen


CLEAN = [
    DPS,
    {"1": False, "2": 8},
    {"1": False, "2": 8, "3": "eco"},
    {"3": "eco"},
    {"1": False, "2": 9, "3": "eco"},
    {"1": False, "2": 9, "3": "eco"},
]


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_a_duplicated_reply_is_delivered_once(version: str, driver: str) -> None:
    # Every write of the device arrives twice, but for the 3.4 / 3.5 handshake reply: a
    # copy of it arrives after the session key is set, fails its check under that key, and
    # the client rightly starts a new connection. (Pushes come twice too: not replies.)
    first = 1 if get_protocol(version).needs_handshake else 0
    twice = FaultPlan(duplicate_writes=range(first, 1000))

    async def main() -> None:
        async with Bench.serving(simulated(version), twice) as bench:
            face = bench.face(driver, heartbeat_interval=None)
            for value in range(6):  # a copy of the last reply would carry value - 1
                bench.device.dps["2"] = value
                assert (await face.status())["2"] == value
            await face.set_status({"2": "a"})
            await face.set_status({"2": "b"})
            await face.heartbeat()
            await face.heartbeat()
            assert (await face.status())["2"] == "b"
            await face.aclose()
            assert bench.device.connections == 1
            answered = [frame.cmd for frame in bench.device.requests]
            assert len(answered) == 11  # (no opening heartbeat: the first status stood in)

    run(main, virtual=driver == "AsyncDevice")


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_one_byte_at_a_time_gives_the_same_results(version: str, driver: str) -> None:
    async def main() -> None:
        async with Bench.serving(simulated(version), FaultPlan(one_byte_writes=True)) as bench:
            face = bench.face(driver)
            assert await transcript(bench, face) == CLEAN
            await face.aclose()
            assert bench.device.connections == 1
            assert sum(map(len, bench.taps[0].sent)) > 400  # that many reads, one byte each

    run(main, virtual=driver == "AsyncDevice")
