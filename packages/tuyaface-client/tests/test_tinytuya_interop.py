"""An independent client (tinytuya 1.20) against our simulator over TCP: the simulator
speaks the protocol as real devices do, not just as our client expects."""

from __future__ import annotations

import pytest
from simkit import DEV_ID, KEY, simulator

tinytuya = pytest.importorskip("tinytuya")


@pytest.mark.parametrize("version", ["3.1", "3.3", "3.4", "3.5"])
def test_tinytuya_reads_and_sets(version: str) -> None:
    with simulator(version, "tcp", dps={"1": False, "2": 5}) as sim:
        device = tinytuya.OutletDevice(
            DEV_ID,
            sim.host,
            KEY,
            version=float(version),
            port=sim.port,
            connection_timeout=2,
            connection_retry_limit=1,
        )
        device.set_socketTimeout(2)
        try:
            assert device.status()["dps"] == {"1": False, "2": 5}
            answer = device.set_status(True, 1)  # tinytuya returns the push that follows
            assert answer["dps"] == {"1": True}
            assert device.status()["dps"] == {"1": True, "2": 5}
        finally:
            device.close()
        assert sim.device.dps == {"1": True, "2": 5}
