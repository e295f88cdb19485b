"""Bridge races, injected deterministically against a real broker process: a device removed
or renamed while the bridge publishes for it, and a first status read that fails."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from bridgekit import Home, bridge_config, broker_process, home, running, watching
from simkit import PATIENCE

from tuyaface.backoff import Backoff
from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.runner import Bridge

ONLINE = {"state": "online"}
NODE = "{prefix}/{kind}/tuyaface_bridgetest{index:010d}/dp{dp}/config"


@pytest.fixture
def own_broker() -> Iterator[LocalBroker]:
    with broker_process() as broker:
        yield broker


class HeldPublish(Bridge):
    """A bridge whose next publish on a topic, once `hold(topic)` armed it, waits for
    `release` after it was sent (a broker slow to acknowledge it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: str | None = None
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    def hold(self, topic: str) -> None:
        self.held = topic

    async def publish(self, topic: str, payload: Any, *, retain: bool = False) -> None:
        await super().publish(topic, payload, retain=retain)
        if topic == self.held and self._client is not None:
            self.held = None
            self.holding.set()
            await self.release.wait()


@contextlib.asynccontextmanager
async def announcing_held(
    broker: LocalBroker, base: str, prefix: str, *, forget: bool = False
) -> AsyncIterator[tuple[Home, HeldPublish]]:
    """Two bridged devices d0 and d1; the broker restarted (`forget`: without its saved
    sessions and retained messages), and the bridge's announcement after the reconnection
    held on d0's first discovery topic (its switch): what the bridge does meanwhile,
    requests included, is the test's."""
    async with home(2) as house:
        config = bridge_config(broker, base, house.configs, discovery_prefix=prefix)
        bridge = HeldPublish(config, backoff=Backoff(initial=0.1, jitter=0.0))
        async with running(bridge):
            async with watching(broker, f"{base}/#") as watcher:
                await watcher.value(f"{base}/d0", {"1": False, "2": 10})
                await watcher.value(f"{base}/d1", {"1": False, "2": 10})
            bridge.hold(NODE.format(prefix=prefix, kind="switch", index=0, dp=1))
            await asyncio.to_thread(lambda: broker.restart(forget=forget))
            await asyncio.wait_for(bridge.holding.wait(), PATIENCE)
            yield house, bridge


async def answered(watcher: Any, base: str, transaction: str) -> None:
    """A health request answered: everything the bridge published before it has come."""
    await watcher.publish(f"{base}/bridge/request/health", {"transaction": transaction})
    await watcher.until(
        lambda: (watcher.last.get(f"{base}/bridge/response/health") or {}).get("transaction")
        == transaction, f"health answer {transaction}",
    )


async def test_a_remove_during_the_announcement_after_a_reconnection(
    own_broker: LocalBroker,
) -> None:
    # `_announce` went through a list of the names taken before its awaits; the listener,
    # already running, removed d1 meanwhile: `self.devices["d1"]` raised KeyError, which
    # ended the bridge. And `_announce` had forgotten which discovery topics were
    # published: the removal left d1's, retained by the broker across its restart.
    async with (
        announcing_held(own_broker, "h1", "hah1") as (_, bridge),
        watching(own_broker, "h1/#", "hah1/#") as watcher,
    ):
        await watcher.publish("h1/bridge/request/remove", {"id": "d1", "transaction": 1})
        await watcher.until(lambda: "h1/bridge/response/remove" in watcher.last, "removed")
        assert watcher.last["h1/bridge/response/remove"]["status"] == "ok"
        bridge.release.set()
        await watcher.until(bridge.connected.is_set, "the announcement done")
        await answered(watcher, "h1", "after")
        assert list(bridge.devices) == ["d0"]
        assert bridge.counters["mqtt_connections"] == 2
        assert watcher.last["h1/d0"] == {"1": False, "2": 10}
        for topic in ("h1/d1", "h1/d1/availability",
                      NODE.format(prefix="hah1", kind="switch", index=1, dp=1)):
            assert watcher.last.get(topic) is None, topic  # nothing published for d1 again


async def test_a_rename_during_the_announcement_leaves_no_old_topics(
    own_broker: LocalBroker,
) -> None:
    # `_publish_device` went on after its discovery's awaits: a rename meanwhile had
    # cleared the old name's topics, and it published the old name's availability and
    # state again, retained, for a device that no longer exists.
    async with (
        announcing_held(own_broker, "h2", "hah2") as (_, bridge),
        watching(own_broker, "h2/#", "hah2/#") as watcher,
    ):
        await watcher.publish("h2/bridge/request/rename", {"from": "d0", "to": "lamp"})
        await watcher.value("h2/lamp", {"1": False, "2": 10})
        bridge.release.set()
        await watcher.until(bridge.connected.is_set, "the announcement done")
        await answered(watcher, "h2", "after")
        assert watcher.last.get("h2/d0") is None
        assert watcher.last.get("h2/d0/availability") is None
        assert watcher.last["h2/lamp/availability"] == ONLINE
        switch = watcher.last[NODE.format(prefix="hah2", kind="switch", index=0, dp=1)]
        assert switch["command_topic"] == "h2/lamp/set"
