"""`DpSchema`: what every DP of one device means, and where that knowledge came from.

The public face for other layers (CLI, bridge): `decode` a status to named values,
`readings` with units, `encode` named user values to raw DPs (checked first: nothing is
sent for an invalid value), `entities` for Home Assistant-like consumers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .errors import DpValueError
from .spec import DpSpec, DpType

__all__ = ["DpSchema", "Entity", "Reading"]


@attrs.frozen
class Reading:
    """One DP's value as a user sees it."""

    dp: str
    code: str
    value: Any
    unit: str | None
    raw: Any
    known: bool  # False: no schema knows this DP (a raw DP)


@attrs.frozen
class Entity:
    """A DP as a Home Assistant-like entity: `kind` is switch, sensor, number, select,
    binary_sensor, light-part (`text` for the rest)."""

    dp: str
    code: str
    kind: str
    unit: str | None
    readonly: bool


def _by_dp(specs: Iterable[DpSpec] | Mapping[str, DpSpec]) -> dict[str, DpSpec]:
    items = specs.values() if isinstance(specs, Mapping) else specs
    return {spec.dp: spec for spec in items}


@attrs.frozen
class DpSchema:
    """The DPs of a device. `source` says where it came from ("devices.json mapping",
    a definition file's path, "built-in category dj (v2)", ...). `category` is the Tuya
    category code when known."""

    specs: Mapping[str, DpSpec] = attrs.field(converter=_by_dp)
    source: str = "unknown"
    category: str | None = None
    notes: tuple[str, ...] = ()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.find(key) is not None

    def find(self, key: str) -> DpSpec | None:
        """The spec with this DP id or code, or None."""
        spec = self.specs.get(key)
        if spec is not None:
            return spec
        return next((s for s in self.specs.values() if s.code == key), None)

    def first(self, *codes: str) -> DpSpec | None:
        """The spec of the first of `codes` this schema has."""
        return next((s for s in map(self.find, codes) if s is not None), None)

    def spec(self, key: str) -> DpSpec:
        """The spec with this DP id or code; a DP id nobody describes is a raw DP;
        an unknown code is a DpValueError naming the known ones."""
        spec = self.find(key)
        if spec is not None:
            return spec
        if key.isascii() and key.isdigit() and not key.startswith("0"):
            return DpSpec(key, key)
        codes = ", ".join(sorted(s.code for s in self.specs.values())) or "none"
        raise DpValueError(f"no DP named {key!r} (known codes: {codes})")

    def decode(self, status: Mapping[str, Any]) -> dict[str, Any]:
        """`{"20": True, "22": 1000}` -> `{"switch_led": True, "bright_value_v2": 1000}`;
        DPs without a spec keep their id."""
        return {r.code: r.value for r in self.readings(status)}

    def readings(self, status: Mapping[str, Any]) -> list[Reading]:
        """Every DP of `status` as a `Reading` (code, scaled value, unit)."""
        out = []
        for dp, raw in status.items():
            spec = self.specs.get(str(dp))
            if spec is None:
                out.append(Reading(str(dp), str(dp), raw, None, raw, known=False))
            else:
                out.append(Reading(spec.dp, spec.code, spec.decode(raw), spec.unit, raw, True))
        return out

    def encode(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Named (or numbered) user values -> raw DPs, all checked before returning."""
        return {self.spec(key).dp: self.spec(key).encode(value) for key, value in values.items()}

    def parse(self, values: Mapping[str, str]) -> dict[str, Any]:
        """Like `encode`, for values typed as text (`50%`, `on`, `21.5`)."""
        return {self.spec(key).dp: self.spec(key).parse(text) for key, text in values.items()}

    def entities(self) -> list[Entity]:
        """The DPs as entities, in DP order."""
        return [
            Entity(s.dp, s.code, _kind(s), s.unit, s.readonly)
            for s in sorted(self.specs.values(), key=lambda s: (len(s.dp), s.dp))
        ]

    def merged(self, other: DpSchema) -> DpSchema:
        """This schema, with `other`'s specs for DPs it does not describe."""
        extra = [s for dp, s in other.specs.items() if dp not in self.specs]
        return attrs.evolve(self, specs=[*self.specs.values(), *extra])


def _kind(spec: DpSpec) -> str:
    if spec.type is DpType.BOOLEAN:
        return "binary_sensor" if spec.readonly else "switch"
    if spec.type is DpType.INTEGER:
        return "sensor" if spec.readonly else "number"
    if spec.type is DpType.ENUM:
        return "sensor" if spec.readonly else "select"
    if spec.type is DpType.BITMAP:
        return "sensor"
    return "text"
