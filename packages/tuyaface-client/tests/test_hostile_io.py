"""Hostile peers on a shared event loop (issue 10, items 10-12).

- a client sending resync bait to one simulated device does not stall another one;
- a device flooding 1 MiB of pushes: the flooded AsyncDevice still answers, work per loop
  iteration stays bounded, and warnings are rate-limited;
- a client flooding requests at a simulator with a reply delay: the answer queue stays
  bounded, and another simulator on the same loop keeps serving.

Work is counted per loop iteration with `TurnSampler` (a callback that re-schedules itself
with `call_soon`, so it runs once per iteration); time bounds are generous.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from simkit import DEV_ID, KEY

from tuyaface import AsyncDevice, SimulatedDevice, SimulatorServer
from tuyaface._lograte import RateLimiter
from tuyaface._simreplies import reports_for
from tuyaface.events import IncomingRequest, RequestDone
from tuyaface.session import Role, Session
from tuyaface_codec import Command, Frame, Protocol, RequestKind, get_protocol
from tuyaface_transport import AsyncTransport, LoopbackListener, get_transport

MIB = 1024 * 1024
FRAMES_PER_TURN = 200  # the most frames one loop iteration may decode
WAITING_BOUND = 100  # the most answers a simulator may hold for one client
GENEROUS = 1.0  # seconds: the slowest call a well-behaved client may see


class TurnSampler:
    """Runs once per loop iteration; `most` is the largest growth of `count()` seen between
    two runs (work done by the callbacks of one iteration), `peak` its largest value."""

    def __init__(self, count: Callable[[], int]) -> None:
        self.count = count
        self.most = 0
        self.peak = 0
        self.turns = 0
        self._last = count()
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        now = self.count()
        self.most = max(self.most, now - self._last)
        self.peak = max(self.peak, now)
        self._last = now
        self.turns += 1
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


@contextlib.asynccontextmanager
async def serving(**knobs: Any) -> AsyncIterator[tuple[SimulatedDevice, SimulatorServer]]:
    simulated = SimulatedDevice(DEV_ID, KEY, version="3.3", dps={"1": True}, **knobs)
    async with simulated.serve(transport="loopback") as server:
        yield simulated, server


def client_for(server: SimulatorServer, **options: Any) -> AsyncDevice:
    return AsyncDevice(
        DEV_ID, KEY, server.host, port=server.port, version="3.3", transport=server.transport,
        timeout=5.0, **options,
    )


async def keep_calling(device: AsyncDevice, until: asyncio.Task[Any]) -> list[float]:
    """Call `status()` until `until` is done; the duration of each call."""
    loop = asyncio.get_running_loop()
    durations: list[float] = []
    while not until.done() or not durations:
        started = loop.time()
        assert await device.status() == {"1": True}
        durations.append(loop.time() - started)
        await asyncio.sleep(0.01)
    return durations


async def raw_connection(server: SimulatorServer) -> AsyncTransport:
    return await get_transport(server.transport).aconnect(server.host, server.port, timeout=5.0)


async def status_over(transport: AsyncTransport, protocol: Protocol) -> dict[str, Any]:
    """One status round trip by hand, on a connection that may carry junk before it."""
    loop = asyncio.get_running_loop()
    session = Session(protocol, KEY, DEV_ID)
    session.start(loop.time())
    session.request(RequestKind.STATUS, loop.time())
    await transport.send(session.data_to_send())
    while True:
        data = await transport.receive(10.0)
        assert data, "the simulator dropped the connection"
        for event in session.receive_data(data, loop.time()):
            if isinstance(event, RequestDone):
                return dict(event.dps or {})


# -- item 10: resync bait ------------------------------------------------------------


def resync_bait(protocol: Protocol, size: int) -> bytes:
    """Fake headers back to back, each claiming about 16 KiB, then 20 KiB of zeros (the
    last claims end there, without a suffix)."""
    wire = protocol.encode_frame(Frame(1, 9), key=KEY)
    fake = wire[: protocol.layout.header_size - 4] + (16 * 1024 - 400).to_bytes(4, "big")
    return (fake * (size // len(fake) + 1))[:size] + bytes(20 * 1024)


async def test_resync_bait_at_one_simulator_does_not_stall_another() -> None:
    protocol = get_protocol("3.3")
    async with serving() as (_, baited), serving() as (_, other), client_for(other) as good:
        await good.status()
        hostile = await raw_connection(baited)

        async def attack() -> dict[str, Any]:
            await hostile.send(resync_bait(protocol, 2 * MIB))
            return await status_over(hostile, protocol)

        attacking = asyncio.create_task(attack())
        durations = await keep_calling(good, attacking)
        assert await attacking == {"1": True}  # the baited device still answers
        await hostile.aclose()
    assert len(durations) >= 2 and max(durations) <= GENEROUS, durations


# -- item 11: push floods ------------------------------------------------------------


class FloodingDevice:
    """A 3.3 device that answers heartbeats and status queries, and after its first status
    answer sends `flood_size` bytes of STATUS pushes in one write: readable ones and
    unreadable ones (not JSON), alternating."""

    def __init__(self, flood_size: int) -> None:
        self.protocol = get_protocol("3.3")
        self.reports = reports_for(self.protocol)
        self.flood_size = flood_size
        self.flooded = asyncio.Event()
        self.pushes = 0  # frames in the flood

    def flood(self) -> bytes:
        pusher = Session(self.protocol, KEY, DEV_ID, role=Role.DEVICE)
        pusher.start(0.0)
        pusher.push(self.reports.push(DEV_ID, {"2": 7}, 0))
        pusher.push(b"not json at all")
        pair = pusher.data_to_send()
        self.pushes = 2 * (self.flood_size // len(pair) + 1)
        return pair * (self.pushes // 2)

    async def handle(self, transport: AsyncTransport) -> None:
        session = Session(self.protocol, KEY, DEV_ID, role=Role.DEVICE)
        session.start(0.0)
        with contextlib.suppress(OSError):
            while data := await transport.receive(None):
                flood = b""
                for event in session.receive_data(data, 0.0):
                    if not isinstance(event, IncomingRequest):
                        continue
                    if event.frame.cmd == Command.HEART_BEAT:
                        session.reply(event.frame)
                        continue
                    session.reply(event.frame, self.reports.status(DEV_ID, {"1": True}))
                    if not self.flooded.is_set():
                        self.flooded.set()
                        flood = self.flood()
                await transport.send(session.data_to_send() + flood)
        await transport.aclose()


def frames_received(device: AsyncDevice) -> int:
    link = device._link
    return 0 if link is None else link.session.frames_received


@contextlib.asynccontextmanager
async def listening(transport: str, handler: Any) -> AsyncIterator[tuple[str, int]]:
    """`handler` serving on a loopback listener, or on TCP 127.0.0.1 (asyncio)."""
    if transport == "loopback":
        with LoopbackListener("flooding-device") as listener:
            listener.serve(handler)
            yield listener.address
        return
    async with await get_transport(transport).start_server("127.0.0.1", 0, handler) as server:
        yield server.address


# asyncio: AsyncDevice takes replies in the transport's callback and reads only what it
# leaves (reads over one slice), with no reader task: the same bounds hold.
@pytest.mark.parametrize("transport", ["loopback", "asyncio"])
async def test_a_push_flood_is_decoded_in_bounded_turns_and_logged_once(
    caplog: pytest.LogCaptureFixture, transport: str
) -> None:
    caplog.set_level(logging.WARNING, logger="tuyaface")
    flooder = FloodingDevice(MIB)
    async with (
        listening(transport, flooder.handle) as (host, port),
        serving() as (_, other),
        client_for(other) as good,
    ):
        flooded = AsyncDevice(
            DEV_ID, KEY, host, port=port, version="3.3", transport=transport, timeout=5.0
        )
        async with flooded:
            unread = flooded.events()  # a subscriber that never reads: its queue fills
            await flooded.connect()
            sampler = TurnSampler(lambda: frames_received(flooded))
            first = asyncio.create_task(flooded.status())
            durations = await keep_calling(good, first)
            assert await first == {"1": True}
            async with asyncio.timeout(60):  # every push read (and the answers)
                while frames_received(flooded) < flooder.pushes:
                    await asyncio.sleep(0.01)
            assert await flooded.status() == {"1": True}  # still answers
            sampler.stop()
            assert flooded.dps["2"] == 7
            await unread.aclose()
    assert max(durations) <= GENEROUS, durations
    assert sampler.most <= FRAMES_PER_TURN, sampler.most
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) <= 4, [r.getMessage() for r in warnings[:6]]


# -- item 12: request floods at a slow simulator -------------------------------------


def request_flood(protocol: Protocol, count: int) -> bytes:
    return b"".join(
        protocol.encode_frame(
            protocol.build_request(RequestKind.STATUS, seqno=n, dev_id=DEV_ID, t=0), key=KEY
        )
        for n in range(1, count + 1)
    )


def answers_waiting(simulated: SimulatedDevice) -> int:
    connection = simulated._active
    return 0 if connection is None else connection.queued


async def test_a_request_flood_at_a_slow_simulator_stays_bounded() -> None:
    protocol = get_protocol("3.3")
    async with serving(reply_delay=0.05) as (slow, server), serving() as (_, other):
        async with client_for(other) as good:
            await good.status()
            waiting = TurnSampler(lambda: answers_waiting(slow))
            hostile = await raw_connection(server)

            async def attack() -> None:
                flood = request_flood(protocol, 500)
                with contextlib.suppress(OSError):
                    for _ in range(10):  # 5,000 requests, about 500 KiB
                        await hostile.send(flood)
                        await asyncio.sleep(0)
                    while await hostile.receive(5.0):
                        pass  # read answers until the simulator drops us (or stops)

            attacking = asyncio.create_task(attack())
            durations = await keep_calling(good, attacking)
            await attacking
            waiting.stop()
            await hostile.aclose()
        async with client_for(server) as later:  # the slow simulator serves the next client
            assert await later.status() == {"1": True}
    assert max(durations) <= GENEROUS, durations
    assert waiting.peak <= WAITING_BOUND, waiting.peak


def test_rate_limited_warnings_count_what_they_held_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [0.0]
    limiter = RateLimiter(interval=10.0, clock=lambda: now[0])
    logger = logging.getLogger("tuyaface.test")
    caplog.set_level(logging.WARNING, logger="tuyaface.test")
    for _ in range(5):
        limiter.log(logger, logging.WARNING, "dev1", "%s: bad push", "dev1")
    limiter.log(logger, logging.WARNING, "dev2", "%s: bad push", "dev2")  # another device
    now[0] = 10.0
    limiter.log(logger, logging.WARNING, "dev1", "%s: bad push", "dev1")
    assert [r.getMessage() for r in caplog.records] == [
        "dev1: bad push",
        "dev2: bad push",
        "dev1: bad push (4 more like it suppressed)",
    ]
