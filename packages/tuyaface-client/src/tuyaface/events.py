"""Events a `Session` hands to its driver, and the ones the device drivers report.

Immutable values (`tuyaface_codec.parts.Value`): compared, hashed and matched by their
fields; DP values (decrypted payload) stay out of their reprs."""

from __future__ import annotations

from typing import Any

from tuyaface_codec import Frame, RequestKind, TuyaError
from tuyaface_codec.parts import Value

__all__ = [
    "ChildOffline",
    "ChildOnline",
    "ConnectFailed",
    "Connected",
    "DeviceEvent",
    "Disconnected",
    "Event",
    "IncomingRequest",
    "PresenceReport",
    "Ready",
    "RequestDone",
    "RequestFailed",
    "SessionClosed",
    "StatusPush",
    "UnreadableFrame",
]


_set = object.__setattr__  # a Value refuses assignment; its __init__ sets each field once


class Ready(Value):
    """The connection can carry requests (after the 3.4 / 3.5 handshake, or at once)."""

    __slots__ = _fields = ()


class RequestDone(Value):
    """A request got its answer. `dps` holds the DP values the answer carried, if any.
    `cid` names the gateway child the request was for (None: the device itself).
    `cached` is True for a child's status read: a gateway answers it from its memory
    without asking the child (docs/protocol.md §10a); pushes carry measured values."""

    _hidden = frozenset({"dps"})
    __slots__ = _fields = ("request_id", "kind", "dps", "frame", "cid", "cached")
    request_id: int
    kind: RequestKind
    dps: dict[str, Any] | None
    frame: Frame
    cid: str | None
    cached: bool

    def __init__(
        self,
        request_id: int,
        kind: RequestKind,
        dps: dict[str, Any] | None,
        frame: Frame,
        cid: str | None = None,
        cached: bool = False,
    ) -> None:
        _set(self, "request_id", request_id)
        _set(self, "kind", kind)
        _set(self, "dps", dps)
        _set(self, "frame", frame)
        _set(self, "cid", cid)
        _set(self, "cached", cached)


class RequestFailed(Value):
    """A request ended without an answer (timeout, device error, connection loss)."""

    __slots__ = _fields = ("request_id", "kind", "error")
    request_id: int
    kind: RequestKind
    error: TuyaError

    def __init__(self, request_id: int, kind: RequestKind, error: TuyaError) -> None:
        _set(self, "request_id", request_id)
        _set(self, "kind", kind)
        _set(self, "error", error)


class StatusPush(Value):
    """DP values the device sent on its own (cmd 8), not as the answer to a request."""

    _hidden = frozenset({"dps"})
    __slots__ = _fields = ("dps", "cid")
    dps: dict[str, Any]
    cid: str | None

    def __init__(self, dps: dict[str, Any], cid: str | None = None) -> None:
        _set(self, "dps", dps)
        _set(self, "cid", cid)


class PresenceReport(Value):
    """A gateway's sub-device report (cmd 64 `subdev_online_stat_report`), answer or
    unsolicited. One frame of possibly several: a cid absent from it has not left."""

    __slots__ = _fields = ("online", "offline")
    online: tuple[str, ...]
    offline: tuple[str, ...]

    def __init__(self, online: tuple[str, ...], offline: tuple[str, ...]) -> None:
        _set(self, "online", online)
        _set(self, "offline", offline)


class IncomingRequest(Value):
    """Device role: a client frame for the device to answer."""

    __slots__ = _fields = ("frame",)
    frame: Frame

    def __init__(self, frame: Frame) -> None:
        _set(self, "frame", frame)


class UnreadableFrame(Value):
    """Device role: a client frame failed its checks or its decryption (a wrong key, most
    often). `error` says how; the frame itself is gone."""

    __slots__ = _fields = ("error",)
    error: TuyaError

    def __init__(self, error: TuyaError) -> None:
        _set(self, "error", error)


class SessionClosed(Value):
    """The session cannot continue; the driver closes the connection. `error` is None on a
    clean close."""

    __slots__ = _fields = ("error",)
    error: TuyaError | None

    def __init__(self, error: TuyaError | None) -> None:
        _set(self, "error", error)


Event = (
    Ready
    | RequestDone
    | RequestFailed
    | StatusPush
    | PresenceReport
    | IncomingRequest
    | UnreadableFrame
    | SessionClosed
)


# -- what the device drivers report (AsyncDevice.events(), Device.wait_for_push) ------------


class Connected(Value):
    """The device driver is connected (and on 3.4 / 3.5 the session key is set)."""

    __slots__ = _fields = ()


class Disconnected(Value):
    """The connection ended; `error` says why (None when it was closed on purpose). The
    AsyncDevice reconnects by itself with backoff."""

    __slots__ = _fields = ("error",)
    error: TuyaError | None

    def __init__(self, error: TuyaError | None) -> None:
        _set(self, "error", error)


class ConnectFailed(Value):
    """A (re)connection attempt failed with `error`; the next one starts in `retry_in`
    seconds, or sooner when a request needs the connection."""

    __slots__ = _fields = ("error", "retry_in")
    error: TuyaError
    retry_in: float

    def __init__(self, error: TuyaError, retry_in: float) -> None:
        _set(self, "error", error)
        _set(self, "retry_in", retry_in)


class ChildOnline(Value):
    """A gateway child was reported online, or answered or pushed (3.3 has no report)."""

    __slots__ = _fields = ("cid",)
    cid: str

    def __init__(self, cid: str) -> None:
        _set(self, "cid", cid)


class ChildOffline(Value):
    """A gateway's presence report lists the child as offline."""

    __slots__ = _fields = ("cid",)
    cid: str

    def __init__(self, cid: str) -> None:
        _set(self, "cid", cid)


DeviceEvent = StatusPush | Connected | Disconnected | ConnectFailed | ChildOnline | ChildOffline
