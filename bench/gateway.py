"""Gateways: 200 children through one gateway connection vs 200 separate devices (issue 13).

Both sides run in one process and one event loop, over TCP on 127.0.0.1: simulators and
clients alike, so each side pays for its own simulated peers. Connections are opened
first; then each round times one `set_status` to every child at once (`asyncio.gather`),
until all of them are confirmed (the ack) and until every confirming push has arrived:

* ``gateway``: one `SimulatedGateway` with N children, one `AsyncGateway`, N child handles
  (one request on the wire at a time on the shared connection),
* ``devices``: N `SimulatedDevice`s, N `AsyncDevice`s (N connections in parallel).

The issue's target: the gateway's confirmations within 2x the devices' time. The table
gives the median with min-max over the rounds, and the paired ratio (round by round).

Run: ``python bench/gateway.py [--children 200] [--rounds 7] [--versions 3.3 3.4 3.5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tuyaface import AsyncDevice, SimulatedDevice, StatusPush
from tuyaface.async_device import EventStream
from tuyaface.gateway import AsyncGateway, SimulatedGateway

KEY = "0123456789abcdef"
GW_ID = "bf0123456789abcdefghij"

Setter = Callable[[int], Awaitable[None]]


async def _pushes(streams: Sequence[EventStream], count: int) -> None:
    """Wait until every stream delivered `count` pushes."""

    async def one(stream: EventStream) -> None:
        seen = 0
        async for event in stream:
            if isinstance(event, StatusPush):
                seen += 1
                if seen == count:
                    return

    await asyncio.gather(*(one(stream) for stream in streams))


async def _timed(set_all: Setter, streams: Sequence[EventStream], rounds: int) -> list[float]:
    """Per round: seconds until every set is acked and every push arrived."""
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        waiting = asyncio.ensure_future(_pushes(streams, 1))
        await set_all(n)
        await waiting
        times.append(time.perf_counter() - started)
    return times


async def gateway_side(version: str, children: int, rounds: int) -> list[float]:
    cids = [f"a4c138{n:010x}" for n in range(children)]
    sim = SimulatedGateway(GW_ID, KEY, version=version, children={c: {"1": 0} for c in cids})
    async with sim.serve(transport="asyncio") as server:
        gateway = AsyncGateway(GW_ID, KEY, server.host, port=server.port, version=version)
        async with gateway:
            handles = [gateway.child(cid) for cid in cids]
            streams = [handle.events() for handle in handles]
            await gateway.connect()

            async def set_all(n: int) -> None:
                await asyncio.gather(*(handle.set_status({"1": n + 1}) for handle in handles))

            return await _timed(set_all, streams, rounds)


async def devices_side(version: str, count: int, rounds: int) -> list[float]:
    async with contextlib.AsyncExitStack() as stack:
        devices: list[AsyncDevice] = []
        for n in range(count):
            sim = SimulatedDevice(f"dev{n:017d}", KEY, version=version, dps={"1": 0})
            server = await stack.enter_async_context(sim.serve(transport="asyncio"))
            device = AsyncDevice(sim.dev_id, KEY, server.host, port=server.port, version=version)
            devices.append(await stack.enter_async_context(device))
        streams = [device.events() for device in devices]
        await asyncio.gather(*(device.connect() for device in devices))

        async def set_all(n: int) -> None:
            await asyncio.gather(*(device.set_status({"1": n + 1}) for device in devices))

        return await _timed(set_all, streams, rounds)


def _cell(values: list[float]) -> str:
    low, high = min(values) * 1000, max(values) * 1000
    return f"{statistics.median(values) * 1000:7.1f} ms ({low:.1f}-{high:.1f})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--versions", nargs="+", default=["3.3", "3.4", "3.5"])
    options = parser.parse_args(argv)
    print(f"{options.children} set_status at once, until every ack and push", end=" ")
    print(f"({options.rounds} rounds)")
    print(f"{'version':8} {'gateway (1 connection)':28} {'devices (N connections)':28} ratio")
    worst = 0.0
    for version in options.versions:
        gateway = asyncio.run(gateway_side(version, options.children, options.rounds))
        devices = asyncio.run(devices_side(version, options.children, options.rounds))
        ratios: list[Any] = [g / d for g, d in zip(gateway, devices, strict=True)]
        ratio = statistics.median(ratios)
        worst = max(worst, ratio)
        print(f"{version:8} {_cell(gateway):28} {_cell(devices):28} {ratio:.2f}x")
    print(f"target <= 2x: {'met' if worst <= 2.0 else 'NOT met'} (worst median ratio {worst:.2f}x)")


if __name__ == "__main__":
    main()
