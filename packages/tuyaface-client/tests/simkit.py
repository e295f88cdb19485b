"""Test kit: a simulator per test and one blocking face over `Device` and `AsyncDevice`.

    with simulator("3.4", "tcp", dps={"1": True}) as sim:        # SimulatorThread
        with driven("AsyncDevice", sim, timeout=QUICK) as device:  # Device or AsyncDevice
            device.status()
            device.next_push(1.0)

Async tests use `SimulatedDevice(...).serve(...)` directly (see test_async_device.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from tuyaface import (
    AsyncDevice,
    Device,
    Disconnected,
    SimulatedDevice,
    SimulatorThread,
    StatusPush,
)
from tuyaface_transport import FaultPlan

__all__ = [
    "DEV_ID",
    "DRIVERS",
    "KEY",
    "QUICK",
    "TRANSPORTS",
    "VERSIONS",
    "WRONG_KEY",
    "PATIENCE",
    "AsyncDriven",
    "SyncDriven",
    "driven",
    "simulator",
    "until",
    "wait_until",
]

KEY = "0123456789abcdef"
WRONG_KEY = "fedcba9876543210"
DEV_ID = "bf0123456789abcdefghij"  # 22 characters, like many device22 devices
VERSIONS = ("3.1", "3.2", "3.3", "3.4", "3.5")
TRANSPORTS = ("loopback", "tcp")
DRIVERS = ("Device", "AsyncDevice")
QUICK = 0.25  # reply timeout for tests that expect one to run out
PATIENCE = 10.0  # seconds to wait for something that will happen: no load takes so long


def wait_until(condition: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
    """Block (no loop running here) until `condition()` holds; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.005)


async def until(condition: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
    """On a real-time loop: wait until `condition()` holds; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.005)


@contextlib.contextmanager
def simulator(
    version: str,
    transport: str = "loopback",
    *,
    faults: FaultPlan | None = None,
    **knobs: Any,
) -> Iterator[SimulatorThread]:
    """A simulated device serving in a background thread (loopback or TCP on 127.0.0.1)."""
    device = SimulatedDevice(DEV_ID, knobs.pop("key", KEY), version=version, **knobs)
    with device.serve_in_thread(transport=transport, faults=faults) as sim:
        yield sim


class SyncDriven:
    """`Device` as it is."""

    def __init__(self, **options: Any) -> None:
        self.device = Device(**options)

    def status(self) -> dict[str, Any]:
        return self.device.status()

    def set_status(self, dps: Mapping[str | int, Any]) -> None:
        self.device.set_status(dps)

    def set_state(self, value: Any, idx: int | str = 1) -> None:
        self.device.set_state(value, idx)

    def heartbeat(self) -> None:
        self.device.heartbeat()

    def refresh(self, dps: list[int | str]) -> None:
        self.device.refresh(dps)

    def next_push(self, timeout: float) -> dict[str, Any] | None:
        push = self.device.wait_for_push(timeout)
        return None if push is None else push.dps

    def drop(self, sim: SimulatorThread) -> None:
        """The device drops the connection; the next call notices and reconnects."""
        assert sim.disconnect()

    @property
    def device22(self) -> bool:
        return self.device.device22

    @property
    def dps(self) -> dict[str, Any]:
        return self.device.dps

    def close(self) -> None:
        self.device.close()


class AsyncDriven:
    """`AsyncDevice` on its own event loop, driven call by call (`asyncio.Runner`)."""

    def __init__(self, **options: Any) -> None:
        self._runner = asyncio.Runner(debug=True)
        self.device = AsyncDevice(**options)
        self._events = self._run(self._subscribe())

    async def _subscribe(self) -> Any:
        return self.device.events()

    def _run(self, coroutine: Any) -> Any:
        return self._runner.run(coroutine)

    def status(self) -> dict[str, Any]:
        return self._run(self.device.status())  # type: ignore[no-any-return]

    def set_status(self, dps: Mapping[str | int, Any]) -> None:
        self._run(self.device.set_status(dps))

    def set_state(self, value: Any, idx: int | str = 1) -> None:
        self._run(self.device.set_state(value, idx))

    def heartbeat(self) -> None:
        self._run(self.device.heartbeat())

    def refresh(self, dps: list[int | str]) -> None:
        self._run(self.device.refresh(dps))

    def next_push(self, timeout: float) -> dict[str, Any] | None:
        async def wait() -> dict[str, Any] | None:
            deadline = time.monotonic() + timeout
            while (left := deadline - time.monotonic()) > 0:
                try:
                    event = await asyncio.wait_for(anext(self._events), left)
                except TimeoutError:
                    return None
                if isinstance(event, StatusPush):
                    return event.dps
            return None

        return self._run(wait())  # type: ignore[no-any-return]

    def drop(self, sim: SimulatorThread) -> None:
        """The device drops the connection; wait until the AsyncDevice noticed."""
        assert sim.disconnect()

        async def noticed() -> None:
            async for event in self._events:
                if isinstance(event, Disconnected):
                    return

        self._run(asyncio.wait_for(noticed(), PATIENCE))

    @property
    def device22(self) -> bool:
        return self.device.device22

    @property
    def dps(self) -> dict[str, Any]:
        return self.device.dps

    def close(self) -> None:
        try:
            self._run(self.device.aclose())
        finally:
            self._runner.close()


Driven = SyncDriven | AsyncDriven


@contextlib.contextmanager
def driven(driver: str, sim: SimulatorThread, **options: Any) -> Iterator[Driven]:
    """A `Device` or `AsyncDevice` pointed at `sim` (same version and transport)."""
    options.setdefault("version", sim.device.version)
    options.setdefault("transport", sim.transport)
    options.setdefault("port", sim.port)
    options = {"dev_id": DEV_ID, "local_key": KEY, "host": sim.host, **options}
    client: Driven = SyncDriven(**options) if driver == "Device" else AsyncDriven(**options)
    try:
        yield client
    finally:
        client.close()
