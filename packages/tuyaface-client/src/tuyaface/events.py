"""Events a `Session` hands to its driver."""

from __future__ import annotations

from typing import Any

import attrs

from tuyaface_codec import Frame, RequestKind, TuyaError

__all__ = [
    "ConnectFailed",
    "Connected",
    "DeviceEvent",
    "Disconnected",
    "Event",
    "IncomingRequest",
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
    """A request got its answer. `dps` holds the DP values the answer carried, if any."""

    request_id: int
    kind: RequestKind
    dps: dict[str, Any] | None = attrs.field(repr=False)
    frame: Frame


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


DeviceEvent = StatusPush | Connected | Disconnected | ConnectFailed
