"""Fan-out: one `set_status` to each of N devices (200) and all N confirmations.

Ours: N connected `AsyncDevice`s on one loop; one `asyncio.gather` of, per device, the
`set_status({"1": value})` and the `StatusPush` that confirms the new value. tinytuya 1.20.0:
N persistent `OutletDevice`s (send wait off), a thread per device calling `set_status` (whose
answer is the device's status with the new value), all started together and joined. Both
talk to the same simulator process (bench/_common.py: a simulated device per port). Paired
rounds (the two back to back, order alternating), wall time per fan-out, medians.

Run: `python bench/fanout.py [--devices 200] [--rounds 7] [--loop asyncio|uvloop]`.
Target (issue 12): ours at least 2x as fast as tinytuya's threads.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from types import ModuleType
from typing import Any

from _common import (
    DPS,
    HOST,
    LOOPS,
    SimProcess,
    SimSpec,
    check_tinytuya,
    device_id,
    device_key,
    load_tinytuya,
    machine_line,
    new_loop,
    raise_nofile,
    verdict,
)

from tuyaface import AsyncDevice, StatusPush


async def confirmed(device: AsyncDevice, value: bool) -> None:
    """`set_status` and the push that reports the new value."""
    events = device.events()
    try:
        await device.set_status({"1": value})
        async for event in events:
            if isinstance(event, StatusPush) and event.dps.get("1") is value:
                return
    finally:
        await events.aclose()


async def ours_round(devices: list[AsyncDevice], value: bool) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(confirmed(device, value) for device in devices))
    return time.perf_counter() - started


def tinytuya_round(devices: list[Any], value: bool) -> float:
    failures: list[object] = []

    def one(device: Any) -> None:
        try:
            answer = device.set_status(value, 1)
        except Exception as exc:  # reported below, after the round
            answer = exc
        dps = answer.get("dps") if isinstance(answer, dict) else None
        if not isinstance(dps, dict) or dps.get("1") is not value:
            failures.append(answer)  # an error dict, or no confirmation of the new value

    threads = [threading.Thread(target=one, args=(device,)) for device in devices]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise AssertionError(f"tinytuya: {len(failures)} unconfirmed, e.g. {failures[0]!r}")
    return elapsed


def open_tinytuya(tinytuya: ModuleType, version: str, ports: list[int]) -> list[Any]:
    devices = []
    for index, port in enumerate(ports):
        device = tinytuya.OutletDevice(
            device_id(index), HOST, device_key(index), version=float(version), persist=True,
            port=port,
        )
        device.set_sendWait(None)
        check_tinytuya(device.status())
        devices.append(device)
    return devices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--version", default="3.3", choices=("3.3", "3.4", "3.5"))
    parser.add_argument("--loop", choices=LOOPS, default="asyncio")
    args = parser.parse_args(argv)
    tinytuya = load_tinytuya()
    if tinytuya is None:
        print("tinytuya is not installed: nothing to compare")
        return 1
    raise_nofile(4 * args.devices + 200)
    count = 2 * args.devices  # ours and tinytuya's: each device serves one client
    spec = SimSpec(
        devices=[(device_id(i % args.devices), device_key(i % args.devices), args.version, HOST)
                 for i in range(count)],
        dps=dict(DPS),
    )  # fmt: skip
    print(f"## bench/fanout.py: {args.devices} devices, protocol {args.version}, "
          f"{args.rounds} paired rounds, AsyncDevice on {args.loop}\n")  # fmt: skip
    print(machine_line())
    with SimProcess(spec) as sim:
        ports = [port for _, port in sim.addresses["devices"]]
        loop = new_loop(args.loop)
        asyncio.set_event_loop(loop)
        ours = [
            AsyncDevice(device_id(i), device_key(i), HOST, port=port, version=args.version)
            for i, port in enumerate(ports[: args.devices])
        ]
        theirs = open_tinytuya(tinytuya, args.version, ports[args.devices :])
        try:
            loop.run_until_complete(asyncio.gather(*(device.connect() for device in ours)))
            times: dict[str, list[float]] = {"ours": [], "tinytuya": []}
            for index in range(args.rounds + 1):  # the first round warms up, not counted
                value = index % 2 == 0
                order = ["ours", "tinytuya"] if index % 2 else ["tinytuya", "ours"]
                for who in order:
                    if who == "ours":
                        elapsed = loop.run_until_complete(ours_round(ours, value))
                    else:
                        elapsed = tinytuya_round(theirs, value)
                    if index:
                        times[who].append(elapsed)
        finally:
            loop.run_until_complete(asyncio.gather(*(device.aclose() for device in ours)))
            loop.close()
            for device in theirs:
                device.close()
    speed = statistics.median(t / o for o, t in zip(times["ours"], times["tinytuya"], strict=True))
    print()
    print("| who | fan-out s, median (min-max) |")
    print("|:--|--:|")
    for who, values in times.items():
        print(f"| {who} | {statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f}) |")
    print()
    print(f"- {args.devices} set_status + confirmations: ours {speed:.2f}x as fast as tinytuya's "
          f"threads (paired; target >= 2x): {verdict(speed >= 2)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
