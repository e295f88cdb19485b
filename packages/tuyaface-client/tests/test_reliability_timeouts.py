"""docs/reliability.md client scenarios 2 and 8: slow replies and a device that went silent.

2. A reply 2 s late succeeds with the default 5 s timeout; a reply later than the timeout
   is a `Timeout`, and the late reply never reaches the next request (the device holds
   its reply; the next request's answer carries other values).
   Also: test_session.py::test_a_late_reply_is_not_handed_to_the_next_request (3.1-3.3)
   and ::test_a_reply_timeout_ends_the_session_on_34_35, sans I/O.
8. Half-open: the device's writes vanish, the connection stays open (no FIN). The
   AsyncDevice notices within two heartbeat intervals plus the reply timeout (23 s with
   the defaults: asserted on a virtual clock), idle or kept busy by a caller, and
   reconnects; `Device` (no background task) notices on the next call and the call after
   it works on a new connection.
   Also: test_async_device.py::test_a_half_open_connection_is_noticed_and_replaced (3.3).

AsyncDevice runs with the default timeout and heartbeat interval on a virtual clock; the
blocking Device in real time with the same proportions scaled down (0.5 s timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from typing import Any

import pytest
from reliabilitykit import SCENARIO_VERSIONS, Bench, RecordingSleep, run
from reliabilitykit import simulated as simulated_device

from tuyaface import (
    Connected,
    Disconnected,
    NetworkError,
    StatusPush,
    Timeout,
)
from tuyaface._core import DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_TIMEOUT

VERSIONS = SCENARIO_VERSIONS
DPS = {"1": True, "2": "old"}
SCALED_TIMEOUT = 0.5  # Device, real time: 5 s scaled down by 10


simulated = functools.partial(simulated_device, dps=DPS)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_reply_2_s_late_succeeds_and_one_after_the_timeout_is_discarded(version: str) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with Bench.serving(simulated(version)) as bench:
            device = bench.client(sleep=RecordingSleep())  # default timeout: 5 s
            events = device.events()
            assert isinstance(await anext(events), Connected)
            bench.taps[-1].hold = 2.0
            started = loop.time()
            assert await device.status() == DPS
            assert 2.0 <= loop.time() - started < 2.1

            # The reply (old values) arrives after 6 s; the device pushes meanwhile. The
            # connection is replaced at the timeout all the same (a late reply cannot be
            # told apart: test_session_protocol.py), so the late reply never arrives.
            bench.taps[-1].hold = DEFAULT_TIMEOUT + 1.0
            late = loop.create_task(device.status())
            await asyncio.sleep(1.0)
            assert await bench.device.push({"3": "pushed"})
            started = loop.time()
            with pytest.raises(Timeout, match="no answer"):
                await late
            assert DEFAULT_TIMEOUT - 1.1 < loop.time() - started < DEFAULT_TIMEOUT - 0.9
            bench.device.dps["2"] = "new"
            bench.taps[-1].hold = 2.0
            assert await device.status() == {"1": True, "2": "new", "3": "pushed"}
            assert len(bench.taps) == 2  # reconnected at the timeout, on every version
            assert await device.status() == {"1": True, "2": "new", "3": "pushed"}
            seen = [event async for event in _until_idle(events)]
            assert [e.dps for e in seen if isinstance(e, StatusPush)] == [{"3": "pushed"}]
            await device.aclose()

    run(main)


async def _until_idle(events: Any) -> Any:
    """The events already queued."""
    while True:
        try:
            async with asyncio.timeout(0.001):
                yield await anext(events)
        except TimeoutError:
            return


@pytest.mark.parametrize("version", VERSIONS)
def test_device_late_reply_is_a_timeout_and_never_the_next_answer(version: str) -> None:
    async def main() -> None:
        async with Bench.serving(simulated(version)) as bench:
            face = bench.face("Device", timeout=SCALED_TIMEOUT)
            assert await face.status() == DPS
            bench.taps[-1].hold = SCALED_TIMEOUT * 2 / 5  # "2 s" of "5 s"
            assert await face.status() == DPS
            bench.taps[-1].hold = SCALED_TIMEOUT * 6 / 5
            started = time.monotonic()
            with pytest.raises(Timeout, match="no answer"):
                await face.status()
            assert time.monotonic() - started < SCALED_TIMEOUT + 2.0
            bench.device.dps["2"] = "new"
            assert await face.status() == {"1": True, "2": "new"}
            assert await face.status() == {"1": True, "2": "new"}
            await face.aclose()

    run(main, virtual=False)


# -- 8: half-open ----------------------------------------------------------------------

NOTICE_BOUND = 2 * DEFAULT_HEARTBEAT_INTERVAL + DEFAULT_TIMEOUT  # 23 s


async def poll(device: Any, every: float) -> None:
    """A caller that keeps the connection busy: a status read every `every` seconds."""
    while True:
        with contextlib.suppress(NetworkError):
            await device.status()
        await asyncio.sleep(every)


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "polled"])
@pytest.mark.parametrize("version", VERSIONS)
def test_async_device_notices_a_half_open_connection_and_reconnects(
    version: str, busy: bool
) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with Bench.serving(simulated(version)) as bench:
            device = bench.client(sleep=RecordingSleep())  # default heartbeats and timeout
            events = device.events()
            assert isinstance(await anext(events), Connected)
            poller = loop.create_task(poll(device, 2.0)) if busy else None
            await asyncio.sleep(30.0)  # a while with a healthy connection
            assert bench.device.connections == 1
            bench.taps[-1].black_hole = True  # from now on nothing reaches the client
            silent_since = loop.time()
            async with asyncio.timeout(120):
                gone = await anext(events)
            assert isinstance(gone, Disconnected)
            assert isinstance(gone.error, Timeout)
            assert loop.time() - silent_since <= NOTICE_BOUND
            assert isinstance(await anext(events), Connected)
            assert bench.device.connections == 2
            assert await device.status() == DPS
            if poller is not None:
                poller.cancel()
            await device.aclose()

    run(main)


@pytest.mark.parametrize("version", VERSIONS)
def test_device_notices_a_half_open_connection_on_the_next_call(version: str) -> None:
    async def main() -> None:
        async with Bench.serving(simulated(version)) as bench:
            face = bench.face("Device", timeout=SCALED_TIMEOUT)
            assert await face.status() == DPS
            bench.taps[-1].black_hole = True
            started = time.monotonic()
            with pytest.raises(Timeout):
                await face.status()
            assert time.monotonic() - started < SCALED_TIMEOUT + 2.0
            assert await face.status() == DPS  # on a new connection
            assert bench.device.connections == 2
            await face.aclose()

    run(main, virtual=False)
