"""docs/reliability.md client scenarios 4 and 5: status pushes (and heartbeats) interleaved
with replies, and nothing misattributed.

4. Seeded random conversations between a client `Session` and a device `Session`:
   requests of every kind, status pushes before, between and after the replies (seqno 0,
   the device's own counter, or the seqno of the request being answered), a copy of a
   reply now and then (scenario 3), the device's bytes cut into random pieces. Every
   request gets exactly its own reply (each reply carries the index of the request it
   answers), every push comes out once, in order, as a push. `INTERLEAVINGS` (1000)
   conversations per version, with and without heartbeats, about 4 requests and 5 pushes
   each (`TUYAFACE_INTERLEAVINGS` for more); then a smaller number through `Device` and
   `AsyncDevice` over loopback, against a scripted device that wraps every reply in pushes.
5. The same conversations with heartbeats on (3.4 / 3.5: the device numbers every frame
   with its own counter): the client's own heartbeats race the callers' requests and the
   pushes, and nothing ever times out.
   Also: test_session.py::test_replies_are_matched_by_command_and_order_on_34_35 and
   ::test_pushes_with_seqno_0_between_replies (one interleaving each).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from typing import Any

import pytest
from reliabilitykit import SCENARIO_VERSIONS, Draws, ThreadFace, run
from simkit import DEV_ID, DRIVERS, KEY

from tuyaface import AsyncDevice, Device
from tuyaface._simreplies import reports_for
from tuyaface.events import (
    Event,
    IncomingRequest,
    Ready,
    RequestDone,
    RequestFailed,
    SessionClosed,
    StatusPush,
)
from tuyaface.session import Role, Session, State
from tuyaface_codec import Command, Frame, Protocol, RequestKind, get_protocol
from tuyaface_codec.handshake import NONCE_SIZE
from tuyaface_codec.requests import dump_json
from tuyaface_transport import AsyncTransport, LoopbackListener

VERSIONS = SCENARIO_VERSIONS
INTERLEAVINGS = int(os.environ.get("TUYAFACE_INTERLEAVINGS", "1000"))  # per version and mode
KINDS = (RequestKind.STATUS, RequestKind.SET, RequestKind.HEARTBEAT, RequestKind.REFRESH)
REPLY_DP = "900"  # replies carry {"900": index of the request they answer}
PUSH_DP = "800"  # pushes carry {"800": their number}


class Conversation:
    """One client and one device session; the test decides what happens in which order."""

    def __init__(self, version: str, seed: int, *, heartbeats: bool) -> None:
        self.rng = random.Random(seed)
        self.protocol = protocol = get_protocol(version)
        client_draws, device_draws = Draws(seed), Draws(seed + 1)
        self.client = Session(
            protocol,
            KEY,
            DEV_ID,
            heartbeat_interval=1.0 if heartbeats else None,
            random_bytes=client_draws,
        )
        self.device = Session(protocol, KEY, DEV_ID, role=Role.DEVICE, random_bytes=device_draws)
        self.now = 0.0
        self.wire = bytearray()  # device -> client, not delivered yet
        self.received: list[Frame] = []  # every request the device got, in order
        self.unanswered: list[int] = []  # indices into `received`
        self.sent: list[int | None] = []  # request ids in sending order (None: a heartbeat
        # the client sent by itself)
        self.pushes = 0
        self.events: list[Event] = []
        self.device.start(self.now)
        self.events += self.client.start(self.now)
        for _ in range(3):  # the handshake, carried directly
            self.device.receive_data(self.client.data_to_send(), self.now)
            self.events += self.client.receive_data(self.device.data_to_send(), self.now)
        assert self.client.state is State.READY and self.device.state is State.READY
        self.key = KEY.encode()
        if protocol.needs_handshake:
            ours, theirs = client_draws.of_size(NONCE_SIZE)[0], device_draws.of_size(NONCE_SIZE)[0]
            self.key = protocol.session_key(KEY, ours, theirs)

    # -- what can happen ------------------------------------------------------------------

    def request(self) -> None:
        kind = self.rng.choice(KINDS)
        request_id = self.client.request(
            kind, self.now, dps={"1": self.rng.random() < 0.5}, dp_ids=[1, 2]
        )
        self.sent.append(request_id)
        self.events += self.client.take_events()

    def uplink(self) -> None:
        """The client's bytes reach the device."""
        for event in self.device.receive_data(self.client.data_to_send(), self.now):
            if isinstance(event, IncomingRequest):
                self.unanswered.append(len(self.received))
                self.received.append(event.frame)

    def answer(self) -> None:
        """The device answers its oldest open request; now and then the copy of a reply."""
        if not self.unanswered:
            return
        index = self.unanswered.pop(0)
        self.device.reply(self.received[index], dump_json({"dps": {REPLY_DP: index}}))
        reply = self.device.data_to_send()
        self.wire += reply * (2 if self.rng.random() < 0.05 else 1)

    def push(self) -> None:
        dps = {PUSH_DP: self.pushes}
        self.pushes += 1
        payload = reports_for(self.protocol).push(DEV_ID, dps, 1700000000)
        seqno = self.rng.choice(["session", 0, "request", "random"])
        if seqno == "session":  # the device's usual numbering: 0, or its own counter
            self.device.push(payload)
            self.wire += self.device.data_to_send()
            return
        if seqno == "request":  # the seqno of the request being answered (3.3 devices)
            seqno = self.received[-1].seqno if self.received else 1
        elif seqno == "random":
            seqno = self.rng.randrange(1 << 16)
        frame = Frame(seqno=seqno, cmd=Command.STATUS, payload=payload, retcode=0)
        iv = self.rng.randbytes(self.protocol.iv_size) if self.protocol.iv_size else None
        self.wire += self.protocol.encode_frame(frame, key=self.key, iv=iv)

    def deliver(self) -> None:
        """Some of the device's bytes reach the client, cut anywhere."""
        if not self.wire:
            return
        size = self.rng.randint(1, len(self.wire))
        chunk, self.wire = bytes(self.wire[:size]), self.wire[size:]
        self.events += self.client.receive_data(chunk, self.now)

    def tick(self) -> None:
        """Time passes while nothing is pending (so no reply can time out): the client's
        heartbeat may fall due and go out."""
        if self.client.busy:
            return
        self.now += self.rng.uniform(0.5, 2.5)
        deadline = self.client.next_deadline()
        if deadline is not None and self.now >= deadline:
            self.events += self.client.handle_timeout(self.now)
            if self.client.busy:
                self.sent.append(None)

    # -- running and checking -------------------------------------------------------------

    def play(self, steps: int) -> None:
        actions = [self.request, self.uplink, self.answer, self.push, self.deliver, self.tick]
        weights = [3, 4, 4, 4, 6, 4]
        for action in self.rng.choices(actions, weights, k=steps):
            action()
        while self.client.busy or self.wire or self.unanswered:  # let everything arrive
            self.uplink()
            self.answer()
            self.deliver()

    def check(self) -> None:
        outcomes = Counter(e.request_id for e in self.events if isinstance(e, RequestDone))
        assert not [e for e in self.events if isinstance(e, RequestFailed | SessionClosed)]
        assert len(self.received) == len(self.sent)
        done = {e.request_id: e.dps for e in self.events if isinstance(e, RequestDone)}
        for index, (frame, request_id) in enumerate(zip(self.received, self.sent, strict=True)):
            if request_id is None:  # the client's own heartbeat: no event
                assert frame.cmd == Command.HEART_BEAT
                continue
            assert outcomes[request_id] == 1
            assert done[request_id] == {REPLY_DP: index}
        assert set(done) == {r for r in self.sent if r is not None}
        pushed = [e.dps for e in self.events if isinstance(e, StatusPush)]
        assert pushed == [{PUSH_DP: n} for n in range(self.pushes)]
        assert [e for e in self.events if isinstance(e, Ready)] == [Ready()]


@pytest.mark.parametrize("heartbeats", [False, True], ids=["callers", "with-heartbeats"])
@pytest.mark.parametrize("version", VERSIONS)
def test_random_interleavings_attribute_every_reply_and_push(
    version: str, heartbeats: bool
) -> None:
    base = {"3.3": 33, "3.4": 34, "3.5": 35}[version] * 1_000_000 + heartbeats * 500_000
    requests = pushes = heartbeat_races = 0
    for seed in range(base, base + INTERLEAVINGS):
        conversation = Conversation(version, seed, heartbeats=heartbeats)
        conversation.play(steps=conversation.rng.randint(10, 60))
        try:
            conversation.check()
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: {exc}") from exc
        requests += len(conversation.sent)
        pushes += conversation.pushes
        heartbeat_races += conversation.sent.count(None)
    assert requests > 3 * INTERLEAVINGS and pushes > 3 * INTERLEAVINGS
    assert (heartbeat_races > INTERLEAVINGS // 2) == heartbeats  # heartbeats the client sent


# -- through the drivers ----------------------------------------------------------------


class ScriptedDevice:
    """A device (the device-role Session) that wraps each reply in 0-2 pushes before and
    after, in one write or in several, numbering replies by the request they answer."""

    def __init__(self, protocol: Protocol, seed: int) -> None:
        self.protocol = protocol
        self.rng = random.Random(seed)
        self.pushes = 0
        self.answered: list[int] = []  # commands, in order

    async def handle(self, transport: AsyncTransport) -> None:
        session = Session(self.protocol, KEY, DEV_ID, role=Role.DEVICE)
        session.start(0.0)
        while (data := await transport.receive(None)) and session.state is not State.CLOSED:
            for event in session.receive_data(data, 0.0):
                if isinstance(event, IncomingRequest):
                    await self._answer(session, transport, event.frame)
            await transport.send(session.data_to_send())

    async def _answer(self, session: Session, transport: AsyncTransport, frame: Frame) -> None:
        index = len(self.answered)
        self.answered.append(frame.cmd)
        self._pushes(session, self.rng.randint(0, 2))
        if self.rng.random() < 0.5:
            await transport.send(session.data_to_send())
        session.reply(frame, dump_json({"dps": {REPLY_DP: index, "cmd": frame.cmd}}))
        self._pushes(session, self.rng.randint(0, 2))
        if self.rng.random() < 0.5:
            await asyncio.sleep(0)  # let the client read in between

    def _pushes(self, session: Session, count: int) -> None:
        for _ in range(count):
            session.push(reports_for(self.protocol).push(DEV_ID, {PUSH_DP: self.pushes}, 1))
            self.pushes += 1


ROUNDS = 25  # conversations per version and driver, 12 calls each


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize("version", VERSIONS)
def test_pushes_around_every_reply_through_the_drivers(version: str, driver: str) -> None:
    protocol = get_protocol(version)
    status_cmd = protocol.command_for(RequestKind.STATUS)

    async def converse(device: Any, scripted: ScriptedDevice, rng: random.Random) -> list[int]:
        """12 calls, one at a time; the indices the status reads were answered with."""
        indices: list[int] = []
        for _ in range(12):
            kind = rng.choice(["status", "set", "heartbeat", "refresh"])
            if kind == "status":
                reply = await device.status()
                assert reply["cmd"] == status_cmd  # the answer to a status read
                assert scripted.answered[reply[REPLY_DP]] == status_cmd
                indices.append(reply[REPLY_DP])
            elif kind == "set":
                await device.set_status({"1": True})
            elif kind == "heartbeat":
                await device.heartbeat()
            else:
                await device.refresh([1])
        return indices

    async def main() -> None:
        for round_ in range(ROUNDS):
            scripted = ScriptedDevice(protocol, seed=round_)
            listener = LoopbackListener("scripted", 0)
            listener.serve(scripted.handle)
            host, port = listener.address
            options: dict[str, Any] = {"version": version, "port": port, "transport": "loopback"}
            rng = random.Random(round_)
            if driver == "AsyncDevice":
                options.update(heartbeat_interval=None, clock=asyncio.get_running_loop().time)
                async_device = AsyncDevice(DEV_ID, KEY, host, **options)
                events = async_device.events()
                indices = await converse(async_device, scripted, rng)
                pushed = []
                async with asyncio.timeout(5.0):
                    while len(pushed) < scripted.pushes:
                        event = await anext(events)
                        if isinstance(event, StatusPush):
                            pushed.append(event.dps[PUSH_DP])
                await async_device.aclose()
            else:
                face = ThreadFace(Device(DEV_ID, KEY, host, **options))
                indices = await converse(face, scripted, rng)
                pushed = await asyncio.to_thread(_drain, face.device, scripted.pushes)
                await face.aclose()
            await listener.aclose()
            assert indices == sorted(set(indices))  # each its own reply, in order
            assert pushed == list(range(scripted.pushes))  # every push once, in order

    run(main, virtual=driver == "AsyncDevice")


def _drain(device: Device, count: int) -> list[int]:
    """`count` pushes from a Device (it reads while it waits), or fewer after 5 s."""
    found: list[int] = []
    deadline = time.monotonic() + 5.0
    while len(found) < count and (left := deadline - time.monotonic()) > 0:
        push = device.wait_for_push(left)
        if push is not None:
            found.append(push.dps[PUSH_DP])
    return found
