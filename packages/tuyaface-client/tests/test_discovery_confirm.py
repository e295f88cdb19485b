"""A broadcast is a hint: a known device's address changes only when the new one works."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tuyaface import SimulatedDevice
from tuyaface.discovery import DiscoveredDevice, aconfirm_address, confirm_address
from tuyaface_codec import LocalProtocolError
from tuyaface_transport import get_transport

LOCAL = "127.0.0.1"
OLD = "192.0.2.10"  # the address we knew (never contacted by these tests)
KEY = "0123456789abcdef"


def found(dev_id: str = "dev1", ip: str = LOCAL, version: str | None = "3.3") -> DiscoveredDevice:
    return DiscoveredDevice(id=dev_id, ip=ip, version=version, product_key=None)


@pytest.fixture
def listening_port() -> Iterator[int]:
    """A TCP port on 127.0.0.1 that accepts connections and never answers."""
    with socket.create_server((LOCAL, 0)) as server:
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.create_server((LOCAL, 0)) as server:
        port: int = server.getsockname()[1]
    return port


def never(ip: str) -> bool:
    raise AssertionError(f"probed {ip} although nothing was to be confirmed")


def test_new_address_is_adopted_when_it_accepts_a_connection(listening_port: int) -> None:
    assert confirm_address("dev1", OLD, found(), port=listening_port, timeout=1.0) == LOCAL


def test_new_address_is_ignored_when_nothing_listens(closed_port: int) -> None:
    assert confirm_address("dev1", OLD, found(), port=closed_port, timeout=1.0) == OLD
    assert confirm_address("dev1", None, found(), port=closed_port, timeout=1.0) is None


def test_nothing_is_probed_for_another_device_or_the_same_address() -> None:
    assert confirm_address("dev2", OLD, found(), probe=never) == OLD
    assert confirm_address("dev1", LOCAL, found(), probe=never) == LOCAL


def test_the_probe_decides() -> None:
    asked: list[str] = []

    def probe(ip: str) -> bool:
        asked.append(ip)
        return False

    assert confirm_address("dev1", OLD, found(), probe=probe) == OLD
    assert asked == [LOCAL]
    assert confirm_address("dev1", OLD, found(), probe=lambda ip: True) == LOCAL


def test_with_the_key_the_device_must_answer_a_status_read() -> None:
    simulator = SimulatedDevice("dev1", KEY, version="3.4", dps={"1": True})
    with simulator.serve_in_thread(LOCAL, 0, transport="asyncio") as sim:
        good = confirm_address(
            "dev1", OLD, found(version="3.4"), local_key=KEY, port=sim.port, timeout=2.0
        )
        wrong_key = confirm_address(
            "dev1", OLD, found(version="3.4"), local_key="fedcba9876543210",
            port=sim.port, timeout=0.5,
        )
    assert good == LOCAL
    assert wrong_key == OLD


def test_with_the_key_a_mere_listener_is_not_enough(listening_port: int) -> None:
    result = confirm_address(
        "dev1", OLD, found(), local_key=KEY, port=listening_port, timeout=0.3
    )
    assert result == OLD


def test_with_the_key_an_unknown_version_must_be_given(listening_port: int) -> None:
    with pytest.raises(LocalProtocolError, match="version="):
        confirm_address("dev1", OLD, found(version=None), local_key=KEY, port=listening_port)


async def test_async_form_checks_by_tcp_and_by_probe(closed_port: int) -> None:
    async def idle(transport: object) -> None:
        return None

    server = await get_transport("asyncio").start_server(LOCAL, 0, idle)  # type: ignore[arg-type]
    async with server:
        port = server.address[1]
        assert await aconfirm_address("dev1", OLD, found(), port=port, timeout=1.0) == LOCAL
    assert await aconfirm_address("dev1", OLD, found(), port=closed_port, timeout=1.0) == OLD

    async def refuse(ip: str) -> bool:
        return False

    assert await aconfirm_address("dev1", OLD, found(), probe=refuse) == OLD
    assert await aconfirm_address("dev2", OLD, found(), probe=refuse) == OLD


async def test_async_form_reads_status_with_the_key() -> None:
    simulator = SimulatedDevice("dev1", KEY, version="3.3")
    async with simulator.serve(LOCAL, 0, transport="asyncio") as server:
        result = await aconfirm_address(
            "dev1", OLD, found(), local_key=KEY, port=server.port, timeout=2.0
        )
    assert result == LOCAL
    assert simulator.connections == 1


async def test_async_form_with_the_key_rejects_a_mere_listener(listening_port: int) -> None:
    result = await aconfirm_address(
        "dev1", OLD, found(), local_key=KEY, port=listening_port, timeout=0.3
    )
    assert result == OLD


def test_a_probe_needs_no_version() -> None:
    assert confirm_address("dev1", OLD, found(version=None), probe=lambda ip: True) == LOCAL
