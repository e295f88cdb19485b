"""Issue 10, items 1-6, through `Device` and `AsyncDevice` against simulated devices
(loopback and TCP on 127.0.0.1): firmware variants are small SimulatedDevice subclasses.
The sans-IO side of each item is in test_session_protocol.py."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from simkit import DEV_ID, KEY, QUICK, driven, simulator

from tuyaface import SimulatedDevice, SimulatorThread, Timeout
from tuyaface.session import Role, Session, State
from tuyaface_codec import Command, Frame, IntegrityError, Protocol, get_protocol
from tuyaface_codec._ciphers import ClearHeaderEcbCipher
from tuyaface_transport import FaultPlan

DPS = {"1": True, "2": 7, "3": "auto", "20": False}


@contextlib.contextmanager
def serving(
    cls: type[SimulatedDevice], version: str, transport: str, **knobs: Any
) -> Iterator[SimulatorThread]:
    faults = knobs.pop("faults", None)
    device = cls(DEV_ID, KEY, version=version, **knobs)
    with device.serve_in_thread(transport=transport, faults=faults) as sim:
        yield sim


# -- 1: device22 answers among pushes --------------------------------------------------


class ChattyDevice22(SimulatedDevice):
    """Pushes an unrelated DP before it acks a CONTROL_NEW, and another between the ack
    and its report (a device whose other DPs change all the time)."""

    def _answer(self, session: Session, frame: Frame) -> None:
        if frame.cmd == Command.CONTROL_NEW and session.state is State.READY:
            session.push(self._reports.push(self.dev_id, {"20": True}, 1))
        super()._answer(session, frame)

    def _push(self, session: Session, dps: Any) -> None:
        if dps:
            session.push(self._reports.push(self.dev_id, {"21": 1}, 1))
        super()._push(session, dps)


@pytest.mark.parametrize("version", ["3.2", "3.3"])
def test_device22_status_is_not_answered_by_an_unrelated_push(
    version: str, transport: str, driver: str
) -> None:
    with (
        serving(ChattyDevice22, version, transport, dps=DPS, device22=True) as sim,
        driven(driver, sim, device22=True) as device,
    ):
        assert device.status() == {"1": True, "2": 7, "3": "auto"}
        device.refresh([20])
        assert device.status() == {"1": True, "2": 7, "3": "auto"}


# -- 2: a late answer numbered 0 -------------------------------------------------------


@attrs.define(eq=False)
class LateZero(SimulatedDevice):
    """Answers status queries with seqno 0, each answer numbered in DP "n" when the query
    arrives; `hold`: send the next answer that many seconds late (reading goes on)."""

    answered: int = attrs.field(default=0, init=False)
    hold: float = attrs.field(default=0.0, init=False)

    def _answer(self, session: Session, frame: Frame) -> None:
        if frame.cmd != Command.DP_QUERY or session.state is not State.READY:
            super()._answer(session, frame)
            return
        self.answered += 1
        report = self._reports.status(self.dev_id, {**self.dps, "n": self.answered})
        hold, self.hold = self.hold, 0.0
        if not hold:
            session.reply(frame, report, seqno=0)
            return
        connection = self._active
        assert connection is not None

        async def late() -> None:
            await asyncio.sleep(hold)
            session.reply(frame, report, seqno=0)
            with contextlib.suppress(OSError):  # the client may have gone
                await connection.flush()

        task = asyncio.get_running_loop().create_task(late())
        _LATE.add(task)
        task.add_done_callback(_LATE.discard)


_LATE: set[asyncio.Task[None]] = set()


@pytest.mark.parametrize("version", ["3.1", "3.3"])
def test_a_late_answer_with_seqno_0_is_not_the_next_status(
    version: str, transport: str, driver: str
) -> None:
    with (
        serving(LateZero, version, transport, dps={"1": True}) as sim,
        driven(driver, sim, timeout=0.5) as device,
    ):
        assert device.status() == {"1": True, "n": 1}
        assert isinstance(sim.device, LateZero)
        sim.device.hold = 1.0  # answer 2 comes after the timeout...
        pusher = threading.Timer(0.2, sim.push, ({"9": 1},))  # ...with a push meanwhile
        pusher.start()
        with pytest.raises(Timeout, match="no answer"):
            device.status()
        pusher.join()
        assert device.status()["n"] == 3  # not 2, the late one
        time.sleep(0.6)  # past the late answer: nothing changes
        assert device.status()["n"] == 4


# -- 3: an intact answer and a bad frame in one read -----------------------------------


class Garbling(Session):
    """Device session that damages the last frame of its first write carrying two or more
    (a control's ack and push): a byte of its CRC / HMAC / tag, just before the suffix."""

    garbled = False

    def data_to_send(self) -> bytes:
        data = super().data_to_send()
        if self.garbled or _frame_count(self.protocol.version, data) < 2:
            return data
        self.garbled = True
        return data[:-5] + bytes([data[-5] ^ 0xFF]) + data[-4:]


def _frame_count(version: str, data: bytes) -> int:
    layout = get_protocol(version).layout
    count = offset = 0
    while len(data) - offset >= layout.header_size:
        offset += layout.frame_size(data[offset : offset + layout.header_size], len(data))
        count += 1
    return count


class GarblingDevice(SimulatedDevice):
    """Garbles on its first connection only."""

    def _new_session(self) -> Session:
        if self.connections:  # (counted once the session is made)
            return super()._new_session()
        return Garbling(
            self.protocol, self.local_key, self.dev_id, role=Role.DEVICE,
            random_bytes=self.random_bytes, wall_time=self.wall_time,
        )  # fmt: skip


@pytest.mark.parametrize("split", ["whole", "byte-by-byte"])
def test_an_ack_followed_by_a_bad_frame_in_one_read(version: str, driver: str, split: str) -> None:
    faults = FaultPlan(one_byte_writes=True) if split == "byte-by-byte" else None
    with (
        serving(GarblingDevice, version, "loopback", dps=DPS, faults=faults) as sim,
        driven(driver, sim) as device,
    ):
        device.set_status({"1": False})  # the ack is intact: the call succeeds
        assert sim.device.dps["1"] is False
        try:
            assert device.status()["1"] is False  # on a new connection: the bad frame ended it
        except IntegrityError:
            # Device reads only while a call waits: one byte at a time, the bad frame is
            # still unread when the next call starts, and ends that call's connection.
            assert (driver, split) == ("Device", "byte-by-byte")
            assert device.status()["1"] is False
        assert sim.device.connections == 2


@pytest.mark.parametrize("version", ["3.3", "3.4"])
def test_an_ack_followed_by_a_bad_frame_over_tcp(version: str, driver: str) -> None:
    with (
        serving(GarblingDevice, version, "tcp", dps=DPS) as sim,
        driven(driver, sim) as device,
    ):
        device.set_status({"1": False})
        assert device.status()["1"] is False


# -- 4: heartbeat() on a silent device -------------------------------------------------


def test_heartbeat_on_a_silent_device_is_a_timeout(
    version: str, transport: str, driver: str
) -> None:
    with simulator(version, transport) as sim, driven(driver, sim, timeout=QUICK) as device:
        device.heartbeat()
        sim.device.answering = False
        started = time.monotonic()
        with pytest.raises(Timeout, match="no answer"):
            device.heartbeat()
        assert time.monotonic() - started < QUICK + 0.5


# -- 5: 3.4 / 3.5 heartbeat answers numbered 0 -----------------------------------------


class ZeroHeartbeats(SimulatedDevice):
    """Answers heartbeats with seqno 0 (some 3.4 / 3.5 firmware)."""

    def _answer(self, session: Session, frame: Frame) -> None:
        if frame.cmd == Command.HEART_BEAT and session.state is State.READY:
            session.reply(frame, seqno=0)
            return
        super()._answer(session, frame)


@pytest.mark.parametrize("version", ["3.4", "3.5"])
def test_heartbeat_answers_with_seqno_0_all_count(
    version: str, transport: str, driver: str
) -> None:
    with (
        serving(ZeroHeartbeats, version, transport) as sim,
        driven(driver, sim, timeout=QUICK) as device,
    ):
        for _ in range(4):
            device.heartbeat()
        assert sim.device.connections == 1


# -- 6: a 3.2 device and the 3.3 header ------------------------------------------------


def tuyapi_32() -> Protocol:
    """What tuyapi speaks to a 3.2 device: 3.2's rules with the "3.3" version header."""
    cipher = ClearHeaderEcbCipher(b"3.3", also_read=(b"3.2",))
    return get_protocol("3.2").replace(version="3.3", cipher=cipher)


def test_a_32_device_takes_requests_with_a_33_header(transport: str, driver: str) -> None:
    with (
        simulator("3.2", transport, dps={"1": True, "2": 7, "3": "auto"}) as sim,
        driven(driver, sim, version=tuyapi_32()) as device,
    ):
        device.set_status({"1": False})  # CONTROL: carries the "3.3" header
        assert device.status() == {"1": False, "2": 7, "3": "auto"}  # CONTROL_NEW: too
