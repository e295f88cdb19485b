"""Which schema fits a device, in the order of docs/design.md §8: (a) the devices.json
`mapping`, (b) a definition file matched by product id or DP set, (c) the built-in
defaults for its category. The first found wins; lower ones fill in DPs it lacks that
the status shows. With nothing known, every DP stays a raw DP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._mapping import schema_from_mapping
from .builtin import builtin_schema
from .definitions import DefinitionSet
from .schema import DpSchema

__all__ = ["schema_for"]


def schema_for(
    entry: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    definitions: DefinitionSet | None = None,
    *,
    category: str | None = None,
    product_id: str | None = None,
) -> DpSchema:
    """The schema for a device: `entry` is its devices.json object (mapping, category,
    product_id), `status` its DP values when known. No I/O."""
    entry = entry or {}
    category = category or _text(entry.get("category"))
    product_id = product_id or _text(entry.get("product_id"))
    found: list[DpSchema] = []
    mapped = schema_from_mapping(entry.get("mapping"), category=category)
    if mapped is not None:
        found.append(mapped)
    if definitions is not None:
        definition = definitions.match(product_id, status)
        if definition is not None:
            found.append(definition.schema)
    built = builtin_schema(category, status) if category else None
    if built is not None:
        found.append(built)
    if not found:
        return DpSchema((), "none (raw DPs)", category)
    return _combine(found, status, category)


def _combine(
    found: list[DpSchema], status: Mapping[str, Any] | None, category: str | None
) -> DpSchema:
    schema = found[0]
    sources = [schema.source]
    for lower in found[1:]:
        extra = [s for dp, s in lower.specs.items()
                 if dp not in schema.specs and status is not None and dp in status]
        if extra:
            schema = schema.merged(DpSchema(extra, lower.source))
            sources.append(f"{lower.source} for DPs {', '.join(s.dp for s in extra)}")
    return attrs.evolve(schema, source="; ".join(sources), category=schema.category or category)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
