"""tuya-local's YAML device definitions, the simple subset (docs/devices.md §4).

PyYAML is an optional extra (`tuyaface-client[yaml]`), imported only when a YAML file is
read. A DP with an advanced mapping key (conditions, value_redirect, ...) or a type we do
not read is skipped with a note; a file with no readable DP is skipped with a note.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .errors import DefinitionError
from .schema import DpSchema
from .spec import DpSpec, DpType

if TYPE_CHECKING:
    from .definitions import Definition

__all__ = ["definition_from_yaml"]

_TYPES = {
    "boolean": DpType.BOOLEAN,
    "integer": DpType.INTEGER,
    "string": DpType.STRING,
    "bitfield": DpType.BITMAP,
    "base64": DpType.RAW,
    "hex": DpType.RAW,
    "json": DpType.JSON,
}
_SIMPLE_KEYS = {"dps_val", "value", "scale", "step", "hidden", "icon", "icon_priority"}
_GENERIC = {"switch", "sensor", "value", "option", "control", "position", "speed"}


def _yaml_load(text: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise DefinitionError(
            "reading tuya-local YAML definitions needs PyYAML: "
            "pip install 'tuyaface-client[yaml]'"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"not valid YAML ({exc})") from None


def _entities(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    if isinstance(doc.get("entities"), list):
        return [e for e in doc["entities"] if isinstance(e, dict)]
    primary = doc.get("primary_entity")
    secondary = doc.get("secondary_entities")
    out = [primary] if isinstance(primary, dict) else []
    return out + [e for e in secondary or () if isinstance(e, dict)]


def _scale(divisor: Any) -> int | None:
    """tuya-local's divisor as our power of ten (None if it is not one)."""
    if isinstance(divisor, int) and divisor > 0:
        power = round(math.log10(divisor))
        if 10**power == divisor:
            return power
    return None


def _code(entity: Mapping[str, Any], dp: Mapping[str, Any]) -> str:
    name = str(dp.get("name", ""))
    if name and name not in _GENERIC:
        return name
    label = entity.get("name") or entity.get("class") or entity.get("entity") or "dp"
    base = str(label).lower().replace(" ", "_")
    return base if name in ("", "switch", "sensor", "value") else f"{base}_{name}"


def _spec(entity: Mapping[str, Any], dp: Mapping[str, Any], where: str) -> DpSpec | str:
    """The DP's spec, or the note saying why it is skipped."""
    ident = dp.get("id")
    kind = _TYPES.get(str(dp.get("type")))
    if not isinstance(ident, int) or kind is None:
        return f"{where}: DP {ident} skipped (type {dp.get('type')!r} is outside the subset)"
    mapping = [m for m in dp.get("mapping") or () if isinstance(m, dict)]
    advanced = sorted({k for m in mapping for k in m} - _SIMPLE_KEYS)
    if advanced:
        return f"{where}: DP {ident} skipped (mapping uses {', '.join(advanced)})"
    scale = 0
    for entry in mapping:
        if "scale" in entry:
            found = _scale(entry["scale"])
            if found is None:
                return f"{where}: DP {ident} skipped (scale {entry['scale']} is not 10**n)"
            scale = found
    values = tuple(str(m["dps_val"]) for m in mapping if m.get("dps_val") is not None)
    if values and kind is DpType.STRING:
        kind = DpType.ENUM
    span: dict[str, Any] = dp["range"] if isinstance(dp.get("range"), dict) else {}
    return DpSpec(
        ident, _code(entity, dp), kind,
        min=span.get("min"), max=span.get("max"), scale=scale,
        unit=dp.get("unit") if isinstance(dp.get("unit"), str) else None,
        values=values, readonly=bool(dp.get("readonly", False)),
    )


def definition_from_yaml(text: str, where: str) -> tuple[Definition | None, list[str]]:
    """A definition and the notes about what was skipped (no definition: the file was)."""
    from .definitions import Definition

    try:
        doc = _yaml_load(text)
    except DefinitionError as exc:
        if "PyYAML" in str(exc):
            raise
        return None, [f"{where}: skipped ({exc})"]
    if not isinstance(doc, dict):
        return None, [f"{where}: skipped (not a tuya-local definition)"]
    specs: dict[str, DpSpec] = {}
    notes: list[str] = []
    optional: set[str] = set()
    for entity in _entities(doc):
        for dp in entity.get("dps") or ():
            if not isinstance(dp, dict):
                continue
            spec = _spec(entity, dp, where)
            if isinstance(spec, str):
                notes.append(spec)
                continue
            if spec.code in {s.code for s in specs.values()}:
                spec = DpSpec(spec.dp, f"{spec.code}_{spec.dp}", spec.type, spec.min, spec.max,
                              spec.step, spec.scale, spec.unit, spec.values, spec.labels,
                              spec.readonly)
            specs.setdefault(spec.dp, spec)
            if dp.get("optional"):
                optional.add(spec.dp)
    if not specs:
        return None, [*notes, f"{where}: skipped (no DP in the simple subset)"]
    products = frozenset(
        str(p["id"]) for p in doc.get("products") or () if isinstance(p, dict) and "id" in p
    )
    schema = DpSchema(specs.values(), where, notes=tuple(notes))
    return Definition(schema, products, frozenset(optional)), notes
