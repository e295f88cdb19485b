"""100-byte echo round trips per second: tuyaface_transport against bare sockets.

Rows, all against one bare blocking echo server in a separate process:
  bare socket             blocking socket, sendall + recv, no timeouts
  tcp                     get_transport("tcp"): TcpTransport.send / receive(timeout=5)
  bare asyncio Protocol   a Protocol whose data_received resolves a future the loop awaits
  asyncio                 get_transport("asyncio"): AsyncioTransport.send / receive(timeout=5)
  asyncio streams (alt)   StreamReader.read under asyncio.timeout + write/drain: the design
                          the asyncio transport did not take (kept to show why)

Client and server are pinned to one core with `taskset` (across cores this VM's loopback
wake-up, about 110 us against 10 us, hides the difference). Rounds alternate between rows.
Columns: the median rate; the median over rounds of bare/this, each pair measured back to
back so that load from other processes mostly cancels out; and the client's own CPU time
per round trip (user + system), which other processes' load hardly moves. Run:

    python bench/transport.py [--seconds 0.5] [--rounds 10] [--cpu 0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

from tuyaface_transport import get_transport

SIZE = 100
MESSAGE = bytes(range(SIZE))
TIMEOUT = 5.0
PINNED_ENV = "TUYAFACE_BENCH_PINNED"

Address = tuple[str, int]


class Result(NamedTuple):
    rate: float  # round trips per second
    cpu_us: float  # client CPU microseconds per round trip


class _Clock:
    """Counts round trips for `seconds` of wall time and the CPU this process spent."""

    def __init__(self, seconds: float) -> None:
        self.count = 0
        self._cpu = time.process_time()
        self._start = time.perf_counter()
        self._end = self._start + seconds

    def running(self) -> bool:
        return time.perf_counter() < self._end

    def result(self) -> Result:
        wall = time.perf_counter() - self._start
        cpu = time.process_time() - self._cpu
        return Result(self.count / wall, cpu / max(self.count, 1) * 1e6)


# -- server (a separate process) ---------------------------------------------------------


def _echo(conn: socket.socket) -> None:
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)


def serve() -> None:
    """Bare blocking echo server on 127.0.0.1; prints its port, runs until killed."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        print(server.getsockname()[1], flush=True)
        while True:
            conn, _ = server.accept()
            threading.Thread(target=_echo, args=(conn,), daemon=True).start()


# -- blocking clients ---------------------------------------------------------------------


def bare_socket(address: Address, seconds: float) -> Result:
    with socket.create_connection(address) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        clock = _Clock(seconds)
        while clock.running():
            sock.sendall(MESSAGE)
            got = 0
            while got < SIZE:
                got += len(sock.recv(65536))
            clock.count += 1
        return clock.result()


def tcp_transport(address: Address, seconds: float) -> Result:
    with get_transport("tcp").connect(*address, timeout=TIMEOUT) as transport:
        clock = _Clock(seconds)
        while clock.running():
            transport.send(MESSAGE)
            got = 0
            while got < SIZE:
                got += len(transport.receive(TIMEOUT))
            clock.count += 1
        return clock.result()


# -- asyncio clients ----------------------------------------------------------------------


class _BareEcho(asyncio.Protocol):
    def __init__(self) -> None:
        self.got = 0
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.got += len(data)
        if self.got >= SIZE and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


async def bare_protocol(address: Address, seconds: float) -> Result:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_connection(_BareEcho, *address)
    clock = _Clock(seconds)
    while clock.running():
        protocol.got = 0
        protocol.waiter = loop.create_future()
        transport.write(MESSAGE)
        await protocol.waiter
        clock.count += 1
    result = clock.result()
    transport.close()
    return result


async def asyncio_transport(address: Address, seconds: float) -> Result:
    transport = await get_transport("asyncio").aconnect(*address, timeout=TIMEOUT)
    async with transport:
        clock = _Clock(seconds)
        while clock.running():
            await transport.send(MESSAGE)
            got = 0
            while got < SIZE:
                got += len(await transport.receive(TIMEOUT))
            clock.count += 1
        return clock.result()


async def asyncio_streams(address: Address, seconds: float) -> Result:
    reader, writer = await asyncio.open_connection(*address)
    clock = _Clock(seconds)
    while clock.running():
        writer.write(MESSAGE)
        await writer.drain()
        got = 0
        while got < SIZE:
            async with asyncio.timeout(TIMEOUT):
                got += len(await reader.read(65536))
        clock.count += 1
    result = clock.result()
    writer.close()
    await writer.wait_closed()
    return result


def _in_loop(
    client: Callable[[Address, float], Awaitable[Result]],
) -> Callable[[Address, float], Result]:
    async def run(address: Address, seconds: float) -> Result:
        return await client(address, seconds)

    return lambda address, seconds: asyncio.run(run(address, seconds))


# (row, baseline row or None, client)
ROWS: list[tuple[str, str | None, Callable[[Address, float], Result]]] = [
    ("bare socket", None, bare_socket),
    ("tcp", "bare socket", tcp_transport),
    ("bare asyncio Protocol", None, _in_loop(bare_protocol)),
    ("asyncio", "bare asyncio Protocol", _in_loop(asyncio_transport)),
    ("asyncio streams (alt)", "bare asyncio Protocol", _in_loop(asyncio_streams)),
]


# -- driver -------------------------------------------------------------------------------


def _pin(cpu: int) -> list[str]:
    """The command prefix that pins to `cpu`; re-executes this script pinned if needed."""
    if shutil.which("taskset") is None:
        print("taskset not found: client and server run unpinned (numbers are not comparable)")
        return []
    if os.environ.get(PINNED_ENV) != str(cpu):
        os.environ[PINNED_ENV] = str(cpu)
        os.execvp("taskset", ["taskset", "-c", str(cpu), sys.executable, *sys.argv])
    return ["taskset", "-c", str(cpu)]


def _paired_ratio(baseline: list[Result], row: list[Result]) -> float:
    """Median over rounds of baseline rate / row rate (each pair ran back to back)."""
    return statistics.median(b.rate / r.rate for b, r in zip(baseline, row, strict=True))


def _measure(address: Address, rounds: int, seconds: float) -> dict[str, list[Result]]:
    results: dict[str, list[Result]] = {name: [] for name, _, _ in ROWS}
    for _ in range(rounds):
        for name, _, client in ROWS:
            results[name].append(client(address, seconds))
    return results


def _print_table(results: dict[str, list[Result]]) -> None:
    print(
        f"| {'client':<22} | {'round trips/s':>13} | {'vs':<22} | {'bare/this (rate)':>16} "
        f"| {'client CPU us/rt':>16} | {'this/bare (CPU)':>15} |"
    )
    print(f"|{'-' * 24}|{'-' * 14}:|{'-' * 24}|{'-' * 17}:|{'-' * 17}:|{'-' * 16}:|")
    cpu = {name: statistics.median(r.cpu_us for r in rows) for name, rows in results.items()}
    for name, baseline, _ in ROWS:
        rate = statistics.median(r.rate for r in results[name])
        by_rate = by_cpu = ""
        if baseline:
            by_rate = f"{_paired_ratio(results[baseline], results[name]):.3f}x"
            by_cpu = f"{cpu[name] / cpu[baseline]:.3f}x"
        print(
            f"| {name:<22} | {rate:>13,.0f} | {baseline or '':<22} | {by_rate:>16} "
            f"| {cpu[name]:>16.1f} | {by_cpu:>15} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="per row per round")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--cpu", type=int, default=0, help="the one core for both processes")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    prefix = _pin(args.cpu)
    server = subprocess.Popen(
        [*prefix, sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        address = ("127.0.0.1", int(server.stdout.readline()))
        results = _measure(address, args.rounds, args.seconds)
    finally:
        server.kill()
        server.wait()
    pinned = f"client and server on CPU {args.cpu}" if prefix else "unpinned"
    print(f"100-byte echo round trips, {args.rounds} rounds x {args.seconds:g} s, {pinned}")
    print(f"Python {sys.version.split()[0]}, {sys.platform}, load {os.getloadavg()[0]:.2f}\n")
    _print_table(results)


if __name__ == "__main__":
    main()
