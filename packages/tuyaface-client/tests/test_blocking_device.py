"""Device (blocking) specifics: lazy connection, threads, drops, errors."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from simkit import DEV_ID, KEY, QUICK, simulator

from tuyaface import (
    ConnectError,
    Device,
    DeviceBusyError,
    DeviceError,
    NetworkError,
    Timeout,
)
from tuyaface_transport import FaultPlan


def device_for(sim: object, **options: object) -> Device:
    return Device(
        DEV_ID,
        KEY,
        sim.host,  # type: ignore[attr-defined]
        port=sim.port,  # type: ignore[attr-defined]
        version=sim.device.version,  # type: ignore[attr-defined]
        transport=sim.transport,  # type: ignore[attr-defined]
        **options,  # type: ignore[arg-type]
    )


def test_no_io_until_the_first_call() -> None:
    with simulator("3.4", dps={"1": True}) as sim:
        device = device_for(sim)
        time.sleep(0.02)
        assert sim.device.connections == 0
        assert device.status() == {"1": True}
        assert sim.device.connections == 1


@pytest.mark.parametrize("version", ["3.3", "3.5"])
def test_threads_share_one_connection(version: str) -> None:
    with simulator(version, "tcp", dps={"1": False, "2": 0}) as sim, device_for(sim) as device:
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda _: device.status(), range(16)))
        assert all(set(result) == {"1", "2"} for result in results)
        assert sim.device.connections == 1
        assert len(sim.device.requests) == 16


@pytest.mark.parametrize("version", ["3.3", "3.4"])
def test_the_next_call_reconnects_after_the_device_dropped_us(version: str) -> None:
    with simulator(version, dps={"1": True}) as sim, device_for(sim) as device:
        assert device.status() == {"1": True}
        assert sim.disconnect()  # e.g. the device closed an idle connection
        assert device.status() == {"1": True}
        assert sim.device.connections == 2


def test_a_drop_in_the_middle_of_a_reply_fails_that_call_only() -> None:
    # The first connection's device side is cut after 30 bytes: inside the first reply.
    faults = FaultPlan(close_after=30, connections=1)
    with simulator("3.3", faults=faults, dps={"1": True}) as sim, device_for(sim) as device:
        with pytest.raises(NetworkError, match="closed the connection") as caught:
            device.status()
        assert not isinstance(caught.value, DeviceBusyError)  # it had started to answer
        assert device.status() == {"1": True}


def test_one_byte_at_a_time_changes_nothing() -> None:
    faults = FaultPlan(one_byte_writes=True)
    with simulator("3.5", faults=faults, dps={"1": True}) as sim, device_for(sim) as device:
        assert device.status() == {"1": True}
        device.set_status({"1": False})
        push = device.wait_for_push(2.0)
        assert push is not None and push.dps == {"1": False}


def test_a_second_client_gets_device_busy_and_the_first_keeps_working() -> None:
    with simulator("3.3", dps={"1": True}) as sim, device_for(sim) as first:
        assert first.status() == {"1": True}
        started = time.monotonic()
        with (
            device_for(sim, timeout=10.0) as second,
            pytest.raises(DeviceBusyError, match="another client"),
        ):
            second.status()
        assert time.monotonic() - started < 5.0  # at once, not after the reply timeout
        assert first.status() == {"1": True}


def test_nothing_listening_is_a_connect_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    device = Device(DEV_ID, KEY, "127.0.0.1", port=port, version="3.3", timeout=1.0)
    with pytest.raises(ConnectError, match="check the IP address"):
        device.status()


def test_a_silent_device_times_out_and_answers_later_calls() -> None:
    with simulator("3.3", dps={"1": True}) as sim, device_for(sim, timeout=QUICK) as device:
        sim.device.answering = False
        started = time.monotonic()
        with pytest.raises(Timeout):
            device.status()
        assert time.monotonic() - started < QUICK + 2.0
        sim.device.answering = True
        assert device.status() == {"1": True}


def test_an_error_answer_is_a_device_error_and_the_connection_stays() -> None:
    with simulator("3.4", error_text="devid not found") as sim, device_for(sim) as device:
        with pytest.raises(DeviceError, match="devid not found") as caught:
            device.status()
        assert caught.value.retcode == 1
        sim.device.error_text = None
        assert device.status() == {"1": False}
        assert sim.device.connections == 1


def test_wait_for_push_returns_none_when_nothing_comes() -> None:
    with simulator("3.3") as sim, device_for(sim) as device:
        started = time.monotonic()
        assert device.wait_for_push(0.1) is None
        assert 0.1 <= time.monotonic() - started < 0.1 + 2.0
        threading.Timer(0.05, sim.push, args=({"1": True},)).start()
        push = device.wait_for_push(10.0)
        assert push is not None and push.dps == {"1": True}
