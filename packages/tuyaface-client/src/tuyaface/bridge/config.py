"""The bridge's configuration: bridge.yaml, or devices.json plus an MQTT URL.

bridge.yaml (read with PyYAML, part of the `bridge` extra)::

    mqtt: {url: "mqtt://user:pass@127.0.0.1:1883", base_topic: tuyaface}
    homeassistant: {enabled: true, prefix: homeassistant}
    definitions: definitions/      # folder(s) of definition files (ours or tuya-local's)
    devices:                       # or devices_file: devices.json (tinytuya's format)
      - {id: bf01..., key: "0123456789abcdef", name: plug, ip: 192.168.1.20, version: "3.3",
         category: cz}             # category / mapping / product_id: the DP schema
      - {id: bf02..., key: "...", name: hub, ip: 192.168.1.21, version: "3.4"}
      - {id: a4c1..., name: door, parent: bf02..., node_id: a4c1..., category: mcs}

A sub-device (`parent`, `node_id`) takes ip, key, version and port from its gateway's
entry; it is bridged through the gateway's one connection.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs

from .._core import DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_PORT, DEFAULT_TIMEOUT
from ..model import DefinitionError, DefinitionSet, load_definitions
from .errors import BridgeConfigError

__all__ = [
    "BridgeConfig",
    "DeviceConfig",
    "MqttConfig",
    "Shard",
    "device_from_entry",
    "load_definition_folders",
    "load_devices_json",
    "load_yaml",
    "parse_mqtt_url",
]

DEFAULT_BASE = "tuyaface"
MQTT_PORT = 1883
MQTTS_PORT = 8883


@attrs.frozen
class MqttConfig:
    """Where the broker is. `tls`: mqtts:// (the system's CA store, or `ca_file`)."""

    host: str = "127.0.0.1"
    port: int = MQTT_PORT
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    tls: bool = False
    ca_file: str | None = None
    keepalive: int = 30


@attrs.frozen
class DeviceConfig:
    """One Tuya device the bridge keeps connected; `name` is its topic (`<base>/<name>`)."""

    dev_id: str
    local_key: str = attrs.field(repr=False)
    name: str
    host: str
    version: str = "3.3"
    port: int = DEFAULT_PORT
    parent: str | None = None  # a gateway child: the gateway's id (its host, key, version)
    cid: str | None = None  # a gateway child: its node id
    meaning: Mapping[str, Any] = attrs.field(factory=dict, eq=False, hash=False)
    """What picks the DP schema (`schema_for`): the entry's mapping, category, product_id."""

    @property
    def connection_id(self) -> str:
        """The id of the connection the device is reached through (its gateway's for a
        child): what shards and gateway connections are keyed by."""
        return self.parent or self.dev_id

    def to_entry(self) -> dict[str, Any]:
        """The connection fields of a devices.json entry (a child's come from it)."""
        return {"key": self.local_key, "ip": self.host, "version": self.version,
                "port": self.port}

    def to_public(self) -> dict[str, Any]:
        """What `<base>/bridge/devices` lists (never the key)."""
        public: dict[str, Any] = {
            "id": self.dev_id,
            "name": self.name,
            "ip": self.host,
            "port": self.port,
            "version": self.version,
        }
        if self.parent is not None:
            public.update(parent=self.parent, cid=self.cid)
        if "category" in self.meaning:
            public["category"] = self.meaning["category"]
        return public


@attrs.frozen
class Shard:
    """Instance `index` (1-based) of `count`: owns the devices whose id hashes to it."""

    index: int = 1
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`"2/3"` -> Shard(2, 3)."""
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise BridgeConfigError(f"--shard {text!r}: write I/N, e.g. 1/2") from None
        if not 1 <= index <= count:
            raise BridgeConfigError(f"--shard {text!r}: I must be between 1 and N")
        return cls(index, count)

    def owns(self, dev_id: str) -> bool:
        """A stable hash (SHA-256 of the id), the same on every machine and run."""
        digest = hashlib.sha256(dev_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


@attrs.frozen
class BridgeConfig:
    """Everything `tuyaface bridge` runs with."""

    mqtt: MqttConfig = attrs.field(factory=MqttConfig)
    devices: tuple[DeviceConfig, ...] = ()
    base_topic: str = DEFAULT_BASE
    bridge_id: str | None = None  # None: "bridge", or "bridge-I" with a shard
    shard: Shard = attrs.field(factory=Shard)
    client_id: str | None = None  # None: "tuyaface-<bridge id>"
    discovery: bool = True
    discovery_prefix: str = "homeassistant"
    heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT
    refresh_dps: tuple[str, ...] = ()  # energy readings: asked again every refresh_interval
    refresh_interval: float = 0.0  # 0: never (no polling)
    scan_host: str = "0.0.0.0"  # the address a scan request's listeners bind
    scan_request_address: str | None = None  # None: the LAN broadcast
    scan_local: bool = False  # tests: 127.0.0.1 and OS-chosen ports
    definitions: DefinitionSet | None = attrs.field(default=None, eq=False, repr=False)
    """Definition files (loaded, off the event loop): schemas by product id or DP set."""

    @property
    def bridge_name(self) -> str:
        """The bridge's own topic segment: `<base>/<bridge_name>/...`."""
        if self.bridge_id:
            return self.bridge_id
        return "bridge" if self.shard.count == 1 else f"bridge-{self.shard.index}"

    @property
    def mqtt_client_id(self) -> str:
        """The broker session's id: stable, so the persistent session survives restarts."""
        return self.client_id or f"tuyaface-{self.base_topic}-{self.bridge_name}"

    def owned_devices(self) -> tuple[DeviceConfig, ...]:
        """The devices of this shard (a gateway's children go with their gateway)."""
        return tuple(d for d in self.devices if self.shard.owns(d.connection_id))


def parse_mqtt_url(url: str) -> MqttConfig:
    """mqtt://user:pass@host:1883 (mqtts:// for TLS, port 8883 by default)."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise BridgeConfigError(
            f"MQTT URL {_safe_url(url)!r}: write mqtt://[user:pass@]host[:port] or mqtts://..."
        )
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (MQTTS_PORT if tls else MQTT_PORT)
    except ValueError:
        raise BridgeConfigError(f"MQTT URL {_safe_url(url)!r}: the port is not a number") from None
    return MqttConfig(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=tls,
    )


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


def device_from_entry(entry: Mapping[str, Any], where: str) -> DeviceConfig:
    """One device from a devices.json entry or a bridge.yaml / `add` request item."""
    dev_id, key = entry.get("id"), entry.get("key")
    if not isinstance(dev_id, str) or not dev_id or not isinstance(key, str) or not key:
        raise BridgeConfigError(f"{where}: each device needs \"id\" and \"key\" strings")
    host = entry.get("ip") or entry.get("host")
    if not isinstance(host, str) or not host:
        raise BridgeConfigError(f"{where}: device {dev_id} has no \"ip\": add its address")
    name = entry.get("name") or dev_id
    if not isinstance(name, str) or not valid_name(name):
        raise BridgeConfigError(
            f"{where}: device {dev_id}: name {name!r} cannot be a topic (no '/', '+', '#')"
        )
    version = str(entry.get("version") or "3.3")
    port = entry.get("port", DEFAULT_PORT)
    if not isinstance(port, int) or isinstance(port, bool):
        raise BridgeConfigError(f"{where}: device {dev_id}: port must be a number")
    parent = entry.get("parent") or None
    cid = str(entry.get("node_id") or dev_id) if parent else None
    meaning = {k: entry[k] for k in _MEANING if entry.get(k) is not None}
    return DeviceConfig(dev_id, key, name, host, version, port,
                        str(parent) if parent else None, cid, meaning)


_MEANING = ("mapping", "category", "product_id")
_FROM_PARENT = ("key", "ip", "host", "version", "port")


def with_parent(entry: Mapping[str, Any], parent: Mapping[str, Any] | None,
                where: str) -> Mapping[str, Any]:
    """A sub-device's entry with what it lacks (ip, key, version, port) from its gateway."""
    if not entry.get("parent"):
        return entry
    if parent is None:
        raise BridgeConfigError(
            f"{where}: device {entry.get('id')}: its gateway {entry['parent']!r} is not listed"
        )
    inherited = {k: parent[k] for k in _FROM_PARENT if k in parent and not entry.get(k)}
    return {**entry, **inherited}


def valid_name(name: str) -> bool:
    """A name that is one MQTT topic level, not a bridge topic."""
    return bool(name) and not any(c in name for c in "/+#\0") and not name.startswith("bridge")


def load_devices_json(path: Path) -> tuple[DeviceConfig, ...]:
    """devices.json in tinytuya's format (blocking: call it outside the event loop)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BridgeConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, list):
        raise BridgeConfigError(f"{path}: a devices.json is a list of device objects")
    return _devices(data, str(path))


def load_definition_folders(folders: Sequence[str | Path]) -> DefinitionSet | None:
    """The definition files of `folders` (None without folders); blocking file I/O:
    call it outside the event loop. Skipped files are logged (INFO)."""
    if not folders:
        return None
    try:
        return load_definitions(folders)
    except DefinitionError as exc:
        raise BridgeConfigError(str(exc)) from None


def _devices(entries: Sequence[Any], where: str) -> tuple[DeviceConfig, ...]:
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise BridgeConfigError(f"{where}: device {index} is not an object")
    by_id = {entry.get("id"): entry for entry in entries}
    devices = [
        device_from_entry(with_parent(entry, by_id.get(entry.get("parent")), where), where)
        for entry in entries
    ]
    names = [device.name for device in devices]
    if len(set(names)) != len(names):
        raise BridgeConfigError(f"{where}: two devices have the same name; names are topics")
    return tuple(devices)


def load_yaml(path: Path, **overrides: Any) -> BridgeConfig:
    """bridge.yaml (blocking: call it outside the event loop). Needs the `bridge` extra."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise BridgeConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise BridgeConfigError(f"{path}: the top level must be a mapping")
    return from_mapping(data, path.parent, str(path), **overrides)


def from_mapping(
    data: Mapping[str, Any], folder: Path, where: str, **overrides: Any
) -> BridgeConfig:
    """A BridgeConfig from a parsed bridge.yaml; `overrides` (command-line options) win."""
    mqtt_section = _section(data, "mqtt", where)
    hass = _section(data, "homeassistant", where)
    refresh = _section(data, "refresh", where)
    mqtt = parse_mqtt_url(str(mqtt_section.get("url", "mqtt://127.0.0.1")))
    if "ca_file" in mqtt_section:
        mqtt = attrs.evolve(mqtt, ca_file=str(mqtt_section["ca_file"]))
    devices = _devices(data.get("devices") or [], where)
    if "devices_file" in data:
        devices += load_devices_json(folder / str(data["devices_file"]))
    options: dict[str, Any] = {
        "mqtt": mqtt,
        "devices": devices,
        "base_topic": str(mqtt_section.get("base_topic", DEFAULT_BASE)),
        "bridge_id": mqtt_section.get("bridge_id"),
        "client_id": mqtt_section.get("client_id"),
        "discovery": bool(hass.get("enabled", True)),
        "discovery_prefix": str(hass.get("prefix", "homeassistant")),
        "refresh_dps": tuple(str(dp) for dp in refresh.get("dps", ())),
        "refresh_interval": float(refresh.get("interval", 0.0)),
    }
    folders = data.get("definitions") or []
    if not isinstance(folders, list):
        folders = [folders]
    if folders and overrides.get("definitions") is None:  # --definitions wins
        options["definitions"] = load_definition_folders([folder / str(f) for f in folders])
    for key in ("heartbeat_interval", "timeout"):
        if key in data:
            options[key] = float(data[key])
    if "shard" in data:
        options["shard"] = Shard.parse(str(data["shard"]))
    options.update({key: value for key, value in overrides.items() if value is not None})
    return BridgeConfig(**options)


def _section(data: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    section = data.get(name) or {}
    if not isinstance(section, Mapping):
        raise BridgeConfigError(f"{where}: {name!r} must be a mapping")
    return section
