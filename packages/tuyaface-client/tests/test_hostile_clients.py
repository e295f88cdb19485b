"""Hostile clients against the simulator (SimulatedDevice over TCP on 127.0.0.1).

Each attacker works on raw sockets (frames made with the codec's public API). After it,
a well-behaved `Device` gets its status within `SERVED_WITHIN`, and the process's file
descriptors and traced memory stay bounded. While an attacker holds the simulator's one
connection slot, other clients are turned away at once with `DeviceBusyError`, as a real
device does; a silent holder loses the slot after the simulator's `idle_timeout`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from hostilekit import WRONG_LOCAL_KEY, fd_count
from simkit import DEV_ID, KEY, VERSIONS

from tuyaface import Device, DeviceBusyError, SimulatedDevice, SimulatorThread, TuyaError
from tuyaface_codec import Command, Frame, Protocol, RequestKind, get_protocol, handshake
from tuyaface_codec.keys import as_key, require_key

DPS = {"1": True, "2": 42}
IDLE = 1.0  # the simulator's idle timeout here: a silent client loses the slot after it
SERVED_WITHIN = 10.0  # generous: the attack has ended, the next client must be served
PEAK = 64 * 1024 * 1024  # traced bytes at peak during an attack
FD_SLACK = 4
LOCAL_KEY = require_key(as_key(KEY))
Attack = Callable[[SimulatorThread], None]


# -- a raw client -----------------------------------------------------------------------


class Raw:
    """A plain socket to the simulator, speaking frames the codec builds."""

    def __init__(self, sim: SimulatorThread) -> None:
        self.sock = socket.create_connection((sim.host, sim.port), timeout=5.0)
        with contextlib.suppress(OSError):  # turned away already (reset): fine
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.protocol: Protocol = get_protocol(sim.device.version)
        self.key = LOCAL_KEY
        self.seqno = 0

    def frame(self, cmd: int, payload: bytes, key: bytes | None = None) -> bytes:
        self.seqno += 1
        protocol = self.protocol
        iv = os.urandom(protocol.iv_size) if protocol.iv_size else None
        return protocol.encode_frame(Frame(self.seqno, cmd, payload), key=key or self.key, iv=iv)

    def status_request(self, key: bytes | None = None) -> bytes:
        payload = self.protocol.build_payload(RequestKind.STATUS, dev_id=DEV_ID, t=1)
        return self.frame(self.protocol.command_for(RequestKind.STATUS), payload, key)

    def send(self, data: bytes) -> bool:
        try:
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def negotiate(self) -> None:
        """The 3.4 / 3.5 key exchange (nothing below 3.4)."""
        if not self.protocol.needs_handshake:
            return
        nonce = os.urandom(handshake.NONCE_SIZE)
        self.send(self.frame(Command.SESS_KEY_NEG_START, nonce))
        data = b""
        layout = self.protocol.layout
        while len(data) < layout.header_size or len(data) < layout.frame_size(
            data[: layout.header_size], 1 << 16
        ):
            chunk = self.sock.recv(4096)
            assert chunk, "the simulator closed during the key exchange"
            data += chunk
        answer = self.protocol.decode_frame(data, key=LOCAL_KEY, from_device=True)
        remote = handshake.read_response(answer.payload, LOCAL_KEY, nonce)
        finish = handshake.finish_payload(LOCAL_KEY, remote)
        self.send(self.frame(Command.SESS_KEY_NEG_FINISH, finish))
        self.key = self.protocol.session_key(LOCAL_KEY, nonce, remote)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


@contextlib.contextmanager
def raw(sim: SimulatorThread) -> Iterator[Raw]:
    client = Raw(sim)
    try:
        yield client
    finally:
        client.close()


# -- the attacks ---------------------------------------------------------------------------


def request_flood(sim: SimulatorThread) -> None:
    """5000 valid status requests at once, replies never read."""
    with raw(sim) as client:
        client.negotiate()
        client.sock.settimeout(2.0)
        client.send(b"".join(client.status_request() for _ in range(5000)))


def garbage(sim: SimulatorThread) -> None:
    with raw(sim) as client:
        client.send(os.urandom(1024 * 1024))


def held(sim: SimulatorThread) -> None:
    """Ten connections opened and left silent for longer than the idle timeout."""
    clients = []
    for _ in range(10):
        with contextlib.suppress(OSError):  # the simulator may reset a turned-away one first
            clients.append(Raw(sim))
    try:
        time.sleep(IDLE + 0.5)
    finally:
        for client in clients:
            client.close()


def slowloris(sim: SimulatorThread) -> None:
    """A valid request, one byte every 0.2 s, for 1.2 s, then gone."""
    with raw(sim) as client:
        client.negotiate()
        request = client.status_request()
        for index in range(6):
            if not client.send(request[index : index + 1]):
                return
            time.sleep(0.2)


def fake_headers(sim: SimulatorThread) -> None:
    """Resync bait: valid prefixes 16 bytes apart, each claiming ~16 KiB, 1 MiB in all."""
    with raw(sim) as client:
        client.negotiate()
        layout = client.protocol.layout
        sample = client.status_request()
        header = sample[: layout.header_size - 4] + struct.pack(">I", 16 * 1024 - 64)
        bait = (header + bytes(16))[:16]
        client.send(bait * (1024 * 1024 // 16))


def bad_tags(sim: SimulatorThread) -> None:
    """Requests whose CRC / HMAC / GCM tag is wrong (the byte before the suffix)."""
    with raw(sim) as client:
        client.negotiate()
        frames = []
        for _ in range(500):
            frame = client.status_request()
            frames.append(frame[:-5] + bytes([frame[-5] ^ 0xFF]) + frame[-4:])
        client.send(b"".join(frames))


def wrong_key(sim: SimulatorThread) -> None:
    """Requests (and on 3.4 / 3.5 the key exchange) under another key."""
    with raw(sim) as client:
        client.key = WRONG_LOCAL_KEY
        if client.protocol.needs_handshake:
            client.send(client.frame(Command.SESS_KEY_NEG_START, os.urandom(16)))
            time.sleep(0.2)
            return
        client.send(b"".join(client.status_request() for _ in range(200)))
        time.sleep(0.2)


ATTACKS: dict[str, Attack] = {
    "request_flood": request_flood,
    "garbage": garbage,
    "held": held,
    "slowloris": slowloris,
    "fake_headers": fake_headers,
    "bad_tags": bad_tags,
    "wrong_key": wrong_key,
}


# -- the checks ----------------------------------------------------------------------------


def served(sim: SimulatorThread) -> float:
    """Seconds until a well-behaved client got the status (retrying while turned away)."""
    start = time.monotonic()
    deadline = start + SERVED_WITHIN
    last: TuyaError | None = None
    while time.monotonic() < deadline:
        device = Device(
            DEV_ID, KEY, sim.host, version=sim.device.version, port=sim.port, timeout=1.0
        )
        try:
            assert device.status() == DPS
            return time.monotonic() - start
        except TuyaError as exc:  # busy while the attacker's connection winds down
            last = exc
            time.sleep(0.1)
        finally:
            device.close()
    raise AssertionError(f"not served within {SERVED_WITHIN} s: {last!r}")


@contextlib.contextmanager
def simulated(version: str) -> Iterator[SimulatorThread]:
    device = SimulatedDevice(DEV_ID, KEY, version=version, dps=DPS, idle_timeout=IDLE)
    with device.serve_in_thread(transport="asyncio") as sim:
        yield sim


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", list(ATTACKS))
def test_simulator_survives(name: str, version: str) -> None:
    before = fd_count()
    tracemalloc.start()
    try:
        with simulated(version) as sim:
            served(sim)  # warm: the first connection works
            ATTACKS[name](sim)
            took = served(sim)
            assert sim.device.dps == DPS
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert took < SERVED_WITHIN
    assert peak < PEAK, f"peak {peak / 1e6:.1f} MB"
    assert fd_count() <= before + FD_SLACK


@pytest.mark.parametrize("version", ["3.3", "3.5"])
def test_a_held_slot_turns_others_away_at_once(version: str) -> None:
    with simulated(version) as sim, raw(sim) as holder:
        holder.negotiate()
        device = Device(DEV_ID, KEY, sim.host, version=version, port=sim.port, timeout=1.0)
        start = time.monotonic()
        with pytest.raises(DeviceBusyError):
            device.status()
        device.close()
        assert time.monotonic() - start < 1.0 + 2.0
        holder.close()
        assert served(sim) < SERVED_WITHIN
