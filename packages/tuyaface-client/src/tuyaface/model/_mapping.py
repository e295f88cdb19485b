"""Schemas from the `mapping` of tinytuya's devices.json (docs/devices.md §1)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .schema import DpSchema
from .spec import DpSpec, DpType

__all__ = ["colour_format", "schema_from_mapping"]

_TYPES = {
    "boolean": DpType.BOOLEAN,
    "integer": DpType.INTEGER,
    "value": DpType.INTEGER,
    "enum": DpType.ENUM,
    "string": DpType.STRING,
    "json": DpType.JSON,
    "bitmap": DpType.BITMAP,
    "raw": DpType.RAW,
}


def colour_format(dp: str, code: str) -> str | None:
    """Which colour string a DP speaks, by its code: v2 lights hsv16, v1 (DP 5) rgb8."""
    if not code.startswith("colour_data"):
        return None
    return "rgb8" if code == "colour_data" and dp == "5" else "hsv16"


def _int(value: Any, default: int | None) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _values(raw: Any) -> Mapping[str, Any]:
    """`values` as a dict: it may be a JSON string to parse again, or missing."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def spec_from_mapping(dp: str, item: Mapping[str, Any]) -> DpSpec:
    """One mapping entry as a DpSpec; anything unknown or missing makes it more raw,
    never an error."""
    code = item.get("code") if isinstance(item.get("code"), str) else dp
    assert isinstance(code, str)
    kind = _TYPES.get(str(item.get("type", "")).lower(), DpType.RAW)
    values = _values(item.get("values"))
    return DpSpec(
        dp,
        code,
        kind,
        min=_int(values.get("min"), None),
        max=_int(values.get("max"), None),
        step=max(1, _int(values.get("step"), 1) or 1),
        scale=_int(values.get("scale"), 0) or 0,
        unit=values.get("unit") if isinstance(values.get("unit"), str) else None,
        values=_strings(values.get("range")),
        labels=_strings(values.get("label")),
        colour=colour_format(dp, code) if kind in (DpType.STRING, DpType.JSON) else None,
    )


def schema_from_mapping(
    mapping: Any, *, source: str = "devices.json mapping", category: str | None = None
) -> DpSchema | None:
    """The schema a devices.json `mapping` describes (None when it is empty or not one)."""
    mapping = _values(mapping)
    specs = [
        spec_from_mapping(str(dp), item)
        for dp, item in mapping.items()
        if str(dp).isdigit() and isinstance(item, dict)
    ]
    return DpSchema(specs, source, category) if specs else None
