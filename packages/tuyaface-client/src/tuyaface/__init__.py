"""tuyaface: control Tuya Wi-Fi devices over the local network.

`Device` (blocking) and `AsyncDevice` (asyncio) talk to one device each; `SimulatedDevice`
is a device in software for tests and demos. Errors come from one tree rooted at
`TuyaError`. Importing this package loads no plugins and no CLI.
"""

from __future__ import annotations

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
    UnknownProtocolError,
)

from . import aescipher, const, helper
from ._legacy import set_state, set_status, status
from .announce import Announcer
from .async_device import AsyncDevice, EventStream
from .backoff import Backoff
from .device import Device
from .discovery import DiscoveredDevice, Scanner, ScanOptions, discover, discover_iter
from .events import Connected, ConnectFailed, DeviceEvent, Disconnected, StatusPush
from .plugins import make_plugin_manager
from .session import Role, Session
from .simulator import SimulatedDevice, SimulatorServer, SimulatorThread

__all__ = [
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
    "UnknownProtocolError",
    "aescipher",
    "const",
    "discover",
    "discover_iter",
    "helper",
    "make_plugin_manager",
    "set_state",
    "set_status",
    "status",
]
