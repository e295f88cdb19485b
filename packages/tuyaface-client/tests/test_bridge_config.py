"""Bridge configuration and command line: bridge.yaml, the short form, the extra."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tuyaface.bridge.config import BridgeConfig, Shard, load_yaml, parse_mqtt_url
from tuyaface.bridge.errors import BridgeConfigError
from tuyaface.cli import main

DEVICE = {"id": "bf0000000000000001", "key": "0123456789abcdef", "name": "plug",
          "ip": "192.0.2.10", "version": "3.4"}


def test_mqtt_url() -> None:
    plain = parse_mqtt_url("mqtt://me:p%40ss@broker.lan")
    assert (plain.host, plain.port, plain.username, plain.password, plain.tls) == (
        "broker.lan", 1883, "me", "p@ss", False)
    secure = parse_mqtt_url("mqtts://broker.lan")
    assert (secure.port, secure.tls) == (8883, True)
    assert "p@ss" not in repr(plain)
    with pytest.raises(BridgeConfigError, match=r"mqtt://\[user:pass@\]host") as caught:
        parse_mqtt_url("http://me:secret@broker")
    assert "secret" not in str(caught.value)


def test_yaml_with_a_devices_file(tmp_path: Path) -> None:
    (tmp_path / "devices.json").write_text(json.dumps([DEVICE]), encoding="utf-8")
    (tmp_path / "bridge.yaml").write_text(
        "mqtt: {url: 'mqtt://127.0.0.1:1884', base_topic: home, bridge_id: attic}\n"
        "homeassistant: {prefix: ha}\n"
        "devices_file: devices.json\n"
        "devices:\n  - {id: bf02, key: '0123456789abcdef', name: lamp, ip: 192.0.2.11}\n"
        "refresh: {dps: [18, 19], interval: 60}\n"
        "heartbeat_interval: 5\n",
        encoding="utf-8",
    )
    config = load_yaml(tmp_path / "bridge.yaml", shard=Shard(1, 2))
    assert [d.name for d in config.devices] == ["lamp", "plug"]
    assert config.devices[1].version == "3.4" and config.devices[0].version == "3.3"
    assert (config.base_topic, config.bridge_name, config.discovery_prefix) == (
        "home", "attic", "ha")
    assert config.mqtt.port == 1884 and config.shard == Shard(1, 2)
    assert config.refresh_dps == ("18", "19") and config.refresh_interval == 60.0
    assert config.heartbeat_interval == 5.0


@pytest.mark.parametrize(
    ("devices", "message"),
    [
        ([{"id": "x"}], 'needs "id" and "key"'),
        ([{**DEVICE, "ip": ""}], 'has no "ip"'),
        ([{**DEVICE, "name": "a/b"}], "cannot be a topic"),
        ([DEVICE, {**DEVICE, "id": "other"}], "same name"),
    ],
)
def test_bad_devices_are_explained(tmp_path: Path, devices: list[object], message: str) -> None:
    path = tmp_path / "bridge.yaml"
    path.write_text(json.dumps({"devices": devices}), encoding="utf-8")  # JSON is YAML
    with pytest.raises(BridgeConfigError, match=message):
        load_yaml(path)


def test_shard_names_its_bridge_topics() -> None:
    assert BridgeConfig().bridge_name == "bridge"
    assert BridgeConfig(shard=Shard(2, 3)).bridge_name == "bridge-2"
    with pytest.raises(BridgeConfigError, match="I/N"):
        Shard.parse("two")


def test_cli_needs_config_or_the_short_form() -> None:
    result = CliRunner().invoke(main, ["bridge", "--mqtt", "mqtt://127.0.0.1"])
    assert result.exit_code == 6
    assert "--devices devices.json and --mqtt" in result.output


def test_the_library_never_imports_the_bridge_extra() -> None:
    code = ("import sys, tuyaface, tuyaface.cli; "
            "print(sorted({'aiomqtt', 'paho', 'yaml'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_bridge_without_the_extra_names_it() -> None:
    code = ("import sys; sys.modules['aiomqtt'] = None; from tuyaface.cli import main; "
            "main(['bridge', '--demo'])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 6
    assert 'pip install "tuyaface-client[bridge]"' in result.stderr


def test_demo_prints_the_traffic_and_exits() -> None:
    result = CliRunner().invoke(main, ["bridge", "--demo"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert '-> tuyaface/light/set {"switch_led": true, "bright_value_v2": "50%"}' in lines
    assert any(line.startswith('<- tuyaface/light {"switch_led": true, "work_mode": "white", '
                               '"bright_value_v2": 505,') for line in lines)
    assert any(line.startswith('<- tuyaface/plug {"switch_1": true,') for line in lines)
    for child in ("front-door", "hallway", "garden-socket"):  # a gateway's children
        assert f'<- tuyaface/{child}/availability {{"state": "online"}}' in lines
    assert '<- tuyaface/front-door {"doorcontact_state": false, "battery_percentage": 90}' in lines
    assert lines[-1] == '<- tuyaface/bridge/state {"state": "offline"}'
    for kind in ("light", "cover", "binary_sensor", "sensor"):
        assert any(line.startswith(f"<- homeassistant/{kind}/") for line in lines), kind
    assert any(line.startswith("<- homeassistant/switch/") for line in lines)
