"""`tuyaface bridge --demo`: a simulated home of typed devices (a light, a plug with energy
readings, a cover, a climate sensor) and a gateway with three children, a local broker,
the bridge, and the MQTT traffic printed as a user sets the light to 50 % and turns the
plug on, then exits."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiomqtt

from ..gateway import SimulatedGateway
from ..model import builtin_schema, initial_dps, simulated_device
from .broker import LocalBroker
from .config import from_mapping
from .runner import Bridge

__all__ = ["run_demo"]

KEY = "0123456789abcdef"
VERSION = "3.4"
HOME = {  # name -> (id, category)
    "light": ("tuyafacedemolight001", "light"),
    "plug": ("tuyafacedemoplug0001", "plug"),
    "cover": ("tuyafacedemocover001", "cover"),
    "climate": ("tuyafacedemosensor01", "sensor"),
}
GATEWAY = ("hub", "tuyafacedemogateway1")
CHILDREN = {  # name -> (cid, category)
    "front-door": ("a4c138demo0door01", "contact"),
    "hallway": ("a4c138demo0pir002", "motion"),
    "garden-socket": ("a4c138demo0plug03", "switch"),
}
STEPS = (("light", {"switch_led": True, "bright_value_v2": "50%"}),
         ("plug", {"switch_1": True}))
DEMO_TIME = 30.0
SHOWN = 110


def run_demo(say: Callable[[str], None]) -> None:
    """Start the broker (a process), run the demo on a fresh loop, stop the broker."""
    with LocalBroker() as broker:
        say(f"broker: {broker.kind} on {broker.url}")
        asyncio.run(asyncio.wait_for(_demo(broker.url, say), DEMO_TIME))


async def _serve_home(stack: contextlib.AsyncExitStack, say: Callable[[str], None]
                      ) -> list[dict[str, Any]]:
    """The simulated devices and gateway; their devices.json entries."""
    entries: list[dict[str, Any]] = []
    for name, (dev_id, category) in HOME.items():
        device = simulated_device(dev_id, KEY, category=category, version=VERSION, tick=1.0)
        server = await stack.enter_async_context(device.serve(transport="asyncio"))
        entries.append({"id": dev_id, "key": KEY, "ip": server.host, "port": server.port,
                        "version": VERSION, "name": name, "category": category})
        say(f"simulated {category} {name!r}: {dev_id} on {server.host}:{server.port}")
    children = {cid: initial_dps(_schema(category)) for cid, category in CHILDREN.values()}
    gateway = SimulatedGateway(GATEWAY[1], KEY, version=VERSION, children=children)
    server = await stack.enter_async_context(gateway.serve(transport="asyncio"))
    entries.append({"id": GATEWAY[1], "key": KEY, "ip": server.host, "port": server.port,
                    "version": VERSION, "name": GATEWAY[0]})
    say(f"simulated gateway {GATEWAY[0]!r}: {GATEWAY[1]} on {server.host}:{server.port}")
    for name, (cid, category) in CHILDREN.items():
        entries.append({"id": f"demo-{name}", "parent": GATEWAY[1], "node_id": cid,
                        "name": name, "category": category})
        say(f"  child {category} {name!r}: cid {cid}")
    return entries


def _schema(category: str) -> Any:
    schema = builtin_schema(category)
    assert schema is not None
    return schema


async def _demo(url: str, say: Callable[[str], None]) -> None:
    async with contextlib.AsyncExitStack() as stack:
        entries = await _serve_home(stack, say)
        config = from_mapping({"mqtt": {"url": url}, "devices": entries}, Path("."), "demo")
        watcher = await stack.enter_async_context(aiomqtt.Client("127.0.0.1", config.mqtt.port))
        await watcher.subscribe([("tuyaface/#", 0), ("homeassistant/#", 0)])
        seen: list[tuple[str, object]] = []
        printer = asyncio.create_task(_print(watcher, say, seen))
        bridge = Bridge(config)
        runner = asyncio.create_task(bridge.run())
        await _until(lambda: ("tuyaface/bridge/state", {"state": "online"}) in seen
                     and all(_online(seen, entry["name"]) for entry in entries))
        await _settled(seen)  # the retained discovery, states and availability are out
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
    return (f"tuyaface/{name}/availability", {"state": "online"}) in seen


def _has_state(seen: list[tuple[str, object]], name: str, wanted: dict[str, object]) -> bool:
    """The state shows the command (a percentage as any value: the device's own units)."""
    return any(
        topic == f"tuyaface/{name}" and isinstance(value, dict)
        and all(k in value and (value[k] == v or isinstance(v, str)) for k, v in wanted.items())
        and value.get(next(iter(wanted))) == next(iter(wanted.values()))
        for topic, value in seen
    )


async def _settled(seen: list[tuple[str, object]], quiet: float = 0.3) -> None:
    """Until no message came for `quiet` seconds."""
    count = -1
    while count != len(seen):
        count = len(seen)
        await asyncio.sleep(quiet)


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.02)
