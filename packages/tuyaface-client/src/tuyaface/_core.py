"""What `Device` and `AsyncDevice` share: configuration, the session factory, the cached DP
state, the device22 memory and how a request's outcome reaches the caller."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import pluggy

from tuyaface_codec import (
    InvalidArgument,
    NetworkError,
    Protocol,
    RequestKind,
    Timeout,
)
from tuyaface_codec.keys import KeyLike
from tuyaface_codec.parts import fields_repr

from ._args import (
    check_dp_ids,
    check_port,
    check_seconds,
    check_text,
    check_transport,
    check_version,
)
from ._dpcache import MAX_CACHED_DPS, DpCache
from .events import Event, RequestDone, RequestFailed, StatusPush
from .plugins import resolve_plugins
from .session import Session, local_key_bytes

if TYPE_CHECKING:
    from tuyaface_transport import TransportFactory

__all__ = [
    "DEFAULT_HEARTBEAT_INTERVAL",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "MAX_CACHED_DPS",
    "OUTCOMES",
    "DeviceBase",
]

log = logging.getLogger(__name__)

DEFAULT_PORT = 6668
DEFAULT_TIMEOUT = 5.0
DEFAULT_HEARTBEAT_INTERVAL = 9.0  # devices drop a connection silent for about 30 s


_key = local_key_bytes  # the old private name, still imported by _legacy.py


class DeviceCore:
    """The state both drivers keep for one device, across its connections."""

    __slots__ = (
        "cache",
        "cid",
        "clock",
        "dev_id",
        "device22",
        "dp_ids",
        "factory",
        "gateway",
        "heartbeat_interval",
        "host",
        "local_key",
        "max_cached_dps",
        "port",
        "protocol",
        "random_bytes",
        "timeout",
        "where",
    )  # fmt: skip

    def __init__(
        self,
        dev_id: str,
        local_key: bytes,
        host: str,
        port: int,
        protocol: Protocol,
        factory: TransportFactory,
        *,
        cid: str | None = None,
        gateway: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        heartbeat_interval: float | None = DEFAULT_HEARTBEAT_INTERVAL,
        device22: bool = False,
        dp_ids: tuple[str, ...] = ("1", "2", "3"),
        clock: Callable[[], float] = time.monotonic,
        random_bytes: Callable[[int], bytes] = os.urandom,
        max_cached_dps: int = MAX_CACHED_DPS,
    ) -> None:
        self.dev_id = dev_id
        self.local_key = local_key  # raw bytes: DeviceBase checked the caller's key
        self.host = host
        self.port = port
        self.protocol = protocol
        self.factory = factory
        self.cid = cid
        self.gateway = gateway
        self.timeout = timeout
        self.heartbeat_interval = heartbeat_interval
        self.device22 = device22
        self.dp_ids = dp_ids
        self.clock = clock
        self.random_bytes = random_bytes
        self.max_cached_dps = max_cached_dps
        # How messages name this device: formatted once, not at every request's turn
        # (-2.8% CPU per Device.status(), paired); the cache keeps the same string.
        self.where = f"device {dev_id} at {host}:{port}"
        self.cache = DpCache(max_cached_dps, self.where, clock)

    def __repr__(self) -> str:
        return fields_repr(self, ("dev_id", "host", "port", "protocol", "cid", "timeout"))

    def new_session(self) -> Session:
        """A fresh session for a new connection (seqnos restart at 1)."""
        return Session(
            self.protocol,
            self.local_key,
            self.dev_id,
            cid=self.cid,
            gateway=self.gateway,
            reply_timeout=self.timeout,
            heartbeat_interval=self.heartbeat_interval,
            device22=self.device22,
            dp_ids=self.dp_ids,
            random_bytes=self.random_bytes,
        )

    def absorb(self, session: Session, events: Iterable[Event]) -> None:
        """Learn from a session's events: DP values into the cache, device22 remembered."""
        if session.device22 and not self.device22:
            log.info("%s needs the device22 status query: remembered", self.where)
            self.device22 = True
        for event in events:
            if isinstance(event, RequestDone) and event.cid == self.cid:
                self.cache.update(event.dps or {})
            elif isinstance(event, StatusPush) and event.cid == self.cid:
                self.cache.update(event.dps)


# A request's outcome events, for isinstance: a tuple made once, where `RequestDone |
# RequestFailed` built a union at every test (used in AsyncDevice._absorb).
OUTCOMES = (RequestDone, RequestFailed)


def outcome(event: RequestDone | RequestFailed) -> dict[str, Any]:
    """The DP values a request got back, or its error raised."""
    if isinstance(event, RequestFailed):
        raise event.error
    return dict(event.dps or {})


# Requests a device may get twice without harm: a stale connection's retry resends them.
RETRY_SAFE = frozenset(
    {RequestKind.STATUS, RequestKind.DEVICE22_STATUS, RequestKind.HEARTBEAT, RequestKind.REFRESH}
)


def stale(
    event: RequestDone | RequestFailed, kind: RequestKind, *, received: bool, written: bool
) -> bool:
    """Whether a request on a reused connection met one the device had already dropped
    (a reset racing the call) and may go once more on a new one: it failed with the
    connection, not by a timeout, with nothing `received` since the call began; and it is
    safe to send again: a query, or anything else (set_status) not `written` since the
    call began (the device may have acted on it: never twice)."""
    return (
        isinstance(event, RequestFailed)
        and isinstance(event.error, NetworkError)
        and not isinstance(event.error, Timeout)
        and not received
        and (kind in RETRY_SAFE or not written)
    )


class DeviceBase:
    """Construction and read-only state common to `Device` and `AsyncDevice`. No I/O."""

    default_transport: ClassVar[str]
    serves_children: ClassVar[bool] = False  # a gateway: its session routes by cid

    def __init__(
        self,
        dev_id: str,
        local_key: KeyLike,
        host: str,
        *,
        version: str | Protocol,
        port: int = DEFAULT_PORT,
        transport: str | TransportFactory | None = None,
        cid: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        heartbeat_interval: float | None = DEFAULT_HEARTBEAT_INTERVAL,
        device22: bool = False,
        dp_ids: Iterable[int | str] = (1, 2, 3),
        max_cached_dps: int = MAX_CACHED_DPS,
        plugin_manager: pluggy.PluginManager | None = None,
        clock: Callable[[], float] = time.monotonic,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        check_text("the device id (the 'devId' / 'gwId' string)", dev_id)
        check_text("host", host)
        check_text("cid", cid, optional=True)
        check_port(port)
        check_version(version)
        check_transport(transport)
        check_seconds("timeout", timeout)
        if heartbeat_interval is not None:
            check_seconds("heartbeat_interval", heartbeat_interval, zero=True)
        dp_ids = check_dp_ids(dp_ids)
        if max_cached_dps < 0:
            raise InvalidArgument(f"max_cached_dps must be 0 or more, not {max_cached_dps}")
        protocol, factory = resolve_plugins(
            version, transport or self.default_transport, plugin_manager
        )
        self._core = DeviceCore(
            dev_id,
            local_key_bytes(local_key),  # the key's check (InvalidArgument) after the names'
            host,
            port,
            protocol,
            factory,
            cid=cid,
            gateway=self.serves_children,
            timeout=timeout,
            heartbeat_interval=heartbeat_interval or None,
            device22=device22,
            # interned: thousands of devices share one "1", not a copy each
            dp_ids=tuple(sys.intern(str(dp)) for dp in dp_ids),
            clock=clock,
            random_bytes=random_bytes,
            max_cached_dps=max_cached_dps,
        )
        self._setup()

    def _setup(self) -> None:
        """The driver's own state (no I/O)."""

    @property
    def dev_id(self) -> str:
        return self._core.dev_id

    @property
    def host(self) -> str:
        return self._core.host

    @property
    def port(self) -> int:
        return self._core.port

    @property
    def version(self) -> str:
        return self._core.protocol.version

    @property
    def device22(self) -> bool:
        """True once the device is known to need the device22 status query."""
        return self._core.device22

    @property
    def dp_ids(self) -> tuple[str, ...]:
        """The DPs the device22 status query asks for (`model.detect_dps` sets them)."""
        return self._core.dp_ids

    @dp_ids.setter
    def dp_ids(self, dp_ids: Iterable[int | str]) -> None:
        ids = tuple(sys.intern(str(dp)) for dp in check_dp_ids(dp_ids))
        if not ids:
            raise InvalidArgument("dp_ids needs at least one DP id")
        self._core.dp_ids = ids
        self._live_dp_ids(ids)

    def _live_dp_ids(self, dp_ids: tuple[str, ...]) -> None:
        """Tell the open connection's session, if any (the driver knows it)."""

    @property
    def dps(self) -> dict[str, Any]:
        """The last known DP values (from answers and pushes), a copy. At most
        `max_cached_dps` DP ids (default `MAX_CACHED_DPS`, 512) are kept: see `DpCache`."""
        return dict(self._core.cache.values)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._core.where} v{self.version}>"
