"""Interoperability: tinytuya (an independent implementation) as the client against our
simulator over TCP on 127.0.0.1, for 3.1 - 3.5 (3.2 too, although tinytuya treats every
3.2 device as device22)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import tinytuya  # a test dependency of the client tox env: a missing one fails, not skips
from simkit import DEV_ID, KEY, simulator

from tuyaface import Device, SimulatorThread

INTEROP_VERSIONS = ("3.1", "3.2", "3.3", "3.4", "3.5")
SOCKET_TIMEOUT = 1.0  # tinytuya's default is 5 s with retries; answers here take ms


def outlet(sim: SimulatorThread, *, persist: bool = True) -> Any:
    """A tinytuya OutletDevice pointed at the simulator, with short timeouts, no retries."""
    device = tinytuya.OutletDevice(
        DEV_ID,
        "127.0.0.1",
        KEY,
        version=float(sim.device.version),
        port=sim.port,
        persist=persist,
        connection_timeout=SOCKET_TIMEOUT,
        connection_retry_limit=1,
        connection_retry_delay=0,
    )
    device.set_socketTimeout(SOCKET_TIMEOUT)
    device.set_socketRetryLimit(1)
    device.set_socketRetryDelay(0)
    return device


def answered(result: Any) -> dict[str, Any]:
    """tinytuya reports failures as {'Error': ...} instead of raising."""
    assert isinstance(result, dict), result
    assert "Error" not in result, result
    return result


@pytest.fixture(params=INTEROP_VERSIONS)
def tcp_sim(request: pytest.FixtureRequest) -> Iterator[SimulatorThread]:
    with simulator(str(request.param), "tcp", dps={"1": True, "2": 5}) as sim:
        assert sim.host == "127.0.0.1"
        yield sim


def test_tinytuya_reads_status(tcp_sim: SimulatorThread) -> None:
    device = outlet(tcp_sim)
    try:
        assert answered(device.status())["dps"] == {"1": True, "2": 5}
    finally:
        device.close()


def test_tinytuya_sets_and_gets_the_push(tcp_sim: SimulatorThread) -> None:
    device = outlet(tcp_sim)
    try:
        # tinytuya waits for the STATUS push that follows the acknowledgement
        assert answered(device.set_status(False, 1))["dps"] == {"1": False}
        assert answered(device.set_value(2, 9))["dps"] == {"2": 9}
        assert tcp_sim.device.dps == {"1": False, "2": 9}
        assert answered(device.status())["dps"] == {"1": False, "2": 9}
        assert tcp_sim.device.connections == 1  # persistent: one connection throughout
    finally:
        device.close()


def test_tinytuya_heartbeat_and_updatedps(tcp_sim: SimulatorThread) -> None:
    device = outlet(tcp_sim)
    try:
        answered(device.status())
        assert device.heartbeat() is None  # an empty acknowledgement, no error
        device.updatedps([1])
        assert answered(device.receive())["dps"] == {"1": True}
    finally:
        device.close()


def test_tinytuya_without_persistence_reconnects_each_call(tcp_sim: SimulatorThread) -> None:
    device = outlet(tcp_sim, persist=False)
    try:
        answered(device.status())
        answered(device.turn_off())
        assert answered(device.status())["dps"]["1"] is False
        # one connection per request (on 3.2 tinytuya probes DP ranges with several)
        assert tcp_sim.device.connections == len(tcp_sim.device.requests) >= 3
        assert tcp_sim.device.refused == 0  # each connection closed before the next
    finally:
        device.close()


def test_tinytuya_and_tuyaface_agree(tcp_sim: SimulatorThread) -> None:
    theirs = outlet(tcp_sim, persist=False)
    try:
        answered(theirs.set_value(2, 42))
        seen_by_tinytuya = answered(theirs.status())["dps"]
    finally:
        theirs.close()
    sim = tcp_sim
    with Device(DEV_ID, KEY, sim.host, port=sim.port, version=sim.device.version) as ours:
        assert ours.status() == seen_by_tinytuya == {"1": True, "2": 42}


@pytest.mark.parametrize("version", ["3.3", "3.4"])
def test_tinytuya_device22_fallback_against_the_simulator(version: str) -> None:
    # tinytuya switches to the device22 query on the error text for 3.3 / 3.4 only
    # (docs/protocol.md §7); our simulator's device22 mode answers as such firmware does.
    with simulator(version, "tcp", device22=True, dps={"1": True, "2": 5}) as sim:
        device = outlet(sim)
        try:
            assert answered(device.status())["dps"] == {"1": True}  # it asks for DP 1
            requested = [frame.cmd for frame in sim.device.requests]
            assert 13 in requested  # CONTROL_NEW with null DPs
        finally:
            device.close()
