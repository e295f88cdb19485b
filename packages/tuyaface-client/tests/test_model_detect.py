"""DP discovery (docs/devices.md §3): device22 devices report only the DPs asked for;
`detect_dps` probes 1-30, 50-70 and 100-140 in requests under 255 bytes and remembers."""

from __future__ import annotations

import pytest
from simkit import DEV_ID, KEY

from tuyaface import AsyncDevice, Device, Role, Session, SimulatedDevice
from tuyaface.model import PROBE_RANGES, detect_dps, probe_chunks
from tuyaface.plugins import resolve_protocol
from tuyaface.session import State
from tuyaface_codec import RequestKind

HIDDEN = {"1": True, "2": 7, "25": "scene", "60": 3, "101": "x", "140": False, "200": 1}


def test_chunks_cover_the_ranges_with_dp_1_in_each() -> None:
    chunks = list(probe_chunks())
    assert all(chunk[0] == "1" for chunk in chunks)
    probed = {dp for chunk in chunks for dp in chunk}
    assert probed == {str(n) for span in PROBE_RANGES for n in span}
    assert len(chunks) > 2


def ready_client(version: str) -> Session:
    """A client session past its handshake (3.4 / 3.5), in memory."""
    protocol = resolve_protocol(version)
    client = Session(protocol, KEY, DEV_ID, device22=True)
    device = Session(protocol, KEY, DEV_ID, role=Role.DEVICE)
    client.start(0.0)
    device.start(0.0)
    for _ in range(5):
        device.receive_data(client.data_to_send(), 0.0)
        client.receive_data(device.data_to_send(), 0.0)
    assert client.state is State.READY
    return client


@pytest.mark.parametrize("version", ["3.1", "3.2", "3.3", "3.4", "3.5"])
def test_every_probe_is_under_255_bytes_on_the_wire(version: str) -> None:
    for chunk in probe_chunks():
        client = ready_client(version)
        client.request(RequestKind.DEVICE22_STATUS, 0.0, dp_ids=chunk)
        wire = client.data_to_send()
        assert 150 < len(wire) < 255, (chunk, len(wire))  # under the limit, not wasteful


def test_detect_on_a_device22_device_and_remembered() -> None:
    sim = SimulatedDevice(DEV_ID, KEY, version="3.3", device22=True, dps=HIDDEN)
    with sim.serve_in_thread() as thread:
        device = Device(DEV_ID, KEY, thread.host, port=thread.port, version="3.3")
        assert set(device.status()) == {"1", "2"}  # asked for 1-3 only
        found = detect_dps(device)
        assert found == {dp: v for dp, v in HIDDEN.items() if dp != "200"}
        assert device.dp_ids == ("1", "2", "25", "60", "101", "140")
        assert device.status() == found  # the same connection asks for all of them now
        device.close()
        assert device.status() == found  # and a new one


async def test_detect_async() -> None:
    sim = SimulatedDevice(DEV_ID, KEY, version="3.4", device22=True, dps=HIDDEN)
    async with sim.serve(transport="asyncio") as server:
        device = AsyncDevice(DEV_ID, KEY, server.host, port=server.port, version="3.4",
                             transport="asyncio")
        try:
            assert set(await detect_dps(device)) == set(HIDDEN) - {"200"}
            assert set(await device.status()) == set(HIDDEN) - {"200"}
        finally:
            await device.aclose()
