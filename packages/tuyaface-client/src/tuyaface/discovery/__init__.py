"""Finding Tuya devices on the local network (docs/protocol.md §10).

Devices announce themselves over UDP (6666: plain 3.1; 6667: encrypted 3.2-3.5) and newer
3.5 devices answer a request sent to UDP 7000. `discover_iter` / `discover` listen to all
three and report each device once; `Scanner` does the same and keeps counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._options import BROADCAST_PORTS, LAN_BROADCAST, REPLY_PORT, ScanOptions

if TYPE_CHECKING:
    from ._api import discover, discover_iter
    from ._confirm import (
        aconfirm_address,
        astatus_readable,
        atcp_reachable,
        confirm_address,
        status_readable,
        tcp_reachable,
    )
    from ._device import DiscoveredDevice, device_from_info
    from ._scanner import Scanner
    from ._state import ScanState

# Loaded on first use (the CLI's scan options need only the constants): name -> module.
_LAZY = {
    "discover": "._api",
    "discover_iter": "._api",
    "aconfirm_address": "._confirm",
    "astatus_readable": "._confirm",
    "atcp_reachable": "._confirm",
    "confirm_address": "._confirm",
    "status_readable": "._confirm",
    "tcp_reachable": "._confirm",
    "DiscoveredDevice": "._device",
    "device_from_info": "._device",
    "Scanner": "._scanner",
    "ScanState": "._state",
}


def __getattr__(name: str) -> Any:
    """The lazily loaded public names (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "BROADCAST_PORTS",
    "LAN_BROADCAST",
    "REPLY_PORT",
    "DiscoveredDevice",
    "ScanOptions",
    "ScanState",
    "Scanner",
    "aconfirm_address",
    "astatus_readable",
    "atcp_reachable",
    "confirm_address",
    "device_from_info",
    "discover",
    "discover_iter",
    "status_readable",
    "tcp_reachable",
]
