"""`DeviceMaker`, the bridge's default `make_device`: a `SchemaDevice` where a schema is
known (devices.json `mapping`, `category`, `product_id` with definition files), else a `RawDpDevice`; each over its link
(an `AsyncDevice`, or one shared `AsyncGateway` per gateway for it and its children)."""

from __future__ import annotations

from ..model import DefinitionSet, schema_for
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
        if schema.specs:
            return SchemaDevice(config, link, schema, config.parent)
        return RawDpDevice(config, link, config.parent)

    async def aclose(self) -> None:
        """Close the shared gateway connections."""
        await self.connections.aclose()
