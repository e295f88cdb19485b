"""Events are immutable values (tuyaface_codec.parts.Value): equality, hashing, repr without DP
values, keyword construction, pattern matching, pickling; and the plain owners' reprs show
no key."""

from __future__ import annotations

import pickle
from typing import Any

import pytest
from simkit import DEV_ID

from tuyaface import Device, Session
from tuyaface._replies import PendingRequest
from tuyaface.events import (
    ChildOffline,
    ChildOnline,
    Connected,
    ConnectFailed,
    Disconnected,
    PresenceReport,
    Ready,
    RequestDone,
    RequestFailed,
    StatusPush,
)
from tuyaface_codec import Frame, RequestKind, Timeout, get_protocol

FRAME = Frame(seqno=1, cmd=10, payload=b'{"dps":{"1":true}}')


def test_events_compare_and_hash_by_their_fields() -> None:
    done = RequestDone(1, RequestKind.STATUS, {"1": True}, FRAME)
    assert done == RequestDone(
        request_id=1, kind=RequestKind.STATUS, dps={"1": True}, frame=FRAME, cid=None
    )
    assert done != RequestDone(1, RequestKind.STATUS, {"1": False}, FRAME)
    assert Ready() == Ready() and Ready() != Connected()  # same fields, other class
    assert ChildOnline("a") != ChildOffline("a")
    assert hash(ChildOnline("a")) == hash(ChildOnline("a"))
    assert len({Disconnected(None), Disconnected(None), Connected()}) == 2
    assert PresenceReport(("a",), ()) == PresenceReport(online=("a",), offline=())


def test_events_are_immutable() -> None:
    push = StatusPush({"1": True}, "c1")
    with pytest.raises(AttributeError, match="immutable"):
        push.cid = "c2"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del push.dps
    with pytest.raises(AttributeError):
        push.extra = 1  # type: ignore[attr-defined]
    assert push.cid == "c1" and push.dps == {"1": True}


def test_event_reprs_leave_out_dp_values() -> None:
    secret = "s3cr3t-value"
    done = RequestDone(7, RequestKind.STATUS, {"1": secret}, Frame(seqno=7, cmd=10), "c9")
    assert secret not in repr(done) and secret not in repr(StatusPush({"2": secret}))
    assert repr(StatusPush({"2": secret}, "c9")) == "StatusPush(cid='c9')"
    assert repr(done).startswith("RequestDone(request_id=7, kind=<RequestKind.STATUS")
    assert repr(ConnectFailed(Timeout("late"), 2.5)) == (
        "ConnectFailed(error=Timeout('late'), retry_in=2.5)"
    )
    assert repr(Ready()) == "Ready()"


def describe(event: Any) -> str:
    match event:
        case StatusPush(dps, cid):
            return f"push {sorted(dps)} {cid}"
        case RequestFailed(request_id, _, error):
            return f"failed {request_id} {type(error).__name__}"
        case ConnectFailed(error=error, retry_in=retry_in):
            return f"retry in {retry_in}"
        case Connected():
            return "connected"
    return "other"


def test_events_match_by_position_and_keyword() -> None:
    assert describe(StatusPush({"2": 1, "1": 0}, "c")) == "push ['1', '2'] c"
    assert describe(RequestFailed(3, RequestKind.SET, Timeout("x"))) == "failed 3 Timeout"
    assert describe(ConnectFailed(Timeout("x"), 1.5)) == "retry in 1.5"
    assert describe(Connected()) == "connected"
    assert describe(Ready()) == "other"


def test_events_pickle() -> None:
    for event in (StatusPush({"1": True}, "c"), Ready(), PresenceReport(("a",), ("b",))):
        assert pickle.loads(pickle.dumps(event)) == event


def test_owner_reprs_show_no_key() -> None:
    key = "k3y-of-16-chars!"
    raw = key.encode()
    session = Session(get_protocol("3.4"), key, DEV_ID)
    device = Device(DEV_ID, key, "127.0.0.1", version="3.4")
    pending = PendingRequest(RequestKind.SET, dps={"1": "s3cr3t-value"})
    for text in (repr(session), repr(device._core), repr(pending)):
        assert key not in text and repr(raw) not in text and "s3cr3t" not in text
    assert repr(session).startswith("Session(protocol=") and f"dev_id='{DEV_ID}'" in repr(session)
    assert "kind=<RequestKind.SET" in repr(pending)
