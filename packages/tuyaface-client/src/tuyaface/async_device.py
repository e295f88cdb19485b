"""`AsyncDevice`: the asyncio driver. A persistent connection kept by one background task:
heartbeats, reconnection with backoff, pushes and connection changes as events."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import attrs
import pluggy

from tuyaface_codec import (
    LocalProtocolError,
    NetworkError,
    Protocol,
    RequestKind,
    Timeout,
    TuyaError,
)
from tuyaface_codec.keys import KeyLike
from tuyaface_transport import aio as _aio  # noqa: F401 - loaded here, not on the loop later

from ._args import check_dp_ids, check_dps
from ._core import (
    DEFAULT_HEARTBEAT_INTERVAL,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    OUTCOMES,
    RETRY_SAFE,
    DeviceBase,
    outcome,
    stale,
)
from ._lograte import warn_rate_limited
from ._neterrors import connect_error, lost_error, send_error
from ._slices import READ_SLICE, feed_in_turns
from ._types import DpsInput
from .backoff import Backoff
from .events import (
    Connected,
    ConnectFailed,
    DeviceEvent,
    Disconnected,
    Event,
    Ready,
    RequestDone,
    RequestFailed,
    SessionClosed,
    StatusPush,
)
from .session import Session, State

if TYPE_CHECKING:
    from tuyaface_transport import AsyncTransport, TransportFactory

__all__ = ["AsyncDevice", "EventStream"]

log = logging.getLogger(__name__)

EVENT_QUEUE_SIZE = 1000
# Each connection heartbeats up to this fraction of the interval later than due, a fixed
# amount drawn per connection: devices connected together do not heartbeat in step (10,000
# timers firing in the same millisecond stall the event loop; bench/scale.py).
HEARTBEAT_SPREAD = 0.1
_CLOSED = "the device was closed: create a new AsyncDevice"
_STREAM_FULL = "event stream full: dropped the oldest event (read events faster)"


@attrs.define(eq=False)
class _Link:
    """One open connection: the transport, its session, a send lock, the reader (a task,
    or for a transport with `on_data` a future it idles on), the timer armed for the
    session's next deadline, and its outcome (`over` once the session closed)."""

    transport: AsyncTransport
    session: Session
    owner: AsyncDevice
    # Made by the first send that has to wait (writes go out at once, `_write_now`, unless
    # the peer stops reading): 90 bytes per connection (tracemalloc).
    send_lock: asyncio.Lock | None = None
    reader: asyncio.Task[None] | None = None
    idle: asyncio.Future[None] | None = None  # the reader waits for `wake_reader`
    woken: bool = False  # `wake_reader` came while the reader was busy
    timer: asyncio.TimerHandle | None = None
    timer_deadline: float | None = None
    flushing: asyncio.Task[None] | None = None  # a heartbeat being sent
    heartbeat_delay: float = 0.0  # this connection's share of HEARTBEAT_SPREAD
    fed_by_callback: bool = False  # the transport hands it chunks (`on_data`)
    # The timer's callback and context, made once: a timer re-armed per heartbeat then
    # leaves one new object (its handle) for the garbage collector, not three.
    fire: Callable[[], None] = attrs.field(init=False)
    context: contextvars.Context = attrs.field(init=False, factory=contextvars.copy_context)

    def __attrs_post_init__(self) -> None:
        self.fire = self.on_deadline
    ready: bool = False
    probe: int | None = None
    # A caller's first request sent with the connection's opening (`AsyncDevice._begin`):
    # its id and the caller's attempt future, which takes its outcome.
    rider: tuple[int, _Attempt] | None = None
    over: bool = False
    feeding: bool = False  # the reader is working through a read, a slice per turn
    overdue: bool = False  # a deadline passed meanwhile: judged once that read is done
    bytes_in: int = 0
    bytes_out: int = 0  # written without error (the transport took them)
    error: TuyaError | None = None

    def flushed(self, task: asyncio.Task[None]) -> None:
        if self.flushing is task:
            self.flushing = None  # do not keep a finished task for the connection's life

    def on_deadline(self) -> None:
        """The timer's callback (a bound method and no argument tuple: 40 bytes per
        connection lighter than the owner's method with `self` as argument)."""
        self.owner._on_deadline(self)

    def take_now(self, data: bytes) -> bool:
        """The transport's `on_data` consumer (a bound method: 190 bytes per connection
        lighter than a partial). A chunk goes into the session at once if it fits one
        slice and the reader holds nothing older; else False, and the reader gets it.
        The driver's work here, not behind a wrapper: see `_send_request` for the gain."""
        session = self.session
        if not data or self.feeding or len(data) > READ_SLICE or session.state is State.CLOSED:
            self.wake_reader()  # (empty: the stream ended or the connection was lost)
            return False
        self.bytes_in += len(data)
        owner = self.owner
        owner._absorb(self, session.receive_data(data, owner._core.clock()))
        owner._arm(self)
        if not self.over and session.wants_to_send:  # a handshake step or a queued request
            owner._flush_soon(self)
        return True

    def idle_until_woken(self) -> asyncio.Future[None] | None:
        """The future to wait on until `wake_reader`; None: read now."""
        if self.woken or self.overdue:
            self.woken = False
            return None
        self.idle = asyncio.get_running_loop().create_future()
        return self.idle

    def wake_reader(self) -> None:
        """Something waits for `receive` (a chunk left by `on_data`, the end of the
        stream), or the session ended."""
        idle, self.idle = self.idle, None
        if idle is None:
            self.woken = True
        elif not idle.done():
            idle.set_result(None)

    def end(self) -> None:
        """The session closed: stop the reader, unless it is the one that saw the end."""
        self.over = True
        self.wake_reader()
        reader = self.reader
        if reader is not None and not reader.done() and reader is not asyncio.current_task():
            reader.cancel()


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class _GaveUp(Exception):
    """A caller's bound on a connection attempt ran out (`_connection`)."""


def _give_up(attempt: asyncio.Future[Any]) -> None:
    if not attempt.done():
        attempt.set_exception(_GaveUp())


_Waiter = tuple[asyncio.Future[RequestDone | RequestFailed], float, float]  # future, until, bound
# A caller waiting for a connection attempt: the ready link, or, for a caller whose request
# went with the connection's opening (a rider, `AsyncDevice._begin`), that request's outcome.
_Attempt = asyncio.Future["_Link | RequestDone | RequestFailed"]


class EventStream:
    """`async for event in device.events()`: pushes and connection changes, from the moment
    `events()` was called until the device is closed (or `aclose()` on the stream)."""

    def __init__(self, subscribers: dict[EventStream, None]) -> None:
        self._queue: asyncio.Queue[DeviceEvent | None] = asyncio.Queue(EVENT_QUEUE_SIZE)
        self._subscribers = subscribers
        subscribers[self] = None

    def put(self, event: DeviceEvent | None) -> None:
        """Queue an event (None ends the stream); the oldest goes when the queue is full."""
        if self._queue.full():
            warn_rate_limited(log, hex(id(self)), _STREAM_FULL)
            self._queue.get_nowait()
        self._queue.put_nowait(event)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> DeviceEvent:
        if self not in self._subscribers and self._queue.empty():
            raise StopAsyncIteration
        event = await self._queue.get()
        if event is None:
            self._subscribers.pop(self, None)
            raise StopAsyncIteration
        return event

    async def aclose(self) -> None:
        """Stop receiving events."""
        self._subscribers.pop(self, None)
        self.put(None)


class AsyncDevice(DeviceBase):
    """A Tuya device for asyncio. One connection, kept open by a background task once the
    device is used (`async with`, a call, or `events()`): heartbeats every
    `heartbeat_interval` seconds (up to 10% later, so that many devices do not heartbeat in
    step), reconnection with `backoff` after a drop. Tasks share the
    connection, one request on the wire at a time. No I/O before the first use.
    """

    default_transport = "asyncio"

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
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._backoff = backoff  # the default one is made at the first failure (memory)
        self._sleep = sleep
        super().__init__(
            dev_id,
            local_key,
            host,
            version=version,
            port=port,
            transport=transport,
            cid=cid,
            timeout=timeout,
            heartbeat_interval=heartbeat_interval,
            device22=device22,
            dp_ids=dp_ids,
            plugin_manager=plugin_manager,
            clock=clock,
            random_bytes=random_bytes,
        )

    def _setup(self) -> None:
        self._link: _Link | None = None
        self._runner: asyncio.Task[None] | None = None
        # The callers waiting for the connection attempt under way (None: no attempt),
        # each with a future of its own, resolved straight from the attempt's outcome.
        self._attempt: list[_Attempt] | None = None
        # A query waiting to go out with the next connection's opening (`_begin`): its
        # caller's attempt future, the kind and the request's arguments.
        self._rider: tuple[_Attempt, RequestKind, dict[str, Any]] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        # The calls waiting for their outcome; None while there are none: a dict that
        # held one keeps 224 bytes (64 empty) for the device's life (tracemalloc).
        self._results: dict[int, _Waiter] | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        # A dict as an ordered set (an empty set takes 216 bytes, an empty dict 64), made
        # by the first `events()`.
        self._subscribers: dict[EventStream, None] | None = None
        self._closed = False

    # -- the API ----------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        """The device's DP values, e.g. `{"1": True, "2": 0}`."""
        return outcome(await self._request(RequestKind.STATUS))  # not through `_call` (Device)

    async def set_status(self, dps: DpsInput) -> None:
        """Set DPs, e.g. `{"1": True}`. The new values follow as a `StatusPush` event."""
        await self._call(RequestKind.SET, dps=check_dps(dps))

    async def set_state(self, value: Any, idx: int | str = 1) -> None:
        """Set one DP (DP 1, the main switch, by default)."""
        await self.set_status({str(idx): value})

    async def query(self, dp_ids: Iterable[int | str]) -> dict[str, Any]:
        """Ask for these DPs with the device22 query (CONTROL_NEW with null values, any
        device); the values the device reports. `tuyaface.model.detect_dps` probes with it."""
        return await self._call(RequestKind.DEVICE22_STATUS, dp_ids=list(dp_ids))

    async def heartbeat(self) -> None:
        """Check the connection is alive (heartbeats also run by themselves)."""
        await self._call(RequestKind.HEARTBEAT)

    async def refresh(self, dps: Iterable[int | str]) -> None:
        """Ask the device to report these DPs again (UPDATEDPS); they follow as pushes."""
        await self._call(RequestKind.REFRESH, dp_ids=check_dp_ids(dps))

    async def connect(self) -> None:
        """Connect now and wait until ready (calls do this by themselves)."""
        await self._connection()

    def start(self) -> None:
        """Start keeping the connection in the background without waiting for it."""
        if self._closed:
            raise LocalProtocolError(_CLOSED)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(
                self._run(), name=self._core.where  # shared: no string per device (104 bytes)
            )

    def events(self) -> EventStream:
        """Pushes (`StatusPush`) and connection changes (`Connected`, `Disconnected`,
        `ConnectFailed`) from now on; starts the connection if needed."""
        if self._subscribers is None:
            self._subscribers = {}
        return self._subscribe(self._subscribers)

    def _subscribe(self, subscribers: dict[EventStream, None]) -> EventStream:
        """A new stream fed from `subscribers`; starts the connection if needed."""
        stream = EventStream(subscribers)
        if self._closed:
            stream.put(None)
        else:
            self.start()
        return stream

    @property
    def connected(self) -> bool:
        """True while the connection is up and ready."""
        link = self._link
        return link is not None and link.ready and link.session.state is State.READY

    async def aclose(self) -> None:
        """Close the connection and stop reconnecting; pending calls fail."""
        if self._closed:
            return
        self._closed = True
        link = self._link
        if link is not None:
            self._absorb(link, link.session.close())
        self._wake()
        runner = self._runner
        if runner is not None and not runner.done():
            # The task awaited itself, a timer bounding it: one loop turn and a future
            # fewer than asyncio.wait(timeout=...) (measured with the opening's changes).
            bound = asyncio.get_running_loop().call_later(self._core.timeout, runner.cancel)
            try:
                if link is not None and link.fed_by_callback:
                    # The connection closed from here, not after the runner's next turn:
                    # the runner wakes to find it closing (`_close_link` closes it once).
                    # 2 loop turns fewer per set-up (3.3: 11 -> 9); paired in-process A/B,
                    # 3.3 on asyncio: -1.0 / -0.8 / -2.9% client CPU, -1.7% wall (3 runs
                    # of 15-21 rounds); 3.4 / 3.5 and uvloop within +-1%.
                    link.transport.on_data(None)  # type: ignore[attr-defined]
                    await link.transport.aclose()
                await runner
            except asyncio.CancelledError:
                if not runner.cancelled() or _cancelling():
                    raise  # this task is cancelled, not only the runner by the bound
            finally:
                bound.cancel()
        self._fail_waiters(LocalProtocolError(_CLOSED))
        for stream in list(self._subscribers or ()):
            stream.put(None)
        self._subscribers = None

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _live_dp_ids(self, dp_ids: tuple[str, ...]) -> None:
        if self._link is not None:
            self._link.session.dp_ids = dp_ids

    # -- callers ----------------------------------------------------------------------

    async def _call(self, kind: RequestKind, **request: Any) -> dict[str, Any]:
        return outcome(await self._request(kind, **request))

    async def _request(self, kind: RequestKind, **request: Any) -> RequestDone | RequestFailed:
        """Send a request on the connection (opened if needed); its outcome event. On a
        connection that had gone stale (`_stale`), once more on a new one."""
        link = self._link if self.connected else None
        if link is None:
            return await self._on_new_connection(kind, request)
        bytes_in, bytes_out = link.bytes_in, link.bytes_out
        event = await self._send_request(link, kind, request)
        if isinstance(event, RequestFailed) and stale(
            event, kind, received=link.bytes_in > bytes_in, written=link.bytes_out > bytes_out
        ):
            log.info("%s: connection had gone stale, reconnecting", self._core.where)
            event = await self._on_new_connection(kind, request)
        return event

    async def _on_new_connection(
        self, kind: RequestKind, request: dict[str, Any]
    ) -> RequestDone | RequestFailed:
        """A request on the next connection: with its opening if it can (`_connection`)."""
        got = await self._connection(kind, request)
        if isinstance(got, _Link):
            return await self._send_request(got, kind, request)
        return got

    def _send_request(
        self, link: _Link, kind: RequestKind, request: dict[str, Any]
    ) -> asyncio.Future[RequestDone | RequestFailed]:
        """One request on `link`, written at once if the transport takes it: the future
        its outcome resolves (`_absorb`, which also forgets it). A plain function whose
        future the caller awaits, not a coroutine around it, and no `_flush` coroutine
        when the write goes out at once; with the reply path's cuts (`_Link.take_now`):
        88 -> 81 calls (3.5: 80 -> 72) and 2363 -> 2258 bytecodes per 3.4 status round
        trip, -4.3 / -2.1 / -3.0% client CPU on 3.3 / 3.4 / 3.5 on uvloop (paired, 4
        process pairs x 9 rounds; this loaded machine's A/A spread was +-3%)."""
        loop = asyncio.get_running_loop()
        session = link.session
        request_id = session.request(kind, self._core.clock(), **request)
        future: asyncio.Future[RequestDone | RequestFailed] = loop.create_future()
        # The session's reply deadline ends the request; this bound is a safety net only.
        # Queued requests wait for those ahead of them, each bounded by the reply timeout.
        results = self._results
        if results is None:
            results = self._results = {}
        bound = self._core.timeout * (len(results) + 3)
        results[request_id] = (future, loop.time() + bound, bound)
        if self._watchdog is None:
            self._watchdog = loop.call_later(self._core.timeout, self._watch)
        # None unless the request failed at once: no `_absorb` for an empty list (two
        # calls fewer per request, counted by test_roundtrip_cost; its CPU A/B swung
        # either way with placement, so it has no reliable figure)
        events = session.take_events()
        if events:
            self._absorb(link, events)
        self._arm(link)
        if session.wants_to_send and not self._write_now(link):
            self._flush_soon(link)  # from a task: the transport cannot take it now
        return future

    def _watch(self) -> None:
        """Every `timeout` seconds while calls wait: fail those past their bound. One timer
        per device rather than one per call (a timer handle per call cost about 5% of a
        round trip)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        waiters = list((self._results or {}).values())
        for future, until, bound in waiters:
            if now >= until and not future.done():
                where = self._core.where
                future.set_exception(Timeout(f"no answer from {where} within {bound:g} s"))
        waiting = any(not future.done() for future, _, _ in waiters)
        self._watchdog = loop.call_later(self._core.timeout, self._watch) if waiting else None

    async def _connection(
        self, kind: RequestKind | None = None, request: dict[str, Any] | None = None
    ) -> _Link | RequestDone | RequestFailed:
        """The ready connection, waiting for the current (or a new) attempt. An attempt
        already under way when we came fails for reasons older than this call (a device
        that behaves again since): then one attempt of our own.

        With a request (`kind`) safe to send twice, and no other one waiting to, it goes
        out with the connection's opening (`_begin`) and its outcome comes back instead of
        the link: on 3.1 - 3.3 it stands in for the opening heartbeat (one round trip
        instead of two), on 3.4 / 3.5 it leaves with the handshake's last step."""
        joined = self._attempt is not None
        for _ in range(3):  # a link can drop between being ready and our turn to run
            if self._closed:
                raise LocalProtocolError(_CLOSED)
            if self.connected:
                assert self._link is not None
                return self._link
            self.start()
            loop = asyncio.get_running_loop()
            if self._attempt is None:
                self._attempt = []
            # A future of our own rather than asyncio.wait on a shared one: one loop turn
            # less for the caller to wake up (see `_write_now` for the measured gain), and
            # our being cancelled cancels only ours.
            attempt: _Attempt = loop.create_future()
            self._attempt.append(attempt)
            bound = 2 * self._core.timeout + 1.0  # connect, then the 3.4 / 3.5 handshake
            if kind in RETRY_SAFE and self._rider is None:
                assert kind is not None
                self._rider = (attempt, kind, request or {})
                bound += self._core.timeout  # and its answer
            self._wake()  # cut a backoff pause short: someone is waiting
            timer = loop.call_later(bound, _give_up, attempt)
            try:
                await attempt
            except _GaveUp:
                where = self._core.where
                raise Timeout(f"could not connect to {where} within {bound:g} s") from None
            except TuyaError:
                if joined:
                    joined = False
                    continue
                raise
            finally:
                timer.cancel()
                if self._rider is not None and self._rider[0] is attempt:
                    self._rider = None  # not taken by a connection: it never went
            got = attempt.result()
            if not isinstance(got, _Link):
                return got
            link = got
            if link.session.state is State.READY:
                return link
        # The device's doing, not the caller's: the last connection's own error says why.
        where = self._core.where
        raise link.error or NetworkError(f"{where} keeps dropping the connection")

    # -- the background task ----------------------------------------------------------

    async def _run(self) -> None:
        try:
            while not self._closed:
                link = await self._connect()
                if isinstance(link, _Link):
                    # The connection's life is inline here rather than in a coroutine of
                    # its own: thousands of connected devices each keep one idle frame, not
                    # two (-340 bytes per device, tracemalloc).
                    fed = link.fed_by_callback
                    try:
                        if self._closed:  # aclose() came while connecting: it found no link
                            self._absorb(link, link.session.close())
                        else:
                            self._begin(link)
                            await self._flush(link)
                        # Replies come through the callback: this task reads only what the
                        # callback leaves (large reads, the end of the stream), with no
                        # reader task of its own and no reader frame while idle: 2 loop
                        # turns fewer per 3.4 set-up, 0.7 KiB less per connected device
                        # (bench/README.md, AsyncDevice (w-async)).
                        while fed and link.session.state is not State.CLOSED:
                            idle = link.idle_until_woken()
                            if idle is not None:
                                await idle  # then read, unless it was the session's end
                                if link.over:
                                    break
                            if not await self._read_some(link, wait=False):
                                break
                        if not fed and not link.over:
                            await self._read_in_task(link)
                    finally:
                        await self._close_link(link)
                error = link.error if isinstance(link, _Link) else link
                ready = isinstance(link, _Link) and link.ready
                if self._closed:
                    if ready:
                        self._emit(Disconnected(None))
                    break
                if self._backoff is None:
                    self._backoff = Backoff()
                delay = self._backoff.next_delay()
                failure = error or LocalProtocolError("the connection ended")
                if ready:
                    log.info("%s: disconnected (%s)", self._core.where, failure)
                    self._emit(Disconnected(failure))
                else:
                    log.info(
                        "%s: connect failed (%s), retry in %.1f s", self._core.where, failure, delay
                    )
                    self._emit(ConnectFailed(failure, delay))
                await self._pause(delay)
        finally:
            stopped = _CLOSED if self._closed else "the connection task stopped: retry"
            self._fail_waiters(LocalProtocolError(stopped))

    async def _connect(self) -> _Link | TuyaError:
        """A new connection, its link not yet started (`_begin`), or the error that
        prevented connecting."""
        if self._attempt is None:
            self._attempt = []
        core = self._core
        try:
            transport = await core.factory.aconnect(core.host, core.port, timeout=core.timeout)
        except OSError as exc:
            error = connect_error(core.where, exc)
            self._fail_attempt(error)
            return error
        link = _Link(transport, core.new_session(), self)
        link.heartbeat_delay = HEARTBEAT_SPREAD * random.random() * (core.heartbeat_interval or 0)
        self._link = link
        on_data = getattr(transport, "on_data", None)  # an optional transport feature
        if on_data is not None:
            on_data(link.take_now)
            link.fed_by_callback = True
        return link

    def _begin(self, link: _Link) -> None:
        """Start the session. It runs until it ends: the transport's callback (`on_data`)
        or a reader task feeds it bytes as they arrive, a loop timer (`_arm`) its
        deadlines, and callers write their own requests; `_Link.end` stops the reader.
        Nothing is allocated per request."""
        session, now = link.session, self._core.clock()
        rider, self._rider = self._rider, None
        if rider is not None and not rider[0].done():
            # queued before the start: it leaves once the session is ready, in the same
            # write as the 3.4 / 3.5 handshake's FINISH
            attempt, kind, request = rider
            link.rider = (session.request(kind, now, **request), attempt)
        self._absorb(link, session.start(now))
        self._arm(link)

    async def _read_in_task(self, link: _Link) -> None:
        """Read in a task of its own (a transport without `on_data`) until the session
        ends."""
        reader = link.reader = asyncio.get_running_loop().create_task(self._read(link))
        try:
            await reader  # a bug in the reader must not pass silently: it raises here
        except asyncio.CancelledError:
            if not reader.cancelled() or _cancelling():
                raise  # this task is cancelled, not only the reader by `_Link.end`

    async def _close_link(self, link: _Link) -> None:
        """The connection ended (or this task is stopping): close it."""
        self._disarm(link)
        self._link = None
        if link.fed_by_callback:
            link.transport.on_data(None)  # type: ignore[attr-defined]
        if link.reader is not None and not link.reader.done():
            link.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await link.reader
        await link.transport.aclose()
        if not link.ready:
            self._fail_attempt(self._not_established(link))

    def _not_established(self, link: _Link) -> TuyaError:
        error = link.error or LocalProtocolError("the connection ended")
        if link.probe is not None and isinstance(error, Timeout):
            error = Timeout(
                f"no answer from {self._core.where} within {self._core.timeout:g} s of "
                "connecting: is the protocol version right?"
            )
        return error

    async def _read(self, link: _Link) -> None:
        """The reader task (a transport without `on_data`): feed the session what arrives
        until it closes."""
        while link.session.state is not State.CLOSED and await self._read_some(link, wait=True):
            pass

    async def _read_some(self, link: _Link, *, wait: bool) -> bool:
        """Feed the session one read (`wait`: for bytes to come; else only what has come,
        as a wake-up may find its bytes taken by the read before); False once the
        connection ended. Deadlines are
        judged by arrival: one that passes while a read is worked through (a burst of
        pushes ahead of an answer, on a busy loop) waits for the rest of that read and for
        what else has arrived meanwhile (one more read, without waiting), then counts
        (docs/reliability.md, client 14)."""
        session = link.session
        judge = link.overdue  # after this read: it holds what arrived by the deadline
        try:
            data = await link.transport.receive(None if wait and not judge else 0.0)
        except TimeoutError:  # overdue, and nothing more had arrived
            data = None
        except OSError as exc:
            error = lost_error(self._core.where, exc, bytes_received=link.bytes_in)
            self._absorb(link, session.connection_lost(error))
            return False
        if data == b"":
            error = lost_error(self._core.where, None, bytes_received=link.bytes_in)
            self._absorb(link, session.connection_lost(error))
            return False
        if data:
            link.bytes_in += len(data)
            link.feeding = True
            await feed_in_turns(data, functools.partial(self._take, link))
            link.feeding = False
        if judge:
            link.overdue = False
            self._on_deadline(link)
        return True

    async def _take(self, link: _Link, data: bytes) -> bool:
        """One slice of a read: into the session, then its timer and anything to send.
        False once the session has closed."""
        session = link.session
        self._absorb(link, session.receive_data(data, self._core.clock()))
        self._arm(link)
        await self._flush(link)
        return session.state is not State.CLOSED

    def _arm(self, link: _Link) -> None:
        """Make sure the timer fires by the session's next deadline. A timer already set
        for an earlier moment stays (it re-arms when it fires), so a stream of requests
        does not cost a timer each."""
        session = link.session
        deadline = session.next_deadline()
        if deadline is None or session.state is State.CLOSED or link.overdue:
            return  # (overdue: the reader judges it when its read is done)
        armed = link.timer_deadline  # (None exactly when no timer is set)
        if armed is not None and armed <= deadline:
            return  # the usual case, asked first (no `busy`): see `_send_request`
        if session.state is State.READY and not session.busy:
            deadline += link.heartbeat_delay  # the next deadline is a heartbeat
            if armed is not None and armed <= deadline:
                return
        if link.timer is not None:
            link.timer.cancel()
        delay = max(0.0, deadline - self._core.clock())
        link.timer = asyncio.get_running_loop().call_later(
            delay, link.fire, context=link.context
        )
        link.timer_deadline = deadline

    def _disarm(self, link: _Link) -> None:
        if link.timer is not None:
            link.timer.cancel()
            link.timer = link.timer_deadline = None

    def _on_deadline(self, link: _Link) -> None:
        link.timer = link.timer_deadline = None
        session, now = link.session, self._core.clock()
        deadline = session.next_deadline()
        if session.state is State.CLOSED or deadline is None:
            return
        if now >= deadline and link.feeding:
            link.overdue = True  # bytes that arrived in time first: `_read` calls again
            return
        if now >= deadline:
            self._absorb(link, session.handle_timeout(now))
            if not link.over:  # a heartbeat to send
                self._flush_soon(link)
        self._arm(link)

    def _flush_soon(self, link: _Link) -> None:
        """Send what the session has queued without waiting (in a callback, or for a
        caller's request): at once if the transport takes it, else from a task of its own."""
        if self._write_now(link):
            return
        link.flushing = asyncio.get_running_loop().create_task(self._flush(link))
        link.flushing.add_done_callback(link.flushed)

    def _write_now(self, link: _Link) -> bool:
        """Send what the session has queued without waiting, if the transport can
        (`send_nowait`, an optional feature), is not paused and no send is under way;
        False: nothing done. Saves a task, or a coroutine and a lock round, per write
        (the 3.4 handshake's FINISH, heartbeats, requests): with the attempt's own futures
        (`_connection`) -6% client CPU per 3.4 connect-status-close, paired A/B."""
        transport = link.transport
        lock = link.send_lock
        if getattr(transport, "writing_paused", True) or (lock is not None and lock.locked()):
            return False
        data = link.session.data_to_send()
        try:
            transport.send_nowait(data)  # type: ignore[attr-defined]
            link.bytes_out += len(data)
        except OSError as exc:
            self._send_failed(link, exc)
        return True

    def _send_failed(self, link: _Link, exc: OSError) -> None:
        error = send_error(self._core.where, exc, bytes_received=link.bytes_in)
        self._absorb(link, link.session.connection_lost(error))
        self._wake()

    async def _flush(self, link: _Link) -> None:
        if not link.session.wants_to_send or self._write_now(link):
            return
        if link.send_lock is None:
            link.send_lock = asyncio.Lock()
        async with link.send_lock:
            data = link.session.data_to_send()
            if not data:
                return
            try:
                await link.transport.send(data)
                link.bytes_out += len(data)
            except OSError as exc:
                self._send_failed(link, exc)

    async def _pause(self, delay: float) -> None:
        """Wait `delay` seconds (the injected sleep), or less when a caller is waiting."""
        if self._attempt is not None or self._closed:
            return
        self._wakeup = wakeup = asyncio.get_running_loop().create_future()
        sleeper = asyncio.ensure_future(self._sleep(delay))
        try:
            waits: list[asyncio.Future[Any]] = [sleeper, wakeup]
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._wakeup = None
            sleeper.cancel()

    # -- events -----------------------------------------------------------------------

    def _absorb(self, link: _Link, events: list[Event]) -> None:
        self._core.absorb(link.session, events)
        for event in events:
            if isinstance(event, OUTCOMES):
                if (event.request_id == link.probe or link.rider) and self._opening(link, event):
                    continue
                # the caller forgotten once its outcome came (one that was cancelled
                # stays listed until then: it counts for the bound of those behind it)
                results = self._results
                waiter = results.pop(event.request_id, None) if results else None
                if waiter is None:
                    continue
                if not results:
                    self._results = None  # (memory: see `_setup`)
                if not waiter[0].done():
                    waiter[0].set_result(event)
            elif isinstance(event, StatusPush):
                self._emit(event)
            elif isinstance(event, Ready):
                self._on_ready(link)
            elif isinstance(event, SessionClosed):
                link.error = event.error or link.error
                link.end()

    def _on_ready(self, link: _Link) -> None:
        if link.session.protocol.needs_handshake:
            self._established(link)
            return
        # Without a handshake nothing shows yet that the device accepted us: a device whose
        # one slot is taken drops the connection at once. Count it as connected once it
        # has answered, so that such drops are connect failures (with growing backoff),
        # not connections: the first request answered, a caller's query that went with
        # the opening (`_begin`) or else a heartbeat.
        if link.rider is not None:
            link.probe = link.rider[0]
        else:
            link.probe = link.session.request(RequestKind.HEARTBEAT, self._core.clock())

    def _opening(self, link: _Link, event: RequestDone | RequestFailed) -> bool:
        """Whether `event` is the outcome of the opening probe (`_on_ready`) or of a
        request that went with the opening (`_begin`), and if so take it."""
        probe = event.request_id == link.probe
        if probe:
            self._probed(link, event)
        rider = link.rider
        if rider is None or event.request_id != rider[0]:
            return probe
        # to its caller; unless the connection was never established: its caller then
        # fails with the attempt (`_close_link`)
        link.rider = None
        if link.ready and not rider[1].done():
            rider[1].set_result(event)
        return True

    def _probed(self, link: _Link, event: RequestDone | RequestFailed) -> None:
        """The opening probe's outcome: connected if the device answered (with an error
        too: a query it refuses, a wrong key), else a failed connection attempt."""
        session = link.session
        if isinstance(event, RequestDone) or (
            session.state is not State.CLOSED and session.frames_received
        ):
            link.probe = None
            self._established(link)
            return
        link.error = event.error  # (`probe` stays: `_not_established` tells why)
        self._absorb(link, session.close())

    def _established(self, link: _Link) -> None:
        link.ready = True
        if self._backoff is not None:
            self._backoff.reset()
        rider = link.rider[1] if link.rider is not None else None
        for attempt in self._attempt or ():
            if not attempt.done() and attempt is not rider:  # (it waits for its outcome)
                attempt.set_result(link)
        self._attempt = None
        log.info("%s: connected", self._core.where)
        self._emit(Connected())

    def _fail_attempt(self, error: TuyaError) -> None:
        for attempt in self._attempt or ():
            if not attempt.done():
                attempt.set_exception(error)
                attempt.exception()  # retrieved: its caller may be gone
        self._attempt = None

    def _fail_waiters(self, error: TuyaError) -> None:
        self._fail_attempt(error)
        for future, _, _ in (self._results or {}).values():
            if not future.done():
                future.set_exception(error)
        self._results = None  # their requests are over with their connection

    def _emit(self, event: DeviceEvent) -> None:
        for stream in list(self._subscribers or ()):
            stream.put(event)

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)
