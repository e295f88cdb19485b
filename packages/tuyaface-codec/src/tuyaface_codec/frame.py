"""The decoded frame value."""

from __future__ import annotations

import attrs

from .errors import FrameError

__all__ = ["ZERO_HEADER_EXTRA", "Frame"]

ZERO_HEADER_EXTRA = bytes(12)


def _check_u32(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 0 <= value <= 0xFFFFFFFF:
        raise FrameError(f"{attribute.name} must fit in 32 bits, got {value}")


def _check_retcode(
    _inst: object, attribute: attrs.Attribute[int | None], value: int | None
) -> None:
    if value is not None and not 0 <= value <= 0xFFFFFFFF:
        raise FrameError(f"{attribute.name} must be None or fit in 32 bits, got {value}")


def _check_extra(_inst: object, _attribute: attrs.Attribute[bytes], value: bytes) -> None:
    if len(value) != 12:
        raise FrameError("header_extra must be exactly 12 bytes")


@attrs.frozen
class Frame:
    """One frame: header values and the plaintext payload, version header removed.

    `retcode` is None on client->device frames. `header_extra` holds the 12 bytes after the
    version string (zeros from clients, counters from devices), kept for byte-exact re-encoding.
    The payload is plaintext and may be secret, so it is left out of repr.
    """

    seqno: int = attrs.field(validator=_check_u32)
    cmd: int = attrs.field(validator=_check_u32)
    payload: bytes = attrs.field(default=b"", repr=False)
    retcode: int | None = attrs.field(default=None, validator=_check_retcode)
    header_extra: bytes = attrs.field(
        default=ZERO_HEADER_EXTRA, repr=False, validator=_check_extra
    )
