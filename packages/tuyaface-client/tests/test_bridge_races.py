"""Bridge races, injected deterministically against a real broker process: a device removed
or renamed while the bridge publishes for it, and a first status read that fails."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import attrs
import pytest
from bridgekit import (
    Home,
    bridge_config,
    broker_process,
    dev_id,
    home,
    readers,
    running,
    watching,
)
from simkit import KEY, PATIENCE

from tuyaface import SimulatedDevice
from tuyaface.backoff import Backoff
from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.config import DeviceConfig
from tuyaface.bridge.runner import READ_ATTEMPTS, Bridge
from tuyaface.session import Session
from tuyaface_codec import Frame

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
    broker: LocalBroker, base: str, prefix: str
) -> AsyncIterator[tuple[Home, HeldPublish]]:
    """Two bridged devices d0 and d1; the broker restarted (its retained messages and
    sessions kept), and the bridge's announcement after the reconnection held on d0's
    first discovery topic (its switch): what the bridge does meanwhile, requests
    included, is the test's."""
    async with home(2) as house:
        config = bridge_config(broker, base, house.configs, discovery_prefix=prefix)
        bridge = HeldPublish(config, backoff=Backoff(initial=0.1, jitter=0.0))
        async with running(bridge):
            async with watching(broker, f"{base}/#") as watcher:
                await watcher.value(f"{base}/d0", {"1": False, "2": 10})
                await watcher.value(f"{base}/d1", {"1": False, "2": 10})
            bridge.hold(NODE.format(prefix=prefix, kind="switch", index=0, dp=1))
            await asyncio.to_thread(lambda: broker.restart())
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


# -- the first status read after a connection ----------------------------------------


@attrs.define(eq=False)
class Busy(SimulatedDevice):
    """Answers its first `busy` status queries with an error (a device busy right after
    it accepted a connection), the later ones as usual; the connection stays up."""

    busy: int = attrs.field(default=1, kw_only=True)
    asked: int = attrs.field(default=0, init=False)
    silent: bool = attrs.field(default=False, init=False)  # True: no answer at all

    def _on_status(self, session: Session, frame: Frame) -> None:
        self.asked += 1
        if self.silent:
            return
        if self.asked <= self.busy:
            session.reply(frame, b"device busy", retcode=1)
            return
        super()._on_status(session, frame)


@contextlib.asynccontextmanager
async def busy_device(busy: int) -> AsyncIterator[tuple[Busy, DeviceConfig]]:
    device = Busy(dev_id(0), KEY, version="3.3", dps={"1": False, "2": 10}, busy=busy)
    async with device.serve(transport="asyncio") as server:
        yield device, DeviceConfig(dev_id(0), KEY, "d0", server.host, "3.3", server.port)


async def test_a_failed_first_read_is_tried_again_on_the_same_connection(
    mqtt_broker: LocalBroker,
) -> None:
    # The read after each connection was tried once: a device that answered it with an
    # error, and never pushes, had no state until its next reconnection (none came).
    async with (
        busy_device(busy=1) as (device, config),
        watching(mqtt_broker, "rr1/#") as watcher,
    ):
        async with running(Bridge(bridge_config(mqtt_broker, "rr1", [config]))):
            await watcher.value("rr1/d0/availability", ONLINE)
            await watcher.value("rr1/d0", {"1": False, "2": 10})
        assert device.asked == 2
        assert device.connections == 1  # no reconnection: the read was tried again


async def test_the_first_read_gives_up_after_a_few_attempts(
    mqtt_broker: LocalBroker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "tuyaface.bridge.runner")
    quick = Backoff(initial=0.01, jitter=0.0)
    async with (
        busy_device(busy=1000) as (device, config),
        watching(mqtt_broker, "rr2/#") as watcher,
    ):
        bridge = Bridge(bridge_config(mqtt_broker, "rr2", [config]), read_backoff=quick)
        async with running(bridge):
            await watcher.value("rr2/d0/availability", ONLINE)
            await watcher.until(lambda: device.asked >= READ_ATTEMPTS, "every attempt")
            await watcher.until(lambda: "gave up" in caplog.text, "the reader gave up")
            assert device.asked == READ_ATTEMPTS
            assert "rr2/d0" not in watcher.last  # no state: nothing was read
            assert bridge.devices["d0"].device.connected


async def test_one_reader_per_connection_ended_by_a_drop_and_a_removal(
    mqtt_broker: LocalBroker,
) -> None:
    slow = Backoff(initial=60.0, jitter=0.0)  # a failed read waits: the reader stays alive
    async with (
        busy_device(busy=1000) as (device, config),
        watching(mqtt_broker, "rr3/#") as watcher,
    ):
        bridge = Bridge(bridge_config(mqtt_broker, "rr3", [config]), read_backoff=slow)
        async with running(bridge):
            await watcher.until(lambda: device.asked == 1, "the first read")
            assert readers() == 1
            assert await device.disconnect()
            await watcher.until(lambda: device.asked == 2, "the next connection's read")
            assert readers() == 1 and device.connections == 2  # the first one's ended
            await watcher.publish("rr3/bridge/request/remove", {"id": "d0"})
            await watcher.until(lambda: "rr3/bridge/response/remove" in watcher.last, "removed")
            await watcher.until(lambda: readers() == 0, "the reader ended with its device")


async def test_a_get_for_a_device_removed_meanwhile_reports_nothing(
    mqtt_broker: LocalBroker,
) -> None:
    # The /get's read failed because the removal closed the device, and the bridge
    # reported "cannot read the device" for a device it no longer has.
    async with (
        busy_device(busy=0) as (device, config),
        watching(mqtt_broker, "rr4/#") as watcher,
    ):
        patient = attrs.evolve(bridge_config(mqtt_broker, "rr4", [config]), timeout=PATIENCE)
        async with running(Bridge(patient)):
            await watcher.value("rr4/d0", {"1": False, "2": 10})
            device.silent = True
            await watcher.publish("rr4/d0/get", b"")
            await watcher.until(lambda: device.asked == 2, "the /get's query, unanswered")
            await watcher.publish("rr4/bridge/request/remove", {"id": "d0"})
            await watcher.until(lambda: "rr4/bridge/response/remove" in watcher.last, "removed")
            await answered(watcher, "rr4", "after")
            assert "rr4/bridge/error" not in watcher.last
