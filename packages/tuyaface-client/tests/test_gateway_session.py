"""Gateways at the sans-IO level: one client Session serving a gateway and its children,
against a device Session whose answers are written by hand (docs/protocol.md §10a)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from simkit import KEY

from tuyaface._simreplies import child_status, presence_report, reports_for, request_cid
from tuyaface.events import (
    ChildOnline,
    Event,
    IncomingRequest,
    PresenceReport,
    RequestDone,
    RequestFailed,
    StatusPush,
)
from tuyaface.gateway._book import ChildBook, ChildState
from tuyaface.session import Role, Session
from tuyaface_codec import (
    Command,
    DeviceError,
    Frame,
    LocalProtocolError,
    RequestKind,
    get_protocol,
)
from tuyaface_codec.requests import dump_json

GW_ID = "bf0123456789abcdefghij"
GATEWAY_VERSIONS = ("3.3", "3.4", "3.5")
REPORTING = ("3.4", "3.5")


class GatewayPair:
    """A gateway client session and a device session back to back."""

    def __init__(self, version: str) -> None:
        protocol = get_protocol(version)
        self.reports = reports_for(protocol)
        self.client = Session(protocol, KEY, GW_ID, gateway=True)
        self.device = Session(protocol, KEY, GW_ID, role=Role.DEVICE)
        self.events: list[Event] = []
        self.requests: list[Frame] = []
        self.device.start(0.0)
        self.events += self.client.start(0.0)
        for _ in range(4):
            self.to_device()
            self.to_client(self.device.data_to_send())

    def to_device(self) -> None:
        for event in self.device.receive_data(self.client.data_to_send(), 0.0):
            if isinstance(event, IncomingRequest):
                self.requests.append(event.frame)

    def to_client(self, data: bytes) -> list[Event]:
        events = self.client.receive_data(data, 0.0)
        self.events += events
        return events

    def ask(self, kind: RequestKind, **request: Any) -> int:
        request_id = self.client.request(kind, 0.0, **request)
        self.events += self.client.take_events()
        self.to_device()
        return request_id

    def answer(self, payload: bytes = b"", *, retcode: int = 0) -> bytes:
        self.device.reply(self.requests[-1], payload, retcode=retcode)
        return self.device.data_to_send()

    def child_push(self, cid: str, dps: dict[str, Any]) -> bytes:
        self.device.push(self.reports.child_push(cid, dps, 1))
        return self.device.data_to_send()

    def frame(self, payload: bytes, cmd: int) -> bytes:
        self.device.push(payload, cmd=cmd)
        return self.device.data_to_send()

    def outcome(self, request_id: int) -> RequestDone | RequestFailed:
        for event in self.events:
            if isinstance(event, RequestDone | RequestFailed) and event.request_id == request_id:
                return event
        raise AssertionError(f"request {request_id} has no outcome")


def _split(data: bytes, rng: random.Random) -> list[bytes]:
    """`data` cut at random places (reads never respect frame boundaries)."""
    cuts = sorted(rng.sample(range(1, len(data)), k=min(3, len(data) - 1)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


@pytest.mark.parametrize("version", GATEWAY_VERSIONS)
def test_answers_and_pushes_are_routed_by_cid_over_seeded_interleavings(version: str) -> None:
    """Every child's answer reaches the request for that child, every push names its
    child, over thousands of seeded interleavings of answers, pushes from all children and
    (3.4 / 3.5, matched by command) a stray answer naming another child. Each child's DP
    101 holds its own cid, so a misrouted value shows."""
    children = [f"a4c138{n:010x}" for n in range(50)]
    misroutes = interleavings = 0
    for seed in range(60):
        rng = random.Random(seed)
        pair = GatewayPair(version)
        for _ in range(20):
            cid = rng.choice(children)
            kind = rng.choice([RequestKind.STATUS, RequestKind.SET])
            dps = {"101": cid, "1": rng.random() < 0.5}
            request_id = pair.ask(kind, cid=cid, dps=dps if kind is RequestKind.SET else None)
            assert request_cid(pair.requests[-1].payload) == cid
            wire: list[bytes] = []
            for other in rng.sample(children, k=rng.randint(0, 4)):
                wire.append(pair.child_push(other, {"101": other, "2": rng.randint(0, 99)}))
            if kind is RequestKind.STATUS and version in REPORTING:
                stray = rng.choice([c for c in children if c != cid])
                wire.append(pair.frame(child_status(stray, {"101": stray}), pair.requests[-1].cmd))
            answer = child_status(cid, {"101": cid}) if kind is RequestKind.STATUS else b""
            wire.insert(rng.randint(len(wire) // 2, len(wire)), pair.answer(answer))
            for _more in range(rng.randint(0, 3)):
                other = rng.choice(children)
                wire.append(pair.child_push(other, {"101": other}))
            for piece in _split(b"".join(wire), rng):
                pair.to_client(piece)
            event = pair.outcome(request_id)
            assert isinstance(event, RequestDone), event
            misroutes += event.cid != cid or (event.dps or {}).get("101", cid) != cid
            interleavings += 1
        pushes = [event for event in pair.events if isinstance(event, StatusPush)]
        assert pushes
        misroutes += sum(push.cid != push.dps["101"] for push in pushes)
    assert interleavings == 1200
    assert misroutes == 0


@pytest.mark.parametrize("version", GATEWAY_VERSIONS)
def test_requests_to_the_gateway_itself_carry_no_cid(version: str) -> None:
    pair = GatewayPair(version)
    request_id = pair.ask(RequestKind.STATUS)
    assert request_cid(pair.requests[-1].payload) is None
    pair.to_client(pair.answer(pair.reports.status(GW_ID, {"1": True})))
    event = pair.outcome(request_id)
    assert isinstance(event, RequestDone)
    assert event.cid is None
    assert event.dps == {"1": True}
    assert not event.cached


@pytest.mark.parametrize("version", GATEWAY_VERSIONS)
def test_a_childs_status_is_marked_cached_and_its_pushes_are_not(version: str) -> None:
    pair = GatewayPair(version)
    request_id = pair.ask(RequestKind.STATUS, cid="a4c1")
    pair.to_client(pair.answer(child_status("a4c1", {"1": 5})))
    event = pair.outcome(request_id)
    assert isinstance(event, RequestDone)
    assert (event.cid, event.cached, event.dps) == ("a4c1", True, {"1": 5})
    set_id = pair.ask(RequestKind.SET, cid="a4c1", dps={"1": 6})
    pair.to_client(pair.answer())
    done = pair.outcome(set_id)
    assert isinstance(done, RequestDone)
    assert not done.cached


@pytest.mark.parametrize("version", GATEWAY_VERSIONS)
def test_a_gateway_is_never_switched_to_device22(version: str) -> None:
    """A gateway polled without a cid answers "json obj data unvalid" (§7, §10a)."""
    pair = GatewayPair(version)
    request_id = pair.ask(RequestKind.STATUS)
    pair.to_client(pair.answer(b"json obj data unvalid", retcode=1))
    event = pair.outcome(request_id)
    assert isinstance(event, RequestFailed)
    assert isinstance(event.error, DeviceError)
    assert not pair.client.device22
    again = pair.ask(RequestKind.STATUS)
    assert pair.requests[-1].cmd == get_protocol(version).command_for(RequestKind.STATUS)
    pair.to_client(pair.answer(pair.reports.status(GW_ID, {"1": True})))
    assert isinstance(pair.outcome(again), RequestDone)


@pytest.mark.parametrize("version", GATEWAY_VERSIONS)
def test_refresh_names_the_child_in_a_list(version: str) -> None:
    pair = GatewayPair(version)
    pair.ask(RequestKind.REFRESH, cid="a4c1", dp_ids=[18, 19])
    assert pair.requests[-1].payload == dump_json({"dpId": [18, 19], "cid": ["a4c1"]})


@pytest.mark.parametrize("version", REPORTING)
def test_presence_reports_come_as_answers_and_unsolicited(version: str) -> None:
    pair = GatewayPair(version)
    request_id = pair.ask(RequestKind.SUB_DEVICES)
    assert pair.requests[-1].cmd == Command.LAN_EXT_STREAM
    first = pair.answer(presence_report(["a", "b"], ["c"]))
    later = pair.frame(presence_report(["d"], []), Command.LAN_EXT_STREAM)
    other = pair.frame(dump_json({"reqType": "something_else", "data": {}}), Command.LAN_EXT_STREAM)
    pair.to_client(first + later + other)
    assert isinstance(pair.outcome(request_id), RequestDone)
    reports = [event for event in pair.events if isinstance(event, PresenceReport)]
    assert reports == [PresenceReport(("a", "b"), ("c",)), PresenceReport(("d",), ())]


def test_a_33_gateway_is_not_sent_the_presence_query() -> None:
    pair = GatewayPair("3.3")
    request_id = pair.ask(RequestKind.SUB_DEVICES)
    event = pair.outcome(request_id)
    assert isinstance(event, RequestFailed)
    assert isinstance(event.error, LocalProtocolError)
    assert pair.requests == []


def _done(cid: str, dps: dict[str, Any], *, cached: bool = True) -> RequestDone:
    return RequestDone(1, RequestKind.STATUS, dps, Frame(seqno=1, cmd=16), cid, cached)


def test_the_child_book_merges_reports_and_trusts_pushes_over_memory() -> None:
    book = ChildBook(512, "gateway gw", lambda: 7.0)
    routed = book.take([_done("a", {"1": 1})])  # before any report an answer counts
    assert routed == [("a", ChildOnline("a"))]
    assert book.cached("a")
    book.take([PresenceReport(("b",), ("a",)), PresenceReport(("c",), ())])
    states = book.children
    assert (states["a"].online, states["b"].online, states["c"].online) == (False, True, True)
    assert book.take([_done("a", {"1": 2})]) == []  # memory proves nothing after a report
    assert book.children["a"].online is False
    assert book.dps("a") == {"1": 2}
    routed = book.take([StatusPush({"1": 3}, "a")])
    assert [event for _, event in routed] == [StatusPush({"1": 3}, "a"), ChildOnline("a")]
    assert not book.cached("a")
    assert book.children["a"] == ChildState(True, 7.0)


def test_the_child_book_keeps_a_bounded_number_of_children() -> None:
    book = ChildBook(512, "gateway gw", lambda: 0.0, max_children=3)
    routed = book.take([StatusPush({"1": n}, f"c{n}") for n in range(10)])
    assert len(book.children) == 3
    assert [cid for cid, event in routed if isinstance(event, StatusPush)] == [
        f"c{n}" for n in range(10)
    ]  # every push still goes out
    book.take([PresenceReport(tuple(f"x{n}" for n in range(1000)), ())])
    assert len(book.children) == 3
