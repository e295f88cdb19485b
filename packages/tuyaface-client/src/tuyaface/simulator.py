"""`SimulatedDevice`: a Tuya device in software, for tests, demos and `tuyaface simulate`.

The device role of the same `Session` the client uses, plus DP state. Every version 3.1 -
3.5, device22 firmware, one client at a time, a STATUS push after each control, UPDATEDPS,
wrong-key behaviour like real devices, and knobs for tests (reply delay, stop answering,
error answers, the loopback transport's fault plans). It serves over any transport: loopback
in tests, TCP on 127.0.0.1 for `tuyaface simulate`; from async code (`serve`) or from
blocking code (`serve_in_thread`, a background event loop).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import os
import threading
import time
import typing
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from tuyaface_codec import (
    ArgumentTypeError,
    Command,
    DecryptError,
    Frame,
    LocalProtocolError,
    NetworkError,
    PayloadError,
    Protocol,
    TuyaError,
)

from ._args import check_port, check_seconds, check_text, check_version
from ._running import Running
from ._simreplies import (
    DATA_FORMAT_ERROR,
    DEVICE22_ANSWER,
    Reports,
    reports_for,
    request_dps,
    requested_dp_ids,
)
from ._slices import feed_in_turns
from ._types import DpsInput
from .events import IncomingRequest, SessionClosed, UnreadableFrame
from .plugins import resolve_protocol, resolve_transport
from .session import Role, Session, State, local_key_bytes

if TYPE_CHECKING:
    from tuyaface_transport import (
        AsyncServer,
        AsyncTransport,
        FaultPlan,
        LoopbackListener,
        TransportFactory,
    )

__all__ = [
    "CLIENT_WAIT",
    "MAX_WAITING",
    "Behaviour",
    "SimulatedDevice",
    "SimulatorServer",
    "SimulatorThread",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_IDLE_TIMEOUT = 30.0  # real devices drop a connection silent for about 30 s
_START_TIMEOUT = 10.0
CLIENT_WAIT = 1.0  # how long push / disconnect wait for a client that is still connecting
_KEPT_REQUESTS = 10_000  # the most recent answered frames kept in `requests`
MAX_WAITING = 64  # answers one client may have waiting out `reply_delay` before it is dropped


def _dp_dict(dps: DpsInput) -> dict[str, Any]:
    if not isinstance(dps, Mapping):
        raise ArgumentTypeError(f"dps is a dict such as {{'1': True}}, not a {type(dps).__name__}")
    return {str(dp): value for dp, value in dps.items()}


class Behaviour(typing.Protocol):
    """What a device does beyond storing DPs (tuyaface.model builds one from a schema)."""

    def accept(self, device: SimulatedDevice, dps: dict[str, Any]) -> dict[str, Any]:
        """The part of a control the device takes (the rest is ignored, not stored)."""
        ...

    async def run(self, device: SimulatedDevice) -> None:
        """Runs while the device serves: change DPs over time (`device.push`)."""
        ...


def _text(_inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    check_text(attribute.name, value)


def _version(_inst: object, _attribute: attrs.Attribute[str], value: str) -> None:
    check_version(value)


def _delay(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    check_seconds(attribute.name, value, zero=True)


def _idle(_inst: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None:
        check_seconds(attribute.name, value)


@attrs.define(eq=False)
class _Connection:
    """The client connection being served."""

    transport: AsyncTransport
    session: Session
    lock: asyncio.Lock = attrs.field(factory=asyncio.Lock)
    queued: int = 0  # requests handed to `_answer_in_order` and not answered yet
    overwhelmed: bool = False  # more than MAX_WAITING requests waited: drop the client

    async def flush(self) -> None:
        async with self.lock:
            data = self.session.data_to_send()
            if data:
                await self.transport.send(data)


@attrs.define(eq=False)
class SimulatedDevice:
    """A simulated device: `SimulatedDevice("dev1", "0123456789abcdef", version="3.4",
    dps={"1": True})`. Its attributes are the knobs; change them at any time.

    - `dps`: the DP state; controls change it, status queries read it.
    - `device22`: answer DP_QUERY with "json obj data unvalid" (retcode 1), as device22
      firmware does; the client must query with CONTROL_NEW and null DPs.
    - `reply_delay`: seconds before each answer. A client that has more than
      `MAX_WAITING` (64) requests waiting for their answer is dropped with a reset, as a
      real device with its small buffers would drop it: the queue stays bounded.
    - `answering`: False reads and ignores everything (a wedged device; the socket stays up).
    - `error_text`: answer status queries and controls with this text and retcode 1.
    - `idle_timeout`: close a connection silent this long (None: never).
    - `plugin_manager`: where `version` and `serve(transport=...)` are looked up (default:
      the process-wide registry).
    - `behaviour`: checks controls and changes DPs over time while serving (a
      `Behaviour`; `tuyaface.model.simulated_device` builds one from a schema).
    - `max_connections`: clients served at once (1, as most devices); more are reset.

    Counters for tests: `connections` (served), `refused` (turned away because one client
    was already connected), `requests` (the frames it answered, decoded, most recent last).
    """

    dev_id: str = attrs.field(validator=_text)
    local_key: bytes = attrs.field(converter=local_key_bytes, repr=False)
    version: str = attrs.field(default="3.3", kw_only=True, validator=_version)
    dps: dict[str, Any] = attrs.field(
        factory=lambda: {"1": False}, kw_only=True, converter=_dp_dict
    )
    device22: bool = attrs.field(default=False, kw_only=True)
    reply_delay: float = attrs.field(default=0.0, kw_only=True, validator=_delay)
    answering: bool = attrs.field(default=True, kw_only=True)
    error_text: str | None = attrs.field(default=None, kw_only=True)
    idle_timeout: float | None = attrs.field(
        default=DEFAULT_IDLE_TIMEOUT, kw_only=True, validator=_idle
    )
    behaviour: Behaviour | None = attrs.field(default=None, kw_only=True, repr=False)
    max_connections: int = attrs.field(default=1, kw_only=True)
    random_bytes: Callable[[int], bytes] = attrs.field(default=os.urandom, kw_only=True, repr=False)
    wall_time: Callable[[], float] = attrs.field(default=time.time, kw_only=True, repr=False)
    plugin_manager: pluggy.PluginManager | None = attrs.field(
        default=None, kw_only=True, repr=False
    )

    protocol: Protocol = attrs.field(init=False, repr=False)
    connections: int = attrs.field(default=0, init=False)
    refused: int = attrs.field(default=0, init=False)
    requests: deque[Frame] = attrs.field(
        factory=lambda: deque(maxlen=_KEPT_REQUESTS), init=False, repr=False
    )
    _reports: Reports = attrs.field(init=False, repr=False)
    _clients: list[_Connection] = attrs.field(factory=list, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self.protocol = resolve_protocol(self.version, self.plugin_manager)
        self._reports = reports_for(self.protocol)

    @property
    def connected(self) -> bool:
        """True while a client is connected."""
        return bool(self._clients)

    @property
    def _active(self) -> _Connection | None:
        """The first client connected, or None."""
        return self._clients[0] if self._clients else None

    # -- serving ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        transport: str | TransportFactory = "asyncio",
        faults: FaultPlan | None = None,
    ) -> AsyncIterator[SimulatorServer]:
        """Listen on (host, port) (port 0: the OS or the loopback picks one) until the
        block ends. `transport="loopback"` serves in memory, where `faults` (a loopback
        `FaultPlan`) act on what the device writes; `host` is then just a name."""
        check_port(port, zero=True)
        factory = resolve_transport(transport, self.plugin_manager)
        try:
            server = await self._listen(factory, host, port, faults)
        except OSError as exc:
            raise NetworkError(
                f"cannot listen on {host}:{port} ({exc}): pick another port, or 0 for a free one"
            ) from None
        acting = None
        if self.behaviour is not None:
            acting = asyncio.get_running_loop().create_task(self.behaviour.run(self))
        try:
            bound_host, bound_port = server.address
            yield SimulatorServer(bound_host, bound_port, factory.name, server)
        finally:
            if acting is not None:
                acting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await acting
            server.close()
            await server.wait_closed()

    async def _listen(
        self, factory: TransportFactory, host: str, port: int, faults: FaultPlan | None
    ) -> AsyncServer:
        if factory.name == "loopback":
            from tuyaface_transport import LoopbackListener

            listener = LoopbackListener(host, port, faults=faults)
            listener.serve(self.handle)
            return listener
        if faults is not None:
            raise LocalProtocolError("fault plans need transport='loopback'")
        return await factory.start_server(host, port, self.handle)

    def serve_in_thread(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        transport: str | TransportFactory = "asyncio",
        faults: FaultPlan | None = None,
    ) -> SimulatorThread:
        """`serve` in a background event loop, for blocking code: a context manager."""
        check_port(port, zero=True)
        return SimulatorThread(self, host, port, transport, faults)

    async def handle(self, transport: AsyncTransport) -> None:
        """Serve one accepted connection (a server's handler)."""
        if len(self._clients) >= self.max_connections:
            self.refused += 1
            log.debug("%s: a client over the limit was turned away", self.dev_id)
            await _reset(transport)
            return
        connection = _Connection(transport, self._new_session())
        self._clients.append(connection)
        self.connections += 1
        try:
            await self._converse(connection)
        except OSError as exc:  # the transport's errors: the client went away
            log.debug("%s: connection ended: %s", self.dev_id, exc)
        finally:
            self._leave(connection)
            await transport.aclose()

    def _leave(self, connection: _Connection) -> None:
        if connection in self._clients:
            self._clients.remove(connection)

    # -- acting like a device -----------------------------------------------------------

    async def push(self, dps: DpsInput, *, wait: float = CLIENT_WAIT) -> bool:
        """Change DPs as a button press would and push them to the client. A client that
        has just connected may not be served yet: wait up to `wait` seconds for one to be
        ready. Returns whether a push was sent."""
        changed = _dp_dict(dps)
        self.dps.update(changed)
        return await self._push_all(self._reports.push(self.dev_id, changed, self._t()), wait)

    async def _push_all(self, payload: bytes, wait: float, *, cmd: int = Command.STATUS) -> bool:
        """Send a frame to every ready client (waiting up to `wait` s for one); whether
        any got it."""
        await self._ready_client(wait)
        sent = False
        for connection in self._ready_clients():
            connection.session.push(payload, cmd=cmd)
            try:
                await connection.flush()
            except OSError:  # the client has just gone
                continue
            sent = True
        return sent

    def _ready_clients(self) -> list[_Connection]:
        return [c for c in self._clients if c.session.state is State.READY]

    def _t(self) -> int:
        return int(self.wall_time())

    async def disconnect(self, *, reset: bool = False, wait: float = CLIENT_WAIT) -> bool:
        """Drop the client (end of stream, or a reset), waiting up to `wait` seconds for
        one to be served. Returns whether there was one."""
        connection = await self._ready_client(wait)
        if connection is None:
            return False
        if reset:
            await _reset(connection.transport)
        else:
            await connection.transport.aclose()
        return True

    async def _ready_client(self, wait: float) -> _Connection | None:
        """The client connection once its session is ready, or None after `wait` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            ready = self._ready_clients()
            if ready:
                return ready[0]
            if loop.time() >= deadline:
                return None
            await asyncio.sleep(0.002)

    # -- one connection ---------------------------------------------------------------

    def _new_session(self) -> Session:
        return Session(
            self.protocol,
            self.local_key,
            self.dev_id,
            role=Role.DEVICE,
            random_bytes=self.random_bytes,
            wall_time=self.wall_time,
        )

    async def _converse(self, connection: _Connection) -> None:
        """Read, and queue requests for `_answer_in_order`: reading goes on while an answer
        waits out `reply_delay`, so a client that gives up and leaves is noticed at once."""
        loop = asyncio.get_running_loop()
        session = connection.session
        session.start(loop.time())
        answers: asyncio.Queue[tuple[Frame, float]] = asyncio.Queue()
        answering = loop.create_task(self._answer_in_order(connection, answers))

        async def take(data: bytes) -> bool:
            self._read(connection, data, answers, loop.time())
            await connection.flush()
            return session.state is not State.CLOSED and not connection.overwhelmed

        try:
            while session.state is not State.CLOSED:
                try:
                    data = await connection.transport.receive(self.idle_timeout)
                except TimeoutError:
                    log.debug("%s: closing an idle connection", self.dev_id)
                    return
                if not data:
                    return
                if self.answering:
                    await feed_in_turns(data, take)  # a slice per loop turn
                if connection.overwhelmed:
                    log.debug("%s: over %d answers waiting: dropping", self.dev_id, MAX_WAITING)
                    await _reset(connection.transport)
                    return
        finally:
            self._leave(connection)  # free the slot before anything else can run
            answering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await answering

    def _read(
        self,
        connection: _Connection,
        data: bytes,
        answers: asyncio.Queue[tuple[Frame, float]],
        now: float,
    ) -> None:
        session = connection.session
        for event in session.receive_data(data, now):
            if isinstance(event, IncomingRequest):
                if connection.overwhelmed:
                    continue
                if self.reply_delay or connection.queued:
                    if connection.queued >= MAX_WAITING:
                        connection.overwhelmed = True
                        continue
                    connection.queued += 1
                    answers.put_nowait((event.frame, now + self.reply_delay))
                else:  # nothing to wait for: answer now, without a hop through the queue
                    self._answer(session, event.frame)
            elif isinstance(event, UnreadableFrame):
                self._unreadable(session, event.error)
            elif isinstance(event, SessionClosed):
                log.debug("%s: session ended: %s", self.dev_id, event.error)

    async def _answer_in_order(
        self, connection: _Connection, answers: asyncio.Queue[tuple[Frame, float]]
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            frame, due = await answers.get()
            try:
                # Always yield: answers all due at once must not hold the loop.
                await asyncio.sleep(max(0.0, due - loop.time()))
                self._answer(connection.session, frame)
                await connection.flush()
            finally:
                connection.queued -= 1

    def _answer(self, session: Session, frame: Frame) -> None:
        name = _HANDLERS.get(frame.cmd)
        if name is None:
            log.debug("%s: ignored cmd %d", self.dev_id, frame.cmd)
        elif session.state is State.READY:
            self.requests.append(frame)
            getattr(self, name)(session, frame)

    def _on_status(self, session: Session, frame: Frame) -> None:
        if self._answered_error(session, frame):
            return
        if self.device22:
            session.reply(frame, DEVICE22_ANSWER, retcode=1)
            return
        session.reply(frame, self._reports.status(self.dev_id, self.dps))

    def _on_control(self, session: Session, frame: Frame) -> None:
        dps = self._control_dps(session, frame)
        if dps is None:
            return
        behaviour = self.behaviour
        accept = None if behaviour is None else functools.partial(behaviour.accept, self)
        report = apply_control(self.dps, dps, accept)
        session.reply(frame)
        self._push(session, report)

    def _control_dps(self, session: Session, frame: Frame) -> dict[str, Any] | None:
        """A control's DPs; None once the error it gets is answered (the set error text,
        or DATA_FORMAT_ERROR for a payload without DPs)."""
        if self._answered_error(session, frame):
            return None
        try:
            return request_dps(frame.payload)
        except PayloadError:
            session.reply(frame, DATA_FORMAT_ERROR, retcode=1)
            return None

    def _on_heartbeat(self, session: Session, frame: Frame) -> None:
        session.reply(frame)

    def _on_refresh(self, session: Session, frame: Frame) -> None:
        try:
            ids = requested_dp_ids(frame.payload)
        except PayloadError:
            session.reply(frame, DATA_FORMAT_ERROR, retcode=1)
            return
        session.reply(frame)
        self._push(session, {dp: self.dps[dp] for dp in ids if dp in self.dps})

    def _on_ext_stream(self, session: Session, frame: Frame) -> None:
        """cmd 64: a plain device does not answer it."""

    def _answered_error(self, session: Session, frame: Frame) -> bool:
        if self.error_text is None:
            return False
        session.reply(frame, self.error_text.encode("utf-8"), retcode=1)
        return True

    def _push(self, session: Session, dps: Mapping[str, Any]) -> None:
        if dps:
            session.push(self._reports.push(self.dev_id, dps, self._t()))

    def _unreadable(self, session: Session, error: TuyaError) -> None:
        """3.2 / 3.3 under a wrong key: the frame passed its CRC but does not decrypt.
        Real devices still answer, encrypted with their own key, by the frame's seqno and
        cmd (the error names them). Frames that fail an HMAC, a GCM tag or a 3.1
        signature are dropped silently, as real devices do."""
        if not isinstance(error, DecryptError) or session.state is not State.READY:
            return
        seqno = error.seqno or 0
        cmd = Command.DP_QUERY if error.cmd is None else error.cmd
        session.reply(Frame(seqno=seqno, cmd=cmd), DATA_FORMAT_ERROR, retcode=1)


# The method answering each command, by name: a subclass (SimulatedGateway) overrides them.
_HANDLERS: dict[int, str] = {
    Command.DP_QUERY: "_on_status",
    Command.DP_QUERY_NEW: "_on_status",
    Command.CONTROL: "_on_control",
    Command.CONTROL_NEW: "_on_control",
    Command.HEART_BEAT: "_on_heartbeat",
    Command.UPDATEDPS: "_on_refresh",
    Command.LAN_EXT_STREAM: "_on_ext_stream",
}


async def _reset(transport: AsyncTransport) -> None:
    """Close with a reset where the transport can (loopback, asyncio), else plainly."""
    abort = getattr(transport, "abort", None)
    if callable(abort):
        abort()
    else:
        await transport.aclose()


@attrs.frozen
class SimulatorServer:
    """Where a simulator listens. Point a client at `host`, `port` with
    `transport=server.transport` (works for `Device` and `AsyncDevice` alike)."""

    host: str
    port: int
    transport: str
    server: AsyncServer = attrs.field(repr=False)

    @property
    def listener(self) -> LoopbackListener:
        """The loopback listener (faults, `accepting`, `drop_connections()`)."""
        from tuyaface_transport import LoopbackListener

        if not isinstance(self.server, LoopbackListener):
            raise LocalProtocolError("only transport='loopback' has a listener to tune")
        return self.server


def apply_control(
    state: dict[str, Any],
    dps: dict[str, Any],
    accept: Callable[[dict[str, Any]], dict[str, Any]] | None,
) -> dict[str, Any]:
    """Apply a control to `state` (what `accept` takes of it, if given); the DPs to push.
    A control of nulls only is the device22 status query: it reads and changes nothing."""
    if all(value is None for value in dps.values()):
        return {dp: state[dp] for dp in dps if dp in state}
    if accept is not None:
        dps = accept(dps)
    state.update(dps)
    return dps


class SimulatorThread(Running):
    """A simulator served from a background event loop, for blocking tests:

    with SimulatedDevice("dev1", KEY, version="3.3").serve_in_thread() as sim:
        Device("dev1", KEY, sim.host, port=sim.port, version="3.3")
    """

    def __init__(
        self,
        device: SimulatedDevice,
        host: str,
        port: int,
        transport: str | TransportFactory,
        faults: FaultPlan | None,
    ) -> None:
        self.device = device
        self._args = (host, port, transport, faults)
        self._server: concurrent.futures.Future[SimulatorServer] = concurrent.futures.Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"simulator-{device.dev_id}", daemon=True
        )

    @property
    def server(self) -> SimulatorServer:
        return self._server.result(timeout=_START_TIMEOUT)

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def transport(self) -> str:
        return self.server.transport

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = _START_TIMEOUT) -> T:
        """Run a coroutine (e.g. `device.push(...)`) in the simulator's loop; its result."""
        if self._loop is None:
            coroutine.close()
            raise LocalProtocolError("the simulator thread is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def push(self, dps: DpsInput, *, wait: float = CLIENT_WAIT) -> bool:
        """`SimulatedDevice.push` from this thread."""
        return self.call(self.device.push(dps, wait=wait))

    def disconnect(self, *, reset: bool = False, wait: float = CLIENT_WAIT) -> bool:
        """`SimulatedDevice.disconnect` from this thread."""
        return self.call(self.device.disconnect(reset=reset, wait=wait))

    def start(self) -> SimulatorServer:
        self._thread.start()
        return self.server

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread.is_alive():
            self._thread.join(_START_TIMEOUT)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception as exc:  # reported to the thread that waits in start()
            if not self._server.done():
                self._server.set_exception(exc)
            else:
                log.exception("simulator thread failed")

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        host, port, transport, faults = self._args
        async with self.device.serve(host, port, transport=transport, faults=faults) as server:
            self._server.set_result(server)
            await self._stop.wait()
