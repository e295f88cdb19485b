"""Client side: what answers each request kind, and how an answer is read."""

from __future__ import annotations

import itertools
from typing import Any

from tuyaface_codec import (
    Command,
    DecryptError,
    DeviceError,
    Frame,
    PayloadError,
    RequestKind,
    TuyaError,
    extract_dps,
    parse_json_object,
)
from tuyaface_codec.parts import fields_repr

__all__ = [
    "DEVICE22_ERROR",
    "WRONG_KEY",
    "PendingRequest",
    "answer_cid",
    "device_error",
    "is_device22_answer",
    "is_device22_error",
    "read_reply",
    "read_push",
    "read_report",
]

# The text a "device22" firmware answers DP_QUERY with (docs/protocol.md §7).
DEVICE22_ERROR = "data unvalid"
WRONG_KEY = "wrong local key or protocol version"

_ids = itertools.count(1)


class PendingRequest:
    """One request waiting to be sent or answered. The JSON body is built when it is sent,
    so a fallback can change its kind."""

    __slots__ = (
        "acked",
        "cid",
        "cmd",
        "deadline",
        "dp_ids",
        "dps",
        "internal",
        "kind",
        "request_id",
        "seqno",
    )  # fmt: skip

    def __init__(
        self,
        kind: RequestKind,
        dps: dict[str, Any] | None = None,
        dp_ids: tuple[str, ...] | None = None,
        cid: str | None = None,
        internal: bool = False,
    ) -> None:
        self.kind = kind
        self.dps = dps
        self.dp_ids = dp_ids
        self.cid = cid  # the gateway child it is for; None: the device itself
        self.internal = internal
        self.request_id = next(_ids)
        self.cmd = -1
        self.seqno = -1
        self.deadline: float | None = None
        self.acked = False  # a device22 query the device has acknowledged

    def __repr__(self) -> str:
        return fields_repr(self, (n for n in self.__slots__ if n != "dps"))  # dps: payload

    def answered_by(self, frame: Frame, *, echoes_seqno: bool, cid: str | None = None) -> bool:
        """Whether `frame` is the answer: same command, and where devices echo seqnos,
        the same seqno or 0. A device22 query is also answered by a STATUS push, under
        the rule of `is_device22_answer`."""
        if self.deadline is None:
            return False
        if self.kind is RequestKind.DEVICE22_STATUS and frame.cmd == Command.STATUS:
            return self.acked and is_device22_answer(frame, self.dp_ids or (), cid)
        if frame.cmd != self.cmd:
            return False
        return not echoes_seqno or frame.seqno in (self.seqno, 0)


def is_device22_answer(frame: Frame, dp_ids: tuple[str, ...], cid: str | None) -> bool:
    """Whether a STATUS push that came after the ack of a device22 query is its answer.

    The device acks the null-value CONTROL_NEW query, then reports the values as a STATUS
    push. Pushes keep coming meanwhile (a refresh's values, a button press), before and
    after the ack, so the answer is the first push after the ack whose DPs are all among
    the requested ids (at least one), for the same sub-device. Not "all requested DPs":
    a device leaves out the ids it does not have, and the default ids (1, 2, 3) are a
    guess. A push carrying any other DP is a push. Left ambiguous: a spontaneous push of
    requested DPs only, between the ack and the answer; its values are current, and the
    real answer then arrives as a push that updates them again.
    """
    try:
        dps, push_cid = read_push(frame)
    except TuyaError:
        return False
    return bool(dps) and push_cid == cid and set(dps) <= set(dp_ids)


def read_reply(frame: Frame) -> tuple[str | None, dict[str, Any] | None]:
    """(error text, DP values) of an answer, the payload stripped once: device errors are
    short texts, not JSON; a plain ack carries neither. DecryptError for bytes that are
    not text (an answer under another key or version), PayloadError for bad JSON."""
    body = frame.payload.strip()
    if not body:
        return None, None
    if body.startswith(b"{"):  # the JSON reader is strict about what surrounds it
        return None, extract_dps(parse_json_object(frame.payload))
    try:
        text: str | None = body.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or not all(char.isprintable() or char.isspace() for char in text):
        raise DecryptError(
            f"{WRONG_KEY}: the device answered {len(body)} bytes that are neither JSON nor text"
        )
    return text[:200], None


def is_device22_error(text: str) -> bool:
    """True for the "json obj data unvalid" answer of device22 firmware."""
    return DEVICE22_ERROR in text


def device_error(text: str, frame: Frame) -> DeviceError:
    """The DeviceError for an error answer."""
    return DeviceError(
        f"device answered {text!r} (retcode {frame.retcode}): check the DP ids and values",
        retcode=frame.retcode,
    )


def read_push(frame: Frame) -> tuple[dict[str, Any], str | None]:
    """DP values and sub-device id of a STATUS push; PayloadError when unreadable."""
    message = parse_json_object(frame.payload)
    return extract_dps(message), _cid_of(message)


def _cid_of(message: dict[str, Any]) -> str | None:
    """The sub-device a message names: `cid` at top level or inside `data`."""
    cid = message.get("cid")
    data = message.get("data")
    if cid is None and isinstance(data, dict):
        cid = data.get("cid")
    if cid is not None and not isinstance(cid, str):
        raise PayloadError("'cid' is not a string")
    return cid


def answer_cid(frame: Frame) -> str | None:
    """The sub-device an answer names, or None (no cid, or not readable: reading the
    answer reports that). Cheap for the common answer without one."""
    if b'"cid"' not in frame.payload:
        return None
    try:
        return _cid_of(parse_json_object(frame.payload))
    except TuyaError:
        return None


def read_report(frame: Frame) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(online, offline) cids of a `subdev_online_stat_report` (cmd 64), or None for any
    other cmd 64 message. PayloadError when unreadable."""
    message = parse_json_object(frame.payload)
    data = message.get("data")
    if message.get("reqType") != "subdev_online_stat_report" or not isinstance(data, dict):
        return None
    return _cids(data.get("online")), _cids(data.get("offline"))


def _cids(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(cid, str) for cid in value):
        raise PayloadError("a presence report's cid list is not a list of strings")
    return tuple(value)
