"""The transport's errors. The client maps them into `tuyaface_codec.errors`."""

from __future__ import annotations

__all__ = [
    "TransportClosedError",
    "TransportConnectError",
    "TransportConnectTimeout",
    "TransportError",
    "TransportResetError",
    "TransportTimeout",
    "UnknownTransportError",
]


class TransportError(OSError):
    """Root of every error a transport raises on purpose."""


class TransportConnectError(TransportError):
    """The connection could not be opened: refused, unreachable, unknown host or timed out."""


class TransportResetError(TransportError):
    """The peer reset or dropped the connection while sending or receiving."""


class TransportTimeout(TransportError, TimeoutError):
    """Nothing arrived (or could be sent, or connected) within the time allowed."""


class TransportConnectTimeout(TransportConnectError, TransportTimeout):
    """Opening the connection took longer than the connect timeout."""


class TransportClosedError(TransportError):
    """The connection (or listener) was used after `close()`."""


class UnknownTransportError(LookupError):
    """No transport plugin is registered under that name."""
