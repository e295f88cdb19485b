"""Issue 10, items 1-6, sans I/O: which frame answers a request, late and copied answers,
frames that fail their checks in any split of the stream, and the 3.2 version header.

Client and device sessions draw the same seeded randomness, so every pair negotiates the
same 3.4 / 3.5 session key and a byte stream recorded once can be replayed to a fresh pair.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from simkit import DEV_ID, KEY, VERSIONS, WRONG_KEY

from tuyaface.events import (
    Event,
    IncomingRequest,
    RequestDone,
    RequestFailed,
    SessionClosed,
    StatusPush,
    UnreadableFrame,
)
from tuyaface.session import Role, Session, State
from tuyaface_codec import (
    Command,
    DecryptError,
    DeviceError,
    Frame,
    RequestKind,
    Timeout,
    get_protocol,
)
from tuyaface_codec.requests import dump_json

LEGACY = ("3.1", "3.2", "3.3")
OWN_COUNTER = ("3.4", "3.5")
DEVICE22 = ("3.2", "3.3")  # 3.2 always, 3.3 in device22 mode


def seeded(seed: int) -> Callable[[int], bytes]:
    counter = itertools.count(seed)
    return lambda size: bytes((next(counter) * 7 + i) % 256 for i in range(size))


class Pair:
    """A client session and a device session back to back, with seeded randomness."""

    def __init__(self, version: str, **client: Any) -> None:
        protocol = get_protocol(version)
        self.client = Session(protocol, KEY, DEV_ID, random_bytes=seeded(1), **client)
        self.device = Session(protocol, KEY, DEV_ID, role=Role.DEVICE, random_bytes=seeded(99))
        self.now = 0.0
        self.requests: list[Frame] = []
        self.device.start(self.now)
        self.client.start(self.now)
        for _ in range(4):  # the 3.4 / 3.5 handshake
            self.to_device()
            self.client.receive_data(self.device.data_to_send(), self.now)
        assert self.client.state is State.READY

    def to_device(self) -> list[Event]:
        events = self.device.receive_data(self.client.data_to_send(), self.now)
        self.requests += [e.frame for e in events if isinstance(e, IncomingRequest)]
        return events

    def ask(self, kind: RequestKind = RequestKind.STATUS, **request: Any) -> int:
        request_id = self.client.request(kind, self.now, **request)
        self.to_device()
        return request_id

    def reply(self, payload: bytes = b"", **options: Any) -> bytes:
        """The device's answer to the last request (not delivered yet)."""
        self.device.reply(self.requests[-1], payload, **options)
        return self.device.data_to_send()

    def answer(self, dps: dict[str, Any]) -> bytes:
        return self.reply(dump_json({"devId": DEV_ID, "dps": dps}))

    def push(self, dps: dict[str, Any]) -> bytes:
        self.device.push(dump_json({"devId": DEV_ID, "dps": dps, "t": 1}))
        return self.device.data_to_send()


def outcome(events: list[Event]) -> list[tuple[Any, ...]]:
    """Events as comparable tuples (errors by type)."""
    shown: list[tuple[Any, ...]] = []
    for event in events:
        if isinstance(event, RequestDone):
            shown.append(("done", event.request_id, event.dps))
        elif isinstance(event, RequestFailed):
            shown.append(("failed", event.request_id, type(event.error).__name__))
        elif isinstance(event, StatusPush):
            shown.append(("push", event.dps))
        elif isinstance(event, SessionClosed):
            shown.append(("closed", type(event.error).__name__))
    return shown


def anonymous(shown: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """`outcome` without request ids (each replay is a fresh pair with fresh ids)."""
    return [(e[0], *e[2:]) if e[0] in ("done", "failed") else e for e in shown]


def splits(data: bytes) -> Iterator[list[bytes]]:
    """`data` cut in two at every offset, then one byte at a time."""
    for cut in range(len(data) + 1):
        yield [data[:cut], data[cut:]]
    yield [data[i : i + 1] for i in range(len(data))]


def feed(session: Session, pieces: list[bytes], now: float = 0.0) -> list[Event]:
    events: list[Event] = []
    for piece in pieces:
        events += session.receive_data(piece, now)
    return events


# -- 1: the device22 status answer -----------------------------------------------------

DPS = {"1": True, "2": 50, "3": "white"}


@pytest.mark.parametrize("version", DEVICE22)
def test_device22_answer_is_the_first_push_after_the_ack_with_the_requested_dps(
    version: str,
) -> None:
    reference = Pair(version, device22=True)
    reference.ask()
    assert reference.requests[-1].cmd == Command.CONTROL_NEW
    stream = (
        reference.push({"1": False, "2": 10, "3": "old"})  # before the ack: a push
        + reference.reply()  # the ack
        + reference.push({"20": True})  # unrelated: a push
        + reference.push({"1": True, "20": False})  # carries an unrequested DP: a push
        + reference.push(DPS)  # the answer
        + reference.push({"1": False})  # after: a push
    )
    for pieces in splits(stream):
        pair = Pair(version, device22=True)
        request_id = pair.ask()
        assert outcome(feed(pair.client, pieces)) == [
            ("push", {"1": False, "2": 10, "3": "old"}),
            ("push", {"20": True}),
            ("push", {"1": True, "20": False}),
            ("done", request_id, DPS),
            ("push", {"1": False}),
        ]


@pytest.mark.parametrize("version", DEVICE22)
def test_device22_push_of_a_refresh_is_not_the_next_status_answer(version: str) -> None:
    """Seen: refresh([20]) then status() returned {'20': True}."""
    pair = Pair(version, device22=True)
    refresh = pair.ask(RequestKind.REFRESH, dp_ids=[20])
    assert outcome(pair.client.receive_data(pair.reply(), 0.0)) == [("done", refresh, None)]
    status = pair.ask()
    late_push = pair.push({"20": True})  # the refresh's values, after the query went out
    events = pair.client.receive_data(late_push + pair.reply() + pair.push(DPS), 0.0)
    assert outcome(events) == [("push", {"20": True}), ("done", status, DPS)]


@pytest.mark.parametrize("version", DEVICE22)
def test_device22_answer_may_leave_out_dps_the_device_does_not_have(version: str) -> None:
    pair = Pair(version, device22=True)  # asks for 1, 2, 3
    status = pair.ask()
    events = pair.client.receive_data(pair.reply() + pair.push({"1": True}), 0.0)
    assert outcome(events) == [("done", status, {"1": True})]


@pytest.mark.parametrize("version", DEVICE22)
def test_device22_ack_that_carries_the_dps_is_the_answer(version: str) -> None:
    pair = Pair(version, device22=True)
    status = pair.ask()
    assert outcome(pair.client.receive_data(pair.answer(DPS), 0.0)) == [("done", status, DPS)]


# -- 2: a late answer with seqno 0 -----------------------------------------------------


@pytest.mark.parametrize("version", LEGACY)
def test_a_late_seqno_0_answer_never_reaches_the_next_request(version: str) -> None:
    pair = Pair(version, reply_timeout=1.0)
    late = pair.ask(RequestKind.REFRESH, dp_ids=[1])  # (REFRESH: no device22 switch on 3.2)
    pair.client.receive_data(pair.push({"9": 1}), pair.now)  # the connection looks alive
    pair.now = 1.5
    events = pair.client.handle_timeout(pair.now)
    assert ("failed", late, "Timeout") in outcome(events)
    if pair.client.state is not State.CLOSED:  # before the fix: the connection stayed
        following = pair.ask(RequestKind.REFRESH, dp_ids=[1])
        pair.device.reply(pair.requests[0], b'{"dps":{"1":"late"}}', seqno=0)
        late_answer = pair.device.data_to_send()
        got = outcome(pair.client.receive_data(late_answer, pair.now))
        assert ("done", following, {"1": "late"}) not in got
    # The rule: after a reply went missing the connection is replaced, on every version.
    assert pair.client.state is State.CLOSED
    closed = [e for e in events if isinstance(e, SessionClosed)]
    assert closed and isinstance(closed[0].error, Timeout)


# -- 3: every split of a stream with a bad frame in it ---------------------------------


def corrupt_check(frame: bytes) -> bytes:
    """The frame with a byte of its CRC / HMAC / GCM tag flipped (just before the suffix)."""
    return frame[:-5] + bytes([frame[-5] ^ 0xFF]) + frame[-4:]


def wrong_key_push(version: str) -> bytes:
    """A STATUS frame whose checks pass or fail as a device under another key would send:
    on 3.2 / 3.3 the CRC passes and decryption fails; elsewhere the key-bound check fails."""
    protocol = get_protocol(version)
    payload = dump_json({"devId": DEV_ID, "dps": {"7": 1}, "t": 1})
    iv = b"\x01" * protocol.iv_size if protocol.iv_size else None
    return protocol.encode_frame(Frame(0, Command.STATUS, payload, 0), key=WRONG_KEY, iv=iv)


BAD_FRAMES: dict[str, Callable[[str, Pair], bytes]] = {
    "corrupt-check": lambda version, pair: corrupt_check(pair.push({"8": 1})),
    "wrong-key": lambda version, pair: wrong_key_push(version),
}


@pytest.mark.parametrize("bad", sorted(BAD_FRAMES))
@pytest.mark.parametrize("version", VERSIONS)
def test_one_outcome_for_every_split_of_answer_then_bad_frame(version: str, bad: str) -> None:
    reference = Pair(version)
    request_id = reference.ask(RequestKind.REFRESH, dp_ids=[1])
    stream = (
        reference.push({"2": 5})
        + reference.answer({"1": True})
        + BAD_FRAMES[bad](version, reference)
        + reference.push({"2": 6})
    )
    outcomes = set()
    for pieces in splits(stream):
        pair = Pair(version)
        assert pair.ask(RequestKind.REFRESH, dp_ids=[1]) != request_id  # (fresh ids)
        got = outcome(feed(pair.client, pieces))
        outcomes.add(repr(anonymous(got)))
    assert len(outcomes) == 1, outcomes
    (only,) = outcomes
    # The intact answer reaches its caller; the bad frame then ends the connection.
    assert only.startswith("[('push', {'2': 5}), ('done', {'1': True}), ('closed',"), only


@pytest.mark.parametrize("version", LEGACY)
def test_an_answer_under_another_key_is_wrong_key_in_every_split(version: str) -> None:
    """No intact answer before it: the request fails with "wrong local key" (3.2 / 3.3:
    the CRC passes, decryption fails) or the connection ends, the same for every split."""
    reference = Pair(version)
    reference.ask(RequestKind.REFRESH, dp_ids=[1])
    stream = reference.push({"2": 5}) + wrong_key_push(version)
    outcomes = set()
    for pieces in splits(stream):
        pair = Pair(version)
        pair.ask(RequestKind.REFRESH, dp_ids=[1])
        outcomes.add(repr(anonymous(outcome(feed(pair.client, pieces)))))
    assert len(outcomes) == 1, outcomes


# -- 4: a heartbeat nobody answers -----------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_an_unanswered_heartbeat_request_fails_with_timeout(version: str) -> None:
    pair = Pair(version, reply_timeout=1.0)
    request_id = pair.ask(RequestKind.HEARTBEAT)
    pair.now = pair.client.next_deadline() or 0.0
    assert pair.now == 1.0
    events = pair.client.handle_timeout(pair.now)
    failed = [e for e in events if isinstance(e, RequestFailed)]
    assert [e.request_id for e in failed] == [request_id]
    assert isinstance(failed[0].error, Timeout)
    assert "no answer" in str(failed[0].error)


# -- 5: heartbeat answers numbered 0 on 3.4 / 3.5 --------------------------------------


@pytest.mark.parametrize("version", OWN_COUNTER)
def test_heartbeat_answers_with_seqno_0_are_all_taken(version: str) -> None:
    pair = Pair(version)
    for _ in range(4):
        request_id = pair.ask(RequestKind.HEARTBEAT)
        events = pair.client.receive_data(pair.reply(seqno=0), pair.now)
        assert outcome(events) == [("done", request_id, None)]


@pytest.mark.parametrize("version", OWN_COUNTER)
def test_a_copy_of_an_answer_is_dropped(version: str) -> None:
    pair = Pair(version)
    first = pair.ask()
    answer = pair.answer({"1": "first"})
    assert outcome(pair.client.receive_data(answer, pair.now)) == [("done", first, {"1": "first"})]
    second = pair.ask()
    assert outcome(pair.client.receive_data(answer, pair.now)) == []  # the same frame again
    events = pair.client.receive_data(pair.answer({"1": "second"}), pair.now)
    assert outcome(events) == [("done", second, {"1": "second"})]


# -- 6: 3.2 devices take the 3.3 version header (what tuyapi sends them) ---------------


@pytest.mark.parametrize("header", ["3.2", "3.3"])
def test_a_32_device_reads_requests_with_a_32_or_33_header(header: str) -> None:
    device = Session(get_protocol("3.2"), KEY, DEV_ID, role=Role.DEVICE)
    device.start(0.0)
    sender = get_protocol(header)
    payload = dump_json({"devId": DEV_ID, "uid": DEV_ID, "t": 1, "dps": {"1": True}})
    data = sender.encode_frame(Frame(1, Command.CONTROL, payload), key=KEY)
    assert data[16:19] == header.encode()  # the version header, in clear
    events = device.receive_data(data, 0.0)
    assert not [e for e in events if isinstance(e, UnreadableFrame)]
    (request,) = [e.frame for e in events if isinstance(e, IncomingRequest)]
    assert request.payload == payload


# -- 14: an answer that is neither JSON nor text ---------------------------------------


@pytest.mark.parametrize("version", LEGACY)
def test_an_answer_of_binary_bytes_is_a_wrong_key_not_a_device_error(version: str) -> None:
    pair = Pair(version)
    request_id = pair.ask(RequestKind.REFRESH, dp_ids=[1])
    events = pair.client.receive_data(pair.reply(b"\x1d\xfe\x08\x99 garbage \x00"), 0.0)
    (failed,) = [e for e in events if isinstance(e, RequestFailed)]
    assert failed.request_id == request_id
    assert isinstance(failed.error, DecryptError)
    assert "wrong local key or protocol version" in str(failed.error)
    text = pair.ask(RequestKind.REFRESH, dp_ids=[1])
    events = pair.client.receive_data(pair.reply(b"data format error", retcode=1), 0.0)
    (failed,) = [e for e in events if isinstance(e, RequestFailed)]
    assert failed.request_id == text and isinstance(failed.error, DeviceError)
