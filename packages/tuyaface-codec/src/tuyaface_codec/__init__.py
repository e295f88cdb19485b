"""tuyaface-codec: the Tuya local protocol 3.1-3.5, bytes <-> frames, with no I/O.

Versions are plugins: `get_protocol("3.3")` returns a `Protocol` whose `encode_frame`,
`decode_frame`, `session_key` and `build_payload` do everything version-specific.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .commands import Command
from .crypto import CryptoBackend, available_backends, default_backend, get_backend
from .decoder import DEFAULT_MAX_LENGTH, FrameDecoder
from .errors import (
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
from .frame import Frame
from .hookspecs import hookimpl, hookspec
from .payload import extract_dps, parse_json_object
from .plugins import make_plugin_manager, register
from .protocol import Protocol
from .registry import get_protocol, protocols
from .requests import RequestKind

if TYPE_CHECKING:
    from .udp import UDP_KEY, decode_broadcast, encode_discovery_request

# Discovery datagrams load on first use: a device connection never needs them (`import
# tuyaface` -2% CPU: 2.3-2.8 ms).
_UDP_NAMES = frozenset({"UDP_KEY", "decode_broadcast", "encode_discovery_request"})


def __getattr__(name: str) -> Any:
    """The UDP names, loaded on first use (PEP 562)."""
    if name not in _UDP_NAMES:
        raise AttributeError(f"module 'tuyaface_codec' has no attribute {name!r}")
    from . import udp

    value = getattr(udp, name)
    globals()[name] = value  # found directly from now on
    return value


__version__ = "2.0.0"  # the release version: the build backend reads it from here

__all__ = [
    "__version__",
    "DEFAULT_MAX_LENGTH",
    "UDP_KEY",
    "ArgumentTypeError",
    "CodecError",
    "Command",
    "ConnectError",
    "CryptoBackend",
    "DecryptError",
    "DeviceBusyError",
    "DeviceError",
    "Frame",
    "FrameDecoder",
    "FrameError",
    "HandshakeError",
    "IntegrityError",
    "InvalidArgument",
    "LocalProtocolError",
    "NetworkError",
    "PayloadError",
    "Protocol",
    "ProtocolError",
    "RemoteProtocolError",
    "RequestKind",
    "Timeout",
    "TuyaError",
    "UnknownBackendError",
    "UnknownProtocolError",
    "available_backends",
    "decode_broadcast",
    "default_backend",
    "encode_discovery_request",
    "extract_dps",
    "get_backend",
    "get_protocol",
    "hookimpl",
    "hookspec",
    "make_plugin_manager",
    "parse_json_object",
    "protocols",
    "register",
]
