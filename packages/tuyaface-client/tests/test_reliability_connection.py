"""docs/reliability.md client scenarios 6 and 7: the device reboots, the device closes idle
connections.

6. Reboot: the device drops the connection, refuses connections for a while, and comes
   back with a new nonce. The client reconnects (AsyncDevice: by itself, with backoff;
   Device: on the next call after the device is back) and renegotiates: the session keys,
   computed from the nonces both ends drew from injected sources, differ, and the second
   connection's frames decode under the new key only.
7. Idle close (the simulator closes a connection silent for 30 s): the default heartbeats
   (9 s) keep an AsyncDevice connected through ten idle minutes; with heartbeats off the
   close is noticed (`Disconnected`) and the connection comes back by itself. `Device`
   has no background task: with heartbeats it keeps the connection alive while it waits
   for pushes; without, the call after the close reconnects transparently.
   Also: test_blocking_device.py::test_the_next_call_reconnects_after_the_device_dropped_us.

3.3, 3.4 and 3.5; AsyncDevice on a virtual clock with the default timings, Device in real
time with short ones.
"""

from __future__ import annotations

import asyncio
import functools
import time

import pytest
from reliabilitykit import SCENARIO_VERSIONS, Bench, Draws, RecordingSleep, Tap, run
from reliabilitykit import simulated as simulated_device
from simkit import KEY

from tuyaface import (
    Connected,
    ConnectError,
    ConnectFailed,
    Disconnected,
    NetworkError,
    StatusPush,
)
from tuyaface._core import DEFAULT_HEARTBEAT_INTERVAL
from tuyaface.async_device import HEARTBEAT_SPREAD
from tuyaface.simulator import DEFAULT_IDLE_TIMEOUT
from tuyaface_codec import CodecError, Command, Frame, FrameDecoder, get_protocol
from tuyaface_codec.handshake import NONCE_SIZE

VERSIONS = SCENARIO_VERSIONS
DPS = {"1": True, "2": 3}


simulated = functools.partial(simulated_device, dps=DPS, idle_timeout=DEFAULT_IDLE_TIMEOUT)


def session_keys(version: str, client: Draws, device: Draws) -> list[bytes]:
    """The session key of each connection, from the nonces each end drew (in order)."""
    protocol = get_protocol(version)
    nonces = zip(client.of_size(NONCE_SIZE), device.of_size(NONCE_SIZE), strict=True)
    return [protocol.session_key(KEY, ours, theirs) for ours, theirs in nonces]


def client_frames(tap: Tap, version: str, session_key: bytes) -> list[Frame]:
    """What the client sent on a connection: the handshake under the local key, the rest
    under `session_key` (`CodecError` if that is not the key in use)."""
    decoder = FrameDecoder(get_protocol(version), key=KEY, from_device=False)
    data = b"".join(tap.received)
    handshake = decoder.feed(data, limit=1) + decoder.feed(b"", limit=1)
    assert [f.cmd for f in handshake] == [Command.SESS_KEY_NEG_START, Command.SESS_KEY_NEG_FINISH]
    decoder.set_key(session_key)
    return handshake + decoder.feed(b"")


def check_renegotiated(bench: Bench, version: str, client: Draws, device: Draws) -> None:
    """Two connections, two handshakes, two different session keys, each one in use on
    its own connection only."""
    if not get_protocol(version).needs_handshake:
        return
    first, second = session_keys(version, client, device)
    assert first != second
    assert len(set(device.of_size(NONCE_SIZE))) == 2  # the device came back with a new nonce
    assert len(client_frames(bench.taps[0], version, first)) > 2
    assert len(client_frames(bench.taps[1], version, second)) > 2
    with pytest.raises(CodecError):
        client_frames(bench.taps[1], version, first)


@pytest.mark.parametrize("version", VERSIONS)
def test_async_device_rides_out_a_reboot_and_renegotiates(version: str) -> None:
    client, device = Draws(1), Draws(2)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with Bench.serving(simulated(version, random_bytes=device)) as bench:
            sleep = RecordingSleep()
            async with bench.client(random_bytes=client, sleep=sleep) as tuya:
                events = tuya.events()
                assert isinstance(await anext(events), Connected)
                assert await tuya.status() == DPS
                bench.listener.accepting = False  # rebooting: the connection goes, ...
                assert bench.listener.drop_connections() == 1
                rebooted = loop.time()
                assert isinstance(await anext(events), Disconnected)
                for _ in range(4):  # ... and connecting is refused for a while
                    failed = await anext(events)
                    assert isinstance(failed, ConnectFailed)
                    assert isinstance(failed.error, ConnectError)
                bench.listener.accepting = True
                assert isinstance(await anext(events), Connected)
                assert 24 < loop.time() - rebooted < 38  # 1 + 2 + 4 + 8 + 16 s, jittered
                assert len(sleep.delays) == 5
                bench.device.dps["2"] = 4
                assert await tuya.status() == {"1": True, "2": 4}
            check_renegotiated(bench, version, client, device)

    run(main)


@pytest.mark.parametrize("version", VERSIONS)
def test_device_reconnects_after_a_reboot_on_the_next_call(version: str) -> None:
    client, device = Draws(3), Draws(4)

    async def main() -> None:
        async with Bench.serving(simulated(version, random_bytes=device)) as bench:
            face = bench.face("Device", random_bytes=client, timeout=1.0)
            assert await face.status() == DPS
            bench.listener.accepting = False
            bench.listener.drop_connections()
            with pytest.raises(ConnectError, match="check the IP address"):
                await face.status()  # the old connection is gone, a new one refused
            bench.listener.accepting = True
            bench.device.dps["2"] = 4
            assert await face.status() == {"1": True, "2": 4}
            await face.aclose()
            assert bench.device.connections == 2
            check_renegotiated(bench, version, client, device)

    run(main, virtual=False)


# -- 7: idle close ---------------------------------------------------------------------


def heartbeats(bench: Bench) -> int:
    return sum(frame.cmd == Command.HEART_BEAT for frame in bench.device.requests)


@pytest.mark.parametrize("version", VERSIONS)
def test_default_heartbeats_keep_an_idle_connection_for_ten_minutes(version: str) -> None:
    async def main() -> None:
        async with Bench.serving(simulated(version)) as bench:  # closes after 30 s idle
            async with bench.client() as tuya:  # default heartbeat interval
                events = tuya.events()
                assert isinstance(await anext(events), Connected)
                await asyncio.sleep(600.0)
                assert await tuya.status() == DPS
                assert bench.device.connections == 1
                period = DEFAULT_HEARTBEAT_INTERVAL * (1 + HEARTBEAT_SPREAD)  # at most
                assert heartbeats(bench) >= 600 // period
                assert tuya.connected
            others = [event async for event in events]
            assert others == [Disconnected(None)]  # only the one at close

    run(main)


@pytest.mark.parametrize("version", VERSIONS)
def test_without_heartbeats_the_idle_close_is_noticed_and_recovered(version: str) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        async with Bench.serving(simulated(version)) as bench:
            tuya = bench.client(heartbeat_interval=None, sleep=RecordingSleep())
            events = tuya.events()
            assert isinstance(await anext(events), Connected)
            assert await tuya.status() == DPS
            quiet_since = loop.time()
            gone = await anext(events)
            assert isinstance(gone, Disconnected)
            assert isinstance(gone.error, NetworkError)
            assert loop.time() - quiet_since == pytest.approx(DEFAULT_IDLE_TIMEOUT, abs=0.1)
            assert isinstance(await anext(events), Connected)
            assert await tuya.status() == DPS
            assert bench.device.connections == 2
            await tuya.aclose()

    run(main)


@pytest.mark.parametrize("version", VERSIONS)
def test_device_idle_close_with_and_without_heartbeats(version: str) -> None:
    idle = 0.2  # the device's idle close, real time

    async def main() -> None:
        async with Bench.serving(simulated(version, idle_timeout=idle)) as bench:
            face = bench.face("Device", heartbeat_interval=idle / 4)
            assert await face.status() == DPS
            assert await face.next_push(2.5 * idle) is None  # heartbeats while it waits
            assert heartbeats(bench) >= 4
            assert bench.device.connections == 1
            bench.device.dps["2"] = 4
            assert await face.status() == {"1": True, "2": 4}
            await face.aclose()

            face = bench.face("Device", heartbeat_interval=None)
            assert await face.status() == {"1": True, "2": 4}
            started = time.monotonic()
            while bench.device.connected:  # closed by the device after `idle` s
                assert time.monotonic() - started < idle + 10.0
                await asyncio.sleep(0.01)
            assert await face.status() == {"1": True, "2": 4}  # reconnected, no error
            assert bench.device.connections == 3
            await face.aclose()

    run(main, virtual=False)


def test_pushes_are_not_lost_across_an_idle_close() -> None:
    """(AsyncDevice, 3.4) A push right after the reconnection arrives."""

    async def main() -> None:
        async with Bench.serving(simulated("3.4")) as bench:
            tuya = bench.client(heartbeat_interval=None)
            events = tuya.events()
            assert isinstance(await anext(events), Connected)
            assert isinstance(await anext(events), Disconnected)
            assert isinstance(await anext(events), Connected)
            assert await bench.device.push({"2": 9})
            push = await anext(events)
            assert isinstance(push, StatusPush) and push.dps == {"2": 9}
            await tuya.aclose()

    run(main)
