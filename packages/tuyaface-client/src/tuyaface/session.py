"""`Session`: one connection's conversation, sans I/O (the h11 model).

Feed it received bytes and the current time; it hands back bytes to send, events and the
next deadline. Both roles share it: the client (requests, replies, pushes, heartbeats,
the 3.4 / 3.5 handshake, the device22 fallback) and the simulated device.
"""

from __future__ import annotations

import enum
import logging
import os
import time
from collections.abc import Callable, Iterable

from tuyaface_codec import (
    CodecError,
    Command,
    DecryptError,
    Frame,
    FrameDecoder,
    HandshakeError,
    LocalProtocolError,
    Protocol,
    RequestKind,
    Timeout,
    TuyaError,
    handshake,
)
from tuyaface_codec.frame import request_frame
from tuyaface_codec.keys import KeyLike, as_key, require_key
from tuyaface_codec.parts import fields_repr

from ._lograte import warn_rate_limited
from ._replies import (
    WRONG_KEY,
    PendingRequest,
    answer_cid,
    device_error,
    is_device22_error,
    read_push,
    read_reply,
    read_report,
)
from ._types import DpsInput
from .events import (
    Event,
    IncomingRequest,
    PresenceReport,
    Ready,
    RequestDone,
    RequestFailed,
    SessionClosed,
    StatusPush,
    UnreadableFrame,
)

__all__ = ["DEFAULT_REPLY_TIMEOUT", "Role", "Session", "State"]

log = logging.getLogger(__name__)

DEFAULT_REPLY_TIMEOUT = 5.0
_HANDSHAKE_COMMANDS = (
    Command.SESS_KEY_NEG_START,
    Command.SESS_KEY_NEG_RESP,
    Command.SESS_KEY_NEG_FINISH,
)
NO_ANSWER = (
    "check the protocol version (a 3.4 / 3.5 device ignores 3.1 - 3.3 requests) "
    "and that no other client holds the device"
)


class Role(enum.Enum):
    CLIENT = "client"
    DEVICE = "device"


class State(enum.Enum):
    IDLE = "idle"
    HANDSHAKING = "handshaking"
    READY = "ready"
    CLOSED = "closed"


def _wrong_key(error: CodecError) -> str:
    """The message for a frame that failed under our key, naming the likely cause once."""
    text = str(error)
    return text if WRONG_KEY in text else f"{WRONG_KEY}: {text}"


def local_key_bytes(value: KeyLike) -> bytes:
    """The 16 raw bytes of a local key (bytes or a 16-character string)."""
    return require_key(as_key(value))


class Session:
    """The protocol state of one TCP connection, for either role."""

    __slots__ = (
        "_decoder",
        "_events",
        "_frames_at_send",
        "_handshake_deadline",
        "_in_flight",
        "_iv_size",
        "_last_answer",
        "_last_sent",
        "_local_nonce",
        "_outbound",
        "_queue",
        "_remote_nonce",
        "_seqno",
        "_session_key",
        "cid",
        "dev_id",
        "device22",
        "dp_ids",
        "frames_received",
        "gateway",
        "heartbeat_interval",
        "local_key",
        "protocol",
        "random_bytes",
        "reply_timeout",
        "role",
        "state",
        "wall_time",
    )  # fmt: skip
    # what the repr shows: no key, nonce, queued request or event (they carry payload)
    _SHOWN = (
        "protocol", "dev_id", "role", "cid", "gateway", "reply_timeout", "heartbeat_interval",
        "device22", "dp_ids", "state", "frames_received", "_seqno", "_handshake_deadline",
        "_last_sent", "_frames_at_send",
    )  # fmt: skip

    def __init__(
        self,
        protocol: Protocol,
        local_key: KeyLike,
        dev_id: str,
        role: Role = Role.CLIENT,
        cid: str | None = None,
        gateway: bool = False,  # serves children: routes answers by cid, never device22
        reply_timeout: float = DEFAULT_REPLY_TIMEOUT,
        heartbeat_interval: float | None = None,
        device22: bool = False,
        dp_ids: tuple[str, ...] = ("1", "2", "3"),
        random_bytes: Callable[[int], bytes] = os.urandom,
        wall_time: Callable[[], float] = time.time,
    ) -> None:
        self.protocol = protocol
        self.local_key = local_key_bytes(local_key)
        self.dev_id = dev_id
        self.role = role
        self.cid = cid
        self.gateway = gateway
        self.reply_timeout = reply_timeout
        self.heartbeat_interval = heartbeat_interval
        self.device22 = device22 or protocol.prefers_device22
        self.dp_ids = dp_ids
        self.random_bytes = random_bytes
        self.wall_time = wall_time

        self.state = State.IDLE
        self.frames_received = 0
        self._seqno = 0
        self._decoder = FrameDecoder(protocol, key=self.local_key, from_device=role is Role.CLIENT)
        self._iv_size = protocol.iv_size  # once, not per frame (gain: AsyncDevice._send_request)
        self._session_key: bytes | None = None
        self._local_nonce = b""
        self._remote_nonce = b""
        self._handshake_deadline: float | None = None
        # bytes, not a bytearray: an empty one is shared (a bytearray took 56 bytes per
        # connection), and one frame queued is handed out as it is, without a copy.
        self._outbound = b""
        # A list, not a deque: rarely more than one entry, and an empty deque takes 600 bytes
        # (this object lives as long as the connection; thousands of them in one process).
        self._queue: list[PendingRequest] = []
        self._in_flight: PendingRequest | None = None
        self._last_sent = 0.0
        # the last answer (seqno, cmd, retcode, payload): 3.4 / 3.5 drop a copy of it
        self._last_answer: tuple[int, int, int | None, bytes] | None = None
        self._frames_at_send = 0  # when the last request went
        self._events: list[Event] = []
        if role is Role.DEVICE and not protocol.device_echoes_seqno:
            self._seqno = int.from_bytes(random_bytes(2), "big")

    def __repr__(self) -> str:
        return fields_repr(self, self._SHOWN)

    # -- driver interface -------------------------------------------------------------

    def start(self, now: float) -> list[Event]:
        """The connection is open: begin the handshake (client, 3.4 / 3.5) or be ready."""
        if self.state is not State.IDLE:
            raise LocalProtocolError(f"session already {self.state.value}")
        self._last_sent = now
        if not self.protocol.needs_handshake:
            self._become_ready(now)
        elif self.role is Role.CLIENT:
            self.state = State.HANDSHAKING
            self._local_nonce = self.random_bytes(handshake.NONCE_SIZE)
            self._send(Command.SESS_KEY_NEG_START, self._local_nonce, now)
            self._handshake_deadline = now + self.reply_timeout
        else:
            self.state = State.HANDSHAKING
        return self.take_events()

    @property
    def wants_to_send(self) -> bool:
        """True when `data_to_send()` has bytes."""
        return bool(self._outbound)

    def data_to_send(self) -> bytes:
        """Bytes the driver must write to the connection now."""
        data, self._outbound = self._outbound, b""
        return data

    def receive_data(self, data: bytes, now: float) -> list[Event]:
        """Bytes read from the connection."""
        while self.state is not State.CLOSED:
            # During the handshake the key changes after a handshake frame, and the next
            # frame (often in the same read) is under the new key: take frames one by one.
            limit = 1 if self.state is State.HANDSHAKING else None
            # Intact frames first, in order, then the bad one's consequences: the outcome
            # is the same however the bytes were split into reads.
            frames, error = self._decoder.feed_checked(data, limit=limit)
            data = b""
            for frame in frames:
                self.frames_received += 1
                self._dispatch(frame, now)
                if self._closed:
                    break
            if self._closed:
                break
            if error is not None:
                self._on_bad_frame(error, now)
                continue  # the frames after the bad one
            if not frames or limit is None:
                break
        return self.take_events()

    @property
    def _closed(self) -> bool:
        """(A property: `_dispatch` changes `state`, which mypy would take as narrowed.)"""
        return self.state is State.CLOSED

    def connection_lost(self, error: TuyaError | None) -> list[Event]:
        """The connection ended (EOF, reset, or closed by the driver)."""
        self._close(error)
        return self.take_events()

    def handle_timeout(self, now: float) -> list[Event]:
        """Call at (or after) `next_deadline()`."""
        if self._handshake_deadline is not None and now >= self._handshake_deadline:
            self._close(HandshakeError(f"no answer to the key exchange: {WRONG_KEY}?"))
        request = self._in_flight
        if request is not None and request.deadline is not None and now >= request.deadline:
            self._on_reply_timeout(request, now)
        if self._heartbeat_due(now):
            self._queue.append(PendingRequest(RequestKind.HEARTBEAT, internal=True))
            self._pump(now)
        return self.take_events()

    def next_deadline(self) -> float | None:
        """When `handle_timeout` must be called next, or None."""
        # Without lists: called every read; -1.8% client CPU per Device.status() (paired).
        request, deadline = self._in_flight, self._handshake_deadline
        if request is not None:
            due = request.deadline
        elif self.state is State.READY and self.heartbeat_interval and not self._queue:
            due = self._last_sent + self.heartbeat_interval
        else:
            return deadline
        return due if deadline is None or (due is not None and due < deadline) else deadline

    def take_events(self) -> list[Event]:
        """Events not handed out yet: `request()` can end a request at once (a body that
        cannot be built, e.g. a DP value JSON cannot hold); call this after it."""
        events, self._events = self._events, []
        return events

    def close(self) -> list[Event]:
        """End the session on purpose: pending requests fail."""
        self._close(None)
        return self.take_events()

    @property
    def busy(self) -> bool:
        """True while a request is queued or waiting for its answer."""
        return self._in_flight is not None or bool(self._queue)

    # -- client role ------------------------------------------------------------------

    def request(
        self,
        kind: RequestKind,
        now: float,
        *,
        dps: DpsInput | None = None,
        dp_ids: Iterable[int | str] | None = None,
        cid: str | None = None,
    ) -> int:
        """Queue a request; its answer comes as RequestDone / RequestFailed with this id.
        `cid` addresses a gateway's child (default: the session's own `cid`)."""
        if self.role is not Role.CLIENT:
            raise LocalProtocolError("only a client session sends requests")
        if self.state is State.CLOSED:
            raise LocalProtocolError("session is closed: open a new connection")
        if kind is RequestKind.STATUS and self.device22:
            kind = RequestKind.DEVICE22_STATUS
        pending = PendingRequest(
            kind,
            dps={str(dp): value for dp, value in dps.items()} if dps else None,
            dp_ids=tuple(str(dp) for dp in dp_ids) if dp_ids else None,
            cid=self.cid if cid is None else cid,
        )
        if self.state is State.READY and self._in_flight is None and not self._queue:
            # straight to the wire, not through the queue (append, `_pump`, pop(0)); with
            # request_frame below: -4.2% / -4.4% CPU per 3.3 / 3.4 AsyncDevice.status,
            # Device +0.5% / -8.4%, paired, one core
            self._transmit(pending, now)
        else:
            self._queue.append(pending)
            self._pump(now)
        return pending.request_id

    def _pump(self, now: float) -> None:
        if self.state is not State.READY or self._in_flight is not None or not self._queue:
            return
        self._transmit(self._queue.pop(0), now)

    def _transmit(self, request: PendingRequest, now: float) -> None:
        dp_ids = request.dp_ids
        if request.kind is RequestKind.DEVICE22_STATUS and not dp_ids:
            dp_ids = request.dp_ids = self.dp_ids
        try:
            payload = self.protocol.build_payload(
                request.kind,
                dev_id=self.dev_id,
                t=int(self.wall_time()),
                dps=request.dps,
                cid=request.cid,
                dp_ids=dp_ids,
            )
            cmd = self.protocol.command_for(request.kind)
        except TuyaError as exc:
            self._finish_failed(request, exc)
            self._pump(now)
            return
        request.cmd = cmd
        request.seqno = self._send(cmd, payload, now)
        request.deadline = now + self.reply_timeout
        self._in_flight = request
        self._frames_at_send = self.frames_received

    def _on_reply(self, request: PendingRequest, frame: Frame, now: float) -> None:
        try:
            # the payload stripped once for both: -1.9% CPU per Device.status() (paired)
            text, dps = read_reply(frame)  # DecryptError for bytes that are not text
            # A gateway polled without a cid says "data unvalid" too: never device22 (§7).
            if (
                text is not None
                and request.kind is RequestKind.STATUS
                and not self.gateway
                and is_device22_error(text)
            ):
                self._switch_to_device22(request, now)
                return
            if text is not None:
                raise device_error(text, frame)
        except TuyaError as exc:
            self._in_flight = None
            self._finish_failed(request, exc)
        else:
            if request.kind is RequestKind.DEVICE22_STATUS and not dps:
                request.acked = True  # the values follow as a push (see answered_by)
                return
            self._in_flight = None
            if not request.internal:
                cached = request.cid is not None and request.kind is RequestKind.STATUS
                self._events.append(
                    RequestDone(request.request_id, request.kind, dps, frame, request.cid, cached)
                )
        if self._queue:  # `_pump` only when something waits (Device.status: see there)
            self._pump(now)

    def _switch_to_device22(self, request: PendingRequest, now: float) -> None:
        log.info("%s answered DP_QUERY with 'data unvalid': switching to device22", self.dev_id)
        self.device22 = True
        self._in_flight = None
        request.kind = RequestKind.DEVICE22_STATUS
        self._transmit(request, now)

    def _on_reply_timeout(self, request: PendingRequest, now: float) -> None:
        self._in_flight = None
        self._finish_failed(
            request,
            Timeout(f"no answer from the device within {self.reply_timeout:g} s: {NO_ANSWER}"),
        )
        # After a timeout the connection is replaced, on every version. A late answer
        # cannot be told from the next request's: 3.4 / 3.5 number answers with their own
        # counter, and on 3.1 - 3.3 every request takes seqno 0 answers (heartbeat acks
        # carry 0), which is what some firmware sends a late answer with.
        if request.kind is RequestKind.HEARTBEAT:
            reason = f"no answer to a heartbeat within {self.reply_timeout:g} s: {NO_ANSWER}"
        elif self.frames_received == self._frames_at_send:
            reason = "the device sent nothing since the request (half-open?): reconnecting"
        else:
            reason = "a reply went missing: a late one could pass for the next, reconnecting"
        self._close(Timeout(reason))

    def _heartbeat_due(self, now: float) -> bool:
        return (
            self.role is Role.CLIENT
            and self.state is State.READY
            and bool(self.heartbeat_interval)
            and not self.busy
            and now >= self._last_sent + (self.heartbeat_interval or 0.0)
        )

    def _finish_failed(self, request: PendingRequest, error: TuyaError) -> None:
        if not request.internal:
            self._events.append(RequestFailed(request.request_id, request.kind, error))

    # -- device role ------------------------------------------------------------------

    def reply(
        self, request: Frame, payload: bytes = b"", *, retcode: int = 0, seqno: int | None = None
    ) -> None:
        """Device role: answer `request` (its seqno is echoed where the version does).
        `seqno` numbers the answer instead, as firmware that answers with 0 does."""
        self._send_device(request.cmd, payload, retcode, echo=request.seqno, seqno=seqno)

    def push(self, payload: bytes, *, cmd: int = Command.STATUS) -> None:
        """Device role: send an unsolicited frame (a STATUS push by default)."""
        self._send_device(cmd, payload, 0, echo=0)

    def _send_device(
        self, cmd: int, payload: bytes, retcode: int, *, echo: int, seqno: int | None = None
    ) -> None:
        if self.role is not Role.DEVICE:
            raise LocalProtocolError("only a device session replies and pushes")
        if self.state is not State.READY and cmd not in _HANDSHAKE_COMMANDS:
            raise LocalProtocolError("the handshake is not finished")
        if seqno is None:
            seqno = echo if self.protocol.device_echoes_seqno else self._next_seqno()
        self._emit(Frame(seqno=seqno, cmd=cmd, payload=payload, retcode=retcode))

    def _device_handshake(self, frame: Frame, now: float) -> None:
        if self.state is State.READY:
            self._close(HandshakeError("handshake frame after the session key was set"))
        elif frame.cmd == Command.SESS_KEY_NEG_START and len(frame.payload) == 16:
            self._local_nonce = frame.payload
            self._remote_nonce = self.random_bytes(handshake.NONCE_SIZE)
            answer = handshake.response_payload(
                self.local_key, self._local_nonce, self._remote_nonce
            )
            self._send_device(Command.SESS_KEY_NEG_RESP, answer, 0, echo=frame.seqno)
        elif frame.cmd == Command.SESS_KEY_NEG_FINISH and self._remote_nonce:
            try:
                handshake.check_finish(frame.payload, self.local_key, self._remote_nonce)
            except HandshakeError as exc:
                self._close(exc)
                return
            self._set_session_key()
            self._become_ready(now)

    # -- shared -----------------------------------------------------------------------

    def _dispatch(self, frame: Frame, now: float) -> None:
        if self.role is Role.DEVICE:
            if frame.cmd in _HANDSHAKE_COMMANDS:
                self._device_handshake(frame, now)
            elif self.state is State.READY:
                self._events.append(IncomingRequest(frame))
            return
        if self.state is State.HANDSHAKING:
            self._client_handshake(frame, now)
            return
        if frame.cmd == Command.LAN_EXT_STREAM:
            self._on_report(frame)  # also when it answers the query
        request = self._in_flight
        echoes = self.protocol.device_echoes_seqno
        if (
            request is not None
            and request.answered_by(frame, echoes_seqno=echoes, cid=request.cid)
            and (not self.gateway or self._names_request(request, frame))
        ):
            if not echoes:
                # 3.4 / 3.5: answers match by command and order, so a copy of the last
                # answer would pass for the next one; the device's own counter tells them
                # apart (every frame it sends takes a new number, docs/protocol.md §9.1).
                # A copy is the same frame again: same number and content. Seqno 0 numbers
                # nothing (some firmware answers heartbeats so), so it never marks a copy:
                # an identical unnumbered answer carries the identical outcome anyway.
                copy = (frame.seqno, frame.cmd, frame.retcode, frame.payload)
                if frame.seqno and copy == self._last_answer:
                    log.debug("%s: dropped a copy of the last answer", self.dev_id)
                    return
                self._last_answer = copy
            self._on_reply(request, frame, now)
        elif frame.cmd == Command.STATUS:
            self._on_push(frame)
        elif frame.cmd != Command.LAN_EXT_STREAM:
            log.debug("%s: dropped an unexpected cmd %d frame", self.dev_id, frame.cmd)

    @staticmethod
    def _names_request(request: PendingRequest, frame: Frame) -> bool:
        """On a gateway, an answer naming another child is not this request's answer."""
        cid = answer_cid(frame)
        return cid is None or cid == request.cid

    def _client_handshake(self, frame: Frame, now: float) -> None:
        if frame.cmd != Command.SESS_KEY_NEG_RESP:
            log.debug("%s: cmd %d before the handshake finished", self.dev_id, frame.cmd)
            return
        try:
            self._remote_nonce = handshake.read_response(
                frame.payload, self.local_key, self._local_nonce
            )
        except HandshakeError as exc:
            self._close(exc)
            return
        finish = handshake.finish_payload(self.local_key, self._remote_nonce)
        self._send(Command.SESS_KEY_NEG_FINISH, finish, now)
        self._set_session_key()
        self._handshake_deadline = None
        self._become_ready(now)

    def _set_session_key(self) -> None:
        self._session_key = self.protocol.session_key(
            self.local_key, self._local_nonce, self._remote_nonce
        )
        self._decoder.set_key(self._session_key)

    def _become_ready(self, now: float) -> None:
        self.state = State.READY
        self._events.append(Ready())
        self._pump(now)

    def _on_push(self, frame: Frame) -> None:
        try:
            dps, cid = read_push(frame)
        except TuyaError as exc:
            message = "%s: ignored an unreadable status push: %s"
            warn_rate_limited(log, self.dev_id, message, self.dev_id, exc)
            return
        self._events.append(StatusPush(dps, cid))

    def _on_report(self, frame: Frame) -> None:
        try:
            report = read_report(frame)
        except TuyaError as exc:
            message = "%s: ignored an unreadable sub-device report: %s"
            warn_rate_limited(log, self.dev_id, message, self.dev_id, exc)
            return
        if report is not None:
            self._events.append(PresenceReport(*report))

    def _on_bad_frame(self, error: CodecError, now: float) -> None:
        if self.role is Role.DEVICE:
            log.debug("%s: a client frame failed its checks: %s", self.dev_id, error)
            self._events.append(UnreadableFrame(error))
            return
        if self.state is State.HANDSHAKING:
            self._close(HandshakeError(_wrong_key(error)))
            return
        request = self._in_flight
        if isinstance(error, DecryptError) and request is not None:
            # 3.1-3.3: the device answered under a different key.
            self._in_flight = None
            self._finish_failed(request, DecryptError(_wrong_key(error)))
            self._pump(now)
            return
        self._close(type(error)(f"connection out of sync ({error}): reconnecting"))

    def _next_seqno(self) -> int:
        self._seqno = (self._seqno + 1) & 0xFFFFFFFF
        return self._seqno

    def _send(self, cmd: int, payload: bytes, now: float) -> int:
        seqno = self._next_seqno()
        # the codec's constructor for client frames (Frame's checks for seqno and cmd only)
        self._emit(request_frame(seqno, cmd, payload))
        self._last_sent = now
        return seqno

    def _emit(self, frame: Frame) -> None:
        key = self.local_key if frame.cmd in _HANDSHAKE_COMMANDS else self._session_key
        iv = self.random_bytes(self._iv_size) if self._iv_size else None
        self._outbound += self.protocol.encode_frame(frame, key=key or self.local_key, iv=iv)

    def _close(self, error: TuyaError | None) -> None:
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSED
        self._handshake_deadline = None
        pending = [self._in_flight] if self._in_flight else []
        pending.extend(self._queue)
        self._in_flight = None
        self._queue.clear()
        failure = error or LocalProtocolError("the connection was closed")
        for request in pending:
            self._finish_failed(request, failure)
        self._events.append(SessionClosed(error))
