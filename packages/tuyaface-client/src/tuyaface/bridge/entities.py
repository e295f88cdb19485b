"""What the bridge needs of a device (`BridgedDevice`), and its raw-DP implementation.

A `BridgedDevice` turns the device's values into the state JSON, checks a /set JSON and
turns it into DPs, and describes its Home Assistant entities (`Entity`). `RawDpDevice`
does this with DP ids as names (`{"1": true, "2": 50}`); `SchemaDevice` (schema_device.py)
with the codes and units of a DP schema. Either reaches its device through a `Link`: an
`AsyncDevice`, or a gateway child's handle (links.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from ..async_device import AsyncDevice
from .config import BridgeConfig, DeviceConfig
from .errors import BridgeInputError
from .links import Link

__all__ = ["BridgedDevice", "Entity", "RawDpDevice", "check_raw", "dp_order", "raw_entity"]

_SCALARS = (bool, int, float, str)


@attrs.frozen
class Entity:
    """One Home Assistant entity: its `kind` (an HA component: "switch", "sensor"...), the
    state JSON `key` it shows, a `label`, and kind-specific `options` (unit, device class,
    range...), which hass.py's table turns into a discovery config."""

    kind: str
    key: str
    label: str
    options: Mapping[str, Any] = attrs.field(factory=dict)


class BridgedDevice(Protocol):
    """A device as the bridge sees it."""

    config: DeviceConfig
    device: Link
    via: str | None  # the gateway's id for a gateway child (HA's via_device), else None

    def state(self) -> dict[str, Any]:
        """The state JSON published on `<base>/<name>`."""

    def absorb(self, dps: Mapping[str, Any]) -> bool:
        """Take DP values from the device; True when the state changed."""

    def to_dps(self, payload: object) -> dict[str, Any]:
        """A /set JSON (already parsed) as DPs; BridgeInputError when it is refused."""

    def entities(self) -> list[Entity]:
        """The Home Assistant entities, from what is known of the device now."""


def raw_entity(key: str, value: object) -> Entity | None:
    """Raw DPs: a boolean is a switch, a number or a text a sensor; anything else none."""
    if isinstance(value, bool):
        return Entity("switch", key, f"DP {key}")
    if isinstance(value, _SCALARS):
        return Entity("sensor", key, f"DP {key}")
    return None


@attrs.define(eq=False)
class RawDpDevice:
    """A device known by raw DPs: state and /set use DP ids ("1", "2", ...)."""

    config: DeviceConfig
    device: Link
    via: str | None = None
    dps: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def create(cls, config: DeviceConfig, bridge: BridgeConfig) -> RawDpDevice:
        """An AsyncDevice for `config`, with the bridge's heartbeat and timeout."""
        device = AsyncDevice(
            config.dev_id,
            config.local_key,
            config.host,
            version=config.version,
            port=config.port,
            timeout=bridge.timeout,
            heartbeat_interval=bridge.heartbeat_interval,
        )
        return cls(config, device)

    def state(self) -> dict[str, Any]:
        return dict(self.dps)

    def absorb(self, dps: Mapping[str, Any]) -> bool:
        changed = any(self.dps.get(key, _MISSING) != value for key, value in dps.items())
        self.dps.update(dps)
        return changed

    def to_dps(self, payload: object) -> dict[str, Any]:
        if not isinstance(payload, dict) or not payload:
            raise BridgeInputError('write a JSON object of DPs, e.g. {"1": true}')
        for key, value in payload.items():
            check_raw(self.dps, key, value, ", ".join(sorted(self.dps, key=dp_order)))
        return dict(payload)

    def entities(self) -> list[Entity]:
        found = (raw_entity(key, self.dps[key]) for key in sorted(self.dps, key=dp_order))
        return [entity for entity in found if entity is not None]


_MISSING = object()


def check_raw(dps: Mapping[str, Any], key: str, value: object, names: str) -> None:
    """A raw DP write: the DP was reported, and `value` has the type of its value;
    BridgeInputError naming `names` (what the device knows) when not."""
    known = dps.get(key, _MISSING)
    if known is _MISSING:
        what = "DP" if key.isdigit() else "name"
        raise BridgeInputError(f"unknown {what} {key!r} (known: {names or 'none reported yet'})")
    if not isinstance(value, _SCALARS) or _kind(value) != _kind(known):
        raise BridgeInputError(f"DP {key!r} takes a {_kind(known)}, not {json_kind(value)}")


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return json_kind(value)


def json_kind(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    names = {bool: "boolean", str: "string", dict: "object", list: "list", type(None): "null"}
    return names.get(type(value), "number")


def dp_order(key: str) -> tuple[int, str]:
    """DP ids in number order, names after them."""
    return (int(key), "") if key.isdigit() else (1 << 30, key)
