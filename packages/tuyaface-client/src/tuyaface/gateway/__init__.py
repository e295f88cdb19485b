"""Gateways: Zigbee / BLE sub-devices ("children", named by `cid`) reached through one
Wi-Fi gateway's connection (docs/protocol.md §10a). `Gateway` (blocking) and
`AsyncGateway` (asyncio) are a `Device` / `AsyncDevice` whose session routes answers and
pushes by cid; `child(cid)` hands out a handle with a device's calls."""

from __future__ import annotations

from ._book import MAX_CHILDREN, ChildState, ChildStatus
from .async_gateway import AsyncChild, AsyncGateway
from .blocking import Child, Gateway
from .simulated import SimulatedGateway

__all__ = [
    "MAX_CHILDREN",
    "AsyncChild",
    "AsyncGateway",
    "Child",
    "ChildState",
    "ChildStatus",
    "Gateway",
    "SimulatedGateway",
]
