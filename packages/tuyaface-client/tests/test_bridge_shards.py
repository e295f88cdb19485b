"""Two bridge instances share one broker (`--shard 1/2`, `--shard 2/2`) over 100 simulated
devices on TCP 127.0.0.1; one stops: its devices go offline, the other's stay online and
controllable. TUYAFACE_BRIDGE_SHARD_DEVICES changes the count (the issue's 100 by default)."""

from __future__ import annotations

import os

from bridgekit import bridge_config, home, running, watching

from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.config import Shard
from tuyaface.bridge.runner import Bridge

COUNT = int(os.environ.get("TUYAFACE_BRIDGE_SHARD_DEVICES", "100"))
ONLINE = {"state": "online"}
OFFLINE = {"state": "offline"}


def test_shards_split_every_device_exactly_once() -> None:
    ids = [f"id{n}" for n in range(1000)]
    owners = [[i for i in ids if Shard(k, 3).owns(i)] for k in (1, 2, 3)]
    assert sorted(i for part in owners for i in part) == sorted(ids)
    assert all(250 < len(part) < 420 for part in owners)  # a hash, not a range
    assert Shard.parse("2/3") == Shard(2, 3)


async def test_two_instances_one_stops(mqtt_broker: LocalBroker) -> None:
    async with home(COUNT) as house, watching(mqtt_broker, "s1/#") as watcher:
        first = Bridge(bridge_config(mqtt_broker, "s1", house.configs, shard=Shard(1, 2)))
        second = Bridge(bridge_config(mqtt_broker, "s1", house.configs, shard=Shard(2, 2)))
        assert first.topics.bridge_state == "s1/bridge-1/state"
        assert not set(first.devices) & set(second.devices)
        assert len(first.devices) + len(second.devices) == COUNT
        async with running(second):
            async with running(first):
                await watcher.until(
                    lambda: all(watcher.last.get(f"s1/{n}/availability") == ONLINE
                                for n in house.devices), f"{COUNT} devices online")
            for name in first.devices:
                await watcher.value(f"s1/{name}/availability", OFFLINE)
            await watcher.value("s1/bridge-1/state", OFFLINE)
            assert watcher.last["s1/bridge-2/state"] == ONLINE
            assert all(watcher.last[f"s1/{n}/availability"] == ONLINE for n in second.devices)
            # names the running instance does not bridge: no answer (README "Topics"), so
            # an instance never answers for another's devices
            await watcher.publish("s1/nobody/set", {"1": True})
            await watcher.publish(f"s1/{sorted(first.devices)[0]}/set", {"1": True})
            target = sorted(second.devices)[0]
            await watcher.publish(f"s1/{target}/set", {"1": True})  # handled after those
            await watcher.value(f"s1/{target}", {"1": True, "2": 10})
            assert not watcher.messages("s1/bridge-2/error")
