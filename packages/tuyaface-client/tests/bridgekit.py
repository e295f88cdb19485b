"""Test kit for the bridge: a real broker process, simulated homes, an MQTT watcher.

    broker (fixture, conftest-free): LocalBroker on 127.0.0.1, a free port
    async with home(3) as devices: ...       # SimulatedDevices on TCP 127.0.0.1
    async with watching(broker, "t1/#") as watcher: await watcher.until(...)
    async with running(bridge): ...           # Bridge.run() as a task, stopped after
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

import aiomqtt
import attrs
import pytest
from simkit import KEY, PATIENCE

from tuyaface import SimulatedDevice
from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.config import BridgeConfig, DeviceConfig, parse_mqtt_url
from tuyaface.bridge.runner import READER, Bridge

__all__ = [
    "Home",
    "Watcher",
    "bridge_config",
    "broker_process",
    "home",
    "readers",
    "reading",
    "running",
    "watching",
]

HEARTBEAT = 0.5  # the tests' heartbeat interval and reply timeout (seconds)
TIMEOUT = 0.5


@contextlib.contextmanager
def broker_process() -> Iterator[LocalBroker]:
    """A broker process (outside any event loop): mosquitto if installed, else amqtt;
    TUYAFACE_TEST_BROKER=amqtt picks amqtt anyway."""
    with LocalBroker(os.environ.get("TUYAFACE_TEST_BROKER") or None) as broker:
        yield broker


@attrs.define
class Home:
    """Simulated devices (by name) and their bridge configs."""

    devices: dict[str, SimulatedDevice]
    configs: list[DeviceConfig]


def dev_id(index: int) -> str:
    return f"bridgetest{index:010d}"


@contextlib.asynccontextmanager
async def home(
    count: int, *, version: str = "3.3", dps: dict[str, Any] | None = None
) -> AsyncIterator[Home]:
    """`count` simulated devices on TCP 127.0.0.1, named d0, d1, ..."""
    async with contextlib.AsyncExitStack() as stack:
        devices, configs = {}, []
        for index in range(count):
            name = f"d{index}"
            device = SimulatedDevice(
                dev_id(index), KEY, version=version, dps=dps or {"1": False, "2": 10}
            )
            server = await stack.enter_async_context(device.serve(transport="asyncio"))
            devices[name] = device
            configs.append(
                DeviceConfig(dev_id(index), KEY, name, server.host, version, server.port)
            )
        yield Home(devices, configs)


def reading() -> list[str]:
    """The devices the bridge's status readers alive read, by name (sorted)."""
    prefix = f"{READER} "
    names = (task.get_name() for task in asyncio.all_tasks())
    return sorted(name.removeprefix(prefix) for name in names if name.startswith(prefix))


def readers() -> int:
    """How many status readers of the bridge are alive."""
    return len(reading())


def bridge_config(broker: LocalBroker, base: str, devices: Sequence[DeviceConfig],
                  **options: Any) -> BridgeConfig:
    """A bridge on the test broker with short heartbeats, scans on 127.0.0.1 only."""
    return BridgeConfig(
        mqtt=parse_mqtt_url(broker.url),
        devices=tuple(devices),
        base_topic=base,
        heartbeat_interval=HEARTBEAT,
        timeout=TIMEOUT,
        scan_local=True,
        **options,
    )


@contextlib.asynccontextmanager
async def running(bridge: Bridge) -> AsyncIterator[Bridge]:
    """`bridge.run()` as a task until the block ends (then a clean stop)."""
    task = asyncio.create_task(bridge.run())
    try:
        await _wait(lambda: bridge.connected.is_set() or task.done(), "bridge connected")
        if task.done():
            task.result()
        yield bridge
    finally:
        bridge.stop()
        await asyncio.wait_for(task, PATIENCE)


class Watcher:
    """An MQTT client recording every message: `last[topic]` (parsed JSON, None for an
    empty payload) and `log` in order."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.last: dict[str, Any] = {}
        self.log: list[tuple[str, Any]] = []

    async def pump(self) -> None:
        async for message in self.client.messages:
            data = bytes(message.payload or b"")
            try:
                value = json.loads(data) if data else None
            except ValueError:
                value = data  # not JSON (a refused /set, as sent)
            self.last[str(message.topic)] = value
            self.log.append((str(message.topic), value))

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        await _wait(condition, what)

    async def value(self, topic: str, wanted: Any) -> None:
        """Wait until the last message on `topic` equals `wanted`."""
        await _wait(lambda: self.last.get(topic, ...) == wanted,
                    f"{topic} = {wanted!r} (last: {self.last.get(topic, 'nothing')!r})")

    async def publish(self, topic: str, payload: Any) -> None:
        data = payload if isinstance(payload, bytes | str) else json.dumps(payload)
        await self.client.publish(topic, data, qos=1)

    def messages(self, topic: str) -> list[Any]:
        return [value for seen, value in self.log if seen == topic]


@contextlib.asynccontextmanager
async def watching(broker: LocalBroker, *patterns: str) -> AsyncIterator[Watcher]:
    """A watcher subscribed to `patterns` (retained messages arrive first)."""
    async with aiomqtt.Client(broker.host, broker.port) as client:
        watcher = Watcher(client)
        await client.subscribe([(pattern, 1) for pattern in patterns])
        pump = asyncio.create_task(watcher.pump())
        try:
            yield watcher
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await pump


async def _wait(condition: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.01)
