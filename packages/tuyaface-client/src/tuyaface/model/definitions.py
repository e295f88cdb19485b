"""Definition files: tuyaface's own JSON format and tuya-local's YAML (the simple subset
of docs/devices.md §4). Reading files is blocking I/O: load a folder once, outside an
event loop (or in an executor).

Our format, one file per product (`*.json`):

    {"name": "Hall light", "products": ["keyabc123"], "category": "dj",
     "dps": {"20": {"code": "switch_led", "type": "boolean"},
             "22": {"code": "bright_value_v2", "type": "integer", "min": 10, "max": 1000},
             "21": {"code": "work_mode", "type": "enum", "values": ["white", "colour"]},
             "24": {"code": "colour_data_v2", "type": "string", "colour": "hsv16"},
             "19": {"code": "cur_power", "type": "integer", "scale": 1, "unit": "W",
                    "readonly": true, "optional": true}}}

Types: boolean, integer (min, max, step, scale: a power of ten, unit), enum (values),
string, json, bitmap (labels), raw. `optional` DPs need not be in a device's status for
the file to match by DP set.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ._mapping import colour_format
from ._tuyalocal import definition_from_yaml
from .errors import DefinitionError
from .schema import DpSchema
from .spec import DpSpec, DpType

__all__ = ["Definition", "DefinitionSet", "definition_from_json", "load_definitions"]

log = logging.getLogger(__name__)


@attrs.frozen
class Definition:
    """A schema, the product ids it is for, and which of its DPs may be absent."""

    schema: DpSchema
    products: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()

    def fits(self, status: Mapping[str, Any]) -> bool:
        """Every required DP is in `status`, with a value its type can hold."""
        required = [s for dp, s in self.schema.specs.items() if dp not in self.optional]
        return bool(required) and all(
            s.dp in status and _compatible(s, status[s.dp]) for s in required
        )


def _compatible(spec: DpSpec, value: Any) -> bool:
    if spec.type is DpType.BOOLEAN:
        return isinstance(value, bool)
    if spec.type in (DpType.INTEGER, DpType.BITMAP):
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.type in (DpType.ENUM, DpType.STRING):
        return isinstance(value, str)
    return True


@attrs.frozen
class DefinitionSet:
    """The definitions of a folder, and the notes about what was skipped."""

    definitions: tuple[Definition, ...] = ()
    notes: tuple[str, ...] = ()

    def match(
        self, product_id: str | None, status: Mapping[str, Any] | None
    ) -> Definition | None:
        """The definition for this product id, else the one whose DP set fits with the
        most required DPs (the first of equals)."""
        if product_id:
            for definition in self.definitions:
                if product_id in definition.products:
                    return definition
        fitting = [d for d in self.definitions if status and d.fits(status)]
        return max(fitting, key=lambda d: len(d.schema.specs) - len(d.optional), default=None)


_TYPES = {t.value: t for t in DpType}


def _spec(dp: str, item: Mapping[str, Any], where: str) -> DpSpec:
    kind = _TYPES.get(str(item.get("type", "raw")))
    if kind is None:
        raise DefinitionError(f"{where}: DP {dp} has type {item.get('type')!r}; use one of "
                              + ", ".join(_TYPES))
    code = str(item.get("code", dp))
    try:
        return DpSpec(
            dp, code, kind,
            min=item.get("min"), max=item.get("max"), step=int(item.get("step", 1)),
            scale=int(item.get("scale", 0)), unit=item.get("unit"),
            values=tuple(str(v) for v in item.get("values", ())),
            labels=tuple(str(v) for v in item.get("labels", ())),
            readonly=bool(item.get("readonly", False)),
            colour=item.get("colour", colour_format(dp, code)),
        )
    except (TypeError, ValueError) as exc:
        raise DefinitionError(f"{where}: DP {dp}: {exc}") from None


def definition_from_json(data: Any, where: str) -> Definition:
    """A definition from our JSON format (already parsed); DefinitionError if malformed."""
    if not isinstance(data, dict) or not isinstance(data.get("dps"), dict):
        raise DefinitionError(f'{where}: a definition is an object with a "dps" object')
    dps: dict[str, Any] = data["dps"]
    specs, optional = [], set()
    for dp, item in dps.items():
        if not str(dp).isdigit() or not isinstance(item, dict):
            raise DefinitionError(f"{where}: {dp!r} is not a DP id with an object")
        specs.append(_spec(str(dp), item, where))
        if item.get("optional"):
            optional.add(str(dp))
    category = data.get("category") if isinstance(data.get("category"), str) else None
    products = frozenset(str(p) for p in data.get("products", ()))
    return Definition(DpSchema(specs, where, category), products, frozenset(optional))


def _read(path: Path) -> tuple[Definition | None, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{path}: skipped, cannot read it ({exc})"]
    if path.suffix == ".json":
        try:
            return definition_from_json(json.loads(text), str(path)), []
        except (ValueError, DefinitionError) as exc:
            return None, [f"{path}: skipped ({exc})"]
    return definition_from_yaml(text, str(path))


def load_definitions(folders: Iterable[str | Path]) -> DefinitionSet:
    """Every `*.json` (ours) and `*.yaml` / `*.yml` (tuya-local) file of these folders,
    sorted by name. Files or DPs outside what we read are skipped, each with a note
    (also logged at INFO). Blocking file I/O."""
    found: list[Definition] = []
    notes: list[str] = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise DefinitionError(f"{folder} is not a folder of definition files")
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".json", ".yaml", ".yml"):
                continue
            definition, more = _read(path)
            notes.extend(more)
            if definition is not None:
                found.append(definition)
    for note in notes:
        log.info("%s", note)
    return DefinitionSet(tuple(found), tuple(notes))
