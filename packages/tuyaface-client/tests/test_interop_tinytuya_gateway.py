"""Interoperability: tinytuya 1.20's gateway and child API (`parent=gateway`, one shared
connection) against our SimulatedGateway over TCP on 127.0.0.1, 3.3 - 3.5."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import tinytuya  # a test dependency of the client tox env: a missing one fails, not skips
from test_interop_tinytuya import SOCKET_TIMEOUT, answered

from tuyaface import SimulatorThread
from tuyaface.gateway import SimulatedGateway

GW_ID = "bf0123456789abcdefghij"
KEY = "0123456789abcdef"
SENSOR, PLUG = "a4c138ad1d974d89", "a4c1380f44e2b1c3"
CHILDREN = {f"a4c1{n:012x}": {"1": n} for n in range(45)}


@contextlib.contextmanager
def serving(version: str) -> Iterator[SimulatorThread]:
    children = {SENSOR: {"1": 232}, PLUG: {"1": False}, **CHILDREN}
    sim = SimulatedGateway(GW_ID, KEY, version=version, children=children,
                           offline={"a4c1000000000003"})  # fmt: skip
    with sim.serve_in_thread(transport="tcp") as thread:
        yield thread


@pytest.fixture(params=("3.3", "3.4", "3.5"))
def hub(request: pytest.FixtureRequest) -> Iterator[SimulatorThread]:
    with serving(str(request.param)) as thread:
        yield thread


@pytest.fixture(params=("3.4", "3.5"))
def reporting_hub(request: pytest.FixtureRequest) -> Iterator[SimulatorThread]:
    with serving(str(request.param)) as thread:
        yield thread


def gateway(sim: SimulatorThread) -> Any:
    device = tinytuya.Device(
        GW_ID, "127.0.0.1", KEY, version=float(sim.device.version), port=sim.port,
        persist=True, connection_timeout=SOCKET_TIMEOUT, connection_retry_limit=1,
        connection_retry_delay=0,
    )  # fmt: skip
    device.set_socketTimeout(SOCKET_TIMEOUT)
    device.set_socketRetryLimit(1)
    device.set_socketRetryDelay(0)
    return device


def test_tinytuya_children_share_the_gateway_connection(hub: SimulatorThread) -> None:
    gw = gateway(hub)
    try:
        sensor = tinytuya.OutletDevice(SENSOR, cid=SENSOR, parent=gw)
        plug = tinytuya.OutletDevice(PLUG, cid=PLUG, parent=gw)
        reading = answered(sensor.status())
        assert (reading["dps"], reading["cid"]) == ({"1": 232}, SENSOR)
        assert answered(plug.status())["dps"] == {"1": False}
        assert answered(plug.set_status(True, 1))["dps"] == {"1": True}
        assert hub.device.children[PLUG]["1"] is True
        assert hub.device.children[SENSOR]["1"] == 232
        assert hub.device.connections == 1
    finally:
        gw.close()


def test_tinytuya_reads_the_presence_report_frames(reporting_hub: SimulatorThread) -> None:
    """3.4 / 3.5 only: 3.3 gateways have no presence report (docs/protocol.md §10a)."""
    gw = gateway(reporting_hub)
    try:
        frames = [answered(gw.subdev_query())]
        frames += [answered(gw.receive()) for _ in range(2)]  # 47 children: 3 frames of 20
        online = [cid for frame in frames for cid in frame["data"]["online"]]
        offline = [cid for frame in frames for cid in frame["data"]["offline"]]
        assert len(online) == 46
        assert offline == ["a4c1000000000003"]
        assert all(frame["reqType"] == "subdev_online_stat_report" for frame in frames)
    finally:
        gw.close()
