"""Definition files on the bridge, against a real broker: bridge.yaml's `definitions:`
folder (loaded off the event loop), a device matched by product id gets named state in
user units and the entities its definition describes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from bridgekit import running, watching
from simkit import KEY

from tuyaface import SimulatedDevice
from tuyaface.bridge.broker import LocalBroker
from tuyaface.bridge.config import load_yaml
from tuyaface.bridge.errors import BridgeConfigError
from tuyaface.bridge.runner import Bridge

ONLINE = {"state": "online"}
PRODUCT = "keythermo123"
DEFINITION = {
    "name": "Thermometer plug", "products": [PRODUCT],
    "dps": {"1": {"code": "switch_1", "type": "boolean"},
            "2": {"code": "temp_current", "type": "integer", "scale": 1, "unit": "°C",
                  "readonly": True}},
}


def write_config(folder: Path, mqtt_url: str, host: str, port: int) -> Path:
    (folder / "defs").mkdir()
    (folder / "defs" / "thermo.json").write_text(json.dumps(DEFINITION), encoding="utf-8")
    device = {"id": "deftest0000000001", "key": KEY, "name": "thermo", "ip": host,
              "port": port, "product_id": PRODUCT}
    config = {"mqtt": {"url": mqtt_url, "base_topic": "df"},
              "homeassistant": {"prefix": "hadf"}, "definitions": "defs",
              "heartbeat_interval": 0.5, "timeout": 0.5, "devices": [device]}
    path = folder / "bridge.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML
    return path


async def test_definition_folder_in_bridge_yaml(mqtt_broker: LocalBroker, tmp_path: Path
                                                ) -> None:
    device = SimulatedDevice("deftest0000000001", KEY, dps={"1": False, "2": 215})
    async with device.serve(transport="asyncio") as server:
        path = await asyncio.to_thread(write_config, tmp_path, mqtt_broker.url, server.host,
                                       server.port)  # file I/O: not on the loop
        config = await asyncio.to_thread(load_yaml, path)
        async with (
            watching(mqtt_broker, "df/#", "hadf/#") as watcher,
            running(Bridge(config)),
        ):
            await watcher.value("df/thermo/availability", ONLINE)
            await watcher.value("df/thermo", {"switch_1": False, "temp_current": 21.5})
            node = "tuyaface_deftest0000000001"
            sensor = f"hadf/sensor/{node}/temp_current/config"
            await watcher.until(lambda: sensor in watcher.last, "the temperature sensor")
            assert watcher.last[sensor]["device_class"] == "temperature"
            assert watcher.last[sensor]["unit_of_measurement"] == "°C"
            assert watcher.last[f"hadf/switch/{node}/switch_1/config"]["command_topic"] == (
                "df/thermo/set")
            assert not any("/dp" in topic for topic in watcher.last)  # no raw-DP entities
            await watcher.publish("df/thermo/set", {"switch_1": True})
            await watcher.value("df/thermo", {"switch_1": True, "temp_current": 21.5})
            assert device.dps["1"] is True


def test_definition_folder_missing(tmp_path: Path) -> None:
    (tmp_path / "bridge.yaml").write_text("definitions: [nowhere]\n", encoding="utf-8")
    with pytest.raises(BridgeConfigError, match="nowhere"):
        load_yaml(tmp_path / "bridge.yaml")


def test_definitions_option_short_form_and_override(tmp_path: Path) -> None:
    from tuyaface.bridge.config import load_definition_folders
    from tuyaface.cli._bridge import _config

    path = write_config(tmp_path, "mqtt://127.0.0.1", "192.0.2.1", 6668)
    (tmp_path / "devices.json").write_text("[]", encoding="utf-8")
    (tmp_path / "other").mkdir()
    from_yaml = load_yaml(path)
    assert from_yaml.definitions is not None
    assert from_yaml.definitions.match(PRODUCT, None) is not None
    other = load_definition_folders([tmp_path / "other"])  # --definitions wins
    assert _config(path, None, None, definitions=other).definitions is other
    short = _config(None, tmp_path / "devices.json", "mqtt://127.0.0.1",
                    definitions=load_definition_folders([tmp_path / "defs"]))
    assert short.definitions is not None and len(short.definitions.definitions) == 1
