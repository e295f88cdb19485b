"""Kit for the hostile suites: a device that misbehaves on purpose, and the runners.

A `HostileDevice` listens on 127.0.0.1 (TCP, port 0) or on the loopback transport and
plays one `Case` (a script, written from docs/protocol.md with the codec's public API) on every
connection until `behave()` is called: then it drops the hostile connections and serves
honestly (status answers `HONEST_DPS`), so a test can check that the client recovers.
Scripts that end in `serve_honestly()` keep their connection: a stale answer they sent
earlier must not reach the next call. All servers run in one `LoopThread`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from typing import Any, TypeVar

import attrs
from simkit import DEV_ID, KEY, VERSIONS, WRONG_KEY

from tuyaface._simreplies import reports_for, request_dps
from tuyaface_codec import (
    CodecError,
    Command,
    Frame,
    FrameDecoder,
    HandshakeError,
    Protocol,
    get_protocol,
    handshake,
)
from tuyaface_codec.keys import as_key, require_key
from tuyaface_transport import AsyncServer, AsyncTransport, LoopbackListener, get_transport

__all__ = [
    "ALL",
    "ECHOING",
    "HANDSHAKE",
    "HONEST_DPS",
    "SLACK",
    "STALE_DPS",
    "Case",
    "Conn",
    "HostileDevice",
    "LoopThread",
    "Script",
    "WRONG_LOCAL_KEY",
    "fd_count",
    "loop_thread",
]

T = TypeVar("T")
ALL = VERSIONS
HANDSHAKE = ("3.4", "3.5")  # the session key negotiation exists on these only
ECHOING = ("3.1", "3.2", "3.3")  # replies echo the request's seqno (docs/protocol.md §9.1)
HONEST_DPS: dict[str, Any] = {"1": "honest", "2": 7, "3": True}
STALE_DPS: dict[str, Any] = {"1": "stale", "2": 0, "3": False}
SLACK = 4.0  # seconds a call may take past its timeout (a loaded machine; hangs hold 10 s)
_HOLD = 10.0  # the longest a script keeps a connection it has nothing more to say on
_LOCAL_KEY = require_key(as_key(KEY))


def fd_count() -> int:
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


# -- one connection, device side --------------------------------------------------------


@attrs.define(eq=False)
class Conn:
    """The device end of one accepted connection, with the primitives scripts use."""

    transport: AsyncTransport
    protocol: Protocol
    session_key: bytes | None = None
    honest: bool = False
    closed: bool = False
    _seqno: int = 0x1000
    _decoder: FrameDecoder = attrs.field(init=False)
    _frames: list[Frame] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self._decoder = FrameDecoder(self.protocol, key=_LOCAL_KEY, from_device=False)

    # -- reading --

    async def next_frame(self, timeout: float = _HOLD) -> Frame | None:
        """The next client frame (None at end of stream or after `timeout`)."""
        data = b""  # first the frames already buffered (they may need a new key)
        while not self._frames:
            with contextlib.suppress(CodecError):  # a hostile test's own frames may be bad
                self._frames.extend(self._decoder.feed(data, limit=1))
            if self._frames:
                break
            data = await self.receive(timeout)
            if not data:
                return None
        return self._frames.pop(0)

    async def next_request(self, timeout: float = _HOLD) -> Frame | None:
        """The next frame that is not a heartbeat (heartbeats are answered honestly)."""
        while (frame := await self.next_frame(timeout)) is not None:
            if frame.cmd != Command.HEART_BEAT:
                return frame
            await self.send(self.answer(frame))
        return None

    async def receive(self, timeout: float) -> bytes:
        """Raw bytes (b"" at end of stream, on a reset or after `timeout`)."""
        if self.closed:
            return b""
        try:
            data = await self.transport.receive(timeout)
        except (OSError, TimeoutError):
            data = b""
        if not data:
            self.closed = True
        return data

    async def hold(self, seconds: float = _HOLD) -> None:
        """Read and ignore everything until the client leaves (or `seconds` pass)."""
        deadline = time.monotonic() + seconds
        while not self.closed and (left := deadline - time.monotonic()) > 0:
            await self.receive(left)

    # -- writing --

    async def send(self, data: bytes) -> bool:
        """Write `data`; False once the client has gone."""
        if self.closed:
            return False
        try:
            await self.transport.send(data)
        except OSError:
            self.closed = True
        return not self.closed

    async def trickle(self, data: bytes, pause: float) -> None:
        """`data` one byte per write, `pause` seconds apart (separate TCP segments)."""
        for index in range(len(data)):
            if not await self.send(data[index : index + 1]):
                return
            await asyncio.sleep(pause)

    def abort(self) -> None:
        """Reset the connection (or close it where the transport cannot reset)."""
        self.closed = True
        abort = getattr(self.transport, "abort", None)
        if callable(abort):
            abort()

    async def close(self) -> None:
        """End of stream, then stop."""
        self.closed = True
        with contextlib.suppress(OSError):
            await self.transport.aclose()

    # -- frames --

    def frame(
        self,
        cmd: int,
        payload: bytes,
        *,
        seqno: int | None = None,
        retcode: int = 0,
        key: bytes | None = None,
        protocol: Protocol | None = None,
    ) -> bytes:
        """Wire bytes of a device frame (the session key, else the local key)."""
        protocol = protocol or self.protocol
        if seqno is None:
            self._seqno += 1
            seqno = self._seqno
        iv = os.urandom(protocol.iv_size) if protocol.iv_size else None
        return protocol.encode_frame(
            Frame(seqno, cmd, payload, retcode),
            key=key or self.session_key or _LOCAL_KEY,
            iv=iv,
        )

    def raw(self, cmd: int, body: bytes, *, seqno: int = 1) -> bytes:
        """A frame whose integrity check passes around `body`, which is not enciphered."""
        protocol = self.protocol
        iv = os.urandom(protocol.iv_size) if protocol.iv_size else None
        return protocol.layout.encode(
            seqno,
            cmd,
            0,
            body,
            key=self.session_key or _LOCAL_KEY,
            iv=iv,
            crypto=protocol.backend(),
        )

    def answer(
        self, request: Frame, payload: bytes = b"", *, retcode: int = 0, **options: Any
    ) -> bytes:
        """A reply to `request` (its seqno echoed on 3.1-3.3, our own counter on 3.4/3.5)."""
        if self.protocol.device_echoes_seqno:
            options.setdefault("seqno", request.seqno)
        options.setdefault("cmd", request.cmd)
        cmd = options.pop("cmd")
        return self.frame(cmd, payload, retcode=retcode, **options)

    def status_json(self, dps: Mapping[str, Any] = HONEST_DPS, dev_id: str = DEV_ID) -> bytes:
        """The JSON of a status answer, as this version words it."""
        return reports_for(self.protocol).status(dev_id, dps)

    def push(self, dps: Mapping[str, Any], **options: Any) -> bytes:
        """A STATUS push frame carrying `dps`."""
        body = reports_for(self.protocol).push(DEV_ID, dps, int(time.time()))
        seqno = 0 if self.protocol.device_echoes_seqno else None
        options.setdefault("seqno", seqno)
        return self.frame(Command.STATUS, body, **options)

    def status_answer(self, request: Frame, dps: Mapping[str, Any] = HONEST_DPS) -> bytes:
        """The honest answer to a status query: a reply, or for device22 (CONTROL_NEW with
        null DPs) an empty acknowledgement and the values as a push."""
        if request.cmd in (Command.CONTROL, Command.CONTROL_NEW):
            try:
                asked = request_dps(request.payload)
            except CodecError:
                return self.answer(request, b"data format error", retcode=1)
            report = {dp: dps[dp] for dp in asked if dp in dps}
            return self.answer(request) + (self.push(report) if report else b"")
        return self.answer(request, self.status_json(dps))

    def honest_answer(self, request: Frame) -> bytes:
        """What a well-behaved device sends back for `request`."""
        if request.cmd == Command.HEART_BEAT:
            return self.answer(request)
        if request.cmd == Command.UPDATEDPS:
            return self.answer(request) + self.push(HONEST_DPS)
        if request.cmd in (Command.CONTROL, Command.CONTROL_NEW):
            try:
                asked = request_dps(request.payload)
            except CodecError:
                return self.answer(request, b"data format error", retcode=1)
            if any(value is not None for value in asked.values()):
                return self.answer(request) + self.push(asked)
        return self.status_answer(request)

    # -- the 3.4 / 3.5 handshake --

    async def await_start(self) -> Frame | None:
        """The client's SESS_KEY_NEG_START (3.4 / 3.5), or None."""
        frame = await self.next_frame()
        if frame is None or frame.cmd != Command.SESS_KEY_NEG_START:
            return None
        return frame

    def handshake_response(self, start: Frame, nonce: bytes, key: bytes = _LOCAL_KEY) -> bytes:
        """Step 2: our nonce and the proof of the client's (under `key`)."""
        payload = handshake.response_payload(key, start.payload, nonce)
        return self.frame(Command.SESS_KEY_NEG_RESP, payload, key=_LOCAL_KEY)

    async def handshake(self, *, before: bytes = b"") -> bool:
        """The honest key exchange (a no-op below 3.4); `before` goes out ahead of step 2."""
        if not self.protocol.needs_handshake:
            return True
        start = await self.await_start()
        if start is None:
            return False
        nonce = os.urandom(handshake.NONCE_SIZE)
        if not await self.send(before + self.handshake_response(start, nonce)):
            return False
        finish = await self.next_frame()
        if finish is None or finish.cmd != Command.SESS_KEY_NEG_FINISH:
            return False
        try:
            handshake.check_finish(finish.payload, _LOCAL_KEY, nonce)
        except HandshakeError:
            return False
        self.session_key = self.protocol.session_key(_LOCAL_KEY, start.payload, nonce)
        self._decoder.set_key(self.session_key)
        return True

    async def serve_honestly(self) -> None:
        """Answer every request as a well-behaved device would, until the client leaves."""
        self.honest = True
        while (frame := await self.next_frame()) is not None:
            if not await self.send(self.honest_answer(frame)):
                return


Script = Callable[[Conn], Awaitable[None]]


@attrs.frozen
class Case:
    """One misbehaviour: `script` plays it on each connection.

    `expect`: "error" (the call must fail with an error from our tree), "ok" (it must
    succeed) or "any" (either; only the error's type, the time and the recovery count).
    `call`: the API call made against it ("status" or "heartbeat").
    """

    name: str
    script: Script
    versions: tuple[str, ...] = ALL
    expect: str = "error"
    call: str = "status"
    note: str = ""


# -- the server ---------------------------------------------------------------------------


@attrs.define(eq=False)
class HostileDevice:
    """Plays `case` on every connection until `behave()`; honest afterwards."""

    case: Case
    version: str
    transport: str = "tcp"  # or "loopback"
    honest: bool = False
    connections: int = 0
    errors: list[str] = attrs.field(factory=list)  # the kit's own failures, for the test
    _server: AsyncServer | LoopbackListener | None = attrs.field(default=None, init=False)
    _hostile: dict[Conn, asyncio.Task[None]] = attrs.field(factory=dict, init=False)
    _behaving: dict[Conn, asyncio.Task[None]] = attrs.field(factory=dict, init=False)

    @property
    def protocol(self) -> Protocol:
        return get_protocol(self.version)

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None
        return self._server.address

    @property
    def client_transport(self) -> dict[str, str]:
        """The `transport` option for Device / AsyncDevice."""
        if self.transport == "loopback":
            return {"sync": "loopback", "async": "loopback"}
        return {"sync": "tcp", "async": "asyncio"}

    async def start(self) -> None:
        if self.transport == "loopback":
            listener = LoopbackListener(f"hostile-{id(self)}", 0)
            listener.serve(self._handle)
            self._server = listener
        else:
            factory = get_transport("asyncio")
            self._server = await factory.start_server("127.0.0.1", 0, self._handle)

    async def stop(self) -> None:
        for conn, task in list(self._hostile.items()):
            conn.abort()
            task.cancel()
        if self._server is not None:
            self._server.close()
            if isinstance(self._server, LoopbackListener):
                return
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5.0)

    async def behave(self) -> int:
        """From now on: honest. Hostile connections are reset (a device reboot): how many."""
        self.honest = True
        reset = 0
        for conn, task in list(self._hostile.items()):
            if not conn.honest:
                conn.abort()
                task.cancel()
                reset += 1
        return reset

    async def reset_all(self) -> None:
        """Reset every connection, honest ones too (a device reboot between two calls)."""
        for conn, task in list(self._hostile.items()) + list(self._behaving.items()):
            conn.abort()
            task.cancel()

    async def _handle(self, transport: AsyncTransport) -> None:
        self.connections += 1
        conn = Conn(transport, self.protocol)
        task = asyncio.current_task()
        assert task is not None
        try:
            if self.honest:
                self._behaving[conn] = task
                if await conn.handshake():
                    await conn.serve_honestly()
                return
            self._hostile[conn] = task
            await self.case.script(conn)
            await conn.hold()
        except asyncio.CancelledError:
            pass
        except (OSError, TimeoutError):
            pass  # the client went away
        except Exception as exc:  # a bug in the kit: reported by the test
            self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self._hostile.pop(conn, None)
            self._behaving.pop(conn, None)
            conn.abort()


# -- the thread the servers live in -------------------------------------------------------


class LoopThread:
    """An event loop in a daemon thread, for the hostile servers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return self.submit(coroutine).result(timeout)

    async def acall(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(self.submit(coroutine))

    def close(self) -> None:
        async def drain() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            self.call(drain(), 10.0)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10.0)
        self.loop.close()


@contextlib.contextmanager
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    try:
        yield thread
    finally:
        thread.close()


WRONG_LOCAL_KEY = require_key(as_key(WRONG_KEY))
