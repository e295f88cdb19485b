"""Home Assistant MQTT discovery: one HA device per Tuya device, one config per `Entity`.

`COMPONENTS` maps an entity kind to the fields of its config; the schema-based kinds
(light, cover, climate, fan, select, number, binary_sensor) are more rows of that table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .entities import BridgedDevice, Entity
from .topics import Topics

__all__ = ["COMPONENTS", "discovery_configs", "node_id"]

Fields = Callable[[Entity, Topics, str], dict[str, Any]]


def _value(key: str) -> str:
    return "{{ value_json[" + json.dumps(key) + "] }}"


def _switch(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    key = entity.key
    return {
        "command_topic": topics.set(name),
        "payload_on": json.dumps({key: True}),
        "payload_off": json.dumps({key: False}),
        "value_template": "{{ 'ON' if value_json[" + json.dumps(key) + "] else 'OFF' }}",
    }


def _sensor(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"value_template": _value(entity.key)}
    for option in ("device_class", "unit_of_measurement", "state_class"):
        if option in entity.options:
            fields[option] = entity.options[option]
    return fields


COMPONENTS: dict[str, Fields] = {"switch": _switch, "sensor": _sensor}


def node_id(bridged: BridgedDevice) -> str:
    """The discovery node of a device: `tuyaface_<id>`."""
    return f"tuyaface_{bridged.config.dev_id}"


def discovery_configs(
    prefix: str, topics: Topics, bridged: BridgedDevice
) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config for each entity of `bridged` whose kind is known."""
    name = bridged.config.name
    node = node_id(bridged)
    device: dict[str, Any] = {
        "identifiers": [node],
        "name": name,
        "manufacturer": "Tuya",
        "model": f"protocol {bridged.config.version}",
    }
    if bridged.via is not None:
        device["via_device"] = f"tuyaface_{bridged.via}"
    configs = {}
    for entity in bridged.entities():
        fields = COMPONENTS.get(entity.kind)
        if fields is None:
            continue
        object_id = f"{node}_{_slug(entity.key)}"
        config = {
            "name": entity.label,
            "unique_id": object_id,
            "object_id": object_id,
            "state_topic": topics.state(name),
            "availability": [
                {"topic": topics.bridge_state, "value_template": "{{ value_json.state }}"},
                {"topic": topics.availability(name), "value_template": "{{ value_json.state }}"},
            ],
            "availability_mode": "all",
            "device": device,
            "origin": {"name": "tuyaface"},
            **fields(entity, topics, name),
        }
        configs[f"{prefix}/{entity.kind}/{node}/{_slug(entity.key)}/config"] = config
    return configs


def _slug(key: str) -> str:
    text = "".join(c if c.isalnum() else "_" for c in key)
    return f"dp{text}" if text[:1].isdigit() else text
