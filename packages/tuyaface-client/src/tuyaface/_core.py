"""What `Device` and `AsyncDevice` share: configuration, the session factory, the cached DP
state, the device22 memory and how a request's outcome reaches the caller."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import attrs
import pluggy

from tuyaface_codec import Protocol
from tuyaface_codec.keys import KeyLike

from ._args import (
    check_dp_ids,
    check_port,
    check_seconds,
    check_text,
    check_transport,
    check_version,
)
from .events import Event, RequestDone, RequestFailed, StatusPush
from .plugins import resolve_protocol, resolve_transport
from .session import Session, local_key_bytes

if TYPE_CHECKING:
    from tuyaface_transport import TransportFactory

__all__ = ["DEFAULT_HEARTBEAT_INTERVAL", "DEFAULT_PORT", "DEFAULT_TIMEOUT", "DeviceBase"]

log = logging.getLogger(__name__)

DEFAULT_PORT = 6668
DEFAULT_TIMEOUT = 5.0
DEFAULT_HEARTBEAT_INTERVAL = 9.0  # devices drop a connection silent for about 30 s


_key = local_key_bytes  # the old private name, still imported by _legacy.py


@attrs.define(eq=False)
class DeviceCore:
    """The state both drivers keep for one device, across its connections."""

    dev_id: str
    local_key: bytes = attrs.field(converter=local_key_bytes, repr=False)
    host: str
    port: int
    protocol: Protocol
    factory: TransportFactory = attrs.field(repr=False)
    cid: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    heartbeat_interval: float | None = DEFAULT_HEARTBEAT_INTERVAL
    device22: bool = False
    dp_ids: tuple[str, ...] = ("1", "2", "3")
    clock: Callable[[], float] = attrs.field(default=time.monotonic, repr=False)
    random_bytes: Callable[[int], bytes] = attrs.field(default=os.urandom, repr=False)
    dps: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @property
    def where(self) -> str:
        """How messages name this device."""
        return f"device {self.dev_id} at {self.host}:{self.port}"

    def new_session(self) -> Session:
        """A fresh session for a new connection (seqnos restart at 1)."""
        return Session(
            self.protocol,
            self.local_key,
            self.dev_id,
            cid=self.cid,
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
            if isinstance(event, RequestDone):
                self.dps.update(event.dps or {})
            elif isinstance(event, StatusPush) and event.cid == self.cid:
                self.dps.update(event.dps)


def outcome(event: RequestDone | RequestFailed) -> dict[str, Any]:
    """The DP values a request got back, or its error raised."""
    if isinstance(event, RequestFailed):
        raise event.error
    return dict(event.dps or {})


class DeviceBase:
    """Construction and read-only state common to `Device` and `AsyncDevice`. No I/O."""

    default_transport: ClassVar[str]

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
        self._core = DeviceCore(
            dev_id,
            local_key,
            host,
            port,
            resolve_protocol(version, plugin_manager),
            resolve_transport(transport or self.default_transport, plugin_manager),
            cid=cid,
            timeout=timeout,
            heartbeat_interval=heartbeat_interval or None,
            device22=device22,
            # interned: thousands of devices share one "1", not a copy each
            dp_ids=tuple(sys.intern(str(dp)) for dp in dp_ids),
            clock=clock,
            random_bytes=random_bytes,
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
    def dps(self) -> dict[str, Any]:
        """The last known DP values (from answers and pushes), a copy."""
        return dict(self._core.dps)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._core.where} v{self.version}>"
