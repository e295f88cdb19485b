"""Client side: what answers each request kind, and how an answer is read."""

from __future__ import annotations

import itertools
from typing import Any

import attrs

from tuyaface_codec import (
    Command,
    DeviceError,
    Frame,
    PayloadError,
    RequestKind,
    extract_dps,
    parse_json_object,
)

__all__ = [
    "DEVICE22_ERROR",
    "PendingRequest",
    "device_error",
    "error_text",
    "is_device22_error",
    "read_answer",
    "read_push",
]

# The text a "device22" firmware answers DP_QUERY with (docs/protocol.md §7).
DEVICE22_ERROR = "data unvalid"

_ids = itertools.count(1)


@attrs.define
class PendingRequest:
    """One request waiting to be sent or answered. The JSON body is built when it is sent,
    so a fallback can change its kind."""

    kind: RequestKind
    dps: dict[str, Any] | None = attrs.field(default=None, repr=False)
    dp_ids: tuple[str, ...] | None = None
    internal: bool = False
    request_id: int = attrs.field(factory=lambda: next(_ids))
    cmd: int = -1
    seqno: int = -1
    deadline: float | None = None

    def answered_by(self, frame: Frame, *, echoes_seqno: bool) -> bool:
        """Whether `frame` is the answer: same command (a STATUS push also answers a
        device22 query), and where devices echo seqnos, the same seqno or 0."""
        if self.deadline is None:
            return False
        same_cmd = frame.cmd == self.cmd or (
            self.kind is RequestKind.DEVICE22_STATUS and frame.cmd == Command.STATUS
        )
        if not same_cmd:
            return False
        return not echoes_seqno or frame.seqno in (self.seqno, 0)


def error_text(frame: Frame) -> str | None:
    """The error text of an answer, or None: device errors are short texts, not JSON."""
    stripped = frame.payload.strip()
    if not stripped or stripped.startswith(b"{"):
        return None
    return stripped.decode("utf-8", errors="replace")[:200]


def is_device22_error(text: str) -> bool:
    """True for the "json obj data unvalid" answer of device22 firmware."""
    return DEVICE22_ERROR in text


def device_error(text: str, frame: Frame) -> DeviceError:
    """The DeviceError for an error answer."""
    return DeviceError(
        f"device answered {text!r} (retcode {frame.retcode}): check the DP ids and values",
        retcode=frame.retcode,
    )


def read_answer(frame: Frame) -> dict[str, Any] | None:
    """The DP values a JSON answer carries; None for a plain ack."""
    if not frame.payload.strip():
        return None
    return extract_dps(parse_json_object(frame.payload))


def read_push(frame: Frame) -> tuple[dict[str, Any], str | None]:
    """DP values and sub-device id of a STATUS push; PayloadError when unreadable."""
    message = parse_json_object(frame.payload)
    cid = message.get("cid")
    data = message.get("data")
    if cid is None and isinstance(data, dict):
        cid = data.get("cid")
    if cid is not None and not isinstance(cid, str):
        raise PayloadError("push 'cid' is not a string")
    return extract_dps(message), cid
