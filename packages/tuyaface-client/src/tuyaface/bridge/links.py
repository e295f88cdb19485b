"""What the bridge talks to a device through (`Link`), and the connections behind them:
an `AsyncDevice` for a device, a child handle sharing ONE `AsyncGateway` per gateway
(`Connections`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterable
from typing import Any, Protocol

from .._types import DpsInput
from ..async_device import AsyncDevice
from ..events import ChildOffline, ChildOnline, Connected, DeviceEvent, StatusPush
from ..gateway import AsyncGateway
from .config import BridgeConfig, DeviceConfig

__all__ = ["ChildLink", "Connections", "GatewayLink", "Link"]


async def shared_events(gateway: AsyncGateway) -> AsyncGenerator[DeviceEvent, None]:
    """A shared gateway's events for one follower, starting with `Connected` when the
    gateway is already up (none would come); closing this stops the gateway queueing for it."""
    stream = gateway.events()
    try:
        if gateway.connected:
            yield Connected()
        async for event in stream:
            yield event
    finally:
        await stream.aclose()


async def events_of(gateway: AsyncGateway, cid: str | None) -> AsyncGenerator[DeviceEvent, None]:
    """What one entry follows on a shared gateway: its connection changes, and the pushes
    and presence changes of the child `cid`, or of the gateway itself (None)."""
    async with contextlib.aclosing(shared_events(gateway)) as events:
        async for event in events:
            if not isinstance(event, StatusPush | ChildOnline | ChildOffline):
                yield event
            elif event.cid == cid:
                yield StatusPush(event.dps) if isinstance(event, StatusPush) else event


class Link(Protocol):
    """A device's calls, as the bridge uses them (`AsyncDevice` is one)."""

    @property
    def connected(self) -> bool:
        """True while commands can reach the device."""

    def events(self) -> AsyncIterator[DeviceEvent]:
        """Pushes, connection and presence changes."""

    async def status(self) -> dict[str, Any]:
        """The device's DP values."""

    async def set_status(self, dps: DpsInput) -> None:
        """Set DPs."""

    async def refresh(self, dps: Iterable[int | str]) -> None:
        """Ask for fresh readings."""

    async def aclose(self) -> None:
        """Stop using the device."""


class ChildLink:
    """A gateway child through the gateway's connection: reachable while the gateway is
    connected and the child present; `events()` has the gateway's connection changes and
    this child's pushes and presence changes."""

    def __init__(self, gateway: AsyncGateway, cid: str) -> None:
        self.gateway = gateway
        self.cid = cid
        self._child = gateway.child(cid)

    @property
    def connected(self) -> bool:
        return self.gateway.connected and bool(self._child.state.online)

    @property
    def availability(self) -> bool | None:
        """Online or not; None while the gateway is connected but has not said (a
        presence report on 3.4 / 3.5, an answer or push on 3.3): nothing to publish yet."""
        if self.gateway.connected and self._child.state.online is None:
            return None
        return self.connected

    def events(self) -> AsyncIterator[DeviceEvent]:
        return events_of(self.gateway, self.cid)

    async def status(self) -> dict[str, Any]:
        return dict(await self._child.status())

    async def set_status(self, dps: DpsInput) -> None:
        await self._child.set_status(dps)

    async def refresh(self, dps: Iterable[int | str]) -> None:
        await self._child.refresh(dps)

    async def aclose(self) -> None:
        """Nothing: the connection is shared (`Connections` closes it)."""


class GatewayLink:
    """A gateway's own entry: its DPs and connection state (not its children's pushes
    or presence), on the connection its children share (so removing the entry does not
    close it: `Connections` does)."""

    def __init__(self, gateway: AsyncGateway) -> None:
        self.gateway = gateway

    @property
    def connected(self) -> bool:
        return self.gateway.connected

    def events(self) -> AsyncIterator[DeviceEvent]:
        """Its connection changes and own pushes: its children's are theirs."""
        return events_of(self.gateway, None)

    async def status(self) -> dict[str, Any]:
        return await self.gateway.status()

    async def set_status(self, dps: DpsInput) -> None:
        await self.gateway.set_status(dps)

    async def refresh(self, dps: Iterable[int | str]) -> None:
        await self.gateway.refresh(dps)

    async def query_children(self) -> None:
        """Ask who is there (3.4 / 3.5): presence changes follow as events."""
        await self.gateway.query_children()

    async def aclose(self) -> None:
        """Nothing: the connection is shared with the children."""


class Connections:
    """The device connections of one bridge: an `AsyncDevice` per device, and one
    `AsyncGateway` per gateway, shared by the gateway's own entry and its children."""

    def __init__(self) -> None:
        self.gateways: dict[str, AsyncGateway] = {}
        self._parents: tuple[BridgeConfig | None, set[str | None]] = (None, set())

    def link(self, config: DeviceConfig, bridge: BridgeConfig) -> Link:
        """The link for `config`: a child handle, the gateway, or a plain device."""
        if self._parents[0] is not bridge:  # once per bridge config, not per device
            self._parents = (bridge, {device.parent for device in bridge.devices})
        parents = self._parents[1]
        if config.parent is not None:
            return ChildLink(self._gateway(config, bridge), config.cid or config.dev_id)
        if config.dev_id in parents or config.dev_id in self.gateways:
            return GatewayLink(self._gateway(config, bridge))
        return AsyncDevice(config.dev_id, config.local_key, config.host,
                           **_options(config, bridge))

    def _gateway(self, config: DeviceConfig, bridge: BridgeConfig) -> AsyncGateway:
        gateway_id = config.connection_id
        gateway = self.gateways.get(gateway_id)
        if gateway is None:
            gateway = AsyncGateway(gateway_id, config.local_key, config.host,
                                   **_options(config, bridge))
            self.gateways[gateway_id] = gateway
        return gateway

    async def aclose(self) -> None:
        """Close every gateway connection (the children's too)."""
        for gateway in self.gateways.values():
            await gateway.aclose()


def _options(config: DeviceConfig, bridge: BridgeConfig) -> dict[str, Any]:
    return {
        "version": config.version,
        "port": config.port,
        "timeout": bridge.timeout,
        "heartbeat_interval": bridge.heartbeat_interval,
    }
