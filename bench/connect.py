"""Connection set-up per second: connect + handshake (3.4 / 3.5) + first status + close.

Every operation starts from nothing, as a one-shot script does: a new device object, a new
TCP connection, the session-key handshake where the version has one, one status request, and
closing. Against the same simulator process on 127.0.0.1 (bench/_common.py; each accepted
connection is served by a fresh simulated device), in one run, in rotating order:

- `Device` and `AsyncDevice` (tuyaface),
- tinytuya 1.20.0 without a persistent socket (it connects per call and closes after it),
  as it ships (10 ms send wait) and with the send wait disabled,
- the limit: a bare blocking TCP connect + close to a bare asyncio listener in the same
  simulator process.

Run: `python bench/connect.py [--rounds 7] [--seconds 0.3] [--placement same|cross|both]`.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from _common import (
    DEV_ID,
    LOCAL_KEY,
    SAME_CORE,
    VERSIONS,
    Placement,
    Sample,
    SimProcess,
    SimSpec,
    Summary,
    load_tinytuya,
    machine_line,
    markdown_table,
    measure,
    paired_ratio,
    pin_self,
    placements,
)

from tuyaface import AsyncDevice, Device

HOST = "127.0.0.1"
SYNC = "Device"
ASYNC = "AsyncDevice"
TT_SHIPPED = "tinytuya, 10 ms send wait"
TT_NOWAIT = "tinytuya, no send wait"
BARE = "bare TCP connect + close"
DEVICE_CLIENTS = (SYNC, ASYNC, TT_SHIPPED, TT_NOWAIT)
ORDER = (SYNC, ASYNC, TT_NOWAIT, TT_SHIPPED, BARE)
HEADERS = (
    "version, client",
    "set-ups/s, median (min-max)",
    "wall us/op",
    "client CPU us/op",
    "simulator CPU us/op",
    "x bare connect",
    "x tinytuya no wait",
    "x tinytuya shipped",
)

Run = Callable[[int], None]


def _check(result: dict[str, Any], who: str) -> None:
    if result.get("1") is not True:
        raise RuntimeError(f"{who}: unexpected status {result!r}")


def device_run(version: str, port: int) -> Run:
    def run(ops: int) -> None:
        for _ in range(ops):
            with Device(DEV_ID, LOCAL_KEY, HOST, port=port, version=version) as device:
                _check(device.status(), SYNC)

    return run


def async_device_run(loop: asyncio.AbstractEventLoop, version: str, port: int) -> Run:
    async def once() -> None:
        async with AsyncDevice(DEV_ID, LOCAL_KEY, HOST, port=port, version=version) as device:
            _check(await device.status(), ASYNC)

    async def batch(ops: int) -> None:
        for _ in range(ops):
            await once()

    return lambda ops: loop.run_until_complete(batch(ops))


def tinytuya_run(tinytuya: ModuleType, version: str, port: int, *, send_wait: bool) -> Run:
    def run(ops: int) -> None:
        for _ in range(ops):
            device = tinytuya.OutletDevice(
                DEV_ID, HOST, LOCAL_KEY, version=float(version), port=port
            )
            if not send_wait:
                device.set_sendWait(None)
            result = device.status()
            if not isinstance(result, dict) or "dps" not in result:
                raise RuntimeError(f"tinytuya: unexpected status {result!r}")
            _check(result["dps"], "tinytuya")
            device.close()

    return run


def bare_run(port: int) -> Run:
    def run(ops: int) -> None:
        for _ in range(ops):
            socket.create_connection((HOST, port)).close()

    return run


def contenders(
    version: str,
    ports: dict[str, int],
    bare_port: int,
    loop: asyncio.AbstractEventLoop,
    tinytuya: ModuleType | None,
) -> dict[str, Run]:
    runs = {
        SYNC: device_run(version, ports[SYNC]),
        ASYNC: async_device_run(loop, version, ports[ASYNC]),
        BARE: bare_run(bare_port),
    }
    if tinytuya is not None:
        runs[TT_SHIPPED] = tinytuya_run(tinytuya, version, ports[TT_SHIPPED], send_wait=True)
        runs[TT_NOWAIT] = tinytuya_run(tinytuya, version, ports[TT_NOWAIT], send_wait=False)
    return runs


def table_rows(version: str, samples: dict[str, list[Sample]]) -> list[list[str]]:
    def ratio(name: str, base: str) -> str:
        if base not in samples or name == base:
            return "-"
        return f"{paired_ratio(samples[name], samples[base]).median:.2f}x"

    rows = []
    for name in ORDER:
        if name not in samples:
            continue
        runs = samples[name]
        rows.append([
            f"{version} {name}",
            Summary.of([s.rate for s in runs]).format(),
            f"{Summary.of([s.wall_per_op for s in runs]).median * 1e6:,.0f}",
            f"{Summary.of([s.cpu_per_op for s in runs]).median * 1e6:,.0f}",
            f"{Summary.of([s.peer_cpu_per_op for s in runs]).median * 1e6:,.0f}",
            ratio(name, BARE),
            ratio(name, TT_NOWAIT),
            ratio(name, TT_SHIPPED),
        ])
    return rows


def targets(version: str, samples: dict[str, list[Sample]]) -> list[str]:
    """The issue's set-up target (3.4 and 3.5): `Device` no slower than tinytuya."""
    if version == "3.3":
        return []
    if TT_NOWAIT not in samples:
        return [f"{version}: tinytuya missing, target not checked"]
    nowait = paired_ratio(samples[SYNC], samples[TT_NOWAIT]).median
    shipped = paired_ratio(samples[SYNC], samples[TT_SHIPPED]).median
    verdict = "met" if nowait >= 1.0 else "MISSED"
    return [
        f"{version}: Device set-ups {nowait:.2f}x tinytuya without send wait, "
        f"{shipped:.1f}x tinytuya as shipped (target >= 1.0x): {verdict}"
    ]


def run_placement(
    placement: Placement,
    sim: SimProcess,
    slots: dict[str, dict[str, int]],
    args: argparse.Namespace,
    tinytuya: ModuleType | None,
) -> None:
    pin_self(placement.client)
    sim.pin(placement.simulator)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    bare_port = sim.addresses["echo"][0][1]
    rows: list[list[str]] = []
    verdicts: list[str] = []
    try:
        for version in args.versions:
            fresh = sim.addresses["fresh"]
            ports = {name: fresh[slot][1] for name, slot in slots[version].items()}
            runs = contenders(version, ports, bare_port, loop, tinytuya)
            samples = measure(runs, args.rounds, args.seconds, sim.cpu_seconds)
            rows.extend(table_rows(version, samples))
            if placement.name == SAME_CORE:  # the targets are for one core
                verdicts.extend(targets(version, samples))
    finally:
        loop.close()
    print(f"\n### Connection set-up, {placement.describe()}\n")
    print(markdown_table(HEADERS, rows))
    print()
    for line in verdicts:
        print(f"- {line}")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one batch")
    parser.add_argument("--placement", choices=("same", "cross", "both", "none"), default="both")
    parser.add_argument("--versions", nargs="+", default=list(VERSIONS), choices=VERSIONS)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.1 s, same core")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.placement = 3, 0.1, "same"
    tinytuya = load_tinytuya()
    # One listener per client and version: each has its own ephemeral-port space, and the
    # TIME_WAIT sockets of thousands of short connections do not collide.
    spec = SimSpec(echo=[(HOST, 1 << 30, 0)])
    slots: dict[str, dict[str, int]] = {}
    for version in args.versions:
        slots[version] = {}
        for name in DEVICE_CLIENTS:
            slots[version][name] = len(spec.fresh)
            spec.fresh.append((DEV_ID, LOCAL_KEY, version, HOST))
    print(f"## bench/connect.py: {args.rounds} rounds of {args.seconds} s per client\n")
    print(machine_line())
    with SimProcess(spec) as sim:
        for placement in placements(args.placement):
            run_placement(placement, sim, slots, args, tinytuya)
    return 0


if __name__ == "__main__":
    sys.exit(main())
