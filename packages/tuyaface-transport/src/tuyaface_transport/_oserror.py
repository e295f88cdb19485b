"""Turning socket `OSError`s into transport errors with messages that say what to do."""

from __future__ import annotations

from .errors import (
    TransportConnectError,
    TransportConnectTimeout,
    TransportError,
    TransportResetError,
    TransportTimeout,
)

__all__ = ["connect_error", "io_error", "listen_error"]

_RESET = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


def connect_error(exc: OSError, host: str, port: int) -> TransportError:
    """The error to raise when opening a connection to (host, port) failed with `exc`."""
    if isinstance(exc, TransportError):
        return exc
    where = f"{host}:{port}"
    if isinstance(exc, TimeoutError):
        return TransportConnectTimeout(
            f"connecting to {where} timed out: check that the device is on and reachable, "
            "or allow a longer timeout"
        )
    if isinstance(exc, ConnectionRefusedError):
        return TransportConnectError(
            f"connection to {where} refused: check the address and port, and that no other "
            "client holds the device's only connection"
        )
    return TransportConnectError(f"cannot connect to {where} ({exc}): check the address")


def io_error(exc: BaseException, doing: str) -> TransportError:
    """The error to raise when `doing` ("sending", "receiving") failed with `exc`."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, _RESET):
        return TransportResetError(
            f"the peer reset the connection while {doing}: reconnect and retry"
        )
    if isinstance(exc, TimeoutError | BlockingIOError):
        return TransportTimeout(f"timed out while {doing}: the peer is not keeping up")
    return TransportError(f"{doing} failed ({exc}): close the connection and reconnect")


def listen_error(exc: OSError, host: str, port: int) -> TransportError:
    """The error to raise when binding (host, port) for listening failed with `exc`."""
    return TransportError(
        f"cannot listen on {host}:{port} ({exc}): use another port (0: any free one) "
        "or stop what holds it"
    )
