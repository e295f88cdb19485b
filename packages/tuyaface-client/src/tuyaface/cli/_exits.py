"""Exit codes: one table, read by the error handler, `tuyaface --help` and the docs."""

from __future__ import annotations

from typing import Any

from tuyaface_codec.errors import (
    CodecError,
    DeviceBusyError,
    DeviceError,
    HandshakeError,
    NetworkError,
    RemoteProtocolError,
    TuyaError,
    UnknownProtocolError,
)

from ._errors import ConfigError

__all__ = [
    "EXIT_CODES",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_MEANINGS",
    "EXIT_USAGE",
    "epilog",
    "error_document",
    "exit_code",
]

EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it

EXIT_MEANINGS: tuple[tuple[int, str], ...] = (
    (0, "success"),
    (EXIT_INTERNAL, "internal error: a bug in tuyaface or in a plugin (please report it)"),
    (EXIT_USAGE, "usage: unknown option, missing or malformed argument"),
    (3, "device unreachable, or it timed out"),
    (4, "device busy: another client holds its only connection"),
    (5, "wrong local key or protocol version"),
    (6, "inventory or configuration: devices.json malformed, unknown name, missing key, ..."),
    (7, "the device answered with an error (it refused the request)"),
)

# Most specific first; any other TuyaError is an internal error.
EXIT_CODES: tuple[tuple[type[TuyaError], int], ...] = (
    (DeviceBusyError, 4),
    (NetworkError, 3),  # ConnectError, Timeout, a connection lost midway
    (HandshakeError, 5),
    (RemoteProtocolError, 5),
    (CodecError, 5),  # a frame that fails its checks or decryption under our key
    (ConfigError, 6),
    (UnknownProtocolError, 6),
    (DeviceError, 7),
)


def exit_code(error: TuyaError) -> int:
    """The process exit code for an error from our tree."""
    for kind, code in EXIT_CODES:
        if isinstance(error, kind):
            return code
    return EXIT_INTERNAL


def error_document(kind: str, message: str, code: int) -> dict[str, Any]:
    """The JSON an error prints in --json mode."""
    return {"error": {"type": kind, "message": message, "exit_code": code}}


def epilog() -> str:
    """The exit code table for `tuyaface --help` (`\\b` keeps click from rewrapping it)."""
    rows = "\n".join(f"  {code:<3} {meaning}" for code, meaning in EXIT_MEANINGS)
    return f"\b\nExit codes:\n{rows}\n  {EXIT_INTERRUPTED} interrupted (Ctrl-C) before finishing"
