"""Bridge requests (`<base>/bridge/request/<what>`): add, remove, rename, scan, health."""

from __future__ import annotations

import asyncio
from typing import Any

from bridgekit import bridge_config, home, running, watching

from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.runner import Bridge

ONLINE = {"state": "online"}
SWITCH = "har/switch/tuyaface_bridgetest{:010d}/dp1/config"


async def test_add_rename_remove_health_scan(mqtt_broker: LocalBroker) -> None:
    async with home(2) as house, watching(mqtt_broker, "r1/#", "har/#") as watcher:
        first, second = house.configs
        config = bridge_config(mqtt_broker, "r1", [first], discovery_prefix="har")
        async with running(Bridge(config)):
            await watcher.value("r1/d0/availability", ONLINE)

            add = {"id": second.dev_id, "key": second.local_key, "ip": second.host,
                   "port": second.port, "version": "3.3", "name": "extra", "transaction": 7}
            await watcher.publish("r1/bridge/request/add", add)
            await watcher.value("r1/extra/availability", ONLINE)
            await watcher.until(lambda: "r1/bridge/response/add" in watcher.last, "response")
            assert watcher.last["r1/bridge/response/add"]["transaction"] == 7
            assert watcher.last["r1/bridge/response/add"]["status"] == "ok"
            await watcher.until(lambda: SWITCH.format(1) in watcher.last, "discovery of extra")
            await watcher.publish("r1/extra/set", {"1": True})
            await watcher.value("r1/extra", {"1": True, "2": 10})

            await watcher.publish("r1/bridge/request/add", {**add, "transaction": 8})
            taken = f"device {second.dev_id} or name 'extra' already bridged"
            await watcher.value("r1/bridge/response/add",
                                {"status": "error", "transaction": 8, "error": taken})

            await watcher.publish("r1/bridge/request/rename",
                                  {"from": "extra", "to": "lamp", "transaction": "t"})
            await watcher.value("r1/lamp/availability", ONLINE)
            await watcher.value("r1/extra", None)  # the old retained state is cleared
            await watcher.publish("r1/lamp/set", {"1": False})
            await watcher.value("r1/lamp", {"1": False, "2": 10})
            assert watcher.last[SWITCH.format(1)]["command_topic"] == "r1/lamp/set"

            await watcher.publish("r1/bridge/request/remove", {"id": second.dev_id})
            await watcher.value(SWITCH.format(1), None)  # discovery cleared
            await watcher.value("r1/lamp/availability", None)
            await watcher.until(
                lambda: [d["name"] for d in watcher.last["r1/bridge/devices"]] == ["d0"],
                "the device list without lamp",
            )

            await watcher.publish("r1/bridge/request/health", {"transaction": 1})
            await watcher.until(lambda: "r1/bridge/response/health" in watcher.last, "health")
            health = watcher.last["r1/bridge/response/health"]
            assert health["data"]["devices"] == 1 and health["data"]["online"] == 1
            assert health["data"]["commands"] == 2

            await watcher.publish("r1/bridge/request/scan", {"timeout": 0.2, "transaction": 2})
            await watcher.value("r1/bridge/response/scan",
                                {"status": "ok", "data": [], "transaction": 2})

            await watcher.publish("r1/bridge/request/reboot", {"transaction": 3})
            await watcher.until(lambda: "r1/bridge/response/reboot" in watcher.last, "answer")
            assert watcher.last["r1/bridge/response/reboot"]["status"] == "error"
            assert house.devices["d1"].dps["1"] is False


class HeldDiscovery(Bridge):
    """A bridge whose first publish on `held` waits for `release` once sent, as if the
    broker were slow to acknowledge it: the interleaving of a busy broker, injected.
    `holder` is the task it held."""

    def __init__(self, *args: Any, held: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held = held
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self.holder: asyncio.Task[Any] | None = None

    async def publish(self, topic: str, payload: Any, *, retain: bool = False) -> None:
        await super().publish(topic, payload, retain=retain)
        if topic == self.held and not self.holding.is_set():
            self.holder = asyncio.current_task()
            self.holding.set()
            await self.release.wait()


async def test_a_push_during_the_first_reads_discovery_is_not_undone(
    mqtt_broker: LocalBroker,
) -> None:
    # An added (or renamed) device's first read publishes its discovery, then its state;
    # a push taken meanwhile (the answer to a /set sent on seeing it online) was published
    # first and then overwritten with the read's older state, for good.
    async with home(2) as house, watching(mqtt_broker, "r2/#") as watcher:
        first, second = house.configs
        config = bridge_config(mqtt_broker, "r2", [first], discovery_prefix="har2")
        switch = "har2/switch/tuyaface_bridgetest0000000001/dp1/config"
        async with running(HeldDiscovery(config, held=switch)) as bridge:
            add = {"id": second.dev_id, "key": second.local_key, "ip": second.host,
                   "port": second.port, "version": "3.3", "name": "late"}
            await watcher.publish("r2/bridge/request/add", add)
            await asyncio.wait_for(bridge.holding.wait(), 10.0)  # the first read's discovery
            await house.devices["d1"].push({"1": True})
            await watcher.value("r2/late", {"1": True, "2": 10})
            bridge.release.set()
            await watcher.until(lambda: len(watcher.messages("r2/late")) == 2, "the read's state")
            assert watcher.last["r2/late"] == {"1": True, "2": 10} == house.devices["d1"].dps


async def test_a_rename_during_the_first_reads_discovery_leaves_no_old_topics(
    mqtt_broker: LocalBroker,
) -> None:
    # The old name's first read went on after the rename had cleared its topics: it
    # published the old name's discovery (over the new name's: the same unique ids) and
    # its state, retained.
    async with home(2) as house, watching(mqtt_broker, "r3/#", "har3/#") as watcher:
        first, second = house.configs
        config = bridge_config(mqtt_broker, "r3", [first], discovery_prefix="har3")
        node = "har3/{}/tuyaface_bridgetest0000000001/dp{}/config"
        async with running(HeldDiscovery(config, held=node.format("switch", 1))) as bridge:
            add = {"id": second.dev_id, "key": second.local_key, "ip": second.host,
                   "port": second.port, "version": "3.3", "name": "old"}
            await watcher.publish("r3/bridge/request/add", add)
            await asyncio.wait_for(bridge.holding.wait(), 10.0)  # old's first read, held
            await watcher.publish("r3/bridge/request/rename", {"from": "old", "to": "new"})
            await watcher.value("r3/new", {"1": False, "2": 10})
            await watcher.until(lambda: watcher.last.get(node.format("sensor", 2)), "discovery")
            bridge.release.set()
            assert bridge.holder is not None
            await bridge.holder  # old's read, done
            await watcher.publish("r3/bridge/request/health", {"transaction": "after"})
            await watcher.until(lambda: "r3/bridge/response/health" in watcher.last, "health")
            assert watcher.last["r3/old"] is None
            assert watcher.last[node.format("sensor", 2)]["state_topic"] == "r3/new"
            assert watcher.last[node.format("switch", 1)]["command_topic"] == "r3/new/set"
