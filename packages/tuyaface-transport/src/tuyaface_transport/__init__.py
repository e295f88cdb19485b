"""tuyaface-transport: bytes over TCP (blocking, asyncio), UDP and an in-memory loopback.

Transports are plugins: `get_transport("tcp" | "asyncio" | "loopback")` returns a factory
with `connect`, `aconnect` and `start_server`. Nothing here knows about Tuya.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._closing import AsyncClosing, Closing
from ._lazy import lazy_exports
from .blocking import TcpTransport
from .errors import (
    TransportClosedError,
    TransportConnectError,
    TransportConnectTimeout,
    TransportError,
    TransportResetError,
    TransportTimeout,
    UnknownTransportError,
)
from .hookspecs import hookimpl, hookspec
from .interfaces import AsyncServer, AsyncTransport, Handler, Transport, TransportFactory
from .plugins import BUILTIN_PLUGINS, get_transport, make_plugin_manager, register, transports

if TYPE_CHECKING:
    from .aio import AsyncioServer, AsyncioTransport
    from .loopback import (
        AsyncLoopbackTransport,
        FaultPlan,
        LoopbackListener,
        LoopbackTransport,
        loopback_pair,
    )
    from .udp import DatagramListener, local_address_facing, open_datagram_listener

# Loaded on first use (aio: with the first asyncio connection or AsyncDevice; the others:
# neither Device nor AsyncDevice needs them): name -> module.
_LAZY = {
    "AsyncioServer": ".aio",
    "AsyncioTransport": ".aio",
    "AsyncLoopbackTransport": ".loopback",
    "FaultPlan": ".loopback",
    "LoopbackListener": ".loopback",
    "LoopbackTransport": ".loopback",
    "loopback_pair": ".loopback",
    "DatagramListener": ".udp",
    "local_address_facing": ".udp",
    "open_datagram_listener": ".udp",
}


__getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY)

__version__ = "2.0.0"  # the release version: the build backend reads it from here

__all__ = [
    "__version__",
    "BUILTIN_PLUGINS",
    "AsyncClosing",
    "AsyncLoopbackTransport",
    "AsyncServer",
    "AsyncTransport",
    "AsyncioServer",
    "AsyncioTransport",
    "Closing",
    "DatagramListener",
    "FaultPlan",
    "Handler",
    "LoopbackListener",
    "LoopbackTransport",
    "TcpTransport",
    "Transport",
    "TransportClosedError",
    "TransportConnectError",
    "TransportConnectTimeout",
    "TransportError",
    "TransportFactory",
    "TransportResetError",
    "TransportTimeout",
    "UnknownTransportError",
    "get_transport",
    "hookimpl",
    "hookspec",
    "local_address_facing",
    "loopback_pair",
    "make_plugin_manager",
    "open_datagram_listener",
    "register",
    "transports",
]
