"""Test kit for the tuyaface 1.x API: device dicts pointed at a simulator."""

from __future__ import annotations

import contextlib
import queue
import socket
from collections.abc import Iterator
from typing import Any

from simkit import DEV_ID, KEY, QUICK

from tuyaface import SimulatorThread
from tuyaface._legacy import close_connection

__all__ = ["Recorder", "closed_port", "legacy_dict", "open_dict", "unreachable_dict"]


def legacy_dict(sim: SimulatorThread, **extra: Any) -> dict[str, Any]:
    """A 1.x device dict for the simulator (its version, transport, host and port)."""
    device: dict[str, Any] = {
        "protocol": sim.device.version,
        "deviceid": DEV_ID,
        "localkey": KEY,
        "ip": sim.host,
        "port": sim.port,
    }
    if sim.transport == "loopback":  # over TCP the dict stays as 1.x users write it
        device["transport"] = "loopback"
    device.update(extra)
    return device


@contextlib.contextmanager
def open_dict(sim: SimulatorThread, **extra: Any) -> Iterator[dict[str, Any]]:
    """`legacy_dict`, with the connection it keeps closed afterwards."""
    device = legacy_dict(sim, **extra)
    try:
        yield device
    finally:
        close_connection(device)


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def unreachable_dict() -> dict[str, Any]:
    """A 1.x device dict for 127.0.0.1 on a port where nothing listens."""
    return {
        "protocol": "3.3",
        "deviceid": DEV_ID,
        "localkey": KEY,
        "ip": "127.0.0.1",
        "port": closed_port(),
        "timeout": QUICK,
    }


class Recorder:
    """Collects callback values from another thread."""

    def __init__(self) -> None:
        self.values: queue.Queue[Any] = queue.Queue()

    def __call__(self, value: Any) -> None:
        self.values.put(value)

    def next(self, timeout: float = 3.0) -> Any:
        return self.values.get(timeout=timeout)

    def drain(self) -> list[Any]:
        found = []
        while not self.values.empty():
            found.append(self.values.get_nowait())
        return found
