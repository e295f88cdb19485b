"""Connection set-up per second: connect + handshake (3.4 / 3.5) + first status + close.

Every operation starts from nothing, as a one-shot script does: a new device object, a new
TCP connection, the session-key handshake where the version has one, one status request, and
closing. Against the same simulator process on 127.0.0.1 (bench/_common.py; each accepted
connection is served by a fresh simulated device), in one run, in rotating order:

- `Device` and `AsyncDevice` (tuyaface),
- tinytuya 1.20.0 without a persistent socket (it connects per call and closes after it),
  as it ships (10 ms send wait) and with the send wait disabled,
- the limit: a bare blocking TCP connect + close to a bare asyncio listener in the same
  simulator process,
- the asyncio floor (bench/_floor.py), on the same loop as `AsyncDevice`: a minimal
  `asyncio.Protocol` client doing the same exchange (connect, the 3.4 / 3.5 handshake, one
  status request and its answer, close and wait for `connection_lost`) with only the
  codec's public functions; the best any asyncio client reaches here,
- the asyncio floor + safety: the same, plus one timer or task for each piece of machinery
  a kept connection needs (the attempt's bound, the task keeping the connection, the reply
  deadline that is then the idle heartbeat's, the close bound): what `AsyncDevice` must do
  at least.

Run: `python bench/connect.py [--rounds 7] [--seconds 0.3] [--placement same|cross|both]
[--loop asyncio|uvloop]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import sys
from collections.abc import Iterator
from types import ModuleType

from _common import (
    ASYNC,
    DEV_ID,
    DEVICE_CLIENTS,
    HOST,
    LOCAL_KEY,
    SYNC,
    TT_NOWAIT,
    TT_SHIPPED,
    Run,
    Sample,
    SimProcess,
    SimSpec,
    Summary,
    Table,
    against,
    check_status,
    check_tinytuya,
    compare,
    comparison_args,
    load_tinytuya,
    machine_line,
    paired_cpu_ratio,
    paired_ratio,
    verdict,
)
from _floor import FLOOR, SAFE_FLOOR, floor_setup, safe_floor_setup

from tuyaface import AsyncDevice, Device

BARE = "bare TCP connect + close"


def device_run(version: str, port: int) -> Run:
    def run(ops: int) -> None:
        for _ in range(ops):
            with Device(DEV_ID, LOCAL_KEY, HOST, port=port, version=version) as device:
                check_status(device.status(), SYNC)

    return run


def async_device_run(loop: asyncio.AbstractEventLoop, version: str, port: int) -> Run:
    async def once() -> None:
        async with AsyncDevice(DEV_ID, LOCAL_KEY, HOST, port=port, version=version) as device:
            check_status(await device.status(), ASYNC)

    async def batch(ops: int) -> None:
        for _ in range(ops):
            await once()

    return lambda ops: loop.run_until_complete(batch(ops))


def floor_run(
    loop: asyncio.AbstractEventLoop, version: str, port: int, *, safe: bool = False
) -> Run:
    setup, name = (safe_floor_setup, SAFE_FLOOR) if safe else (floor_setup, FLOOR)

    async def batch(ops: int) -> None:
        for _ in range(ops):
            check_status(await setup(version, HOST, port, DEV_ID, LOCAL_KEY), name)

    return lambda ops: loop.run_until_complete(batch(ops))


def tinytuya_run(tinytuya: ModuleType, version: str, port: int, *, send_wait: bool) -> Run:
    def run(ops: int) -> None:
        for _ in range(ops):
            device = tinytuya.OutletDevice(
                DEV_ID, HOST, LOCAL_KEY, version=float(version), port=port
            )
            if not send_wait:
                device.set_sendWait(None)
            check_tinytuya(device.status())
            device.close()

    return run


def bare_run(port: int) -> Run:
    def run(ops: int) -> None:
        for _ in range(ops):
            socket.create_connection((HOST, port)).close()

    return run


@contextlib.contextmanager
def contenders(
    sim: SimProcess,
    slots: dict[str, dict[str, int]],
    tinytuya: ModuleType | None,
    version: str,
    loop: asyncio.AbstractEventLoop,
) -> Iterator[dict[str, Run]]:
    fresh = sim.addresses["fresh"]
    ports = {name: fresh[slot][1] for name, slot in slots[version].items()}
    runs = {
        SYNC: device_run(version, ports[SYNC]),
        ASYNC: async_device_run(loop, version, ports[ASYNC]),
        FLOOR: floor_run(loop, version, ports[FLOOR]),
        SAFE_FLOOR: floor_run(loop, version, ports[SAFE_FLOOR], safe=True),
        BARE: bare_run(sim.addresses["echo"][0][1]),
    }
    if tinytuya is not None:
        runs[TT_SHIPPED] = tinytuya_run(tinytuya, version, ports[TT_SHIPPED], send_wait=True)
        runs[TT_NOWAIT] = tinytuya_run(tinytuya, version, ports[TT_NOWAIT], send_wait=False)
    yield runs


def floor_lines(version: str, samples: dict[str, list[Sample]], loop: str) -> list[str]:
    """The floor's set-up rate against tinytuya, `AsyncDevice` against the floor, and the
    ceiling of a client as cheap as the floor served as cheaply as tinytuya."""
    floor, theirs, ours = samples[FLOOR], samples[TT_NOWAIT], samples[ASYNC]
    safe = samples[SAFE_FLOOR]
    reach = paired_ratio(floor, theirs).median
    share = paired_ratio(ours, floor).median
    cpu = paired_cpu_ratio(ours, floor).median
    # On one core a set-up costs about client CPU + simulator CPU; tinytuya's simulator
    # CPU per set-up in the same round stands for the simulator's part. CPU, not wall
    # time: the other processes on a shared machine do not count in it.
    ceiling = Summary.of([
        (t.cpu_per_op + t.peer_cpu_per_op) / (f.cpu_per_op + t.peer_cpu_per_op)
        for f, t in zip(floor, theirs, strict=True)
    ]).median
    return [
        f"{version}: {FLOOR} set-ups {reach:.2f}x tinytuya without send wait, on {loop}: "
        f"the best any asyncio client reaches here; AsyncDevice {share:.2f}x the floor's "
        f"rate, {cpu:.2f}x its client CPU",
        f"{version}: ceiling, a client with the floor's CPU served at tinytuya's simulator "
        f"CPU per set-up: {ceiling:.2f}x tinytuya (client + simulator CPU, paired)",
        f"{version}: {SAFE_FLOOR} {paired_ratio(safe, floor).median:.2f}x the floor's rate "
        f"({paired_ratio(safe, theirs).median:.2f}x tinytuya); AsyncDevice "
        f"{paired_ratio(ours, safe).median:.2f}x its rate, "
        f"{paired_cpu_ratio(ours, safe).median:.2f}x its client CPU",
    ]


def targets(version: str, samples: dict[str, list[Sample]], loop: str) -> list[str]:
    """Issue 12's set-up target (`AsyncDevice` at least tinytuya's rate, 1.5x on uvloop),
    then the older one (3.4 and 3.5): `Device` no slower than tinytuya."""
    if TT_NOWAIT not in samples:
        return [f"{version}: tinytuya missing, target not checked"]
    async_rate = paired_ratio(samples[ASYNC], samples[TT_NOWAIT]).median
    wanted = 1.5 if loop == "uvloop" else 1.0
    lines = [
        f"{version}: AsyncDevice set-ups {against(async_rate, wanted)}x tinytuya without send "
        f"wait, on {loop} (target >= {wanted}x): {verdict(async_rate >= wanted)}"
    ]
    if FLOOR in samples:
        lines.extend(floor_lines(version, samples, loop))
    if version != "3.3":
        nowait = paired_ratio(samples[SYNC], samples[TT_NOWAIT]).median
        shipped = paired_ratio(samples[SYNC], samples[TT_SHIPPED]).median
        lines.append(
            f"{version}: Device set-ups {against(nowait, 1.0)}x tinytuya without send wait, "
            f"{shipped:.1f}x tinytuya as shipped (target >= 1.0x): {verdict(nowait >= 1.0)}"
        )
    return lines


TABLE = Table(
    "Connection set-up",
    "set-ups",
    order=(SYNC, ASYNC, FLOOR, SAFE_FLOOR, TT_NOWAIT, TT_SHIPPED, BARE),
    bases=(
        (BARE, "x bare connect"),
        (FLOOR, "x asyncio floor"),
        (TT_NOWAIT, "x tinytuya no wait"),
        (TT_SHIPPED, "x tinytuya shipped"),
    ),
    targets=targets,
    digits=0,
)


def main(argv: list[str] | None = None) -> int:
    args = comparison_args(__doc__ or "", argv)
    tinytuya = load_tinytuya()
    # One listener per client and version: each has its own ephemeral-port space, and the
    # TIME_WAIT sockets of thousands of short connections do not collide.
    spec = SimSpec(echo=[(HOST, 1 << 30, 0)])
    slots: dict[str, dict[str, int]] = {}
    for version in args.versions:
        slots[version] = {}
        for name in (*DEVICE_CLIENTS, FLOOR, SAFE_FLOOR):
            slots[version][name] = len(spec.fresh)
            spec.fresh.append((DEV_ID, LOCAL_KEY, version, HOST))
    print(f"## bench/connect.py: {args.rounds} rounds of {args.seconds} s per client\n")
    print(machine_line())
    with SimProcess(spec) as sim:
        compare(sim, args, functools.partial(contenders, sim, slots, tinytuya), TABLE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
