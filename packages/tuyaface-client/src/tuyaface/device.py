"""`Device`: the blocking driver. One lazily opened connection, shared by every thread."""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tuyaface_codec import LocalProtocolError, NetworkError, RequestKind, TuyaError
from tuyaface_transport import Closing

from ._args import check_dp_ids, check_dps, check_seconds
from ._core import OUTCOMES, DeviceBase, outcome, stale
from ._neterrors import connect_error, lost_error, send_error
from ._turns import Turns
from ._types import DpsInput
from .events import Event, RequestDone, RequestFailed, SessionClosed, StatusPush
from .session import Session, State

if TYPE_CHECKING:
    from tuyaface_transport import Transport

__all__ = ["Device"]

log = logging.getLogger(__name__)

_MAX_QUEUED_PUSHES = 256


class _Link:
    """One open connection: the transport, its session, and what the driver noted."""

    __slots__ = ("bytes_in", "bytes_out", "error", "requests", "session", "transport")

    def __init__(self, transport: Transport, session: Session) -> None:
        self.transport = transport
        self.session = session
        self.requests = 0
        self.bytes_in = 0
        self.bytes_out = 0  # written without error
        self.error: TuyaError | None = None


class Device(DeviceBase, Closing):
    """A Tuya device, blocking calls. Connects on first use and again on the next call
    after a drop; threads share the one connection, one request at a time.

    `Device(dev_id, local_key, host, *, version, port=6668, transport="tcp", cid=None,
    timeout=5.0, heartbeat_interval=9.0, device22=False, dp_ids=(1, 2, 3))`
    """

    default_transport = "tcp"

    def _setup(self) -> None:
        self._turns = Turns()  # first come, first served; each waits at most its timeout
        self._link: _Link | None = None
        self._results: dict[int, RequestDone | RequestFailed] = {}
        self._pushes: deque[StatusPush] = deque(maxlen=_MAX_QUEUED_PUSHES)

    # -- the API ----------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The device's DP values, e.g. `{"1": True, "2": 0}`."""
        # not through `_call`: with Turns.release's and Session._on_reply's guards -2.2% /
        # -6.9% CPU per 3.3 / 3.4 status (AsyncDevice -1.7% / -0.4%), paired, one core
        return outcome(self._request(RequestKind.STATUS))

    def set_status(self, dps: DpsInput) -> None:
        """Set DPs, e.g. `{"1": True}`. The new values follow as a push (`wait_for_push`)."""
        self._call(RequestKind.SET, dps=check_dps(dps))

    def set_state(self, value: Any, idx: int | str = 1) -> None:
        """Set one DP (DP 1, the main switch, by default)."""
        self.set_status({str(idx): value})

    def query(self, dp_ids: Iterable[int | str]) -> dict[str, Any]:
        """Ask for these DPs with the device22 query (CONTROL_NEW with null values, any
        device); the values the device reports. `tuyaface.model.detect_dps` probes with it."""
        return self._call(RequestKind.DEVICE22_STATUS, dp_ids=list(dp_ids))

    def heartbeat(self) -> None:
        """Check the connection is alive."""
        self._call(RequestKind.HEARTBEAT)

    def refresh(self, dps: Iterable[int | str]) -> None:
        """Ask the device to report these DPs again (UPDATEDPS); they follow as pushes."""
        self._call(RequestKind.REFRESH, dp_ids=check_dp_ids(dps))

    def wait_for_push(self, timeout: float) -> StatusPush | None:
        """The next status push (already received, or within `timeout` seconds), or None."""
        check_seconds("timeout", timeout, zero=True)
        return self._next_push(self._pushes, timeout)

    def _next_push(self, pushes: deque[StatusPush], timeout: float) -> StatusPush | None:
        """The next push in `pushes`, reading the connection for up to `timeout` s."""
        until = self._core.clock() + timeout  # the wait for our turn counts
        if not self._turns.acquire(timeout):
            return pushes.popleft() if pushes else None
        try:
            if not pushes:
                link = self._connected()
                self._drive(link, lambda: bool(pushes), until=until)
                if not pushes and link.error is not None:
                    raise link.error
            return pushes.popleft() if pushes else None
        finally:
            self._turns.release()

    def close(self) -> None:
        """Close the connection (the next call opens a new one), after the calls queued
        before this one."""
        with self._turns.turn(None, self._core.where):
            self._drop_link()

    def _live_dp_ids(self, dp_ids: tuple[str, ...]) -> None:
        if self._link is not None:
            self._link.session.dp_ids = dp_ids

    # -- requests ---------------------------------------------------------------------

    def _call(self, kind: RequestKind, **request: Any) -> dict[str, Any]:
        return outcome(self._request(kind, **request))

    def _request(self, kind: RequestKind, **request: Any) -> RequestDone | RequestFailed:
        """Send a request in our turn (connecting if needed); its outcome event."""
        # take / release, not `with turns.turn(...)`: -2.4% CPU per Device.status() (paired)
        self._turns.take(self._core.timeout, self._core.where)
        try:
            link = self._connected()
            reused, bytes_in, bytes_out = link.requests > 0, link.bytes_in, link.bytes_out
            event = self._exchange(link, kind, request)
            received, written = link.bytes_in > bytes_in, link.bytes_out > bytes_out
            if reused and stale(event, kind, received=received, written=written):
                log.info("%s: connection had gone stale, reconnecting", self._core.where)
                event = self._exchange(self._connected(), kind, request)
            return event
        finally:
            self._turns.release()

    def _exchange(
        self, link: _Link, kind: RequestKind, request: dict[str, Any]
    ) -> RequestDone | RequestFailed:
        request_id = link.session.request(kind, self._core.clock(), **request)
        link.requests += 1
        events = link.session.take_events()  # none unless the request failed at once
        if events:  # (see AsyncDevice._exchange; Device: with OUTCOMES 0 / +4.6%, noise)
            self._handle(link, events)
        self._flush(link)
        self._drive(link, lambda: request_id in self._results)
        event = self._results.pop(request_id, None)
        if event is None:  # pragma: no cover - the session always answers a request
            raise LocalProtocolError("request ended without an outcome")
        return event

    # -- the connection ---------------------------------------------------------------

    def _connected(self) -> _Link:
        link = self._link
        if link is not None and link.session.state is not State.CLOSED:
            return link
        self._drop_link()
        core = self._core
        try:
            transport = core.factory.connect(core.host, core.port, timeout=core.timeout)
        except OSError as exc:
            raise connect_error(core.where, exc) from None
        link = _Link(transport, core.new_session())
        self._handle(link, link.session.start(core.clock()))
        self._flush(link)
        self._drive(link, lambda: link.session.state is State.READY)
        if link.session.state is not State.READY:
            transport.close()
            raise link.error or NetworkError(f"{core.where} closed the connection")
        self._link = link
        return link

    def _drop_link(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            self._handle(link, link.session.close())
            link.transport.close()

    def _drive(self, link: _Link, done: Callable[[], bool], until: float | None = None) -> None:
        """Read and feed the session until `done()`, the session ends, or `until`."""
        session, clock = link.session, self._core.clock
        while not done() and session.state is not State.CLOSED:
            now = clock()
            deadline = session.next_deadline()
            if deadline is not None and now >= deadline:
                self._handle(link, session.handle_timeout(now))
                self._flush(link)
                continue
            if until is not None and now >= until:
                return
            bounds = [d for d in (deadline, until) if d is not None]
            if not bounds:  # pragma: no cover - a pending request always has a deadline
                raise LocalProtocolError("waiting with no deadline: this is a bug")
            # Whole milliseconds, rounded up: back-to-back requests then wait the same time,
            # and the socket's receive timeout (a setsockopt) is not set again each call.
            self._receive(link, math.ceil((min(bounds) - now) * 1000) / 1000)

    def _receive(self, link: _Link, wait: float) -> None:
        session = link.session
        try:
            data = link.transport.receive(wait)
        except TimeoutError:
            return
        except OSError as exc:
            self._lost(link, exc)
            return
        if not data:
            self._lost(link, None)
            return
        link.bytes_in += len(data)
        self._handle(link, session.receive_data(data, self._core.clock()))
        self._flush(link)

    def _flush(self, link: _Link) -> None:
        data = link.session.data_to_send()
        if not data:
            return
        try:
            link.transport.send(data)
            link.bytes_out += len(data)
        except OSError as exc:
            error = send_error(self._core.where, exc, bytes_received=link.bytes_in)
            self._handle(link, link.session.connection_lost(error))

    def _lost(self, link: _Link, error: OSError | None) -> None:
        failure = lost_error(self._core.where, error, bytes_received=link.bytes_in)
        self._handle(link, link.session.connection_lost(failure))
        link.transport.close()

    def _handle(self, link: _Link, events: list[Event]) -> None:
        self._core.absorb(link.session, events)
        for event in events:
            if isinstance(event, OUTCOMES):
                self._results[event.request_id] = event
            elif isinstance(event, StatusPush):
                self._pushes.append(event)
            elif isinstance(event, SessionClosed):
                link.error = event.error
                link.transport.close()  # free the device's connection slot at once
