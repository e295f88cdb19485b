"""Where a connected `AsyncDevice`'s memory goes (issue 12, target 3).

N devices (default 1,000) connect to simulators in another process (bench/scale.py's fleet),
as in `bench/scale.py`, then sit connected. Printed, per device:

- RSS growth (from before the devices were created, after a warm-up, to 1 s after the last
  connected), as scale.py measures it;
- with `--trace`: the tracemalloc snapshot difference, by owner (the innermost frame of each
  allocation's traceback that names a known file) and by line. tracemalloc costs memory of
  its own, so the RSS figure of a `--trace` run is not the device's;
- the objects reachable from each device, by owner: `sys.getsizeof` over a
  `gc.get_referents` walk that stops at modules, classes, functions, the event loop and the
  codec's protocol objects, and that counts only objects reached from one device (what two
  devices share is nobody's). Owners claim objects in the order of the table, so a
  session's decoder is the decoder's, not the session's. The walk misses what the loop
  keeps per connection outside the device (its selector key, its transports map), malloc
  overhead and the kernel's socket buffers: the difference to RSS is listed as the rest.

With `--status`, each device asks for its status once before the figures (as after
scale.py's fan-out): its DP values are cached.

`python bench/memory_per_device.py [--count N] [--version 3.3] [--trace] [--status]`
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tracemalloc
import types
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from _common import device_id, device_key, markdown_table, raise_nofile, rss_bytes
from scale import CONNECT_BATCH, SimFleet, warm_up

from tuyaface import AsyncDevice

# An object of these types is never walked into, nor counted: shared by every device.
_STOP_TYPES: tuple[type, ...] = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    asyncio.AbstractEventLoop,
)

_OURS = ("tuyaface/", "tuyaface_codec/", "tuyaface_transport/")


def _owner_of(trace: tracemalloc.Traceback) -> str:
    """Where our code asked (its innermost frame in our packages) -> the allocating file."""
    frames = list(reversed(trace))  # most recent first
    inner = "/".join(frames[0].filename.rsplit("/", 2)[-2:])
    for frame in frames:
        if any(part in frame.filename for part in _OURS):
            ours = frame.filename.rsplit("/", 1)[-1]
            return f"{ours}:{frame.lineno} -> {inner}"
    return f"(not ours) {inner}:{frames[0].lineno}"


# -- the walk -----------------------------------------------------------------------------


def _reachable(root: object, stop: set[int]) -> dict[int, object]:
    """Objects reachable from `root`, not through `stop` ids or _STOP_TYPES."""
    found: dict[int, object] = {}
    todo = [root]
    while todo:
        obj = todo.pop()
        key = id(obj)
        if key in found or key in stop or isinstance(obj, _STOP_TYPES):
            continue
        found[key] = obj
        todo.extend(gc.get_referents(obj))
    return found


def _shared_ids(devices: list[Any], stop: set[int]) -> set[int]:
    """Ids of objects reachable from more than one of the first devices."""
    counts: dict[int, int] = defaultdict(int)
    keep: list[object] = []
    for device in devices[:50]:
        for key, obj in _reachable(device, stop).items():
            counts[key] += 1
            keep.append(obj)
    return {key for key, count in counts.items() if count > 1}


def _roots(device: Any) -> list[tuple[str, Callable[[Any], Iterable[object]]]]:
    """(owner, its root objects) in claiming order: parts before what holds them."""
    link = getattr(device, "_link", None)
    wrapper = getattr(link, "transport", None)
    protocol = getattr(wrapper, "_protocol", None)
    aio_transport = getattr(wrapper, "_transport", None)
    session = getattr(link, "session", None)
    core = device._core
    tasks = [getattr(device, "_runner", None), getattr(link, "reader", None)]
    tasks += [getattr(link, "flushing", None)]
    sock = getattr(aio_transport, "_sock", None)
    return [
        ("decoder", lambda _: [getattr(session, "_decoder", None)]),
        ("Session", lambda _: [session]),
        ("DP cache", lambda _: [core.cache]),
        ("DeviceCore", lambda _: [core]),
        ("timer handles", lambda _: [getattr(link, "timer", None), device._watchdog]),
        ("socket", lambda _: [sock]),
        ("asyncio transport", lambda _: [aio_transport]),
        ("protocol (aio.py)", lambda _: [protocol]),
        ("transport wrapper (aio.py)", lambda _: [wrapper]),
        ("_Link", lambda _: [link]),
        ("tasks + coroutine frames", lambda _: tasks),
        ("AsyncDevice", lambda _: [device]),
    ]


def walk(devices: list[Any], loop: asyncio.AbstractEventLoop) -> dict[str, tuple[int, int]]:
    """Owner -> (bytes, objects) summed over all devices."""
    core = devices[0]._core
    stop = {id(loop), id(core.protocol), id(core.factory), id(core.clock)}
    stop |= {id(core.random_bytes)}
    stop |= _shared_ids(devices, stop)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for device in devices:
        claimed: set[int] = set()
        owners = [(owner, [r for r in roots(device) if r is not None])
                  for owner, roots in _roots(device)]
        all_roots = {id(root) for _, roots in owners for root in roots}
        for owner, roots in owners:
            for root in roots:
                # not into another owner's roots (a timer's callback holds the device)
                others = all_roots - {id(root)}
                for key, obj in _reachable(root, stop | claimed | others).items():
                    claimed.add(key)
                    totals[owner][0] += sys.getsizeof(obj)
                    totals[owner][1] += 1
    return {owner: (size, count) for owner, (size, count) in totals.items()}


def by_type(devices: list[Any], loop: asyncio.AbstractEventLoop) -> dict[str, tuple[int, int]]:
    """Type name -> (bytes, objects) over everything reachable from the devices."""
    core = devices[0]._core
    stop = {id(loop), id(core.protocol), id(core.factory), id(core.clock)}
    stop |= _shared_ids(devices, stop)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for device in devices:
        for obj in _reachable(device, stop).values():
            name = type(obj).__qualname__
            totals[name][0] += sys.getsizeof(obj)
            totals[name][1] += 1
    return {name: (size, count) for name, (size, count) in totals.items()}


# -- the run ------------------------------------------------------------------------------


async def measure(
    count: int, version: str, fleet: SimFleet, *, trace: bool, status: bool
) -> None:
    await warm_up(version, fleet.addresses[0])
    gc.collect()
    if trace:
        tracemalloc.start(12)
    snapshot0 = tracemalloc.take_snapshot() if trace else None
    rss0 = rss_bytes()
    devices = [
        AsyncDevice(device_id(i), device_key(i), host, port=port, version=version)
        for i, (host, port) in enumerate(fleet.addresses)
    ]
    failures = 0
    for first in range(0, count, CONNECT_BATCH):
        outcomes = await asyncio.gather(
            *(device.connect() for device in devices[first : first + CONNECT_BATCH]),
            return_exceptions=True,
        )
        failures += sum(isinstance(item, BaseException) for item in outcomes)
    if status:  # as after scale.py's fan-out: each device has its DP values cached
        await asyncio.gather(*(device.status() for device in devices))
    await asyncio.sleep(1.0)
    gc.collect()
    rss = (rss_bytes() - rss0) / count
    snapshot1 = tracemalloc.take_snapshot() if trace else None
    tracemalloc.stop()
    connected = sum(device.connected for device in devices)
    print(f"\n{count:,} devices, version {version}{', after a status' if status else ''}: "
          f"{connected:,} connected, "
          f"{failures} failed; RSS growth {rss / 1024:.2f} KiB/device"
          + (" (tracemalloc on: not the device's own)" if trace else ""))
    loop = asyncio.get_running_loop()
    owners = walk(devices, loop)
    total = sum(size for size, _ in owners.values())
    rows = [
        [owner, f"{size / count:,.0f}", f"{objects / count:.1f}"]
        for owner, (size, objects) in sorted(owners.items(), key=lambda item: -item[1][0])
    ]
    rows.append(["total reachable from the device", f"{total / count:,.0f}", ""])
    if not trace:
        rows.append(["rest of RSS (loop's selector / maps, malloc, pages)",
                     f"{rss - total / count:,.0f}", ""])
    print("\n#### Reachable from each device, by owner (getsizeof walk)\n")
    print(markdown_table(["owner", "bytes/device", "objects/device"], rows))
    types_ = by_type(devices, loop)
    rows = [
        [name, f"{size / count:,.0f}", f"{objects / count:.2f}"]
        for name, (size, objects) in sorted(types_.items(), key=lambda item: -item[1][0])[:25]
    ]
    print("\n#### Reachable from each device, by type\n")
    print(markdown_table(["type", "bytes/device", "objects/device"], rows))
    if snapshot0 is not None and snapshot1 is not None:
        report_trace(snapshot0, snapshot1, count)
    await asyncio.gather(*(device.aclose() for device in devices), return_exceptions=True)


def report_trace(
    before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, count: int
) -> None:
    owners: dict[str, int] = defaultdict(int)
    for stat in after.compare_to(before, "traceback"):
        owners[_owner_of(stat.traceback)] += stat.size_diff
    total = sum(owners.values())
    rows = [
        [owner, f"{size / count:,.0f}"]
        for owner, size in sorted(owners.items(), key=lambda item: -item[1])
        if abs(size) >= count * 16
    ]
    rows.append(["total traced", f"{total / count:,.0f}"])
    print("\n#### tracemalloc difference, by call site in our code -> allocating file\n")
    print(markdown_table(["call site -> allocating file", "bytes/device"], rows))
    rows = [
        [f"{stat.traceback[0].filename.rsplit('/', 2)[-2:]!s}:{stat.traceback[0].lineno}",
         f"{stat.size_diff / count:,.0f}", f"{stat.count_diff / count:.2f}"]
        for stat in after.compare_to(before, "lineno")[:25]
    ]
    print("\n#### tracemalloc difference, by line\n")
    print(markdown_table(["line", "bytes/device", "blocks/device"], rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--version", default="3.3", choices=("3.3", "3.4", "3.5"))
    parser.add_argument("--trace", action="store_true", help="tracemalloc tables too")
    parser.add_argument("--status", action="store_true", help="one status() each first")
    args = parser.parse_args(argv)
    raise_nofile(4 * args.count + 1000)
    cpus = frozenset(os.sched_getaffinity(0))
    with SimFleet(args.count, args.version, cpus) as fleet:
        asyncio.run(
            measure(args.count, args.version, fleet, trace=args.trace, status=args.status)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
