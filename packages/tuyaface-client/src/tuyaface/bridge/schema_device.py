"""`SchemaDevice`: a bridged device whose DPs a schema describes (tuyaface.model): state
JSON by code in user units, /set checked against the schema before anything is sent, Home
Assistant entities from the schema (ha_entities.py). DPs the schema does not know stay raw
DPs, as on `RawDpDevice`. A schema that the status can tell better (a light known by its
category alone: v1, v2 or dimmer; definitions matched by DP set) is `refine`d when new DPs
are reported."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..model import DpSchema, DpSpec, DpType, Hsv
from .config import DeviceConfig
from .entities import Entity, check_raw, dp_order, raw_entity
from .errors import BridgeInputError
from .ha_entities import schema_entities
from .links import Link

__all__ = ["SchemaDevice", "encode_value"]


@attrs.define(eq=False)
class SchemaDevice:
    """A device seen through its `schema`: `{"switch_1": true, "cur_power": 12.5}`."""

    config: DeviceConfig
    device: Link
    schema: DpSchema
    via: str | None = None
    refine: Callable[[Mapping[str, Any]], DpSchema] | None = None
    """The schema for a status, when the status can change it (None: it cannot)."""
    dps: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def state(self) -> dict[str, Any]:
        return {r.code: _plain(r.value) for r in self.schema.readings(self.dps)}

    def absorb(self, dps: Mapping[str, Any]) -> bool:
        changed = any(self.dps.get(key, _MISSING) != value for key, value in dps.items())
        new = self.refine is not None and not dps.keys() <= self.dps.keys()
        self.dps.update(dps)
        if new and self.refine is not None:
            schema = self.refine(self.dps)
            if schema.specs != self.schema.specs:
                self.schema, changed = schema, True
        return changed

    def to_dps(self, payload: object) -> dict[str, Any]:
        if not isinstance(payload, dict) or not payload:
            raise BridgeInputError('write a JSON object of codes, e.g. {"switch_1": true}')
        out = {}
        for key, value in payload.items():
            spec = self.schema.find(key)
            if spec is None:
                check_raw(self._raw(), key, value, self._names())
                out[key] = value
            else:
                out[spec.dp] = encode_value(spec, value)
        return out

    def entities(self) -> list[Entity]:
        raw = self._raw()
        found = (raw_entity(key, raw[key]) for key in sorted(raw, key=dp_order))
        return schema_entities(self.schema) + [e for e in found if e is not None]

    def _raw(self) -> dict[str, Any]:
        return {dp: value for dp, value in self.dps.items() if dp not in self.schema.specs}

    def _names(self) -> str:
        return ", ".join([*(s.code for s in self.schema.specs.values()), *self._raw()])


_MISSING = object()


def encode_value(spec: DpSpec, value: Any) -> Any:
    """A /set value in user units as the DP's raw value: a number, `"50%"` of an integer
    DP's range, `{"h", "s", "v"}` for a colour; BridgeInputError when the schema refuses."""
    try:
        if isinstance(value, str) and spec.type is DpType.INTEGER:
            return spec.parse(value)
        if isinstance(value, dict) and spec.colour is not None:
            return spec.encode(Hsv(value["h"], value["s"], value["v"]))
        return spec.encode(value)
    except KeyError:
        raise BridgeInputError(f"{spec.label}: give a colour as {_COLOUR}") from None
    except (TypeError, ValueError) as exc:  # DpValueError is a ValueError
        raise BridgeInputError(str(exc)) from None


_COLOUR = '{"h": 0-360, "s": 0-1, "v": 0-1}'


def _plain(value: Any) -> Any:
    """A JSON-ready value (a colour as `{"h", "s", "v"}`)."""
    if isinstance(value, Hsv):
        return {"h": value.hue, "s": value.saturation, "v": value.value}
    return value
