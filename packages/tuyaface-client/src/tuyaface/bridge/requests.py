"""`<base>/<bridge>/request/<what>` handlers: add, remove, rename, scan, health.

Each takes the bridge and the request's JSON object and returns the response's "data";
a `TuyaError` or `ValueError` becomes `{"status": "error", "error": ...}`. Changes last
until the bridge stops (the config file is not rewritten).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from ..discovery import ScanOptions, discover_iter
from .config import device_from_entry, valid_name, with_parent
from .errors import BridgeInputError

if TYPE_CHECKING:
    from .runner import Bridge

__all__ = ["REQUESTS"]

Handler = Callable[["Bridge", Mapping[str, Any]], Awaitable[Any]]
MAX_SCAN = 60.0


def _known(bridge: Bridge, request: Mapping[str, Any], field: str = "id") -> str:
    """The name of the device the request names (by name or by id)."""
    wanted = request.get(field)
    if wanted in bridge.devices:
        return str(wanted)
    for name, bridged in bridge.devices.items():
        if bridged.config.dev_id == wanted:
            return name
    raise BridgeInputError(f"no device {wanted!r} on this bridge")


async def _add(bridge: Bridge, request: Mapping[str, Any]) -> Any:
    parent = next((b.config.to_entry() for b in bridge.devices.values()
                   if b.config.dev_id == request.get("parent")), None)
    config = device_from_entry(with_parent(request, parent, "add request"), "add request")
    clash = config.name in bridge.devices
    if clash or any(b.config.dev_id == config.dev_id for b in bridge.devices.values()):
        raise BridgeInputError(f"device {config.dev_id} or name {config.name!r} already bridged")
    await bridge.add_device(config)
    return config.to_public()


async def _remove(bridge: Bridge, request: Mapping[str, Any]) -> Any:
    removed = await bridge.remove_device(_known(bridge, request))
    return removed.config.to_public()


async def _rename(bridge: Bridge, request: Mapping[str, Any]) -> Any:
    old = _known(bridge, request, "from")
    new = request.get("to")
    if not isinstance(new, str) or not valid_name(new) or new in bridge.devices:
        raise BridgeInputError(f"cannot rename to {new!r}: taken, or not one topic level")
    removed = await bridge.remove_device(old)
    await bridge.add_device(attrs.evolve(removed.config, name=new))
    return {"from": old, "to": new}


async def _scan(bridge: Bridge, request: Mapping[str, Any]) -> Any:
    timeout = request.get("timeout", 6.0)
    if not isinstance(timeout, int | float) or not 0 < timeout <= MAX_SCAN:
        raise BridgeInputError(f"scan timeout must be a number of seconds up to {MAX_SCAN}")
    config = bridge.config
    if config.scan_local:
        options = ScanOptions.local()
    else:
        options = ScanOptions(host=config.scan_host, request_address=config.scan_request_address)
    known = {b.config.dev_id for b in bridge.devices.values()}
    found = []
    async for device in discover_iter(float(timeout), options=options):
        found.append(
            {"id": device.id, "ip": device.ip, "version": device.version,
             "bridged": device.id in known}
        )
    return found


async def _health(bridge: Bridge, request: Mapping[str, Any]) -> Any:
    return bridge.health()


REQUESTS: dict[str, Handler] = {
    "add": _add,
    "remove": _remove,
    "rename": _rename,
    "scan": _scan,
    "health": _health,
}
