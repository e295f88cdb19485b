"""Home Assistant MQTT discovery: one HA device per Tuya device, one config per `Entity`.

`COMPONENTS` maps an entity kind to the fields of its config. Commands go to the device's
`/set` topic as JSON in user units (a template per field); states are read from its
state JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .entities import BridgedDevice, Entity
from .topics import Topics

__all__ = ["COMPONENTS", "CONNECTIVITY", "discovery_configs", "node_id"]

Fields = Callable[[Entity, Topics, str], dict[str, Any]]
MIREDS = (153, 370)  # the colour temperatures HA is offered: 6500 K (cold) to 2700 K (warm)


def _get(key: str) -> str:
    return "value_json[" + json.dumps(key) + "]"


def _value(key: str) -> str:
    return "{{ " + _get(key) + " }}"


def _pick(key: str, on: Any, off: Any) -> str:
    """A template giving `on` when the state's `key` is true(ish), else `off` (texts
    without single quotes)."""
    return "{{ '" + str(on) + "' if " + _get(key) + " else '" + str(off) + "' }}"


def _payload(key: str, value: Any) -> str:
    return json.dumps({key: value})


def _command(key: str, template: str) -> str:
    """A /set JSON for one key whose value is a template (inserted as written)."""
    return "{" + json.dumps(key) + ": " + template + "}"


def _share(spec: dict[str, Any]) -> str:
    """The state's position in an integer DP's range, 0-1, as a template expression."""
    low, high = spec["min"] or 0, spec["max"] or 100
    return f"(({_get(spec['code'])} - {low}) / {high - low})"


def _switch(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    key = entity.key
    return {
        "command_topic": topics.set(name),
        "payload_on": _payload(key, True),
        "payload_off": _payload(key, False),
        "state_on": "ON",
        "state_off": "OFF",
        "value_template": _pick(key, "ON", "OFF"),
    }


def _plain_options(entity: Entity, *names: str) -> dict[str, Any]:
    return {n: entity.options[n] for n in names if entity.options.get(n) is not None}


def _sensor(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    return {"value_template": _value(entity.key),
            **_plain_options(entity, "device_class", "unit_of_measurement", "state_class",
                             "options")}


CONNECTIVITY = Entity("binary_sensor", "connectivity", "connectivity",
                      {"device_class": "connectivity", "from": "availability"})
"""A gateway's own entity (it may have no DPs): its HA device is what its children's
`via_device` names. Read from its availability topic, so it is never "unavailable"."""


def _binary_sensor(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    if entity.options.get("from") == "availability":
        return {"state_topic": topics.availability(name),
                "value_template": "{{ 'ON' if value_json.state == 'online' else 'OFF' }}",
                "availability": [_AVAILABLE[0](topics, name)],
                **_plain_options(entity, "device_class")}
    on, key = entity.options.get("on"), entity.key
    test = _get(key) if on is None else f"{_get(key)} == {json.dumps(on)}"
    return {"value_template": "{{ 'ON' if " + test + " else 'OFF' }}",
            **_plain_options(entity, "device_class")}


def _number(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    return {"command_topic": topics.set(name),
            "command_template": _command(entity.key, "{{ value }}"),
            "value_template": _value(entity.key),
            **_plain_options(entity, "min", "max", "step", "unit_of_measurement")}


def _select(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    return {"command_topic": topics.set(name),
            "command_template": _command(entity.key, '"{{ value }}"'),
            "value_template": _value(entity.key),
            "options": entity.options["options"]}


def _light(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    """The default schema: on / off, brightness (in % of the DP's range), colour
    temperature (mireds), HS colour; each part a template of the state and of /set."""
    o, state, command = entity.options, topics.state(name), topics.set(name)
    on, off = _payload(o["on"], True), _payload(o["on"], False)
    fields: dict[str, Any] = {"command_topic": command, "payload_on": on, "payload_off": off,
                              "state_value_template": _pick(o["on"], on, off)}
    if "brightness" in o:
        key = o["brightness"]["code"]
        fields.update(brightness_command_topic=command, brightness_state_topic=state,
                      brightness_scale=100,
                      brightness_command_template=_command(key, '"{{ value }}%"'),
                      brightness_value_template="{{ (" + _share(o["brightness"])
                      + " * 100) | round(0) | int }}")

    def mode(word: str) -> str:  # the light's mode goes with a colour temperature or colour
        return f'"{o["mode"]}": "{word}", ' if "mode" in o else ""

    if "temp" in o:
        cold, warm = MIREDS
        key = o["temp"]["code"]
        fields.update(
            color_temp_command_topic=command, color_temp_state_topic=state,
            min_mireds=cold, max_mireds=warm,
            color_temp_command_template="{" + mode("white") + json.dumps(key)
            + ': "{{ ((' + str(warm) + " - value) * 100 / " + str(warm - cold)
            + ') | round(1) }}%"}',
            color_temp_value_template="{{ (" + str(warm) + " - " + _share(o["temp"]) + " * "
            + str(warm - cold) + ") | round(0) | int }}")
    if "colour" in o:
        key = o["colour"]
        fields.update(
            hs_command_topic=command, hs_state_topic=state,
            hs_command_template="{" + mode("colour") + json.dumps(key)
            + ': {"h": {{ h }}, "s": {{ s / 100 }}, "v": 1}}',
            hs_value_template="{{ " + _get(key) + ".h }},{{ " + _get(key) + ".s * 100 }}")
    return fields


def _cover(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    o = entity.options
    fields: dict[str, Any] = {
        "command_topic": topics.set(name),
        "payload_open": _payload(o["control"], o["open"]),
        "payload_close": _payload(o["control"], o["close"]),
        "payload_stop": _payload(o["control"], o["stop"]) if o["stop"] is not None else None,
    }
    if "position" in o:
        fields.update(position_topic=topics.state(name), position_template=_value(o["position"]))
    if "set_position" in o:
        fields.update(set_position_topic=topics.set(name),
                      set_position_template=_command(o["set_position"], "{{ position }}"))
    return fields


def _climate(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    o, state, command = entity.options, topics.state(name), topics.set(name)
    target = o["target"]
    factor = 10 ** o["scale"]
    fields: dict[str, Any] = {
        "temperature_command_topic": command,
        "temperature_command_template": _command(target["code"], "{{ value }}"),
        "temperature_state_topic": state,
        "temperature_state_template": _value(target["code"]),
        "min_temp": (target["min"] or 0) / factor,
        "max_temp": (target["max"] or 0) / factor,
        "temp_step": o["step"],
        "temperature_unit": "C",
    }
    if "power" in o:
        fields.update(
            modes=["off", "heat"], mode_command_topic=command, mode_state_topic=state,
            mode_command_template=_command(o["power"], _OFF_OR_ON),
            mode_state_template=_pick(o["power"], "heat", "off"))
    if "current" in o:
        fields.update(current_temperature_topic=state,
                      current_temperature_template=_value(o["current"]))
    fields.update(_presets(o, topics, name))
    return fields


_OFF_OR_ON = "{{ 'false' if value == 'off' else 'true' }}"


def _presets(o: Mapping[str, Any], topics: Topics, name: str) -> dict[str, Any]:
    if "preset" not in o:
        return {}
    return {"preset_modes": o["presets"], "preset_mode_command_topic": topics.set(name),
            "preset_mode_command_template": _command(o["preset"], '"{{ value }}"'),
            "preset_mode_state_topic": topics.state(name),
            "preset_mode_value_template": _value(o["preset"])}


def _fan(entity: Entity, topics: Topics, name: str) -> dict[str, Any]:
    o, state, command = entity.options, topics.state(name), topics.set(name)
    on, off = _payload(o["power"], True), _payload(o["power"], False)
    fields: dict[str, Any] = {
        "command_topic": command, "payload_on": on, "payload_off": off,
        "state_value_template": _pick(o["power"], on, off),
        "percentage_command_topic": command, "percentage_state_topic": state,
        "percentage_command_template": _command(o["speed"]["code"], '"{{ value }}%"'),
        "percentage_value_template": "{{ (" + _share(o["speed"]) + " * 100) | round(0) | int }}",
    }
    if "oscillation" in o:
        swing_on, swing_off = _payload(o["oscillation"], True), _payload(o["oscillation"], False)
        fields.update(oscillation_command_topic=command, oscillation_state_topic=state,
                      payload_oscillation_on=swing_on, payload_oscillation_off=swing_off,
                      oscillation_value_template=_pick(o["oscillation"], swing_on, swing_off))
    fields.update(_presets(o, topics, name))
    return fields


COMPONENTS: dict[str, Fields] = {
    "switch": _switch,
    "sensor": _sensor,
    "binary_sensor": _binary_sensor,
    "number": _number,
    "select": _select,
    "light": _light,
    "cover": _cover,
    "climate": _climate,
    "fan": _fan,
}


def node_id(bridged: BridgedDevice) -> str:
    """The discovery node of a device: `tuyaface_<id>`."""
    return f"tuyaface_{bridged.config.dev_id}"


def discovery_configs(
    prefix: str, topics: Topics, bridged: BridgedDevice, extra: Iterable[Entity] = ()
) -> dict[str, dict[str, Any]]:
    """Discovery topic -> config for each entity of `bridged` (and `extra`) whose kind is
    known."""
    name = bridged.config.name
    node = node_id(bridged)
    device: dict[str, Any] = {
        "identifiers": [node],
        "name": name,
        "manufacturer": "Tuya",
        "model": f"protocol {bridged.config.version}",
    }
    category = bridged.config.meaning.get("category")
    if category:
        device["model"] = f"{category} (protocol {bridged.config.version})"
    if bridged.via is not None:
        device["via_device"] = f"tuyaface_{bridged.via}"
    configs = {}
    for entity in [*bridged.entities(), *extra]:
        fields = COMPONENTS.get(entity.kind)
        if fields is None:
            continue
        object_id = f"{node}_{_slug(entity.key)}"
        config = {
            "name": entity.label,
            "unique_id": object_id,
            "object_id": object_id,
            "state_topic": topics.state(name),
            "availability": [available(topics, name) for available in _AVAILABLE],
            "availability_mode": "all",
            "device": device,
            "origin": {"name": "tuyaface"},
            **{k: v for k, v in fields(entity, topics, name).items() if v is not None},
        }
        configs[f"{prefix}/{entity.kind}/{node}/{_slug(entity.key)}/config"] = config
    return configs


def _available(topic: Callable[[Topics, str], str]) -> Callable[[Topics, str], dict[str, str]]:
    return lambda topics, name: {"topic": topic(topics, name),
                                 "value_template": "{{ value_json.state }}"}


_AVAILABLE = (_available(lambda topics, name: topics.bridge_state),
              _available(Topics.availability))
"""An entity is available while the bridge is online and its device is."""


def _slug(key: str) -> str:
    text = "".join(c if c.isalnum() else "_" for c in key)
    return f"dp{text}" if text[:1].isdigit() else text
