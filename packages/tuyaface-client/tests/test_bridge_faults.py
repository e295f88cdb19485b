"""Bridge faults against a real broker process: a broker restart (reconnect with backoff,
subscribe again, republish retained topics) and QoS 1 /set kept across it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from bridgekit import bridge_config, broker_process, home, running, watching

from tuyaface.backoff import Backoff
from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.runner import Bridge

ONLINE = {"state": "online"}
RECONNECT_DELAY = 1.5  # the bridge's first retry: the test publishes while it is away


@pytest.fixture
def own_broker() -> Iterator[LocalBroker]:
    with broker_process() as broker:
        yield broker


async def restart(broker: LocalBroker) -> None:
    await asyncio.to_thread(broker.restart)  # a process: off the event loop


async def test_broker_restart_reconnects_and_keeps_qos1_set(own_broker: LocalBroker) -> None:
    if own_broker.kind != "mosquitto":
        pytest.skip("amqtt keeps no sessions across a restart (mosquitto's persistence does)")
    backoff = Backoff(initial=RECONNECT_DELAY, jitter=0.0)
    async with home(1) as house:
        config = bridge_config(own_broker, "f1", house.configs)
        async with running(Bridge(config, backoff=backoff)) as bridge:
            async with watching(own_broker, "f1/d0") as watcher:
                await watcher.value("f1/d0", {"1": False, "2": 10})
            await restart(own_broker)
            await asyncio.sleep(0.2)
            assert not bridge.connected.is_set()  # it noticed, and waits before retrying
            async with watching(own_broker, "f1/#") as watcher:
                await watcher.publish("f1/d0/set", {"1": True})  # QoS 1, bridge away
                assert not bridge.connected.is_set()
                await watcher.value("f1/d0", {"1": True, "2": 10})
                assert house.devices["d0"].dps["1"] is True
                await watcher.value("f1/bridge/state", ONLINE)
                await watcher.value("f1/d0/availability", ONLINE)
                assert bridge.counters["mqtt_connections"] == 2


async def test_retained_topics_are_published_again_after_a_broker_loses_them(
    own_broker: LocalBroker,
) -> None:
    async with home(1) as house:
        config = bridge_config(own_broker, "f2", house.configs, discovery_prefix="haf2")
        async with running(Bridge(config, backoff=Backoff(initial=0.1))) as bridge:
            async with watching(own_broker, "f2/d0") as watcher:
                await watcher.value("f2/d0", {"1": False, "2": 10})
            await asyncio.to_thread(lambda: own_broker.restart(forget=True))  # nothing kept
            async with watching(own_broker, "f2/#", "haf2/#") as watcher:
                await watcher.value("f2/bridge/state", ONLINE)
                await watcher.value("f2/d0/availability", ONLINE)
                await watcher.value("f2/d0", {"1": False, "2": 10})
                await watcher.until(lambda: any(t.startswith("haf2/switch/") for t in
                                                watcher.last), "discovery again")
                await watcher.publish("f2/d0/set", {"2": 5})  # subscribed again
                await watcher.value("f2/d0", {"1": False, "2": 5})
            assert bridge.counters["mqtt_connections"] == 2
