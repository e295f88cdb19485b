"""docs/reliability.md client scenarios 9, 10 and 11: answers that are not what was asked for.

9. Wrong local key: 3.3 reports "wrong local key or protocol version" on the first reply
   (at once, not after a timeout); 3.4 / 3.5 report a `HandshakeError` within the reply
   timeout and send nothing after the handshake's first frame (counted on the simulator's
   side of every connection, which the client then closes).
   Also: test_device_matrix.py::test_wrong_key (every version, transport and driver: the
   error and its message).
10. "json obj data unvalid" to DP_QUERY: one device22 query, success, remembered for the
   connections that follow (counted over four connections).
   Also: test_device_matrix.py::test_device22_fallback_is_remembered (every version,
   transport and driver) and test_legacy_tuyaclient.py::test_device22_is_learnt_and_honoured.
11. An error retcode with a text: `DeviceError` (text and retcode) to the caller, and the
   connection stays up: the next call uses the same one.
   Also: test_blocking_device.py::test_an_error_answer_is_a_device_error_and_the_connection_
   stays (3.4, Device).
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

import pytest
from reliabilitykit import SCENARIO_VERSIONS, Bench, RecordingSleep, run
from reliabilitykit import simulated as simulated_device
from simkit import DRIVERS, WRONG_KEY

from tuyaface import (
    Connected,
    ConnectFailed,
    DecryptError,
    DeviceError,
    Disconnected,
    HandshakeError,
)
from tuyaface._core import DEFAULT_TIMEOUT
from tuyaface_codec import Command, get_protocol

VERSIONS = SCENARIO_VERSIONS
DPS = {"1": True, "2": 3}
SCALED_TIMEOUT = 0.3  # Device, real time
# Where the answer comes at once, the reply timeout is long and the bound half of it: load
# cannot stretch the answer so far, and a wait for the timeout would still exceed it.
AT_ONCE_TIMEOUT = 10.0


simulated = functools.partial(simulated_device, dps=DPS)


def timeout_for(driver: str) -> float:
    return DEFAULT_TIMEOUT if driver == "AsyncDevice" else SCALED_TIMEOUT


def now(driver: str) -> float:
    """The clock the driver runs on: the loop's (virtual) for AsyncDevice, else real."""
    return asyncio.get_running_loop().time() if driver == "AsyncDevice" else time.monotonic()


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_wrong_key(version: str, driver: str) -> None:
    handshake = get_protocol(version).needs_handshake
    expected = HandshakeError if handshake else DecryptError
    timeout = timeout_for(driver) if handshake else AT_ONCE_TIMEOUT

    async def main() -> None:
        async with Bench.serving(simulated(version)) as bench:
            face = bench.face(
                driver, local_key=WRONG_KEY, timeout=timeout, **_no_sleep(driver)
            )
            started = now(driver)
            with pytest.raises(expected, match="wrong local key or protocol version"):
                await face.status()
            took = now(driver) - started
            await face.aclose()
            if handshake:  # no answer to the key exchange: given up at the reply timeout
                assert timeout <= took < timeout + 2.0
            else:  # the device answered (under its own key): told at once
                assert took < AT_ONCE_TIMEOUT / 2
            assert not bench.device.requests  # nothing served
            for tap in bench.taps:  # every connection (AsyncDevice retries in between)
                if handshake:  # only the first handshake frame, then the client left
                    assert tap.frames(version) == 1
                    assert tap.first_frame(version, WRONG_KEY).cmd == Command.SESS_KEY_NEG_START
                assert tap.received[-1] == b""  # the client closed it

    run(main, virtual=driver == "AsyncDevice")


def _no_sleep(driver: str) -> dict[str, Any]:
    return {"sleep": RecordingSleep()} if driver == "AsyncDevice" else {}


def test_async_device_with_a_wrong_key_keeps_failing_to_connect_quietly() -> None:
    """(3.4) In the background: ConnectFailed with a HandshakeError, growing pauses, one
    frame per attempt."""

    async def main() -> None:
        async with Bench.serving(simulated("3.4")) as bench:
            device = bench.client(local_key=WRONG_KEY, sleep=RecordingSleep())
            events = device.events()
            failures = [await anext(events) for _ in range(4)]
            await device.aclose()
            assert all(isinstance(f, ConnectFailed) for f in failures)
            assert all(isinstance(f.error, HandshakeError) for f in failures)
            assert [f.retry_in for f in failures] == sorted(f.retry_in for f in failures)
            assert [tap.frames("3.4") for tap in bench.taps] == [1] * len(bench.taps)

    run(main)


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_device22_is_found_once_and_remembered(version: str, driver: str) -> None:
    async def main() -> None:
        async with Bench.serving(simulated(version, device22=True)) as bench:
            face = bench.face(driver, heartbeat_interval=None, **_no_sleep(driver))
            for connection in range(4):
                bench.device.dps["2"] = connection
                assert await face.status() == {"1": True, "2": connection}
                assert face.device.device22
                if connection < 3:
                    assert bench.listener.drop_connections() == 1
                    await _gone(face, bench, connection + 1)
            await face.aclose()
            assert bench.device.connections == 4
            queries = [f.cmd for f in bench.device.requests if f.cmd != Command.HEART_BEAT]
            status = {Command.DP_QUERY, Command.DP_QUERY_NEW}
            assert sum(cmd in status for cmd in queries) == 1  # the one that was refused
            assert queries[1:] == [Command.CONTROL_NEW] * 4  # the device22 query from then on

    run(main, virtual=driver == "AsyncDevice")


async def _gone(face: Any, bench: Bench, connections: int) -> None:
    """Wait until the driver noticed the drop (AsyncDevice) or just go on (Device: its
    next call finds out)."""
    events = getattr(face, "events", None)
    if events is None:
        return
    async for event in events:
        if isinstance(event, Disconnected):
            break
    async for event in events:
        if isinstance(event, Connected):
            break


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_an_error_answer_is_a_device_error_and_the_connection_stays(
    version: str, driver: str
) -> None:
    async def main() -> None:
        async with Bench.serving(simulated(version, error_text="devid not found")) as bench:
            face = bench.face(driver, heartbeat_interval=None)
            with pytest.raises(DeviceError, match="devid not found") as caught:
                await face.status()
            assert caught.value.retcode == 1
            with pytest.raises(DeviceError, match="devid not found"):
                await face.set_status({"1": False})
            await face.heartbeat()  # the connection is fine
            bench.device.error_text = None
            assert await face.status() == DPS
            await face.aclose()
            assert bench.device.connections == 1
            if driver == "AsyncDevice":
                changes = [e async for e in face.events]  # type: ignore[union-attr]
                assert changes == [Connected(), Disconnected(None)]

    run(main, virtual=driver == "AsyncDevice")
