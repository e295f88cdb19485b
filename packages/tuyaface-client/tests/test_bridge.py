"""`tuyaface bridge` against a real broker: topics, Home Assistant discovery, /set and /get,
availability, a clean stop (docs: README "Bridge")."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bridgekit import HEARTBEAT, TIMEOUT, bridge_config, home, running, watching

from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.runner import Bridge
from tuyaface_codec import Command

ONLINE = {"state": "online"}
OFFLINE = {"state": "offline"}


def controls(device: Any) -> int:
    return sum(1 for frame in device.requests if frame.cmd == Command.CONTROL)


async def test_bridge_publishes_state_discovery_and_follows_set(mqtt_broker: LocalBroker) -> None:
    async with home(2) as house, watching(mqtt_broker, "b1/#", "hab1/#") as watcher:
        config = bridge_config(mqtt_broker, "b1", house.configs, discovery_prefix="hab1")
        async with running(Bridge(config)):
            await watcher.value("b1/bridge/state", ONLINE)
            await watcher.value("b1/d0/availability", ONLINE)
            await watcher.value("b1/d0", {"1": False, "2": 10})
            assert [d["name"] for d in watcher.last["b1/bridge/devices"]] == ["d0", "d1"]
            assert "key" not in watcher.last["b1/bridge/devices"][0]

            switch = watcher.last["hab1/switch/tuyaface_bridgetest0000000000/dp1/config"]
            assert switch["command_topic"] == "b1/d0/set"
            assert switch["state_topic"] == "b1/d0"
            assert switch["payload_on"] == '{"1": true}'
            assert switch["device"]["identifiers"] == ["tuyaface_bridgetest0000000000"]
            assert {a["topic"] for a in switch["availability"]} == {
                "b1/bridge/state", "b1/d0/availability"}
            sensor = watcher.last["hab1/sensor/tuyaface_bridgetest0000000000/dp2/config"]
            assert sensor["value_template"] == '{{ value_json["2"] }}'

            await watcher.publish("b1/d1/set", {"1": True, "2": 42})
            await watcher.value("b1/d1", {"1": True, "2": 42})
            assert house.devices["d1"].dps == {"1": True, "2": 42}

            house.devices["d0"].dps["2"] = 77  # changed behind the bridge's back: /get reads
            await watcher.publish("b1/d0/get", "")
            await watcher.value("b1/d0", {"1": False, "2": 77})
        await watcher.value("b1/bridge/state", OFFLINE)  # explicit, on the clean stop
        await watcher.value("b1/d0/availability", OFFLINE)


async def test_pushes_are_published_without_polling(mqtt_broker: LocalBroker) -> None:
    async with (
        home(1) as house,
        watching(mqtt_broker, "b2/d0") as watcher,
        running(Bridge(bridge_config(mqtt_broker, "b2", house.configs))),
    ):
        await watcher.value("b2/d0", {"1": False, "2": 10})
        reads = len(house.devices["d0"].requests)
        assert await house.devices["d0"].push({"2": 11})
        await watcher.value("b2/d0", {"1": False, "2": 11})
        assert all(f.cmd != Command.DP_QUERY for f in list(house.devices["d0"].requests)[reads:])


async def test_bad_set_sends_nothing_and_reports(mqtt_broker: LocalBroker) -> None:
    bad: list[Any] = [
        b"{not json",
        {"9": True},  # an unknown DP
        {"1": "yes"},  # a text for a boolean DP
        {"2": [1]},  # not a scalar
        [1, 2],  # not an object
        {},
        b"\xff\xfe",  # not UTF-8
    ]
    async with (
        home(1) as house,
        watching(mqtt_broker, "b3/#") as watcher,
        running(Bridge(bridge_config(mqtt_broker, "b3", house.configs))),
    ):
        await watcher.value("b3/d0", {"1": False, "2": 10})
        before = controls(house.devices["d0"])
        for payload in bad:
            await watcher.publish("b3/d0/set", payload)
        await watcher.until(lambda: len(watcher.messages("b3/bridge/error")) == len(bad),
                            "one error per refused message")
        errors = watcher.messages("b3/bridge/error")
        assert "not valid JSON" in errors[0]["error"]
        assert "unknown DP '9'" in errors[1]["error"]
        assert "takes a boolean" in errors[2]["error"]
        assert all(e["topic"] == "b3/d0/set" and e["device"] == "d0" for e in errors)
        assert controls(house.devices["d0"]) == before
        await watcher.publish("b3/d0/set", {"1": True})  # still serving
        await watcher.value("b3/d0", {"1": True, "2": 10})


async def test_device_away_goes_offline_and_commands_get_an_error(
    mqtt_broker: LocalBroker,
) -> None:
    async with (
        home(1, version="3.4") as house,
        watching(mqtt_broker, "b4/#") as watcher,
        running(Bridge(bridge_config(mqtt_broker, "b4", house.configs))),
    ):
        await watcher.value("b4/d0/availability", ONLINE)
        device = house.devices["d0"]
        device.answering = False  # gone quiet: heartbeats unanswered, handshakes too
        loop_time = asyncio.get_running_loop().time
        since = loop_time()
        await watcher.value("b4/d0/availability", OFFLINE)
        assert loop_time() - since < 2 * HEARTBEAT * 1.1 + TIMEOUT + 0.5
        await watcher.publish("b4/d0/set", {"1": True})
        await watcher.until(lambda: bool(watcher.messages("b4/bridge/error")), "an error")
        assert "offline" in watcher.messages("b4/bridge/error")[0]["error"]
        device.answering = True
        await device.disconnect()
        await watcher.value("b4/d0/availability", ONLINE)


async def test_energy_refresh_is_the_only_polling(mqtt_broker: LocalBroker) -> None:
    async with home(1) as house:
        config = bridge_config(mqtt_broker, "b5", house.configs, refresh_dps=("2",),
                               refresh_interval=0.1)
        async with running(Bridge(config)), watching(mqtt_broker, "b5/d0") as watcher:
            await watcher.value("b5/d0", {"1": False, "2": 10})
            device = house.devices["d0"]
            device.dps["2"] = 12  # a new energy reading, not pushed by itself
            await watcher.value("b5/d0", {"1": False, "2": 12})
            asked = [f for f in device.requests if f.cmd == Command.UPDATEDPS]
            assert asked and all(json.loads(f.payload)["dpId"] == [2] for f in asked)
