"""Every version x loopback / TCP x Device / AsyncDevice: the everyday operations."""

from __future__ import annotations

import pytest
from simkit import QUICK, WRONG_KEY, driven, simulator

from tuyaface import DecryptError, HandshakeError, Timeout, TuyaError
from tuyaface_codec import Command

DPS = {"1": True, "2": 7, "3": "auto"}
STATUS_COMMANDS = {Command.DP_QUERY, Command.DP_QUERY_NEW}


def test_status(version: str, transport: str, driver: str) -> None:
    with simulator(version, transport, dps=DPS) as sim, driven(driver, sim) as device:
        assert device.status() == DPS
        assert device.dps == DPS
    assert sim.device.connections == 1


def test_set_and_the_push_that_follows(version: str, transport: str, driver: str) -> None:
    with simulator(version, transport, dps=DPS) as sim, driven(driver, sim) as device:
        device.set_status({"1": False, 2: 9})
        assert device.next_push(2.0) == {"1": False, "2": 9}
        assert sim.device.dps == {"1": False, "2": 9, "3": "auto"}
        assert device.dps == {"1": False, "2": 9}
        device.set_state(True)
        assert device.next_push(2.0) == {"1": True}
        assert device.status() == {"1": True, "2": 9, "3": "auto"}


def test_heartbeat(version: str, transport: str, driver: str) -> None:
    with simulator(version, transport) as sim, driven(driver, sim) as device:
        device.heartbeat()
        device.heartbeat()
        commands = [frame.cmd for frame in sim.device.requests]
        # (AsyncDevice on 3.1-3.3 opens with a heartbeat of its own: see its docs)
        assert set(commands) == {Command.HEART_BEAT} and len(commands) >= 2


def test_refresh_reports_the_dps_again(version: str, transport: str, driver: str) -> None:
    with simulator(version, transport, dps=DPS) as sim, driven(driver, sim) as device:
        assert device.status() == DPS
        sim.device.dps["2"] = 42  # changed without a push, e.g. a power meter
        device.refresh([2, 3])
        assert device.next_push(2.0) == {"2": 42, "3": "auto"}
        assert sim.device.requests[-1].cmd == Command.UPDATEDPS
        assert device.dps["2"] == 42


def test_device22_fallback_is_remembered(version: str, transport: str, driver: str) -> None:
    with (
        simulator(version, transport, dps=DPS, device22=True) as sim,
        driven(driver, sim) as device,
    ):
        assert device.status() == DPS
        assert device.device22
        device.drop(sim)
        assert device.status() == DPS
        assert sim.device.connections == 2
    commands = [frame.cmd for frame in sim.device.requests if frame.cmd != Command.HEART_BEAT]
    # At most one plain status query (none on 3.2, which is always device22), then only
    # the device22 query (CONTROL_NEW with null DPs), also on the second connection.
    assert sum(cmd in STATUS_COMMANDS for cmd in commands) <= 1
    assert commands[-2:] == [Command.CONTROL_NEW, Command.CONTROL_NEW]


# What a wrong local key looks like per version (docs/protocol.md §9.4, docs/reliability.md 9).
WRONG_KEY_STATUS: dict[str, type[TuyaError] | None] = {
    "3.1": None,  # status reads are plaintext on 3.1: no key needed
    "3.2": DecryptError,  # the device answers under its real key
    "3.3": DecryptError,
    "3.4": HandshakeError,  # the device drops frames that fail their HMAC: no answer
    "3.5": HandshakeError,  # ... or their GCM tag
}


def test_wrong_key(version: str, transport: str, driver: str) -> None:
    with (
        simulator(version, transport, dps=DPS) as sim,
        driven(driver, sim, local_key=WRONG_KEY, timeout=QUICK) as device,
    ):
        expected = WRONG_KEY_STATUS[version]
        if expected is None:
            assert device.status() == DPS
            with pytest.raises(Timeout):  # a 3.1 device ignores a control it cannot verify
                device.set_status({"1": False})
            assert sim.device.dps == DPS
        else:
            with pytest.raises(expected, match="wrong local key or protocol version"):
                device.status()
