"""Hostile input: what a peer that sends junk costs us (issue 10, items 10-12).

Resync: 2 MiB fed in 1 KiB reads to the device role of a `Session` (what a simulated device
runs for each client), three kinds of input of the same size:

* ``garbage``: random bytes (the baseline: almost no frame prefix in it),
* ``bait``: fake frame headers back to back, each claiming about 16 KiB, so every one has to
  wait for its body and then fails,
* ``planted bait``: fake headers 32 bytes apart, each claiming about 16 KiB, with the frame
  suffix planted exactly where each claims to end, so every one reaches the integrity check.

The table shows CPU seconds (median of `--rounds`) and the ratio to garbage. A decoder that
resyncs in time linear in the bytes received keeps every ratio small.

Then three hostile peers, each beside a well-behaved client on the same event loop
(loopback transport, 3.3), with the longest loop turn in CPU time seen by a callback that
re-schedules itself every turn:

* ``resync bait``: 2 MiB of bait in one write to a simulated device,
* ``push flood``: a device answers a status query and then writes 1 MiB of pushes (half
  of them unreadable) to an AsyncDevice that has one event stream nobody reads,
* ``request flood``: 5,000 status queries in ten writes to a simulator with
  ``reply_delay=0.05``.

Run: ``python bench/hostile.py [--mib 2] [--rounds 3] [--versions 3.3 3.4 3.5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable

from _common import markdown_table

import tuyaface_codec as codec
from tuyaface import AsyncDevice, SimulatedDevice, SimulatorServer
from tuyaface._simreplies import reports_for
from tuyaface.events import IncomingRequest
from tuyaface.session import Role, Session
from tuyaface_codec import Command, Frame, Protocol, RequestKind
from tuyaface_transport import AsyncTransport, LoopbackListener, get_transport

LOCAL_KEY = b"0123456789abcdef"
DEV_ID = "bf0123456789abcdefgh"
MIB = 1024 * 1024
CHUNK = 1024
CLAIMED = 16 * 1024 - 400  # "about 16 KiB", under the decoder's 16 KiB cap
STRIDE = 32


def header(version: Protocol, length: int) -> bytes:
    """A frame header claiming `length` bytes, cut from a real frame of this layout."""
    wire = version.encode_frame(Frame(1, 9), key=LOCAL_KEY, iv=bytes(12))
    return wire[: version.layout.header_size - 4] + length.to_bytes(4, "big")


def garbage(version: Protocol, size: int) -> bytes:
    data = random.Random(size).randbytes(size)
    return data.replace(version.layout.prefix, bytes(4))


def bait(version: Protocol, size: int) -> bytes:
    fake = header(version, CLAIMED)
    return (fake * (size // len(fake) + 1))[:size]


def planted_bait(version: Protocol, size: int) -> bytes:
    """Headers every 32 bytes; each claimed frame ends on a planted suffix."""
    layout = version.layout
    suffix_at = STRIDE - 8
    claimed = CLAIMED
    while (layout.frame_size(header(version, claimed), 1 << 30) - 4) % STRIDE != suffix_at:
        claimed += 1
    block = bytearray(STRIDE)
    block[: layout.header_size] = header(version, claimed)
    block[suffix_at : suffix_at + 4] = layout.suffix
    return (bytes(block) * (size // STRIDE + 1))[:size]


INPUTS: dict[str, Callable[[Protocol, int], bytes]] = {
    "garbage": garbage,
    "bait": bait,
    "planted bait": planted_bait,
}


def device_cpu(version: Protocol, data: bytes) -> float:
    """CPU seconds the device role of a Session spends on `data`, read 1 KiB at a time."""
    session = Session(version, LOCAL_KEY, "bench", role=Role.DEVICE)
    session.start(0.0)
    start = time.process_time()
    for offset in range(0, len(data), CHUNK):
        session.receive_data(data[offset : offset + CHUNK], 0.0)
    return time.process_time() - start


class Turns:
    """Runs once per loop turn: the longest turn in CPU time (the machine may be busy with
    other work: wall time would count that too), and the most `count()` grew in one."""

    def __init__(self, count: Callable[[], int] = lambda: 0) -> None:
        self.count, self.last, self.most, self.longest = count, count(), 0, 0.0
        self.loop = asyncio.get_running_loop()
        self.at = time.thread_time()
        self.handle = self.loop.call_soon(self.tick)

    def tick(self) -> None:
        now, value = time.thread_time(), self.count()
        self.longest = max(self.longest, now - self.at)
        self.most = max(self.most, value - self.last)
        self.at, self.last = now, value
        self.handle = self.loop.call_soon(self.tick)


class Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def connect(server: SimulatorServer) -> AsyncTransport:
    return await get_transport(server.transport).aconnect(server.host, server.port, timeout=5)


async def poll(device: AsyncDevice, until: asyncio.Future[object]) -> None:
    while not until.done():
        await device.status()
        await asyncio.sleep(0.01)


async def beside_a_good_client(
    attack: Callable[[SimulatorServer], asyncio.Future[object]],
    count: Callable[[], int] = lambda: 0,
) -> Turns:
    """Run `attack` while a well-behaved AsyncDevice polls its own simulated device."""
    good_sim = SimulatedDevice(DEV_ID, LOCAL_KEY, version="3.3", dps={"1": True})
    async with good_sim.serve(transport="loopback") as good_server:
        good = AsyncDevice(DEV_ID, LOCAL_KEY, good_server.host, port=good_server.port,
                           version="3.3", transport="loopback", timeout=10.0)
        async with good:
            await good.status()
            turns = Turns(count)
            attacking = attack(good_server)
            await asyncio.gather(attacking, poll(good, attacking))
            turns.handle.cancel()
    return turns


async def resync_scenario(size: int) -> list[str]:
    version = codec.get_protocol("3.3")
    target = SimulatedDevice(DEV_ID, LOCAL_KEY, version="3.3")
    async with target.serve(transport="loopback") as server:
        async def attack() -> None:
            hostile = await connect(server)
            await hostile.send(bait(version, size) + bytes(20 * 1024))
            session = Session(version, LOCAL_KEY, DEV_ID)
            session.start(0.0)
            session.request(RequestKind.STATUS, 0.0)
            await hostile.send(session.data_to_send())
            await hostile.receive(30.0)  # its answer comes after all the bait
            await hostile.aclose()

        turns = await beside_a_good_client(lambda _: asyncio.ensure_future(attack()))
    return [f"resync bait, {size // MIB} MiB", f"{turns.longest * 1e3:,.0f}", "-", "-", "-"]


async def push_scenario(warnings: Warnings) -> list[str]:
    version = codec.get_protocol("3.3")
    reports = reports_for(version)
    pusher = Session(version, LOCAL_KEY, DEV_ID, role=Role.DEVICE)
    pusher.start(0.0)
    pusher.push(reports.push(DEV_ID, {"2": 7}, 0))
    pusher.push(b"not json")
    pair = pusher.data_to_send()
    flood = pair * (MIB // len(pair))
    pushes = 2 * (MIB // len(pair))

    async def device(transport: AsyncTransport) -> None:
        session = Session(version, LOCAL_KEY, DEV_ID, role=Role.DEVICE)
        session.start(0.0)
        sent = False
        with contextlib.suppress(OSError):
            while data := await transport.receive(None):
                extra = b""
                for event in session.receive_data(data, 0.0):
                    if isinstance(event, IncomingRequest):
                        payload = b"" if event.frame.cmd == Command.HEART_BEAT else (
                            reports.status(DEV_ID, {"1": True}))
                        session.reply(event.frame, payload)
                        if payload and not sent:
                            sent, extra = True, flood
                await transport.send(session.data_to_send() + extra)
        await transport.aclose()

    before = warnings.count
    with LoopbackListener("bench-flooding-device") as listener:
        listener.serve(device)
        host, port = listener.address
        flooded = AsyncDevice(DEV_ID, LOCAL_KEY, host, port=port, version="3.3",
                              transport="loopback", timeout=10.0)
        async with flooded:
            unread = flooded.events()
            await flooded.connect()

            def frames() -> int:
                link = flooded._link
                return 0 if link is None else link.session.frames_received

            async def attack() -> None:
                await flooded.status()
                while frames() < pushes:
                    await asyncio.sleep(0.01)
                await flooded.status()

            turns = await beside_a_good_client(lambda _: asyncio.ensure_future(attack()), frames)
            await unread.aclose()
    logged = warnings.count - before
    return ["push flood, 1 MiB", f"{turns.longest * 1e3:,.0f}", f"{turns.most:,}", f"{logged:,}",
            "-"]


async def request_scenario() -> list[str]:
    version = codec.get_protocol("3.3")
    slow = SimulatedDevice(DEV_ID, LOCAL_KEY, version="3.3", reply_delay=0.05)
    flood = b"".join(
        version.encode_frame(
            version.build_request(RequestKind.STATUS, seqno=n, dev_id=DEV_ID, t=0), key=LOCAL_KEY
        )
        for n in range(1, 501)
    )
    async with slow.serve(transport="loopback") as server:
        async def attack() -> None:
            hostile = await connect(server)
            with contextlib.suppress(OSError):
                for _ in range(10):
                    await hostile.send(flood)
                    await asyncio.sleep(0)
                while await hostile.receive(5.0):
                    pass
            await hostile.aclose()

        def waiting() -> int:
            connection = slow._active
            return 0 if connection is None else connection.queued

        peak = [0]

        def watch() -> int:
            peak[0] = max(peak[0], waiting())
            return 0

        turns = await beside_a_good_client(lambda _: asyncio.ensure_future(attack()), watch)
    return ["request flood, 5,000", f"{turns.longest * 1e3:,.0f}", "-", "-", f"{peak[0]:,}"]


async def shared_loop(size: int) -> list[list[str]]:
    warnings = Warnings()
    logging.getLogger("tuyaface").addHandler(warnings)
    return [await resync_scenario(size), await push_scenario(warnings), await request_scenario()]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--versions", nargs="+", default=["3.3", "3.4", "3.5"])
    args = parser.parse_args(argv)
    logging.getLogger("tuyaface").propagate = False  # counted, not printed
    size = int(args.mib * MIB)
    rows = []
    for tag in args.versions:
        version = codec.get_protocol(tag)
        baseline = 0.0
        for name, make in INPUTS.items():
            data = make(version, size)
            cpu = statistics.median(device_cpu(version, data) for _ in range(args.rounds))
            baseline = baseline or cpu
            rows.append([f"{tag} {name}", f"{cpu:.3f}", f"{cpu / baseline:.1f}x"])
    print(f"device-role resync, {args.mib:g} MiB in {CHUNK}-byte reads, pid {os.getpid()}")
    print(markdown_table(["version, input", "CPU s (median)", "vs garbage"], rows))
    print()
    print("hostile peer beside a well-behaved client on the same loop (loopback, 3.3)")
    headers = ["scenario", "longest loop turn, CPU ms", "most frames in a turn",
               "warnings logged", "peak answers waiting"]
    print(markdown_table(headers, asyncio.run(shared_loop(size))))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main(sys.argv[1:])
