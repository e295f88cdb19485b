"""A DP schema as Home Assistant entities (`schema_entities`): a light, cover, climate or
fan gathers its DPs into one entity; every other DP is a switch, binary sensor, sensor
(device class, unit and state class from its code and unit), number or select."""

from __future__ import annotations

from typing import Any

from ..model import DpSchema, DpSpec, DpType
from ..model.cover import vocabulary
from .entities import Entity

__all__ = ["schema_entities"]

# code -> (device class, state class); units decide the rest (_BY_UNIT)
_BY_UNIT = {
    "W": ("power", "measurement"),
    "kW": ("power", "measurement"),
    "kWh": ("energy", "total_increasing"),
    "Wh": ("energy", "total_increasing"),
    "V": ("voltage", "measurement"),
    "mA": ("current", "measurement"),
    "A": ("current", "measurement"),
    "°C": ("temperature", "measurement"),
    "°F": ("temperature", "measurement"),
}
_BY_WORD = {"humidity": "humidity", "battery": "battery"}  # a "%" DP whose code says it
_BINARY = {"doorcontact": "door", "contact": "door", "pir": "motion", "motion": "motion",
           "presence": "occupancy", "fault": "problem", "alarm": "problem", "leak": "moisture"}
_MOTION_ON = ("pir", "presence", "motion")  # an enum motion DP's value for "detected"


def _range(spec: DpSpec) -> dict[str, Any]:
    return {"code": spec.code, "min": spec.min, "max": spec.max}


def _light(schema: DpSchema) -> Entity | None:
    on = schema.first("switch_led")
    if on is None:
        return None
    parts: dict[str, Any] = {"on": on.code}
    for name, codes in (("brightness", ("bright_value_v2", "bright_value")),
                        ("temp", ("temp_value_v2", "temp_value"))):
        spec = schema.first(*codes)
        if spec is not None and spec.type is DpType.INTEGER:
            parts[name] = _range(spec)
    colour = schema.first("colour_data_v2", "colour_data")
    if colour is not None and colour.colour is not None:
        parts["colour"] = colour.code
    mode = schema.first("work_mode")
    if mode is not None:
        parts["mode"] = mode.code
    return Entity("light", on.code, "light", parts)


def _cover(schema: DpSchema) -> Entity | None:
    control = schema.first("control", "mach_operate")
    if control is None or control.type is not DpType.ENUM:
        return None
    opens, closes, stops = vocabulary(control)
    parts: dict[str, Any] = {"control": control.code, "open": opens, "close": closes,
                             "stop": stops}
    target, state = schema.first("percent_control", "position"), schema.first("percent_state")
    if target is not None:
        parts["set_position"] = target.code
    shown = state or target
    if shown is not None:
        parts["position"] = shown.code
    return Entity("cover", control.code, "cover", parts)


def _climate(schema: DpSchema) -> Entity | None:
    target = schema.first("temp_set")
    if target is None or target.type is not DpType.INTEGER:
        return None
    parts: dict[str, Any] = {"target": _range(target), "scale": target.scale,
                             "step": target.step / 10**target.scale}
    for name, codes in (("power", ("switch", "switch_1")), ("current", ("temp_current",)),
                        ("preset", ("mode",))):
        spec = schema.first(*codes)
        if spec is not None:
            parts[name] = spec.code
            if name == "preset":
                parts["presets"] = list(spec.values)
    return Entity("climate", target.code, "thermostat", parts)


def _fan(schema: DpSchema) -> Entity | None:
    speed, power = schema.first("fan_speed", "fan_speed_percent"), schema.first("switch")
    if speed is None or power is None:
        return None
    parts: dict[str, Any] = {"power": power.code, "speed": _range(speed)}
    mode, swing = schema.first("mode"), schema.first("switch_horizontal")
    if mode is not None:
        parts.update(preset=mode.code, presets=list(mode.values))
    if swing is not None:
        parts["oscillation"] = swing.code
    return Entity("fan", power.code, "fan", parts)


_GROUPS = (_light, _cover, _climate, _fan)


def _used(entity: Entity) -> set[str]:
    codes = {entity.key}
    for value in entity.options.values():
        if isinstance(value, dict):
            codes.add(value["code"])
        elif isinstance(value, str):
            codes.add(value)
    return codes


def _label(code: str) -> str:
    return code.replace("_", " ")


def _class_of(code: str, table: dict[str, str]) -> str | None:
    return next((cls for word, cls in table.items() if word in code), None)


def _single(spec: DpSpec) -> Entity | None:
    label = _label(spec.code)
    if spec.type is DpType.BOOLEAN:
        if not spec.readonly:
            return Entity("switch", spec.code, label)
        return Entity("binary_sensor", spec.code, label,
                      {"device_class": _class_of(spec.code, _BINARY)})
    flags = spec.readonly or spec.type is DpType.BITMAP  # a fault bitmap: a problem
    binary = _class_of(spec.code, _BINARY) if flags else None
    if binary is not None and spec.type in (DpType.ENUM, DpType.BITMAP):
        on = next((v for v in spec.values if v in _MOTION_ON), None)
        return Entity("binary_sensor", spec.code, label, {"device_class": binary, "on": on})
    if spec.type is DpType.INTEGER:
        return _numeric(spec, label)
    if spec.type is DpType.ENUM:
        if spec.readonly:
            return Entity("sensor", spec.code, label,
                          {"device_class": "enum", "options": list(spec.values)})
        return Entity("select", spec.code, label, {"options": list(spec.values)})
    if spec.type is DpType.BITMAP:
        return Entity("sensor", spec.code, label)
    return None  # strings, JSON, raw: nothing HA can show well


def _numeric(spec: DpSpec, label: str) -> Entity:
    options: dict[str, Any] = {"unit_of_measurement": spec.unit}
    if not spec.readonly:
        factor = 10**spec.scale
        options.update(min=(spec.min or 0) / factor, max=(spec.max or 0) / factor,
                       step=spec.step / factor)
        return Entity("number", spec.code, label, options)
    device_class, state_class = _BY_UNIT.get(spec.unit or "", (None, "measurement"))
    if spec.unit == "%":
        device_class = _class_of(spec.code, _BY_WORD)
    options.update(device_class=device_class, state_class=state_class)
    return Entity("sensor", spec.code, label, options)


def schema_entities(schema: DpSchema) -> list[Entity]:
    """The entities of a schema: grouped ones first, then one per remaining DP."""
    grouped = [entity for entity in (group(schema) for group in _GROUPS) if entity is not None]
    used = set().union(*map(_used, grouped)) if grouped else set()
    singles = (_single(spec) for spec in sorted(schema.specs.values(),
                                                key=lambda s: (len(s.dp), s.dp))
               if spec.code not in used)
    return grouped + [entity for entity in singles if entity is not None]
