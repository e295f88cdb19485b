"""`discover_iter` and `discover`: one scan, asynchronously or blocking."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

from tuyaface_codec import LocalProtocolError

from ._device import DiscoveredDevice
from ._options import ScanOptions
from ._scanner import Scanner

__all__ = ["discover", "discover_iter"]


def discover_iter(
    timeout: float = 6.0, *, wanted_id: str | None = None, options: ScanOptions | None = None
) -> AsyncGenerator[DiscoveredDevice, None]:
    """Each device once as it is found, for `timeout` seconds or until `wanted_id` is.

    For the counts of skipped datagrams, use `Scanner(options).scan(...)` and read
    `scanner.state` afterwards.
    """
    return Scanner(options or ScanOptions()).scan(timeout, wanted_id=wanted_id)


def discover(
    timeout: float = 6.0, *, wanted_id: str | None = None, options: ScanOptions | None = None
) -> list[DiscoveredDevice]:
    """Blocking scan: every device found within `timeout` seconds (sooner once `wanted_id`
    is seen), in the order found. Not for use inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_collect(timeout, wanted_id, options))
    raise LocalProtocolError("discover() blocks; inside asyncio use discover_iter() instead")


async def _collect(
    timeout: float, wanted_id: str | None, options: ScanOptions | None
) -> list[DiscoveredDevice]:
    return [device async for device in discover_iter(timeout, wanted_id=wanted_id, options=options)]
