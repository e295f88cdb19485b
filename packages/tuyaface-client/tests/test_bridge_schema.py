"""The bridge over DP schemas, against a real broker: state by code in user units, /set in
user units checked before anything is sent, Home Assistant discovery for every kind
(README "The MQTT bridge")."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from bridgekit import Watcher, bridge_config, running, watching
from simkit import KEY

from tuyaface import SimulatedDevice
from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.config import DeviceConfig
from tuyaface.bridge.runner import Bridge
from tuyaface.model import schema_for, simulated_device
from tuyaface_codec import Command

ONLINE = {"state": "online"}
QUIET = 3600.0  # the simulated measurements' tick: no wobble during a test
FAULT_MAPPING = {
    "1": {"code": "switch", "type": "Boolean"},
    "11": {"code": "fault", "type": "Bitmap", "values": {"label": ["overheat", "jam"]}},
}


def controls(device: SimulatedDevice) -> int:
    return sum(1 for f in device.requests if f.cmd in (Command.CONTROL, Command.CONTROL_NEW))


@contextlib.asynccontextmanager
async def typed_home(
    categories: dict[str, str], version: str, extra: dict[str, dict[str, Any]] | None = None
) -> AsyncIterator[tuple[dict[str, SimulatedDevice], list[DeviceConfig]]]:
    """Simulated typed devices (name -> category) on TCP 127.0.0.1, bridged by category
    (or by a devices.json `mapping` from `extra`)."""
    async with contextlib.AsyncExitStack() as stack:
        devices, configs = {}, []
        for index, (name, category) in enumerate(categories.items()):
            dev_id = f"schematest{index:010d}"
            meaning = (extra or {}).get(name, {"category": category})
            schema = schema_for(meaning) if "mapping" in meaning else None
            device = simulated_device(dev_id, KEY, schema=schema, category=category,
                                      version=version, tick=QUIET)
            server = await stack.enter_async_context(device.serve(transport="asyncio"))
            devices[name] = device
            configs.append(DeviceConfig(dev_id, KEY, name, server.host, version, server.port,
                                        meaning=meaning))
        yield devices, configs


@pytest.mark.parametrize("version", ["3.3", "3.4"])
async def test_named_state_user_units_and_refused_set(
    mqtt_broker: LocalBroker, version: str
) -> None:
    base = f"s{version.replace('.', '')}"
    async with (
        typed_home({"light": "light", "plug": "plug"}, version) as (devices, configs),
        watching(mqtt_broker, f"{base}/#") as watcher,
        running(Bridge(bridge_config(mqtt_broker, base, configs, discovery=False))),
    ):
        await watcher.value(f"{base}/light/availability", ONLINE)
        await watcher.until(lambda: f"{base}/plug" in watcher.last, "the plug's state")
        plug = watcher.last[f"{base}/plug"]
        assert plug["switch_1"] is False
        assert plug["cur_power"] == 12.5  # raw 125, scale 1, W
        assert plug["cur_voltage"] == 230.1
        assert plug["add_ele"] == 0.01  # raw 10, scale 3, kWh
        light = watcher.last[f"{base}/light"]
        assert light["bright_value_v2"] == 10
        assert light["colour_data_v2"] == {"h": 0, "s": 1, "v": 1}

        await watcher.publish(f"{base}/light/set",
                              {"switch_led": True, "bright_value_v2": "50%"})
        await watcher.until(lambda: watcher.last[f"{base}/light"]["bright_value_v2"] == 505,
                            "the light at 50 %")
        assert devices["light"].dps["22"] == 505 and devices["light"].dps["20"] is True
        await watcher.publish(f"{base}/light/set", {"colour_data_v2": {"h": 120, "s": 1, "v": 0.5}})
        await watcher.until(lambda: watcher.last[f"{base}/light"]["colour_data_v2"]["h"] == 120,
                            "the light green")
        await watcher.publish(f"{base}/plug/set", {"switch_1": True, "countdown_1": 60})
        await watcher.until(lambda: watcher.last[f"{base}/plug"]["switch_1"] is True, "plug on")
        assert devices["plug"].dps["9"] == 60

        sent = {name: controls(device) for name, device in devices.items()}
        refused = [
            ("light", {"bright_value_v2": 5000}, "outside 10 - 1000"),
            ("light", {"bright_value_v2": "150%"}, "0% - 100%"),
            ("light", {"switch_led": True, "work_mode": "disco"}, "not one of"),
            ("plug", {"cur_power": 10}, "read-only"),
            ("plug", {"power": 1}, "unknown name 'power'"),
            ("light", {"colour_data_v2": {"h": 400, "s": 1, "v": 1}}, "hue"),
        ]
        for name, payload, _ in refused:
            await watcher.publish(f"{base}/{name}/set", payload)
        errors = f"{base}/bridge/error"
        await watcher.until(lambda: len(watcher.messages(errors)) == len(refused), "errors")
        for error, (name, _, words) in zip(watcher.messages(errors), refused, strict=True):
            assert error["device"] == name and words in error["error"], error
        await watcher.publish(f"{base}/plug/set", {"switch_1": False})  # still serving
        await watcher.until(lambda: watcher.last[f"{base}/plug"]["switch_1"] is False, "off")
        assert controls(devices["light"]) == sent["light"]  # nothing of the refused sent
        assert controls(devices["plug"]) == sent["plug"] + 1
        assert devices["light"].behaviour.rejected == []  # type: ignore[attr-defined]


def discovery(watcher: Any, prefix: str) -> list[str]:
    return [topic for topic, config in watcher.last.items()
            if topic.startswith(f"{prefix}/") and config]


def configs_by_kind(watcher: Any, prefix: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, object) -> discovery config, from `<prefix>/<kind>/<node>/<object>/config`."""
    found = {}
    for topic, config in watcher.last.items():
        parts = topic.split("/")
        if parts[0] == prefix and config:
            found[(parts[1], parts[3])] = config
    return found


async def test_discovery_for_every_kind(mqtt_broker: LocalBroker) -> None:
    home = {"light": "light", "plug": "plug", "cover": "cover", "thermostat": "climate",
            "fan": "fan", "sensor": "sensor", "door": "contact", "hall": "motion",
            "pump": "switch"}
    extra = {"pump": {"mapping": FAULT_MAPPING}}
    async with (
        typed_home(home, "3.4", extra) as (_, configs),
        watching(mqtt_broker, "hak/#") as watcher,
    ):
        config = bridge_config(mqtt_broker, "k", configs, discovery_prefix="hak")
        async with running(Bridge(config)):
            await watcher.until(lambda: len(discovery(watcher, "hak")) == 28,
                                "28 discovery configs")
    found = configs_by_kind(watcher, "hak")
    nodes = {config["device"]["identifiers"][0] for config in found.values()}
    assert len(nodes) == len(home)  # one HA device per Tuya device

    light = found[("light", "switch_led")]
    assert light["device"]["model"] == "light (protocol 3.4)"
    assert light["command_topic"] == "k/light/set"
    assert light["payload_on"] == '{"switch_led": true}'
    assert light["brightness_command_template"] == '{"bright_value_v2": "{{ value }}%"}'
    assert light["brightness_scale"] == 100
    assert "temp_value_v2" in light["color_temp_command_template"]
    assert '"work_mode": "colour"' in light["hs_command_template"]
    assert light["hs_state_topic"] == "k/light"

    switch = found[("switch", "switch_1")]
    assert switch["command_topic"] == "k/plug/set" and switch["payload_on"] == '{"switch_1": true}'
    for key, device_class, unit, state_class in [
        ("cur_power", "power", "W", "measurement"),
        ("add_ele", "energy", "kWh", "total_increasing"),
        ("cur_voltage", "voltage", "V", "measurement"),
        ("cur_current", "current", "mA", "measurement"),
        ("va_temperature", "temperature", "°C", "measurement"),
        ("va_humidity", "humidity", "%", "measurement"),
        ("battery_percentage", "battery", "%", "measurement"),
    ]:
        sensor = found[("sensor", key)]
        assert (sensor["device_class"], sensor["unit_of_measurement"],
                sensor["state_class"]) == (device_class, unit, state_class), key
        assert "command_topic" not in sensor
    assert found[("sensor", "cur_power")]["value_template"] == '{{ value_json["cur_power"] }}'

    assert found[("binary_sensor", "doorcontact_state")]["device_class"] == "door"
    motion = found[("binary_sensor", "pir")]
    assert motion["device_class"] == "motion" and '== "pir"' in motion["value_template"]
    assert found[("binary_sensor", "fault")]["device_class"] == "problem"

    cover = found[("cover", "control")]
    assert cover["payload_open"] == '{"control": "open"}'
    assert cover["set_position_topic"] == "k/cover/set"
    assert cover["set_position_template"] == '{"percent_control": {{ position }}}'
    assert cover["position_template"] == '{{ value_json["percent_state"] }}'

    climate = found[("climate", "temp_set")]
    assert (climate["min_temp"], climate["max_temp"], climate["temp_step"]) == (5, 35, 0.5)
    assert climate["temperature_command_topic"] == "k/thermostat/set"
    assert climate["preset_modes"] == ["auto", "manual", "eco"]
    assert climate["current_temperature_template"] == '{{ value_json["temp_current"] }}'

    fan = found[("fan", "switch")]
    assert fan["percentage_command_template"] == '{"fan_speed": "{{ value }}%"}'
    assert fan["oscillation_command_topic"] == "k/fan/set"
    assert fan["preset_modes"] == ["normal", "sleep", "nature"]

    number = found[("number", "countdown_1")]
    assert (number["min"], number["max"], number["unit_of_measurement"]) == (0, 86400, "s")
    assert number["command_template"] == '{"countdown_1": {{ value }}}'
    select = found[("select", "control_back_mode")]
    assert select["options"] == ["forward", "back"]
    assert select["command_topic"] == "k/cover/set"
    assert all("via_device" not in config["device"] for config in found.values())


async def test_light_by_category_alone_takes_the_layout_its_status_shows(
    mqtt_broker: LocalBroker,
) -> None:
    """A v1 light given only category `dj`: its first status (DPs 1-5) switches it to the
    v1 layout; discovery is published again (the v2-only countdown number cleared)."""
    base = "lv1"
    async with (
        typed_home({"lamp": "dj-v1"}, "3.3", extra={"lamp": {"category": "dj"}}) as (
            devices, configs),
        watching(mqtt_broker, f"{base}/#", f"ha{base}/#") as watcher,
    ):
        devices["lamp"].answering = False  # first the category's guess (v2) is published
        bridge = Bridge(bridge_config(mqtt_broker, base, configs, discovery_prefix=f"ha{base}"))
        async with running(bridge):
            node = f"tuyaface_{configs[0].dev_id}"
            light = f"ha{base}/light/{node}/switch_led/config"
            countdown = f"ha{base}/number/{node}/countdown/config"
            await watcher.until(lambda: watcher.last.get(countdown) is not None, "v2 guess")
            assert "bright_value_v2" in json.dumps(watcher.last[light])
            devices["lamp"].answering = True
            await check_v1_lamp(watcher, base, light, countdown, devices["lamp"])


async def check_v1_lamp(watcher: Watcher, base: str, light: str, countdown: str,
                        lamp: SimulatedDevice) -> None:
    """The lamp's state and discovery in the v1 layout; /set in v1 DPs."""
    await watcher.until(lambda: "switch_led" in watcher.last.get(f"{base}/lamp", {}),
                        "the lamp's state by code")
    state = watcher.last[f"{base}/lamp"]
    assert state["bright_value"] == 25 and state["colour_data"] == {"h": 0, "s": 1, "v": 1}
    await watcher.until(lambda: '"bright_value"' in str(
        (watcher.last.get(light) or {}).get("brightness_command_template")), "v1 light")
    assert "_v2" not in json.dumps(watcher.last[light])
    await watcher.value(countdown, None)  # cleared: the v1 layout has no countdown
    await watcher.publish(f"{base}/lamp/set", {"switch_led": True, "bright_value": "100%"})
    await watcher.until(lambda: watcher.last[f"{base}/lamp"]["bright_value"] == 255,
                        "the lamp at 100 %")
    assert lamp.dps["1"] is True and lamp.dps["3"] == 255
