"""Turning transport failures into the tuyaface error tree (docs/design.md §6).

No transport error class reaches the public API: the drivers pass every `OSError` from a
transport through these functions.
"""

from __future__ import annotations

from tuyaface_codec import ConnectError, DeviceBusyError, NetworkError, Timeout

__all__ = ["BUSY_HINT", "connect_error", "lost_error", "send_error"]

BUSY_HINT = (
    "another client (the Tuya / Smart Life app, Home Assistant, ...) probably holds its only "
    "connection slot: close it and retry; on 3.4 / 3.5 a wrong local key or version looks "
    "the same"
)


def connect_error(where: str, error: OSError) -> NetworkError:
    """Opening the connection failed (refused, unreachable, connect timeout). A reset while
    connecting means the device accepted and dropped us at once: `DeviceBusyError`."""
    if isinstance(error, ConnectionResetError) or isinstance(
        error.__cause__, ConnectionResetError
    ):
        return DeviceBusyError(f"{where} reset the connection while connecting: {BUSY_HINT}")
    return ConnectError(
        f"cannot connect to {where} ({type(error).__name__}: {error}): check the IP address "
        "and port, that the device is powered and on the same network"
    )


def lost_error(where: str, error: OSError | None, *, bytes_received: int) -> NetworkError:
    """The connection ended (`error` None: end of stream). Before the device sent a single
    byte that means it refused us: `DeviceBusyError`."""
    how = "closed the connection" if error is None else f"reset the connection ({error})"
    if bytes_received == 0:
        return DeviceBusyError(f"{where} {how} at once: {BUSY_HINT}")
    return NetworkError(f"{where} {how}: the next request reconnects")


def send_error(where: str, error: OSError, *, bytes_received: int) -> NetworkError:
    """Writing failed: a reset, a timeout, or a connection already gone."""
    if isinstance(error, TimeoutError):
        return Timeout(f"cannot send to {where} in time ({error}): the network is congested")
    return lost_error(where, error, bytes_received=bytes_received)
