"""The simulator seen from the wire: raw transports and a hand-driven client Session."""

from __future__ import annotations

import json
import time

import pytest
from simkit import DEV_ID, KEY, PATIENCE, VERSIONS, WRONG_KEY, simulator, wait_until

from tuyaface import SimulatedDevice
from tuyaface._simreplies import reports_for
from tuyaface.events import RequestDone, StatusPush
from tuyaface.session import Session, State
from tuyaface_codec import Command, Frame, FrameDecoder, NetworkError, RequestKind, get_protocol
from tuyaface_transport import (
    Transport,
    TransportConnectError,
    TransportResetError,
    TransportTimeout,
    get_transport,
)


def raw_connect(sim: object) -> Transport:
    factory = get_transport(sim.transport)  # type: ignore[attr-defined]
    return factory.connect(sim.host, sim.port, timeout=1.0)  # type: ignore[attr-defined]


def read_all(transport: Transport, quiet: float = 0.1) -> bytes:
    """Everything the device sends until it is quiet for `quiet` seconds."""
    data = b""
    while True:
        try:
            chunk = transport.receive(quiet)
        except (TransportTimeout, TransportResetError):
            return data
        if not chunk:
            return data
        data += chunk


def test_one_client_at_a_time() -> None:
    with simulator("3.3", "tcp") as sim, raw_connect(sim) as first:
        first.send(b"")  # nothing yet; the device holds this connection
        wait_until(lambda: sim.device.connections == 1, "the device serves the first client")
        try:
            second = raw_connect(sim)
        except TransportConnectError:
            pass  # reset before connect() even returned
        else:
            with second:
                assert read_all(second, 1.0) == b""  # closed (or reset) at once
        assert sim.device.refused == 1
        assert sim.device.connected


@pytest.mark.parametrize("version", VERSIONS)
def test_pushes_are_worded_and_sealed_as_the_version_does(version: str) -> None:
    protocol = get_protocol(version)
    push = json.loads(reports_for(protocol).push(DEV_ID, {"1": True}, 1700000000))
    if protocol.command_for(RequestKind.STATUS) == Command.DP_QUERY_NEW:
        assert push == {"protocol": 4, "t": 1700000000, "data": {"dps": {"1": True}}}
    else:
        assert push == {"devId": DEV_ID, "dps": {"1": True}, "t": 1700000000}


def test_31_pushes_are_encrypted_like_a_control() -> None:
    with simulator("3.1", dps={"1": False}) as sim, raw_connect(sim) as wire:
        client = Session(get_protocol("3.1"), KEY, DEV_ID)
        client.start(0.0)
        client.request(RequestKind.SET, 0.0, dps={"1": True})
        wire.send(client.data_to_send())
        data = read_all(wire)
        assert b'"dps"' not in data  # the push is "3.1" + signature + base64(AES)
        assert b"3.1" in data
        events = client.receive_data(data, 0.0)
        assert [e.dps for e in events if isinstance(e, StatusPush)] == [{"1": True}]


def test_33_wrong_key_is_answered_under_the_real_key() -> None:
    protocol = get_protocol("3.3")
    with simulator("3.3") as sim, raw_connect(sim) as wire:
        client = Session(protocol, WRONG_KEY, DEV_ID)
        client.start(0.0)
        client.request(RequestKind.STATUS, 0.0)
        wire.send(client.data_to_send())
        (answer,) = FrameDecoder(protocol, key=KEY, from_device=True).feed(read_all(wire))
        assert (answer.seqno, answer.cmd, answer.retcode) == (1, Command.DP_QUERY, 1)
        assert answer.payload == b"data format error"


def test_33_a_wrong_key_frame_is_answered_with_its_own_header() -> None:
    """A good request and a wrong-key one in one read: the error answer echoes the bad
    frame's own seqno and cmd (not those of the first frame of the read)."""
    protocol = get_protocol("3.3")

    def request(seqno: int, kind: RequestKind, key: str, **options: object) -> bytes:
        payload = protocol.build_payload(kind, dev_id=DEV_ID, t=1, **options)  # type: ignore[arg-type]
        frame = Frame(seqno, protocol.command_for(kind), payload)
        return protocol.encode_frame(frame, key=key, iv=None)

    good = request(5, RequestKind.STATUS, KEY)
    bad = request(9, RequestKind.SET, WRONG_KEY, dps={"1": True})
    with simulator("3.3") as sim, raw_connect(sim) as wire:
        wire.send(good + bad)
        answers = FrameDecoder(protocol, key=KEY, from_device=True).feed(read_all(wire))
        assert [(a.seqno, a.retcode) for a in answers] == [(5, 0), (9, 1)]
        assert answers[1].cmd == Command.CONTROL
        assert answers[1].payload == b"data format error"


@pytest.mark.parametrize("version", ["3.4", "3.5"])
def test_34_35_wrong_key_gets_silence(version: str) -> None:
    with simulator(version) as sim, raw_connect(sim) as wire:
        client = Session(get_protocol(version), WRONG_KEY, DEV_ID)
        client.start(0.0)
        wire.send(client.data_to_send())  # handshake step 1 under the wrong key
        assert read_all(wire, 0.2) == b""
        assert sim.device.connected


def test_updatedps_is_acked_then_pushed() -> None:
    with simulator("3.4", dps={"1": True, "18": 120}) as sim, raw_connect(sim) as wire:
        client = Session(get_protocol("3.4"), KEY, DEV_ID)
        client.start(0.0)
        wire.send(client.data_to_send())
        client.receive_data(read_all(wire), 0.0)
        wire.send(client.data_to_send())
        assert client.state is State.READY
        client.request(RequestKind.REFRESH, 0.0, dp_ids=[18, 99])
        wire.send(client.data_to_send())
        events = client.receive_data(read_all(wire), 0.0)
        assert [type(e) for e in events] == [RequestDone, StatusPush]
        assert events[1].dps == {"18": 120}  # type: ignore[union-attr]


def test_an_idle_connection_is_closed() -> None:
    with simulator("3.3", idle_timeout=0.1) as sim, raw_connect(sim) as wire:
        started = time.monotonic()
        assert read_all(wire, PATIENCE) == b""
        assert time.monotonic() - started < 0.1 + PATIENCE / 2  # closed, not read_all's end
        assert not sim.device.connected


def test_serving_tcp_on_port_0_reports_the_real_port() -> None:
    with SimulatedDevice(DEV_ID, KEY, version="3.5").serve_in_thread(transport="tcp") as sim:
        assert sim.host == "127.0.0.1"
        assert sim.port > 0
        assert sim.transport == "tcp"


def test_a_port_in_use_is_a_network_error() -> None:
    with simulator("3.3", "tcp") as sim:
        taken = SimulatedDevice(DEV_ID, KEY).serve_in_thread(port=sim.port)
        with pytest.raises(NetworkError, match="pick another port"):
            taken.start()
        taken.stop()
