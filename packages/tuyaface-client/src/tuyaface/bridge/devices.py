"""`DeviceMaker`, the bridge's default `make_device`: a `SchemaDevice` where a schema is
known (devices.json `mapping`, `category`, definition files by `product_id` or DP set),
else a `RawDpDevice`; each over its link (an `AsyncDevice`, or one shared `AsyncGateway`
per gateway for it and its children)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..model import DefinitionSet, DpSchema, schema_for
from .config import BridgeConfig, DeviceConfig
from .entities import BridgedDevice, RawDpDevice
from .links import Connections
from .schema_device import SchemaDevice

__all__ = ["DeviceMaker"]


class DeviceMaker:
    """`maker(config, bridge)` -> the bridged device; `await maker.aclose()` closes the
    gateway connections it opened."""

    def __init__(self, definitions: DefinitionSet | None = None) -> None:
        self.connections = Connections()
        self.definitions = definitions

    def __call__(self, config: DeviceConfig, bridge: BridgeConfig) -> BridgedDevice:
        link = self.connections.link(config, bridge)
        definitions = self.definitions or bridge.definitions
        schema = schema_for(config.meaning, definitions=definitions)
        if _status_tells(config.meaning, schema, definitions):
            def refine(status: Mapping[str, Any]) -> DpSchema:
                return schema_for(config.meaning, status, definitions)

            return SchemaDevice(config, link, schema, config.parent, refine)
        if schema.specs:
            return SchemaDevice(config, link, schema, config.parent)
        return RawDpDevice(config, link, config.parent)

    async def aclose(self) -> None:
        """Close the shared gateway connections."""
        await self.connections.aclose()


def _status_tells(meaning: Mapping[str, Any], schema: DpSchema,
                  definitions: DefinitionSet | None) -> bool:
    """Whether the status may give a better schema: without a mapping, a light's layout
    (v1 / v2 / dimmer, docs/devices.md) and definitions matched by DP set depend on it."""
    if meaning.get("mapping"):
        return False
    return schema.category == "dj" or definitions is not None
