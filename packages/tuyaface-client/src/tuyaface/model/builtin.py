"""Built-in schemas for the common categories of docs/devices.md §2, used when nothing
better is known. DP numbers the table does not give (a fan's mode and oscillation, a motion
sensor's battery) are the common ones; a definition file overrides them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .schema import DpSchema
from .spec import DpSpec, DpType

__all__ = ["BUILTIN", "CATEGORY_NAMES", "builtin_schema", "light_layout"]

B, N, E, S = DpType.BOOLEAN, DpType.INTEGER, DpType.ENUM, DpType.STRING

_SOCKET = (
    *(DpSpec(n, f"switch_{n}", B) for n in range(1, 7)),
    DpSpec(9, "countdown_1", N, min=0, max=86400, unit="s"),
    DpSpec(17, "add_ele", N, min=0, max=50000000, scale=3, unit="kWh", readonly=True),
    DpSpec(18, "cur_current", N, min=0, max=30000, unit="mA", readonly=True),
    DpSpec(19, "cur_power", N, min=0, max=50000, scale=1, unit="W", readonly=True),
    DpSpec(20, "cur_voltage", N, min=0, max=5000, scale=1, unit="V", readonly=True),
)
_MODES = ("white", "colour", "scene", "music")
_LIGHT_V2 = (
    DpSpec(20, "switch_led", B),
    DpSpec(21, "work_mode", E, values=_MODES),
    DpSpec(22, "bright_value_v2", N, min=10, max=1000),
    DpSpec(23, "temp_value_v2", N, min=0, max=1000),
    DpSpec(24, "colour_data_v2", S, colour="hsv16"),
    DpSpec(25, "scene_data_v2", S),
    DpSpec(26, "countdown", N, min=0, max=86400, unit="s"),
)
_LIGHT_V1 = (
    DpSpec(1, "switch_led", B),
    DpSpec(2, "work_mode", E, values=_MODES),
    DpSpec(3, "bright_value", N, min=25, max=255),
    DpSpec(4, "temp_value", N, min=0, max=255),
    DpSpec(5, "colour_data", S, colour="rgb8"),
    DpSpec(6, "scene_data", S),
)
_DIMMER = (
    DpSpec(1, "switch_led", B),
    DpSpec(2, "bright_value", N, min=25, max=255),
    DpSpec(3, "temp_value", N, min=0, max=255),
)
_COVER = (
    DpSpec(1, "control", E, values=("open", "stop", "close", "continue")),
    DpSpec(2, "percent_control", N, min=0, max=100, unit="%"),
    DpSpec(3, "percent_state", N, min=0, max=100, unit="%", readonly=True),
    DpSpec(5, "control_back_mode", E, values=("forward", "back")),
    DpSpec(7, "work_state", E, values=("opening", "closing"), readonly=True),
)
_THERMOSTAT = (
    DpSpec(1, "switch", B),
    DpSpec(2, "temp_set", N, min=50, max=350, step=5, scale=1, unit="°C"),
    DpSpec(3, "temp_current", N, min=-200, max=1000, scale=1, unit="°C", readonly=True),
    DpSpec(4, "mode", E, values=("auto", "manual", "eco")),
)
_FAN = (
    DpSpec(1, "switch", B),
    DpSpec(2, "mode", E, values=("normal", "sleep", "nature")),
    DpSpec(3, "fan_speed", N, min=1, max=100, unit="%"),
    DpSpec(5, "switch_horizontal", B),
)
_BATTERY = DpSpec(4, "battery_percentage", N, min=0, max=100, unit="%", readonly=True)
_CLIMATE_SENSOR = (
    DpSpec(1, "va_temperature", N, min=-400, max=1000, scale=1, unit="°C", readonly=True),
    DpSpec(2, "va_humidity", N, min=0, max=100, unit="%", readonly=True),
    DpSpec(3, "battery_state", E, values=("low", "middle", "high"), readonly=True),
    _BATTERY,
)
_CONTACT = (
    DpSpec(1, "doorcontact_state", B, readonly=True),
    DpSpec(2, "battery_percentage", N, min=0, max=100, unit="%", readonly=True),
)
_MOTION = (DpSpec(1, "pir", E, values=("pir", "none"), readonly=True), _BATTERY)


def _schema(category: str, layout: str, specs: tuple[DpSpec, ...]) -> DpSchema:
    return DpSchema(specs, f"built-in category {category} ({layout})", category)


# The key is what `builtin_schema` and `tuyaface simulate --category` take.
BUILTIN: Mapping[str, DpSchema] = {
    "kg": _schema("kg", "switch", _SOCKET),
    "cz": _schema("cz", "socket", _SOCKET),
    "pc": _schema("pc", "power strip", _SOCKET),
    "dj": _schema("dj", "v2 light", _LIGHT_V2),
    "dj-v1": _schema("dj", "v1 light", _LIGHT_V1),
    "dj-dimmer": _schema("dj", "dimmer", _DIMMER),
    "cl": _schema("cl", "cover", _COVER),
    "wk": _schema("wk", "thermostat", _THERMOSTAT),
    "fs": _schema("fs", "fan", _FAN),
    "wsdcg": _schema("wsdcg", "temperature and humidity sensor", _CLIMATE_SENSOR),
    "mcs": _schema("mcs", "contact sensor", _CONTACT),
    "pir": _schema("pir", "motion sensor", _MOTION),
}

# Friendly names for the command line.
CATEGORY_NAMES: Mapping[str, str] = {
    "switch": "kg",
    "plug": "cz",
    "strip": "pc",
    "light": "dj",
    "light-v1": "dj-v1",
    "dimmer": "dj-dimmer",
    "cover": "cl",
    "climate": "wk",
    "fan": "fs",
    "sensor": "wsdcg",
    "contact": "mcs",
    "motion": "pir",
}


def light_layout(status: Mapping[str, Any]) -> str:
    """Which light layout a status shows: DP 20 -> v2, DPs 1 and 5 -> v1, else dimmer."""
    if "20" in status:
        return "dj"
    return "dj-v1" if "5" in status else "dj-dimmer"


def builtin_schema(category: str, status: Mapping[str, Any] | None = None) -> DpSchema | None:
    """The built-in schema for a category code or name (a light's layout from its status
    when given), or None."""
    key = CATEGORY_NAMES.get(category, category)
    if key == "dj" and status:
        key = light_layout(status)
    return BUILTIN.get(key)
