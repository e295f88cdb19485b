"""Events a `Session` hands to its driver."""

from __future__ import annotations

from typing import Any

import attrs

from tuyaface_codec import Frame, RequestKind, TuyaError

__all__ = [
    "Event",
    "IncomingRequest",
    "Ready",
    "RequestDone",
    "RequestFailed",
    "SessionClosed",
    "StatusPush",
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
class SessionClosed:
    """The session cannot continue; the driver closes the connection. `error` is None on a
    clean close."""

    error: TuyaError | None


Event = Ready | RequestDone | RequestFailed | StatusPush | IncomingRequest | SessionClosed
