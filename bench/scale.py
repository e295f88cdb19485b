"""Many devices in one process: memory, heartbeats, event-loop lag and a status fan-out.

One process (this one) holds N `AsyncDevice`s on one event loop, each with its own
connection to a simulated device served by simulator processes (bench/_common.py): the
devices listen on 127.0.0.2 ... 127.0.0.251, one port each, and one simulator process serves
as many as its open-file limit allows (a listener and a connection per device). Every
device connects, then heartbeats at the default interval (9 s) for `--duration` seconds.
Measured:

- resident memory per device: RSS growth from before the devices were created (after a
  warm-up) to the end of the heartbeat window, divided by N (and again after the fan-out,
  whose N tasks at once raise the high-water mark),
- heartbeats answered in the window (counted by the simulators) against the expected
  N x duration / interval, and reconnects (connections beyond the first per device),
- event-loop lag during the window: how late a 10 ms `asyncio.sleep` wakes, p50 / p99 / max,
- a status fan-out (`asyncio.gather` of N `status()` calls): wall time and CPU per device.

Beside it, tinytuya's way for `--tinytuya` devices: a thread per device holding a
persistent tinytuya 1.20.0 device, heartbeating at the same interval (`heartbeat(nowait=False)`
with `set_retry(False)`, so that it returns once the empty acknowledgement arrives); the lag
there is how late a 10 ms `time.sleep` of the main thread wakes.

The open-file limit is raised to the hard limit (printed). Client and simulators are pinned
to different cores by default (`--placement cross`), so the simulators' own work does not show
up as client lag.

Full run (several minutes): `python bench/scale.py`
Quick run (200 devices, 12 s): `python bench/scale.py --quick`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any, Self

import attrs
from _common import (
    Closing,
    Placement,
    SimProcess,
    SimSpec,
    Summary,
    cpu_seconds,
    device_id,
    device_key,
    load_tinytuya,
    machine_line,
    markdown_table,
    pin_self,
    placements,
    raise_nofile,
    rss_bytes,
)

from tuyaface import AsyncDevice

HEARTBEAT_INTERVAL = 9.0  # tuyaface's default (DEFAULT_HEARTBEAT_INTERVAL)
LAG_PERIOD = 0.010
CONNECT_BATCH = 100
FD_RESERVE = 200  # files a simulator process needs besides its devices


def host_for(index: int) -> str:
    return f"127.0.0.{2 + index % 250}"


# -- simulators in other processes --------------------------------------------------------


class SimFleet(Closing):
    """N simulated devices spread over as few simulator processes as the open-file limit
    allows (each device: a listening socket and one connection)."""

    def __init__(self, count: int, version: str, cpus: frozenset[int]) -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        per_process = (
            count if hard == resource.RLIM_INFINITY else max(1, (hard - FD_RESERVE) // 2)
        )
        self.processes: list[SimProcess] = []
        self.addresses: list[tuple[str, int]] = []
        try:
            for start in range(0, count, per_process):
                indexes = range(start, min(count, start + per_process))
                spec = SimSpec(
                    devices=[(device_id(i), device_key(i), version, host_for(i)) for i in indexes]
                )
                process = SimProcess(spec, cpus)
                self.processes.append(process)
                self.addresses.extend(process.addresses["devices"])
        except BaseException:
            self.close()
            raise

    def stats(self) -> dict[str, list[Any]]:
        merged: dict[str, list[Any]] = {}
        for process in self.processes:
            for key, values in process.stats().items():
                merged.setdefault(key, []).extend(values)
        return merged

    def close(self) -> None:
        for process in self.processes:
            process.close()


# -- results ------------------------------------------------------------------------------


@attrs.define
class Result:
    """One fleet's numbers (ours or tinytuya's)."""

    who: str
    count: int
    connect_wall: float = 0.0
    connect_failures: int = 0
    rss_per_device: float = 0.0
    rss_after_fanout: float = 0.0
    heartbeats: int = 0
    expected: float = 0.0
    fewest_per_device: int = 0
    due_per_device: int = 0
    reconnects: int = 0
    disconnected: int = 0
    lags: list[float] = attrs.field(factory=list)
    gc_pauses: list[float] = attrs.field(factory=list)
    steady_cpu: float = 0.0
    duration: float = 0.0
    fanouts: list[float] = attrs.field(factory=list)
    fanout_cpu: list[float] = attrs.field(factory=list)
    fanout_failures: int = 0

    def lag_text(self) -> str:
        if not self.lags:
            return "-"
        ordered = sorted(self.lags)
        p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
        return (
            f"{statistics.median(ordered) * 1e3:.2f} / {p99 * 1e3:.2f} / {ordered[-1] * 1e3:.1f}"
        )

    def p99(self) -> float:
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]

    def row(self) -> list[str]:
        fanout = Summary.of(self.fanouts) if self.fanouts else None
        cpu = statistics.median(self.fanout_cpu) / self.count if self.fanout_cpu else 0.0
        return [
            f"{self.who}, N = {self.count:,}",
            f"{self.connect_wall:.2f}" + (f" ({self.connect_failures} failed)"
                                          if self.connect_failures else ""),
            f"{self.rss_per_device / 1024:.1f} / {self.rss_after_fanout / 1024:.1f}",
            f"{self.heartbeats:,} / {self.expected:,.0f}",
            f"{self.fewest_per_device} (>= {self.due_per_device})",
            f"{self.reconnects} / {self.disconnected}",
            self.lag_text(),
            f"{len(self.gc_pauses)} / {max(self.gc_pauses, default=0.0) * 1e3:.1f}",
            f"{self.steady_cpu / self.duration * 100:.1f}%",
            fanout.format(3) if fanout else "-",
            f"{cpu * 1e6:.0f}" + (f" ({self.fanout_failures} failed)"
                                  if self.fanout_failures else ""),
        ]


HEADERS = (
    "fleet",
    "connect all, s",
    "RSS KiB/device (steady / after fan-out)",
    "heartbeats answered / expected (N x window / 9 s)",
    "fewest per device (due)",
    "reconnects / down at end",
    "lag ms p50 / p99 / max",
    "GC runs / longest ms",
    "client CPU, heartbeat window",
    "status fan-out s, median (min-max)",
    "fan-out CPU us/device",
)


class GcPauses:
    """Records how long each cyclic garbage collection takes while active."""

    def __init__(self, into: list[float]) -> None:
        self.into = into
        self.started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.into.append(time.perf_counter() - self.started)

    def __enter__(self) -> Self:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


@contextlib.contextmanager
def heartbeat_window(result: Result, fleet: SimFleet, rss0: int) -> Iterator[None]:
    """The steady window: CPU, GC pauses, then heartbeats and reconnects counted by the
    simulators, devices still connected, and RSS growth per device."""
    before = fleet.stats()
    cpu0, window0 = cpu_seconds(), time.perf_counter()
    with GcPauses(result.gc_pauses):
        yield
    window = time.perf_counter() - window0
    result.steady_cpu = cpu_seconds() - cpu0
    after = fleet.stats()
    per_device = [b - a for a, b in zip(before["heartbeats"], after["heartbeats"], strict=True)]
    result.heartbeats = sum(per_device)
    result.expected = result.count * window / HEARTBEAT_INTERVAL
    result.fewest_per_device = min(per_device)
    result.due_per_device = int(window // HEARTBEAT_INTERVAL)
    result.reconnects = sum(after["connections"]) - sum(before["connections"])
    result.disconnected = sum(not connected for connected in after["connected"])
    result.duration = window
    gc.collect()
    result.rss_per_device = (rss_bytes() - rss0) / result.count


@contextlib.contextmanager
def fanout_round(result: Result) -> Iterator[None]:
    cpu0, started = cpu_seconds(), time.perf_counter()
    yield
    result.fanouts.append(time.perf_counter() - started)
    result.fanout_cpu.append(cpu_seconds() - cpu0)


# -- ours: N AsyncDevices on one loop -----------------------------------------------------


async def lag_monitor(stop: asyncio.Event, lags: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        start = loop.time()
        await asyncio.sleep(LAG_PERIOD)
        lags.append(max(0.0, loop.time() - start - LAG_PERIOD))


async def warm_up(version: str, address: tuple[str, int]) -> None:
    """Import and initialise everything once, so RSS growth is the devices' own."""
    host, port = address
    device = AsyncDevice(device_id(0), device_key(0), host, port=port, version=version)
    async with device:
        await device.status()
    await asyncio.sleep(0.2)


async def run_ours(
    count: int, version: str, fleet: SimFleet, duration: float, fanouts: int
) -> Result:
    result = Result("tuyaface AsyncDevice", count)
    await warm_up(version, fleet.addresses[0])
    gc.collect()
    rss0 = rss_bytes()
    devices = [
        AsyncDevice(device_id(i), device_key(i), host, port=port, version=version)
        for i, (host, port) in enumerate(fleet.addresses)
    ]
    started = time.perf_counter()
    for first in range(0, count, CONNECT_BATCH):
        outcomes = await asyncio.gather(
            *(device.connect() for device in devices[first : first + CONNECT_BATCH]),
            return_exceptions=True,
        )
        result.connect_failures += sum(isinstance(item, BaseException) for item in outcomes)
    result.connect_wall = time.perf_counter() - started
    try:
        await asyncio.sleep(1.0)  # let the last connections settle
        with heartbeat_window(result, fleet, rss0):
            # The monitor stops inside the window: asking the simulators for their counts
            # blocks this loop for a moment, which is not lag.
            stop = asyncio.Event()
            monitor = asyncio.get_running_loop().create_task(lag_monitor(stop, result.lags))
            await asyncio.sleep(duration)
            stop.set()
            await monitor
        for _ in range(fanouts):
            with fanout_round(result):
                answers = await asyncio.gather(
                    *(device.status() for device in devices), return_exceptions=True
                )
            result.fanout_failures += sum(not isinstance(a, dict) for a in answers)
        gc.collect()
        result.rss_after_fanout = (rss_bytes() - rss0) / count
    finally:
        await asyncio.gather(*(device.aclose() for device in devices), return_exceptions=True)
    return result


# -- tinytuya's way: a thread per device --------------------------------------------------


class _Threads:
    """Shared state of the tinytuya threads: stop, fan-out generations, counters."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.stop = False
        self.generation = 0
        self.done = 0
        self.failures = 0
        self.connected = 0
        self.connect_failures = 0

    def finished(self, ok: bool, *, connecting: bool = False) -> None:
        with self.lock:
            if connecting:
                self.connected += ok
                self.connect_failures += not ok
            else:
                self.done += 1
                self.failures += not ok
            self.lock.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        with self.lock:
            self.lock.wait_for(predicate, timeout)


def _answered(result: object) -> bool:
    return isinstance(result, dict) and "dps" in result


def tinytuya_worker(
    tinytuya: ModuleType, version: str, index: int, address: tuple[str, int], shared: _Threads
) -> None:
    host, port = address
    device = tinytuya.OutletDevice(
        device_id(index), host, device_key(index), version=float(version), persist=True,
        port=port,
    )
    # With its defaults tinytuya's heartbeat(nowait=False) reads the empty acknowledgement,
    # then waits out its 5 s socket timeout for a non-empty answer; without retries it
    # returns as soon as the acknowledgement arrives.
    device.set_retry(False)
    shared.finished(_answered(device.status()), connecting=True)
    seen = 0
    next_beat = time.monotonic() + HEARTBEAT_INTERVAL
    try:
        while True:
            with shared.lock:
                while (
                    not shared.stop
                    and shared.generation == seen
                    and time.monotonic() < next_beat
                ):
                    shared.lock.wait(max(0.0, next_beat - time.monotonic()))
                stop, generation = shared.stop, shared.generation
            if stop:
                return
            if generation != seen:
                seen = generation
                shared.finished(_answered(device.status()))
            else:
                device.heartbeat(nowait=False)
                next_beat += HEARTBEAT_INTERVAL
    finally:
        device.close()


def run_tinytuya(
    tinytuya: ModuleType,
    count: int,
    version: str,
    fleet: SimFleet,
    duration: float,
    fanouts: int,
) -> Result:
    result = Result("tinytuya, a thread per device", count)
    shared = _Threads()
    warm = threading.Thread(
        target=tinytuya_worker, args=(tinytuya, version, 0, fleet.addresses[0], shared)
    )
    warm.start()
    shared.wait_for(lambda: shared.connected + shared.connect_failures >= 1, 10)
    with shared.lock:
        shared.stop = True
        shared.lock.notify_all()
    warm.join()
    shared = _Threads()
    gc.collect()
    rss0 = rss_bytes()
    threads = [
        threading.Thread(
            target=tinytuya_worker,
            args=(tinytuya, version, i, address, shared),
            name=f"tinytuya-{i}",
            daemon=True,
        )
        for i, address in enumerate(fleet.addresses)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    shared.wait_for(lambda: shared.connected + shared.connect_failures >= count, 120)
    result.connect_wall = time.perf_counter() - started
    result.connect_failures = shared.connect_failures
    try:
        time.sleep(1.0)
        with heartbeat_window(result, fleet, rss0):
            deadline = time.perf_counter() + duration
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                time.sleep(LAG_PERIOD)
                result.lags.append(max(0.0, time.perf_counter() - start - LAG_PERIOD))
        for _ in range(fanouts):
            with shared.lock:
                shared.done = 0
                target = shared.failures
            with fanout_round(result):
                with shared.lock:
                    shared.generation += 1
                    shared.lock.notify_all()
                shared.wait_for(lambda: shared.done >= count, 120)
            result.fanout_failures += shared.failures - target
        gc.collect()
        result.rss_after_fanout = (rss_bytes() - rss0) / count
    finally:
        with shared.lock:
            shared.stop = True
            shared.lock.notify_all()
        for thread in threads:
            thread.join(30)
    return result


# -- running ------------------------------------------------------------------------------


def verdicts(results: Sequence[Result]) -> list[str]:
    """Issue 12's scale targets, for the largest fleet of ours, and the fan-out against
    tinytuya's threads at the same N (status fan-out; the issue's is set_status plus its
    confirmation, not measured here)."""
    ours = [r for r in results if r.who.startswith("tuyaface")]
    if not ours:
        return []
    big = max(ours, key=lambda r: r.count)
    answered = big.heartbeats >= big.count * big.due_per_device and big.reconnects == 0
    lag_ok = bool(big.lags) and big.p99() < 0.005
    memory_ok = big.rss_per_device <= 6 * 1024
    lines = []
    for theirs in (r for r in results if not r.who.startswith("tuyaface") and r.fanouts):
        same = [r for r in ours if r.count == theirs.count and r.fanouts]
        if same:
            speed = statistics.median(theirs.fanouts) / statistics.median(same[0].fanouts)
            lines.append(
                f"N = {theirs.count:,}: status fan-out {speed:.2f}x as fast as tinytuya's "
                f"threads (target >= 2x): {'met' if speed >= 2 else 'MISSED'}"
            )
    return [
        *lines,
        f"N = {big.count:,}: every heartbeat answered (each device at least "
        f"{big.due_per_device} in the window, no reconnects): "
        f"{'met' if answered else 'MISSED'} ({big.heartbeats:,} answered, fewest per "
        f"device {big.fewest_per_device}, {big.reconnects} reconnects)",
        f"N = {big.count:,}: event-loop lag p99 {big.p99() * 1e3:.2f} ms (target < 5 ms): "
        f"{'met' if lag_ok else 'MISSED'}",
        f"N = {big.count:,}: {big.rss_per_device / 1024:.1f} KiB resident per device "
        f"(target <= 6 KiB): {'met' if memory_ok else 'MISSED'}",
    ]


def run_fleet(kind: str, count: int, args: argparse.Namespace) -> Result:
    """One fleet, in this process (a child of `main`, so that its RSS growth is its own)."""
    placement = placements(args.placement)[0]
    pin_self(placement.client)
    raise_nofile(resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    with SimFleet(count, args.version, placement.simulator) as fleet:
        print(f"- {kind}, N = {count:,}: {len(fleet.processes)} simulator process(es)",
              file=sys.stderr, flush=True)
        if kind == "ours":
            return asyncio.run(run_ours(count, args.version, fleet, args.duration, args.fanouts))
        tinytuya = load_tinytuya()
        assert tinytuya is not None
        return run_tinytuya(tinytuya, count, args.version, fleet, args.duration, args.fanouts)


def in_child(kind: str, count: int, args: argparse.Namespace) -> Result:
    """`run_fleet` in a fresh process: memory freed by an earlier fleet would otherwise be
    reused and hide the next one's growth."""
    command = [
        sys.executable, os.path.abspath(__file__), "--child", kind, str(count),
        "--version", args.version, "--duration", str(args.duration),
        "--fanouts", str(args.fanouts), "--placement", args.placement,
    ]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    line = done.stdout.strip().splitlines()[-1]
    return Result(**json.loads(line.removeprefix(RESULT)))


RESULT = "RESULT "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--tinytuya", type=int, default=1000, help="devices, 0: skip")
    parser.add_argument("--version", default="3.3", choices=("3.3", "3.4", "3.5"))
    parser.add_argument("--duration", type=float, default=60.0, help="heartbeat window, s")
    parser.add_argument("--fanouts", type=int, default=3, help="status fan-out rounds")
    parser.add_argument("--placement", choices=("same", "cross", "none"), default="cross")
    parser.add_argument("--quick", action="store_true", help="200 devices (50 threads), 12 s")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = run_fleet(args.child[0], int(args.child[1]), args)
        print(RESULT + json.dumps(attrs.asdict(result)), flush=True)
        return 0
    if args.quick:
        args.counts, args.tinytuya, args.duration, args.fanouts = [200], 50, 12.0, 2
    tinytuya = load_tinytuya() if args.tinytuya else None
    old_soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard = raise_nofile(hard)
    placement: Placement = placements(args.placement)[0]
    print(f"## bench/scale.py: version {args.version}, heartbeat every {HEARTBEAT_INTERVAL:g} s, "
          f"{args.duration:g} s window\n")
    print(machine_line())
    print(f"- open-file limit raised from {old_soft} to {soft} (hard limit {hard}) in the "
          f"client process and in each simulator process")
    print(f"- {placement.describe()}; each fleet in a fresh client process")
    sys.stdout.flush()
    results = [in_child("ours", count, args) for count in args.counts]
    if tinytuya is not None:
        results.append(in_child("tinytuya", args.tinytuya, args))
    print(f"\n### Scale, {placement.describe()}\n")
    print(markdown_table(HEADERS, [result.row() for result in results]))
    print()
    for line in verdicts(results):
        print(f"- {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
