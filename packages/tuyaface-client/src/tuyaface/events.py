"""Events a `Session` hands to its driver."""

from __future__ import annotations

from typing import Any

import attrs

from tuyaface_codec import Frame, RequestKind, TuyaError

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


@attrs.frozen
class Ready:
    """The connection can carry requests (after the 3.4 / 3.5 handshake, or at once)."""


@attrs.frozen
class RequestDone:
    """A request got its answer. `dps` holds the DP values the answer carried, if any.
    `cid` names the gateway child the request was for (None: the device itself).
    `cached` is True for a child's status read: a gateway answers it from its memory
    without asking the child (docs/protocol.md §10a); pushes carry measured values."""

    request_id: int
    kind: RequestKind
    dps: dict[str, Any] | None = attrs.field(repr=False)
    frame: Frame
    cid: str | None = None
    cached: bool = False


@attrs.frozen
class RequestFailed:
    """A request ended without an answer (timeout, device error, connection loss)."""

    request_id: int
    kind: RequestKind
    error: TuyaError


@attrs.frozen
class StatusPush:
    """DP values the device sent on its own (cmd 8), not as the answer to a request."""

    dps: dict[str, Any] = attrs.field(repr=False)
    cid: str | None = None


@attrs.frozen
class PresenceReport:
    """A gateway's sub-device report (cmd 64 `subdev_online_stat_report`), answer or
    unsolicited. One frame of possibly several: a cid absent from it has not left."""

    online: tuple[str, ...]
    offline: tuple[str, ...]


@attrs.frozen
class IncomingRequest:
    """Device role: a client frame for the device to answer."""

    frame: Frame


@attrs.frozen
class UnreadableFrame:
    """Device role: a client frame failed its checks or its decryption (a wrong key, most
    often). `error` says how; the frame itself is gone."""

    error: TuyaError


@attrs.frozen
class SessionClosed:
    """The session cannot continue; the driver closes the connection. `error` is None on a
    clean close."""

    error: TuyaError | None


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


@attrs.frozen
class Connected:
    """The device driver is connected (and on 3.4 / 3.5 the session key is set)."""


@attrs.frozen
class Disconnected:
    """The connection ended; `error` says why (None when it was closed on purpose). The
    AsyncDevice reconnects by itself with backoff."""

    error: TuyaError | None


@attrs.frozen
class ConnectFailed:
    """A (re)connection attempt failed with `error`; the next one starts in `retry_in`
    seconds, or sooner when a request needs the connection."""

    error: TuyaError
    retry_in: float


@attrs.frozen
class ChildOnline:
    """A gateway child was reported online, or answered or pushed (3.3 has no report)."""

    cid: str


@attrs.frozen
class ChildOffline:
    """A gateway's presence report lists the child as offline."""

    cid: str


DeviceEvent = StatusPush | Connected | Disconnected | ConnectFailed | ChildOnline | ChildOffline
