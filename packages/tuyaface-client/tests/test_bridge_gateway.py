"""Gateway children on the bridge, against a real broker: devices.json sub-device entries
bridged through ONE AsyncGateway connection, the gateway as their `via_device`, commands
routed by cid, availability following presence and the gateway's connection, status
reads following a child's returns and not repeated for a gateway without DPs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from bridgekit import bridge_config, readers, reading, running, watching
from simkit import KEY

from tuyaface._simreplies import request_cid
from tuyaface.backoff import Backoff
from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.config import DeviceConfig, from_mapping
from tuyaface.bridge.runner import Bridge
from tuyaface.gateway import SimulatedGateway
from tuyaface.model import builtin_schema, initial_dps
from tuyaface_codec import RequestKind

ONLINE = {"state": "online"}
OFFLINE = {"state": "offline"}
GATEWAY = "gwbridgetest00000001"
DOOR, LAMP, EXTRA = "a4c138door0000001", "a4c138lamp0000002", "a4c138plug0000003"


def entries(host: str, port: int, version: str) -> list[dict[str, Any]]:
    """A devices.json: the gateway, and two children without ip or key of their own."""
    return [
        {"id": GATEWAY, "key": KEY, "ip": host, "port": port, "version": version,
         "name": "hub"},
        {"id": "door-id", "parent": GATEWAY, "node_id": DOOR, "name": "door",
         "category": "mcs"},
        {"id": "lamp-id", "parent": GATEWAY, "node_id": LAMP, "name": "lamp"},
    ]


@contextlib.asynccontextmanager
async def gateway_home(
    version: str, offline: frozenset[str] = frozenset()
) -> AsyncIterator[tuple[SimulatedGateway, tuple[DeviceConfig, ...]]]:
    """A gateway without DPs of its own, and its children (`offline`: off the mesh)."""
    contact = builtin_schema("contact")
    assert contact is not None
    gateway = SimulatedGateway(GATEWAY, KEY, version=version, max_connections=1, children={
        DOOR: initial_dps(contact), LAMP: {"1": False, "2": 10}, EXTRA: {"1": False}},
        offline=offline)
    async with gateway.serve(transport="asyncio") as server:
        mapping = {"devices": entries(server.host, server.port, version)}
        yield gateway, from_mapping(mapping, Path("."), "test").devices


@pytest.mark.parametrize("version", ["3.3", "3.4"])
async def test_children_through_one_gateway_connection(
    mqtt_broker: LocalBroker, version: str
) -> None:
    base = f"g{version.replace('.', '')}"
    async with (
        gateway_home(version) as (gateway, configs),
        watching(mqtt_broker, f"{base}/#", f"ha{base}/#") as watcher,
        running(Bridge(bridge_config(mqtt_broker, base, configs,
                                     discovery_prefix=f"ha{base}"))),
    ):
        door = configs[1]
        assert (door.host, door.port, door.cid, door.parent) == (configs[0].host,
                                                                 configs[0].port, DOOR, GATEWAY)
        await watcher.value(f"{base}/door/availability", ONLINE)
        await watcher.value(f"{base}/lamp/availability", ONLINE)
        await watcher.value(f"{base}/door", {"doorcontact_state": False,
                                             "battery_percentage": 90})
        await watcher.value(f"{base}/lamp", {"1": False, "2": 10})  # no schema: raw DPs
        assert (gateway.connections, gateway.refused) == (1, 0)  # one connection for all

        node = f"tuyaface_{GATEWAY}"
        sensor = watcher.last[f"ha{base}/binary_sensor/tuyaface_door-id/doorcontact_state/config"]
        assert sensor["device_class"] == "door"
        assert sensor["device"]["via_device"] == node
        switch = watcher.last[f"ha{base}/switch/tuyaface_lamp-id/dp1/config"]
        assert switch["device"]["via_device"] == node
        assert switch["command_topic"] == f"{base}/lamp/set"
        listed = {d["name"]: d for d in watcher.last[f"{base}/bridge/devices"]}
        assert listed["door"]["parent"] == GATEWAY and listed["door"]["cid"] == DOOR

        await watcher.publish(f"{base}/lamp/set", {"1": True})  # routed by cid
        await watcher.value(f"{base}/lamp", {"1": True, "2": 10})
        assert gateway.children[LAMP]["1"] is True and gateway.children[DOOR]["1"] is False
        await watcher.publish(f"{base}/door/set", {"doorcontact_state": True})  # read-only
        await watcher.until(lambda: bool(watcher.messages(f"{base}/bridge/error")), "error")
        assert "read-only" in watcher.messages(f"{base}/bridge/error")[0]["error"]
        assert await gateway.push_child(DOOR, {"1": True})
        await watcher.value(f"{base}/door", {"doorcontact_state": True,
                                             "battery_percentage": 90})

        await watcher.publish(f"{base}/bridge/request/add", {  # a child more, same gateway
            "id": "extra-id", "parent": GATEWAY, "node_id": EXTRA, "name": "extra",
            "transaction": 7})
        await watcher.until(lambda: f"{base}/bridge/response/add" in watcher.last, "answer")
        assert watcher.last[f"{base}/bridge/response/add"]["status"] == "ok"
        await watcher.value(f"{base}/extra/availability", ONLINE)
        await watcher.publish(f"{base}/extra/set", {"1": True})
        await watcher.value(f"{base}/extra", {"1": True})
        assert gateway.children[EXTRA]["1"] is True
        assert f"{base}/hub" not in watcher.last  # its children's pushes are not its state

        if version != "3.3":  # presence reports (3.4 / 3.5): the child leaves, comes back
            await gateway.set_online(DOOR, False)
            await watcher.value(f"{base}/door/availability", OFFLINE)
            assert watcher.last[f"{base}/lamp/availability"] == ONLINE
            await gateway.set_online(DOOR, True)
            await watcher.value(f"{base}/door/availability", ONLINE)

        await watcher.publish(f"{base}/bridge/request/remove", {"id": "hub"})
        await watcher.value(f"{base}/hub/availability", None)  # cleared
        await watcher.publish(f"{base}/lamp/set", {"1": False})  # the children stay
        await watcher.value(f"{base}/lamp", {"1": False, "2": 10})
        assert (gateway.connections, gateway.refused) == (1, 0)

        gateway.answering = False  # the gateway goes quiet: every child goes offline
        await watcher.value(f"{base}/door/availability", OFFLINE)
        await watcher.value(f"{base}/lamp/availability", OFFLINE)
        gateway.answering = True
        await gateway.disconnect()
        await watcher.value(f"{base}/door/availability", ONLINE)
        await watcher.value(f"{base}/lamp/availability", ONLINE)
        assert gateway.refused == 0  # never two connections at once


async def test_children_availability_waits_for_presence_and_gateway_has_a_device(
    mqtt_broker: LocalBroker,
) -> None:
    """3.4: no "offline" guess for a child before the gateway's presence report; the
    gateway (no DPs of its own) is an HA device with a connectivity sensor."""
    base = "gp34"
    async with (
        gateway_home("3.4") as (_, configs),
        watching(mqtt_broker, f"{base}/#", f"ha{base}/#") as watcher,
        running(Bridge(bridge_config(mqtt_broker, base, configs,
                                     discovery_prefix=f"ha{base}"))),
    ):
        await watcher.value(f"{base}/door/availability", ONLINE)
        await watcher.value(f"{base}/lamp/availability", ONLINE)
        await watcher.value(f"{base}/hub/availability", ONLINE)
        for child in ("door", "lamp"):  # announced online (maybe twice), never offline
            assert OFFLINE not in watcher.messages(f"{base}/{child}/availability")

        node = f"tuyaface_{GATEWAY}"
        topic = f"ha{base}/binary_sensor/{node}/connectivity/config"
        await watcher.until(lambda: topic in watcher.last, "the gateway's HA device")
        sensor = watcher.last[topic]
        assert sensor["device"]["identifiers"] == [node]  # what the children's via_device names
        assert sensor["device_class"] == "connectivity"
        assert sensor["state_topic"] == f"{base}/hub/availability"
        assert sensor["availability"] == [{"topic": f"{base}/bridge/state",
                                           "value_template": "{{ value_json.state }}"}]
        assert "online" in sensor["value_template"]
        door = watcher.last[f"ha{base}/binary_sensor/tuyaface_door-id/doorcontact_state/config"]
        assert door["device"]["via_device"] == node
        assert not any("connectivity" in t for t, _ in watcher.log if "door" in t)


def status_reads(gateway: SimulatedGateway, cid: str | None) -> int:
    """The status reads the gateway answered for a child (`cid`), or for itself (None)."""
    command = gateway.protocol.command_for(RequestKind.STATUS)
    return sum(1 for frame in gateway.requests
               if frame.cmd == command and request_cid(frame.payload) == cid)


async def test_a_child_back_on_the_mesh_is_read_again(mqtt_broker: LocalBroker) -> None:
    # A child off the mesh when the gateway connected was read once at most (its read
    # may end with the presence report) and never again: back, its state stayed stale,
    # or empty, until it happened to push.
    base = "gb34"
    quick = Backoff(initial=0.01, jitter=0.0)  # the hub's read (no DPs) ends at once
    async with (
        gateway_home("3.4", offline=frozenset({DOOR})) as (gateway, configs),
        watching(mqtt_broker, f"{base}/#") as watcher,
    ):
        config = bridge_config(mqtt_broker, base, configs, discovery=False)
        async with running(Bridge(config, read_backoff=quick)):
            await watcher.value(f"{base}/door/availability", OFFLINE)
            await watcher.value(f"{base}/lamp", {"1": False, "2": 10})
            await watcher.until(lambda: readers() == 0, "the connection's reads over")
            gateway.children[DOOR]["1"] = True  # learnt as the child rejoined: no push
            await gateway.set_online(DOOR, True)
            await watcher.value(f"{base}/door/availability", ONLINE)
            await watcher.value(f"{base}/door", {"doorcontact_state": True,
                                                 "battery_percentage": 90})
            assert status_reads(gateway, LAMP) == 1  # present all along: read once
            assert (gateway.connections, gateway.refused) == (1, 0)


async def test_a_child_leaving_ends_its_read_and_coming_back_starts_one(
    mqtt_broker: LocalBroker,
) -> None:
    base = "gl34"
    slow = Backoff(initial=60.0, jitter=0.0)  # a failed read waits: the reader stays alive
    async with (
        gateway_home("3.4") as (gateway, configs),
        watching(mqtt_broker, f"{base}/#") as watcher,
    ):
        gateway.error_text = "device busy"  # every read fails (and would be tried again)
        config = bridge_config(mqtt_broker, base, configs, discovery=False)
        async with running(Bridge(config, read_backoff=slow)):
            await watcher.value(f"{base}/door/availability", ONLINE)
            await watcher.until(lambda: status_reads(gateway, DOOR) == 1, "the door's read")
            assert reading() == ["door", "hub", "lamp"]
            await gateway.set_online(DOOR, False)
            await watcher.value(f"{base}/door/availability", OFFLINE)
            await watcher.until(lambda: "door" not in reading(), "the door's reader ended")
            assert reading() == ["hub", "lamp"]  # the hub's too, when a child left
            await gateway.set_online(DOOR, True)
            await watcher.value(f"{base}/door/availability", ONLINE)
            await watcher.until(lambda: status_reads(gateway, DOOR) == 2, "read again")
            assert reading() == ["door", "hub", "lamp"]  # one reader per device
            assert status_reads(gateway, LAMP) == status_reads(gateway, None) == 1


@pytest.mark.parametrize("version", ["3.3", "3.4"])
async def test_a_gateway_without_dps_is_asked_once_per_connection(
    mqtt_broker: LocalBroker, caplog: pytest.LogCaptureFixture, version: str
) -> None:
    # It answers its own read "json obj data unvalid", on every attempt: the bridge asked
    # READ_ATTEMPTS times on each connection.
    caplog.set_level(logging.INFO, "tuyaface.bridge.runner")
    base = f"gn{version.replace('.', '')}"
    quick = Backoff(initial=0.01, jitter=0.0)  # attempts after a failure come at once
    async with (
        gateway_home(version) as (gateway, configs),
        watching(mqtt_broker, f"{base}/#") as watcher,
    ):
        config = bridge_config(mqtt_broker, base, configs, discovery=False)

        def settled(connections: int) -> bool:
            """That many connections, and the reads after the last one over."""
            return (gateway.connections == connections and readers() == 0
                    and status_reads(gateway, None) >= connections)

        async with running(Bridge(config, read_backoff=quick)):
            await watcher.until(lambda: settled(1), "the first connection's reads")
            assert status_reads(gateway, None) == 1
            await watcher.value(f"{base}/lamp", {"1": False, "2": 10})  # the others read
            assert caplog.text.count("hub: status read refused") == 1
            await gateway.disconnect()
            await watcher.until(lambda: settled(2), "the next connection's reads")
            assert status_reads(gateway, None) == 2
            assert caplog.text.count("hub: status read refused") == 2
