"""tuyaface: control Tuya Wi-Fi devices over the local network.

`Device` (blocking) and `AsyncDevice` (asyncio) talk to one device each; `SimulatedDevice`
is a device in software for tests and demos. Errors come from one tree rooted at
`TuyaError`. Importing this package loads what `Device` needs, no CLI and no installed
plugin; the rest, `AsyncDevice` and asyncio included, loads on first use (import it at module
level, or `await load_plugins()`, so that this never happens on a running loop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tuyaface_codec.errors import (
    ArgumentTypeError,
    CodecError,
    ConnectError,
    DecryptError,
    DeviceBusyError,
    DeviceError,
    FrameError,
    HandshakeError,
    IntegrityError,
    InvalidArgument,
    LocalProtocolError,
    NetworkError,
    PayloadError,
    ProtocolError,
    RemoteProtocolError,
    Timeout,
    TuyaError,
    UnknownBackendError,
    UnknownProtocolError,
)
from tuyaface_transport._lazy import lazy_exports

from ._dpcache import MAX_CACHED_DPS
from .device import Device
from .events import Connected, ConnectFailed, DeviceEvent, Disconnected, StatusPush
from .plugins import UnknownTransportError, load_plugins, make_plugin_manager, register
from .session import Role, Session

if TYPE_CHECKING:
    from . import aescipher, const, helper
    from ._legacy import set_state, set_status, status
    from .announce import Announcer
    from .async_device import AsyncDevice, EventStream
    from .backoff import Backoff
    from .discovery import DiscoveredDevice, Scanner, ScanOptions, discover, discover_iter
    from .simulator import SimulatedDevice, SimulatorServer, SimulatorThread

# Loaded on first use, so `import tuyaface` loads only what Device needs: public name ->
# the module holding it (a name's own submodule: that module). AsyncDevice brings asyncio:
# lazy, the import's CPU time -18% (26-30 ms; `load_plugins` loads it off the loop).
_LAZY: dict[str, str] = {
    "AsyncDevice": ".async_device",
    "EventStream": ".async_device",
    "Backoff": ".backoff",  # AsyncDevice's (and random): import -2%, 2.0-2.3 ms
    "aescipher": ".aescipher",
    "const": ".const",
    "helper": ".helper",
    "set_state": "._legacy",
    "set_status": "._legacy",
    "status": "._legacy",
    "Announcer": ".announce",
    "DiscoveredDevice": ".discovery",
    "Scanner": ".discovery",
    "ScanOptions": ".discovery",
    "discover": ".discovery",
    "discover_iter": ".discovery",
    "SimulatedDevice": ".simulator",
    "SimulatorServer": ".simulator",
    "SimulatorThread": ".simulator",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

__version__ = "2.0.0"  # the release version: the build backend reads it from here

__all__ = [
    "MAX_CACHED_DPS",
    "__version__",
    "Announcer",
    "ArgumentTypeError",
    "AsyncDevice",
    "Backoff",
    "CodecError",
    "ConnectError",
    "ConnectFailed",
    "Connected",
    "DecryptError",
    "Device",
    "DeviceBusyError",
    "DeviceError",
    "DeviceEvent",
    "Disconnected",
    "DiscoveredDevice",
    "EventStream",
    "FrameError",
    "HandshakeError",
    "IntegrityError",
    "InvalidArgument",
    "LocalProtocolError",
    "NetworkError",
    "PayloadError",
    "ProtocolError",
    "RemoteProtocolError",
    "Role",
    "ScanOptions",
    "Scanner",
    "Session",
    "SimulatedDevice",
    "SimulatorServer",
    "SimulatorThread",
    "StatusPush",
    "Timeout",
    "TuyaError",
    "UnknownBackendError",
    "UnknownProtocolError",
    "UnknownTransportError",
    "aescipher",
    "const",
    "discover",
    "discover_iter",
    "helper",
    "load_plugins",
    "make_plugin_manager",
    "register",
    "set_state",
    "set_status",
    "status",
]
