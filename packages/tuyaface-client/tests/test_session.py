"""The sans-IO Session on its own: a client session and a device session exchanging bytes
in memory, with the device's answers written by hand."""

from __future__ import annotations

import itertools
import tracemalloc
from typing import Any

import pytest
from simkit import DEV_ID, KEY, VERSIONS

from tuyaface.events import (
    Event,
    IncomingRequest,
    Ready,
    RequestDone,
    RequestFailed,
    SessionClosed,
    StatusPush,
    UnreadableFrame,
)
from tuyaface.session import Role, Session, State
from tuyaface_codec import (
    Command,
    Frame,
    FrameDecoder,
    PayloadError,
    RequestKind,
    Timeout,
    get_protocol,
)
from tuyaface_codec.requests import dump_json

LEGACY = ("3.1", "3.2", "3.3")
OWN_COUNTER = ("3.4", "3.5")


class Pair:
    """A client and a device session joined back to back."""

    def __init__(self, version: str, **client: Any) -> None:
        protocol = get_protocol(version)
        self.client = Session(protocol, KEY, DEV_ID, **client)
        self.device = Session(protocol, KEY, DEV_ID, role=Role.DEVICE)
        self.now = 0.0
        self.client_events: list[Event] = []
        self.requests: list[Frame] = []
        self.device.start(self.now)
        self.client_events += self.client.start(self.now)
        self.flush()

    def to_device(self) -> None:
        for event in self.device.receive_data(self.client.data_to_send(), self.now):
            if isinstance(event, IncomingRequest):
                self.requests.append(event.frame)

    def to_client(self, data: bytes | None = None) -> list[Event]:
        data = self.device.data_to_send() if data is None else data
        events = self.client.receive_data(data, self.now)
        self.client_events += events
        return events

    def flush(self) -> None:
        """Carry bytes both ways until both sides are quiet."""
        for _ in range(10):
            self.to_device()
            if not self.to_client():
                return

    def ask(self, kind: RequestKind = RequestKind.STATUS, **request: Any) -> int:
        request_id = self.client.request(kind, self.now, **request)
        self.to_device()
        return request_id

    def answer(self, dps: dict[str, Any]) -> bytes:
        """The device's answer to the last request, as bytes (not delivered yet)."""
        self.device.reply(self.requests[-1], dump_json({"dps": dps}))
        return self.device.data_to_send()

    def push(self, dps: dict[str, Any]) -> bytes:
        self.device.push(dump_json({"dps": dps}))
        return self.device.data_to_send()


def done(events: list[Event]) -> dict[int, dict[str, Any] | None]:
    return {e.request_id: e.dps for e in events if isinstance(e, RequestDone)}


def client_seqnos(version: str, data: bytes) -> list[int]:
    decoder = FrameDecoder(get_protocol(version), key=KEY, from_device=False)
    return [frame.seqno for frame in decoder.feed(data, limit=1)]


@pytest.mark.parametrize("version", VERSIONS)
def test_seqnos_start_at_1_and_increase_on_every_frame(version: str) -> None:
    pair = Pair(version)
    assert any(isinstance(event, Ready) for event in pair.client_events)
    for _ in range(5):
        request_id = pair.ask(RequestKind.HEARTBEAT)
        assert request_id in done(pair.to_client(pair.answer({})))
    seqnos = [frame.seqno for frame in pair.requests]
    handshake_frames = 2 if pair.client.protocol.needs_handshake else 0
    assert seqnos == list(range(1 + handshake_frames, 6 + handshake_frames))
    fresh = Pair(version)  # a new connection starts again at 1
    fresh.ask(RequestKind.HEARTBEAT)
    assert fresh.requests[0].seqno == 1 + handshake_frames


@pytest.mark.parametrize("version", OWN_COUNTER)
def test_every_handshake_uses_a_fresh_random_nonce(version: str) -> None:
    drawn: list[bytes] = []

    def random_bytes(size: int) -> bytes:
        value = bytes([len(drawn) % 256]) * size
        drawn.append(value)
        return value

    nonces = set()
    protocol = get_protocol(version)
    for _ in range(20):
        client = Session(protocol, KEY, DEV_ID, random_bytes=random_bytes)
        client.start(0.0)
        device = FrameDecoder(protocol, key=KEY, from_device=False)
        (start,) = device.feed(client.data_to_send())
        assert start.cmd == Command.SESS_KEY_NEG_START
        assert start.payload in drawn  # the nonce comes from the injected source
        nonces.add(start.payload)
    assert len(nonces) == 20


@pytest.mark.parametrize("version", LEGACY)
def test_replies_are_matched_by_seqno_up_to_33(version: str) -> None:
    pair = Pair(version)
    request_id = pair.ask()
    request = pair.requests[-1]
    stray = Frame(seqno=request.seqno + 7, cmd=request.cmd, payload=b'{"dps":{"1":false}}')
    pair.device.reply(stray)  # right command, wrong seqno: not our answer
    assert done(pair.to_client()) == {}
    assert done(pair.to_client(pair.answer({"1": True}))) == {request_id: {"1": True}}


@pytest.mark.parametrize("version", OWN_COUNTER)
def test_replies_are_matched_by_command_and_order_on_34_35(version: str) -> None:
    pair = Pair(version)
    first = pair.ask()
    second = pair.client.request(RequestKind.STATUS, pair.now)  # queued behind the first
    # The device numbers its frames with its own counter; pushes arrive in between.
    data = pair.push({"9": 1}) + pair.answer({"1": True}) + pair.push({"9": 2})
    events = pair.to_client(data)
    pair.to_device()  # the second request goes out only now
    events += pair.to_client(pair.answer({"1": False}))
    assert done(events) == {first: {"1": True}, second: {"1": False}}
    assert [e.dps for e in events if isinstance(e, StatusPush)] == [{"9": 1}, {"9": 2}]
    own = [frame.seqno for frame in pair.requests]
    assert own == sorted(own)


@pytest.mark.parametrize("version", LEGACY)
def test_pushes_with_seqno_0_between_replies(version: str) -> None:
    pair = Pair(version)
    # (not STATUS: on device22 firmware, 3.2's default, a push *is* the status answer)
    request_id = pair.ask(RequestKind.REFRESH, dp_ids=[1])
    events = pair.to_client(pair.push({"2": 5}) + pair.answer({"1": True}) + pair.push({"2": 6}))
    assert done(events) == {request_id: {"1": True}}
    assert [e.dps for e in events if isinstance(e, StatusPush)] == [{"2": 5}, {"2": 6}]


@pytest.mark.parametrize("version", LEGACY)
def test_a_late_reply_is_not_handed_to_the_next_request(version: str) -> None:
    pair = Pair(version, reply_timeout=1.0)
    late = pair.ask()
    pair.device.reply(Frame(seqno=0, cmd=Command.HEART_BEAT))  # the connection looks alive
    pair.to_client()
    pair.now = 1.5
    failed = pair.client.handle_timeout(pair.now)
    assert [(e.request_id, type(e.error)) for e in failed if isinstance(e, RequestFailed)] == [
        (late, Timeout)
    ]
    # Late answers come with seqno 0 too, which no request can tell from its own: the
    # connection is replaced (test_session_protocol.py has the seqno 0 case).
    assert pair.client.state is State.CLOSED
    assert done(pair.to_client(pair.answer({"1": "late"}))) == {}


@pytest.mark.parametrize("version", LEGACY)
def test_a_reply_timeout_with_nothing_received_ends_the_session(version: str) -> None:
    pair = Pair(version, reply_timeout=1.0)
    request_id = pair.ask()
    pair.now = 1.5
    events = pair.client.handle_timeout(pair.now)
    assert [e.request_id for e in events if isinstance(e, RequestFailed)] == [request_id]
    # Not a frame since the request: a half-open connection, most likely (RELIABILITY 8).
    closed = [e for e in events if isinstance(e, SessionClosed)]
    assert closed and isinstance(closed[0].error, Timeout)
    assert pair.client.state is State.CLOSED


@pytest.mark.parametrize("version", OWN_COUNTER)
def test_a_reply_timeout_ends_the_session_on_34_35(version: str) -> None:
    pair = Pair(version, reply_timeout=1.0)
    request_id = pair.ask()
    pair.now = 1.5
    events = pair.client.handle_timeout(pair.now)
    failed = [e for e in events if isinstance(e, RequestFailed)]
    assert [e.request_id for e in failed] == [request_id]
    # Replies carry the device's own counter, so a late one could pass for the next
    # request's answer: the session ends instead and the driver reconnects.
    closed = [e for e in events if isinstance(e, SessionClosed)]
    assert closed and isinstance(closed[0].error, Timeout)
    assert pair.client.state is State.CLOSED


@pytest.mark.parametrize("version", OWN_COUNTER)
def test_device_reads_a_request_sent_together_with_the_handshake_finish(version: str) -> None:
    protocol = get_protocol(version)
    client = Session(protocol, KEY, DEV_ID)
    device = Session(protocol, KEY, DEV_ID, role=Role.DEVICE)
    device.start(0.0)
    client.start(0.0)
    client.request(RequestKind.STATUS, 0.0)  # queued until the key is set
    device.receive_data(client.data_to_send(), 0.0)
    client.receive_data(device.data_to_send(), 0.0)
    both = client.data_to_send()  # FINISH (local key) and the request (session key)
    assert len(client_seqnos(version, both)) == 1  # (the decoder stops after one)
    events = device.receive_data(both, 0.0)
    assert [type(e) for e in events] == [Ready, IncomingRequest]


def test_a_request_whose_body_cannot_be_built_fails_at_once() -> None:
    pair = Pair("3.3")
    request_id = pair.client.request(RequestKind.SET, pair.now, dps={"1": object()})
    events = pair.client.take_events()
    failed = [e for e in events if isinstance(e, RequestFailed)]
    assert [e.request_id for e in failed] == [request_id]
    assert isinstance(failed[0].error, PayloadError)
    assert pair.client.state is State.READY


def test_heartbeats_go_out_when_idle_and_a_missing_answer_ends_the_session() -> None:
    pair = Pair("3.3", heartbeat_interval=5.0, reply_timeout=2.0)
    assert pair.client.next_deadline() == 5.0
    for tick in itertools.count(1):
        pair.now = pair.client.next_deadline() or 0.0
        pair.client.handle_timeout(pair.now)
        pair.to_device()
        if tick == 3:
            break
        pair.to_client(pair.answer({}))  # the device answers the first two
    assert [f.cmd for f in pair.requests] == [Command.HEART_BEAT] * 3
    pair.now = pair.client.next_deadline() or 0.0
    events = pair.client.handle_timeout(pair.now)
    closed = [e for e in events if isinstance(e, SessionClosed)]
    assert closed and isinstance(closed[0].error, Timeout)


def test_a_device_keeps_little_of_each_bad_frame() -> None:
    """Each client frame that fails its checks becomes an `UnreadableFrame` event; the
    event keeps the error's message, not the frame's bytes (a hostile client sending big
    bad frames must not grow the device's memory by their size, issue 10)."""
    protocol = get_protocol("3.3")
    device = Session(protocol, KEY, DEV_ID, role=Role.DEVICE)
    device.start(0.0)
    body = protocol.build_payload(RequestKind.STATUS, dev_id=DEV_ID, t=1) * 150  # ~15 KiB
    frame = protocol.encode_frame(Frame(1, Command.DP_QUERY, body), key=KEY, iv=None)
    bad = frame[:-5] + bytes([frame[-5] ^ 0xFF]) + frame[-4:]  # a wrong CRC
    count = 64
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        reads = (bytes(bytearray(bad)) for _ in range(count))  # each read a new buffer
        events = [event for read in reads for event in device.receive_data(read, 0.0)]
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(events) == count
    assert all(isinstance(event, UnreadableFrame) for event in events)
    assert kept - before < count * 2048, f"{(kept - before) / count:.0f} bytes per bad frame"
