"""Finding Tuya devices on the local network (docs/protocol.md §10).

Devices announce themselves over UDP (6666: plain 3.1; 6667: encrypted 3.2-3.5) and newer
3.5 devices answer a request sent to UDP 7000. `discover_iter` / `discover` listen to all
three and report each device once; `Scanner` does the same and keeps counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuyaface_transport._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

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
