"""Checks of the arguments public calls take: each bad one raises `InvalidArgument` (a
ValueError) or `ArgumentTypeError` (a TypeError), both TuyaErrors, before any I/O."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from tuyaface_codec import ArgumentTypeError, InvalidArgument, Protocol
from tuyaface_codec.requests import dp_numbers, dps_dict

from ._types import DpsInput

__all__ = [
    "check_dp_ids",
    "check_dps",
    "check_port",
    "check_seconds",
    "check_text",
    "check_transport",
    "check_version",
]

_VERSION = re.compile(r"\d+\.\d+")


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentTypeError(f"{name} is a number of seconds, not {type(value).__name__}")
    return float(value)


def check_seconds(name: str, value: object, *, zero: bool = False) -> float:
    """`value` as seconds: finite and more than 0 (or at least 0 with `zero`)."""
    seconds = _number(name, value)
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not zero):
        least = "0 or more" if zero else "more than 0"
        raise InvalidArgument(f"{name} must be {least} seconds, not {value!r}")
    return seconds


def check_port(port: object, *, zero: bool = False) -> int:
    """A TCP port number, 1 to 65535 (0 too with `zero`: a listener's "any free port")."""
    if isinstance(port, bool) or not isinstance(port, int):
        raise ArgumentTypeError(f"a port is a whole number such as 6668, not {port!r}")
    if not (0 if zero else 1) <= port <= 65535:
        raise InvalidArgument(f"a port is between {0 if zero else 1} and 65535, not {port}")
    return port


def check_text(name: str, value: object, *, optional: bool = False) -> None:
    """A non-empty string (or None with `optional`)."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{name} is a string, not {type(value).__name__}")
    if not value:
        raise InvalidArgument(f"{name} must not be empty")


def check_transport(transport: object) -> None:
    """A transport plugin's name, or an object with a factory's `connect` and `aconnect`."""
    if transport is None or isinstance(transport, str):
        return
    if not (hasattr(transport, "connect") and hasattr(transport, "aconnect")):
        raise ArgumentTypeError(
            f"transport is a name such as 'tcp' or a transport factory, not {transport!r}"
        )


def check_version(version: object) -> None:
    """A version tag such as "3.3", or a `Protocol`; whether it is known is the registry's
    answer (UnknownProtocolError)."""
    if isinstance(version, Protocol):
        return
    if not isinstance(version, str):
        raise ArgumentTypeError(f"a protocol version is a string such as '3.3', not {version!r}")
    if not _VERSION.fullmatch(version):
        raise InvalidArgument(f"a protocol version looks like '3.3', not {version!r}")


def check_dp_ids(dp_ids: object) -> list[int | str]:
    """DP ids, each a number such as 18 or "18"."""
    if isinstance(dp_ids, (str, bytes)) or not isinstance(dp_ids, Iterable):
        raise ArgumentTypeError(f"DP ids are a list such as [1, 2], not {dp_ids!r}")
    ids: list[int | str] = list(dp_ids)
    dp_numbers(ids)
    return ids


def check_dps(dps: DpsInput) -> DpsInput:
    """DPs to set: a non-empty mapping of DP id to value."""
    dps_dict(dps)
    return dps
