"""The client suite runs on the loop $TUYAFACE_LOOP names (`tox -e uvloop`: uvloop)."""

from __future__ import annotations

import asyncio
import os

from reliabilitykit import run
from simkit import DEV_ID, KEY

from tuyaface import AsyncDevice, SimulatedDevice
from tuyaface_transport.testing import LOOP_ENV

EXPECTED = os.environ.get(LOOP_ENV) or "asyncio"


def loop_name() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


async def test_pytest_asyncio_tests_run_on_the_named_loop() -> None:
    assert loop_name() == EXPECTED


async def test_async_device_over_tcp_on_the_named_loop() -> None:
    simulated = SimulatedDevice(DEV_ID, KEY, version="3.4", dps={"1": True})
    async with simulated.serve(transport="asyncio") as server, AsyncDevice(
        DEV_ID, KEY, server.host, port=server.port, version="3.4", transport="asyncio"
    ) as device:
        assert await device.status() == {"1": True}
    assert loop_name() == EXPECTED


def test_the_virtual_clock_loop_stays_on_asyncio() -> None:
    """reliabilitykit's virtual-clock loop is an asyncio SelectorEventLoop whatever the env;
    its real-clock runs follow $TUYAFACE_LOOP."""

    async def loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    assert isinstance(run(loop, virtual=True), asyncio.SelectorEventLoop)
    assert type(run(loop, virtual=False)).__module__.split(".")[0] == EXPECTED
