"""Shared helpers for bench/roundtrip.py, bench/connect.py and bench/scale.py.

- placement: pin this process and a simulator process to CPUs (`taskset`, `sched_setaffinity`),
- `SimProcess`: simulators (and a bare echo server) served from another process,
- statistics over rounds (`Summary`: median with min-max), CPU time from `getrusage`,
- Markdown tables, the open-file limit, tinytuya as an optional import.

Run as a script (`python bench/_common.py serve`) it is the simulator process itself: it reads
one JSON line describing what to serve from stdin, answers with one JSON line of addresses,
then obeys commands (`stats`) until stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any, NamedTuple

import attrs

from tuyaface_transport import Closing

DEV_ID = "bf0123456789abcdefgh"
LOCAL_KEY = "0123456789abcdef"
VERSIONS = ("3.3", "3.4", "3.5")
DPS = {"1": True, "2": 0, "4": 912, "5": 1025, "6": 1175, "18": 152, "19": 301, "20": 2301}
TINYTUYA_VERSION = "1.20.0"
HOST = "127.0.0.1"
# Contender names shared by the comparison tables.
ASYNC = "AsyncDevice"
SYNC = "Device"
TT_SHIPPED = "tinytuya, 10 ms send wait"
TT_NOWAIT = "tinytuya, no send wait"
DEVICE_CLIENTS = (ASYNC, SYNC, TT_SHIPPED, TT_NOWAIT)
HEARTBEAT_CMD = 9  # Command.HEART_BEAT


# -- tinytuya, optional -------------------------------------------------------------------


def load_tinytuya() -> ModuleType | None:
    """tinytuya if installed (the benchmark-only dependency), else None with a message."""
    try:
        import tinytuya  # type: ignore[import-untyped]
    except ImportError:
        print(
            f"tinytuya is not installed: its rows are skipped. For the comparison run\n"
            f"    pip install tinytuya=={TINYTUYA_VERSION}\n",
            file=sys.stderr,
        )
        return None
    if tinytuya.__version__ != TINYTUYA_VERSION:
        print(
            f"note: tinytuya {tinytuya.__version__} installed; the tables in bench/README.md "
            f"were made with {TINYTUYA_VERSION}",
            file=sys.stderr,
        )
    module: ModuleType = tinytuya
    return module


def check_status(result: object, who: str) -> None:
    """Every answer is checked: a client that failed quietly must not look fast."""
    if not isinstance(result, dict) or result.get("1") is not True:
        raise RuntimeError(f"{who}: unexpected status {result!r}")


def check_tinytuya(result: object) -> None:
    """tinytuya returns its errors as dicts instead of raising."""
    if not isinstance(result, dict) or "dps" not in result:
        raise RuntimeError(f"tinytuya: unexpected status {result!r}")
    check_status(result["dps"], "tinytuya")


def device_key(index: int) -> str:
    """A distinct 16-character local key per simulated device."""
    return f"k{index:015d}"


def device_id(index: int) -> str:
    return f"bf{index:018d}"


# -- placement ----------------------------------------------------------------------------

SAME_CORE = "same core"


@attrs.frozen
class Placement:
    """Which CPUs the benchmark (client) and the simulator process run on."""

    name: str
    client: frozenset[int]
    simulator: frozenset[int]

    def describe(self) -> str:
        return (
            f"{self.name}: client on CPU {_cpus(self.client)}, "
            f"simulator on CPU {_cpus(self.simulator)}"
        )


def _cpus(cpus: Iterable[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


def placements(which: str) -> list[Placement]:
    """`same` (both on one core), `cross` (one core each), `both`, or `none` (unpinned)."""
    cpus = sorted(os.sched_getaffinity(0))
    last, other = cpus[-1], cpus[0]
    options = {
        "same": Placement(SAME_CORE, frozenset({last}), frozenset({last})),
        "cross": Placement("cross core", frozenset({last}), frozenset({other})),
        "none": Placement("unpinned", frozenset(cpus), frozenset(cpus)),
    }
    if len(cpus) < 2:
        options.pop("cross")
    names = ["same", "cross"] if which == "both" else [which]
    return [options[name] for name in names if name in options]


def pin_self(cpus: Iterable[int]) -> None:
    os.sched_setaffinity(0, set(cpus))


# -- numbers ------------------------------------------------------------------------------


@attrs.frozen
class Summary:
    """Median and range of a measurement over rounds."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        return cls(statistics.median(values), min(values), max(values))

    def format(self, digits: int = 0, scale: float = 1.0) -> str:
        return (
            f"{self.median * scale:,.{digits}f} "
            f"({self.low * scale:,.{digits}f}-{self.high * scale:,.{digits}f})"
        )


def cpu_seconds() -> float:
    """CPU time of this process so far (user + system, all threads)."""
    return usage().cpu


def process_cpu_seconds(pid: int) -> float:
    """CPU time of another process (user + system) from /proc, 10 ms resolution."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Usage(NamedTuple):
    """CPU seconds (user + system) and context switches (voluntary + involuntary) so far."""

    cpu: float
    switches: int


def usage() -> Usage:
    """This process's usage so far (all threads)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return Usage(own.ru_utime + own.ru_stime, own.ru_nvcsw + own.ru_nivcsw)


def process_usage(pid: int) -> Usage:
    """Another process's usage so far, from /proc: its CPU, and its threads' switches."""
    switches = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/status", encoding="ascii") as status:
            switches += sum(
                int(line.split(":")[1]) for line in status if "ctxt_switches" in line
            )
    return Usage(process_cpu_seconds(pid), switches)


def rss_bytes() -> int:
    """Resident memory of this process now."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@attrs.frozen
class Sample:
    """One timed batch: `ops` operations in `wall` seconds using `cpu` CPU seconds here
    and `peer_cpu` in the simulator process; `switches`: context switches of both."""

    ops: int
    wall: float
    cpu: float
    peer_cpu: float = 0.0
    switches: int = 0

    @property
    def rate(self) -> float:
        return self.ops / self.wall

    @property
    def wall_per_op(self) -> float:
        return self.wall / self.ops

    @property
    def cpu_per_op(self) -> float:
        return self.cpu / self.ops

    @property
    def peer_cpu_per_op(self) -> float:
        return self.peer_cpu / self.ops

    @property
    def switches_per_op(self) -> float:
        return self.switches / self.ops


NO_USAGE = Usage(0.0, 0)


def timed(
    run: Callable[[int], None], ops: int, peer: Callable[[], Usage] | None = None
) -> Sample:
    """Run `run(ops)` once and time it: wall, this process's CPU, `peer()`'s CPU, and
    both processes' context switches."""
    peer0 = peer() if peer else NO_USAGE
    own0, wall0 = usage(), time.perf_counter()
    run(ops)
    wall, own = time.perf_counter() - wall0, usage()
    peer1 = peer() if peer else NO_USAGE
    switches = own.switches - own0.switches + peer1.switches - peer0.switches
    return Sample(ops, wall, own.cpu - own0.cpu, peer1.cpu - peer0.cpu, switches)


def calibrate(run: Callable[[int], None], seconds: float, *, start: int = 4) -> int:
    """How many operations take about `seconds` (after a warm-up run)."""
    run(start)
    ops = start
    while True:
        sample = timed(run, ops)
        if sample.wall >= min(seconds, 0.05):
            return max(1, round(seconds / sample.wall_per_op))
        ops *= 4


def measure(
    runs: dict[str, Callable[[int], None]],
    rounds: int,
    seconds: float,
    peer: Callable[[], Usage] | None = None,
) -> dict[str, list[Sample]]:
    """Rounds of timed batches of every contender, the order rotated each round so that
    neighbours in time are compared; each batch lasts about `seconds` (calibrated first).
    `peer` reads the simulator process's usage."""
    sizes = {name: calibrate(run, seconds) for name, run in runs.items()}
    names = list(runs)
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(timed(runs[name], sizes[name], peer))
    return samples


def paired_ratio(ours: Sequence[Sample], theirs: Sequence[Sample]) -> Summary:
    """Rate ratio round by round (the two ran back to back), summarised."""
    return Summary.of([a.rate / b.rate for a, b in zip(ours, theirs, strict=True)])


def paired_cpu_ratio(ours: Sequence[Sample], theirs: Sequence[Sample]) -> Summary:
    """Client CPU per operation, ours over theirs, round by round, summarised."""
    return Summary.of([a.cpu_per_op / b.cpu_per_op for a, b in zip(ours, theirs, strict=True)])


LOOPS = ("asyncio", "uvloop")


def new_loop(name: str) -> asyncio.AbstractEventLoop:
    """A new event loop of the kind `--loop` names ("uvloop" needs `pip install uvloop`)."""
    if name == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


# -- side-by-side comparisons (roundtrip.py, connect.py) ---------------------------------

Run = Callable[[int], None]
Contenders = Callable[[str, asyncio.AbstractEventLoop], AbstractContextManager[dict[str, Run]]]


def comparison_args(doc: str, argv: list[str] | None) -> argparse.Namespace:
    """The options both comparison scripts take."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one batch")
    parser.add_argument("--placement", choices=("same", "cross", "both", "none"), default="both")
    parser.add_argument("--versions", nargs="+", default=list(VERSIONS), choices=VERSIONS)
    parser.add_argument("--quick", action="store_true", help="3 rounds of 0.1 s, same core")
    parser.add_argument("--loop", choices=LOOPS, default="asyncio", help="AsyncDevice's loop")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.placement = 3, 0.1, "same"
    return args


@attrs.frozen
class Table:
    """How a comparison prints: rows in `order`, rate ratios to each of `bases`, and the
    issue's targets (checked on the same-core placement only, where they are stated)."""

    title: str
    unit: str
    order: Sequence[str]
    bases: Sequence[tuple[str, str]]  # (contender, column heading)
    targets: Callable[[str, dict[str, list[Sample]], str], list[str]]  # version, samples, loop
    digits: int = 1

    def headers(self) -> list[str]:
        return [
            "version, client",
            f"{self.unit}/s, median (min-max)",
            "wall us/op",
            "client CPU us/op",
            "simulator CPU us/op",
            "switches/op",
            *(heading for _, heading in self.bases),
        ]

    def rows(self, version: str, samples: dict[str, list[Sample]]) -> list[list[str]]:
        def ratio(name: str, base: str) -> str:
            if base not in samples or name == base:
                return "-"
            return f"{paired_ratio(samples[name], samples[base]).median:.2f}x"

        def micros(values: list[float], digits: int) -> str:
            return f"{statistics.median(values) * 1e6:,.{digits}f}"

        return [
            [
                f"{version} {name}",
                Summary.of([s.rate for s in samples[name]]).format(),
                micros([s.wall_per_op for s in samples[name]], self.digits),
                micros([s.cpu_per_op for s in samples[name]], self.digits),
                micros([s.peer_cpu_per_op for s in samples[name]], 0),
                f"{statistics.median(s.switches_per_op for s in samples[name]):.1f}",
                *(ratio(name, base) for base, _ in self.bases),
            ]
            for name in self.order
            if name in samples
        ]


def compare(
    sim: SimProcess, args: argparse.Namespace, contenders: Contenders, table: Table
) -> None:
    """Measure every version on every placement asked for, and print a table each."""
    for placement in placements(args.placement):
        pin_self(placement.client)
        sim.pin(placement.simulator)
        loop = new_loop(args.loop)
        asyncio.set_event_loop(loop)
        rows: list[list[str]] = []
        verdicts: list[str] = []
        try:
            for version in args.versions:
                with contenders(version, loop) as runs:
                    samples = measure(runs, args.rounds, args.seconds, sim.usage)
                rows.extend(table.rows(version, samples))
                if placement.name == SAME_CORE:
                    verdicts.extend(table.targets(version, samples, args.loop))
        finally:
            loop.close()
        print(f"\n### {table.title}, {placement.describe()}, AsyncDevice on {args.loop}\n")
        print(markdown_table(table.headers(), rows))
        print()
        for line in verdicts:
            print(f"- {line}")
        sys.stdout.flush()


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def against(value: float, target: float, digits: int = 2) -> str:
    """`value` to `digits` decimals, or more where rounding would print the target itself
    for a value on the other side of it (0.997 beside ">= 1.0x": "0.997", not "1.00")."""
    text = f"{value:.{digits}f}"
    while value != target and float(text) == target and digits < 6:
        digits += 1
        text = f"{value:.{digits}f}"
    return text


# -- output -------------------------------------------------------------------------------


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table (first column left-aligned, the rest right-aligned)."""
    rows = [list(row) for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        ":" + "-" * (w + 1) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def machine_line() -> str:
    """Python, CPUs and load, for the head of every table."""
    load = os.getloadavg()
    return (
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} at start"
    )


# -- limits -------------------------------------------------------------------------------


def raise_nofile(wanted: int) -> tuple[int, int]:
    """Raise the soft open-file limit towards `wanted`, never past the hard limit.
    Returns (new soft limit, hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft, hard


# -- the simulator process ----------------------------------------------------------------


@attrs.frozen
class SimSpec:
    """What one simulator process serves.

    - `devices`: (dev_id, local_key, version, host) per simulated device; each listens on its
      own port (the OS picks) and serves one client at a time, as real devices do.
    - `fresh`: (dev_id, local_key, version, host) listeners that serve every accepted
      connection with a new simulated device (for connect-rate runs: no wait for the previous
      client's end of stream).
    - `echo`: (host, request size, reply size): a bare asyncio Protocol that answers every
      `request size` bytes received with `reply size` bytes.
    """

    devices: list[tuple[str, str, str, str]] = attrs.field(factory=list)
    fresh: list[tuple[str, str, str, str]] = attrs.field(factory=list)
    echo: list[tuple[str, int, int]] = attrs.field(factory=list)
    dps: dict[str, Any] = attrs.field(factory=lambda: dict(DPS))


class SimProcess(Closing):
    """A simulator process (`python bench/_common.py serve`) started under `taskset`.

    `addresses["devices" | "fresh" | "echo"]` lists (host, port) in the order of the spec.
    """

    def __init__(self, spec: SimSpec, cpus: Iterable[int] | None = None) -> None:
        command = [sys.executable, os.path.abspath(__file__), "serve"]
        if cpus is not None and shutil.which("taskset"):
            command = ["taskset", "-c", _cpus(cpus), *command]
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self.addresses: dict[str, list[tuple[str, int]]] = {}
        try:
            self.addresses = {
                key: [(host, port) for host, port in value]
                for key, value in self._ask(json.dumps(attrs.asdict(spec))).items()
            }
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        return self._process.pid

    def pin(self, cpus: Iterable[int]) -> None:
        """Move the running simulator process (all its threads) to `cpus`."""
        for task in os.listdir(f"/proc/{self.pid}/task"):
            os.sched_setaffinity(int(task), set(cpus))

    def usage(self) -> Usage:
        return process_usage(self.pid)

    def stats(self) -> dict[str, Any]:
        """Counters per served device: heartbeats answered, connections, requests."""
        counters: dict[str, Any] = self._ask("stats")
        return counters

    def _ask(self, line: str) -> Any:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the simulator process exited ({self._process.wait()})")
        return json.loads(answer)

    def close(self) -> None:
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


class _Echo(asyncio.Protocol):
    def __init__(self, request: int, reply: bytes) -> None:
        self.request, self.reply, self.pending = request, reply, 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.pending += len(data)
        while self.pending >= self.request:
            self.pending -= self.request
            assert self.transport is not None
            self.transport.write(self.reply)


async def _serve(spec: SimSpec) -> None:  # pragma: no cover - runs in the child process
    from tuyaface import SimulatedDevice
    from tuyaface.plugins import resolve_transport
    from tuyaface_transport import AsyncTransport

    loop = asyncio.get_running_loop()
    factory = resolve_transport("asyncio")
    served: list[SimulatedDevice] = []
    async with contextlib.AsyncExitStack() as stack:
        out: dict[str, list[tuple[str, int]]] = {"devices": [], "fresh": [], "echo": []}
        for dev_id, key, version, host in spec.devices:
            device = SimulatedDevice(dev_id, key, version=version, dps=spec.dps)
            server = await stack.enter_async_context(device.serve(host, 0))
            served.append(device)
            out["devices"].append((server.host, server.port))
        for dev_id, key, version, host in spec.fresh:

            async def handle(transport: AsyncTransport, args: Any = (dev_id, key, version)) -> None:
                dev, local_key, ver = args
                await SimulatedDevice(dev, local_key, version=ver, dps=spec.dps).handle(transport)

            listener = await factory.start_server(host, 0, handle)
            stack.callback(listener.close)
            out["fresh"].append(listener.address)
        for host, request, reply in spec.echo:

            def protocol(size: int = request, answer: bytes = b"\0" * reply) -> _Echo:
                return _Echo(size, answer)

            echo = await loop.create_server(protocol, host, 0)
            stack.callback(echo.close)
            out["echo"].append(echo.sockets[0].getsockname()[:2])
        print(json.dumps(out), flush=True)
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        counted: list[list[int]] = [[0, 0] for _ in served]
        while line := await reader.readline():
            if line.strip() == b"stats":
                for device, counts in zip(served, counted, strict=True):
                    counts[0] += sum(1 for frame in device.requests if frame.cmd == HEARTBEAT_CMD)
                    counts[1] += len(device.requests)
                    device.requests.clear()
                print(json.dumps({
                    "heartbeats": [counts[0] for counts in counted],
                    "requests": [counts[1] for counts in counted],
                    "connections": [device.connections for device in served],
                    "refused": [device.refused for device in served],
                    "connected": [device.connected for device in served],
                }), flush=True)


def _serve_main() -> None:  # pragma: no cover - the child process
    raise_nofile(resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    raw = json.loads(sys.stdin.readline())
    spec = SimSpec(
        devices=[tuple(item) for item in raw["devices"]],
        fresh=[tuple(item) for item in raw["fresh"]],
        echo=[tuple(item) for item in raw["echo"]],
        dps=raw["dps"],
    )
    asyncio.run(_serve(spec))


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        _serve_main()
    else:
        print(__doc__)
