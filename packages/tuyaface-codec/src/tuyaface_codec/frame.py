"""The decoded frame value."""

from __future__ import annotations

from typing import Any, ClassVar

from ._value import Value
from .errors import FrameError

__all__ = ["ZERO_HEADER_EXTRA", "Frame", "request_frame", "trusted_frame"]

ZERO_HEADER_EXTRA = bytes(12)
_U32_MAX = 0xFFFFFFFF
_FIELDS = ("seqno", "cmd", "payload", "retcode", "header_extra")


class _FrameSlots:
    """A Frame's storage without its immutability: see `trusted_frame`."""

    __slots__ = _FIELDS


class Frame(_FrameSlots, Value):
    """One frame: header values and the plaintext payload, version header removed.

    `retcode` is None on client->device frames. `header_extra` holds the 12 bytes after the
    version string (zeros from clients, counters from devices), kept for byte-exact re-encoding.
    The payload is plaintext and may be secret, so it is left out of repr.

    Immutable, compared and hashed by value; `frame.replace(seqno=2)` is a changed copy.
    FrameError (a ValueError) for a field out of range, at construction.
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = _FIELDS
    _hidden: ClassVar[frozenset[str]] = frozenset({"payload", "header_extra"})
    __match_args__ = ("seqno", "cmd", "payload", "retcode", "header_extra")

    seqno: int
    cmd: int
    payload: bytes
    retcode: int | None
    header_extra: bytes

    def __init__(
        self,
        seqno: int,
        cmd: int,
        payload: bytes = b"",
        retcode: int | None = None,
        header_extra: bytes = ZERO_HEADER_EXTRA,
    ) -> None:
        _check_u32("seqno", seqno)
        _check_u32("cmd", cmd)
        if retcode is not None and not 0 <= retcode <= _U32_MAX:
            raise FrameError(f"retcode must be None or fit in 32 bits, got {retcode}")
        if len(header_extra) != 12:
            raise FrameError("header_extra must be exactly 12 bytes")
        _SET_SEQNO(self, seqno)
        _SET_CMD(self, cmd)
        _SET_PAYLOAD(self, payload)
        _SET_RETCODE(self, retcode)
        _SET_EXTRA(self, header_extra)


def _check_u32(name: str, value: int) -> None:
    if not 0 <= value <= _U32_MAX:
        raise FrameError(f"{name} must fit in 32 bits, got {value}")


# The slots' own setters, past Value's refusing __setattr__ (half object.__setattr__'s cost).
_SET_SEQNO, _SET_CMD, _SET_PAYLOAD, _SET_RETCODE, _SET_EXTRA = (
    _FrameSlots.__dict__[name].__set__ for name in _FIELDS
)
_new = object.__new__


def trusted_frame(
    seqno: int, cmd: int, payload: bytes, retcode: int | None, header_extra: bytes
) -> Frame:
    """A Frame of fields the codec itself produced (u32 by construction, a 12-byte
    `header_extra`): no range checks. Filled as a plain slotted object, then made a Frame
    (the same slots): 0.2 us against 0.45 with the slots' setters (every job -2 to -9%)."""
    frame: Any = _new(_FrameSlots)
    frame.seqno = seqno
    frame.cmd = cmd
    frame.payload = payload
    frame.retcode = retcode
    frame.header_extra = header_extra
    frame.__class__ = Frame
    return frame  # type: ignore[no-any-return]


def request_frame(seqno: int, cmd: int, payload: bytes) -> Frame:
    """A client frame: the caller's seqno and the command are checked, the payload is the
    codec's own JSON."""
    _check_u32("seqno", seqno)
    _check_u32("cmd", cmd)
    return trusted_frame(seqno, cmd, payload, None, ZERO_HEADER_EXTRA)
