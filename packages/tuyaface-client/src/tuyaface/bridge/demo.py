"""`tuyaface bridge --demo`: a simulated home (a light, a plug), a local broker, the bridge,
and the MQTT traffic printed as a user turns the light on and dims it, then the plug on."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

import aiomqtt

from ..simulator import SimulatedDevice
from .broker import LocalBroker
from .config import BridgeConfig, DeviceConfig, parse_mqtt_url
from .runner import Bridge

__all__ = ["run_demo"]

KEY = "0123456789abcdef"
HOME = {
    "light": ("tuyafacedemolight001", {"20": False, "22": 500, "23": 300}),
    "plug": ("tuyafacedemoplug0001", {"1": False, "19": 0}),
}
STEPS = (("light", {"20": True, "22": 800}), ("plug", {"1": True}))
DEMO_TIME = 30.0
SHOWN = 110


def run_demo(say: Callable[[str], None]) -> None:
    """Start the broker (a process), run the demo on a fresh loop, stop the broker."""
    with LocalBroker() as broker:
        say(f"broker: {broker.kind} on {broker.url}")
        asyncio.run(asyncio.wait_for(_demo(broker.url, say), DEMO_TIME))


async def _demo(url: str, say: Callable[[str], None]) -> None:
    async with contextlib.AsyncExitStack() as stack:
        configs = []
        for name, (dev_id, dps) in HOME.items():
            server = await stack.enter_async_context(
                SimulatedDevice(dev_id, KEY, version="3.4", dps=dps).serve(transport="asyncio")
            )
            configs.append(DeviceConfig(dev_id, KEY, name, server.host, "3.4", server.port))
            say(f"simulated {name}: {dev_id} on {server.host}:{server.port}, DPs {dps}")
        config = BridgeConfig(mqtt=parse_mqtt_url(url), devices=tuple(configs))
        watcher = await stack.enter_async_context(aiomqtt.Client("127.0.0.1", config.mqtt.port))
        await watcher.subscribe([("tuyaface/#", 0), ("homeassistant/#", 0)])
        seen: list[tuple[str, object]] = []
        printer = asyncio.create_task(_print(watcher, say, seen))
        bridge = Bridge(config)
        runner = asyncio.create_task(bridge.run())
        await _until(lambda: all(_online(seen, n) for n in HOME))
        for name, command in STEPS:
            topic = f"tuyaface/{name}/set"
            say(f"-> {topic} {json.dumps(command)}")
            await watcher.publish(topic, json.dumps(command), qos=1)
            await _until(lambda n=name, c=command: _has_state(seen, n, c))  # type: ignore[misc]
        bridge.stop()
        await runner
        await _until(lambda: ("tuyaface/bridge/state", {"state": "offline"}) in seen)
        printer.cancel()


async def _print(client: aiomqtt.Client, say: Callable[[str], None],
                 seen: list[tuple[str, object]]) -> None:
    async for message in client.messages:
        text = bytes(message.payload or b"").decode("utf-8", "replace")
        shown = text if len(text) <= SHOWN else text[:SHOWN] + "..."
        say(f"<- {message.topic} {shown}")
        with contextlib.suppress(ValueError):
            seen.append((str(message.topic), json.loads(text) if text else None))


def _online(seen: list[tuple[str, object]], name: str) -> bool:
    return (f"tuyaface/{name}/availability", {"state": "online"}) in seen and any(
        topic == f"tuyaface/{name}" for topic, _ in seen
    )


def _has_state(seen: list[tuple[str, object]], name: str, wanted: dict[str, object]) -> bool:
    return any(
        topic == f"tuyaface/{name}" and isinstance(value, dict)
        and all(value.get(k) == v for k, v in wanted.items())
        for topic, value in seen
    )


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.02)


