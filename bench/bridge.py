"""`tuyaface bridge` at scale: 1,000 simulated devices, one bridge, one MQTT connection.

The bridge is the real command (`tuyaface bridge --devices ... --mqtt ...`) in its own
process; the devices are simulator processes (bench/_common.py) on 127.0.0.1; the broker is
a local mosquitto (or amqtt) process; this process is the MQTT user. Measured:

- latency from a /set publish (DP 1 toggled) to the new state published by the bridge on
  `tuyaface/<name>`, p50 / p99 / max, at `--rate` commands/s spread over the devices
  (round-robin: each device has at most one command in flight),
- the bridge's resident memory per device: RSS with N devices minus RSS with `--baseline`
  devices, divided by the difference (each bridge measured once all its devices are online),
- the bridge's CPU per command: its CPU time in the command window, less its idle CPU rate
  (measured just before) times the window, divided by the commands.

Target verdict: p99 < 50 ms on this 2-core machine (docs/reliability.md's measuring rules:
other work on the machine shows up in the figures; run it on a quiet machine).

Full run: `python bench/bridge.py` (about a minute). Quick: `python bench/bridge.py --quick`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiomqtt
from _common import SimProcess, SimSpec, device_id, device_key, process_cpu_seconds, raise_nofile

from tuyaface.bridge.broker import LocalBroker

TARGET_P99_MS = 50.0
ONLINE_WAIT = 180.0


def bridge_rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class BridgeProcess:
    """`tuyaface bridge` over `count` simulated devices (a simulator process of its own)."""

    def __init__(self, count: int, version: str, broker: LocalBroker, folder: Path) -> None:
        self.count = count
        self.sims = SimProcess(SimSpec(
            devices=[(device_id(i), device_key(i), version, "127.0.0.1") for i in range(count)],
            dps={"1": False, "19": 0},
        ))
        entries = [
            {"id": device_id(i), "key": device_key(i), "name": f"dev{i}", "ip": host,
             "port": port, "version": version}
            for i, (host, port) in enumerate(self.sims.addresses["devices"])
        ]
        devices = folder / f"devices-{count}.json"
        devices.write_text(json.dumps(entries), encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tuyaface", "bridge", "--devices", str(devices),
             "--mqtt", broker.url, "--bridge-id", f"bench-{count}"],
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self.sims.close()


async def wait_online(broker: LocalBroker, count: int) -> float:
    """Seconds until `count` devices have published availability online and a state."""
    started = time.monotonic()
    online: set[str] = set()
    stated: set[str] = set()
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.subscribe([("tuyaface/+/availability", 0), ("tuyaface/+", 0)])
        async with asyncio.timeout(ONLINE_WAIT):
            async for message in client.messages:
                topic = str(message.topic).split("/")
                if topic[-1] == "availability":
                    if json.loads(bytes(message.payload or b"{}")).get("state") == "online":
                        online.add(topic[1])
                elif message.payload:
                    stated.add(topic[1])
                if len(online & stated) >= count:
                    return time.monotonic() - started
    raise AssertionError("unreachable")


async def drive(broker: LocalBroker, count: int, rate: float, seconds: float) -> list[float]:
    """Publish toggles at `rate`/s for `seconds`; latencies (s) of the states that follow."""
    sent: dict[str, tuple[bool, float]] = {}
    latencies: list[float] = []
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    async with aiomqtt.Client(broker.host, broker.port, max_inflight_messages=1000,
                              socket_options=nodelay) as client:
        await client.subscribe("tuyaface/+")

        async def collect() -> None:
            async for message in client.messages:
                name = str(message.topic).split("/")[1]
                pending = sent.get(name)
                if pending is None or not message.payload:
                    continue
                if json.loads(bytes(message.payload)).get("1") is pending[0]:
                    latencies.append(time.perf_counter() - pending[1])
                    del sent[name]

        collector = asyncio.create_task(collect())
        await asyncio.sleep(1.0)  # the retained states arrive first: let them pass
        total = int(rate * seconds)
        values = [False] * count
        start = time.perf_counter()
        for n in range(total):
            index = n % count
            name = f"dev{index}"
            values[index] = not values[index]
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            sent[name] = (values[index], time.perf_counter())
            await client.publish(f"tuyaface/{name}/set", json.dumps({"1": values[index]}), qos=1)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5.0):
                while sent:
                    await asyncio.sleep(0.05)
        collector.cancel()
        lost = len(sent)
    if lost:
        print(f"  {lost} commands got no state within 5 s")
    return latencies


async def echo(broker: LocalBroker, rate: float, seconds: float) -> list[float]:
    """The baseline, no bridge: this process's own messages through the broker and back."""
    sent: dict[str, float] = {}
    latencies: list[float] = []
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    async with aiomqtt.Client(broker.host, broker.port, socket_options=nodelay) as client:
        await client.subscribe("bench/echo/+", qos=1)

        async def collect() -> None:
            async for message in client.messages:
                started = sent.pop(str(message.topic), None)
                if started is not None:
                    latencies.append(time.perf_counter() - started)

        collector = asyncio.create_task(collect())
        start = time.perf_counter()
        for n in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            sent[f"bench/echo/{n}"] = time.perf_counter()
            await client.publish(f"bench/echo/{n}", b"{}", qos=1)
        await asyncio.sleep(1.0)
        collector.cancel()
    return latencies


def percentiles(latencies: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max in ms."""
    ms = sorted(value * 1000 for value in latencies)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))], ms[-1]


def run(args: argparse.Namespace) -> bool:
    raise_nofile(resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    with LocalBroker() as broker, tempfile.TemporaryDirectory() as folder:
        print(f"broker: {broker.kind}; devices: {args.devices} (protocol {args.version}); "
              f"rate {args.rate}/s for {args.seconds} s")
        base = percentiles(asyncio.run(echo(broker, args.rate, args.seconds / 2)))
        print(f"baseline, MQTT round trip without the bridge: p50 {base[0]:.1f} ms, "
              f"p99 {base[1]:.1f} ms, max {base[2]:.1f} ms (the machine's own noise)")
        small = BridgeProcess(args.baseline, args.version, broker, Path(folder))
        try:
            asyncio.run(wait_online(broker, args.baseline))
            small_rss = bridge_rss(small.process.pid)
        finally:
            small.close()
        big = BridgeProcess(args.devices, args.version, broker, Path(folder))
        try:
            took = asyncio.run(wait_online(broker, args.devices))
            print(f"all {args.devices} devices online and published in {took:.1f} s")
            rss = bridge_rss(big.process.pid)
            idle_start = process_cpu_seconds(big.process.pid)
            time.sleep(args.seconds / 2)
            idle_rate = (process_cpu_seconds(big.process.pid) - idle_start) / (args.seconds / 2)
            cpu_start, wall_start = process_cpu_seconds(big.process.pid), time.monotonic()
            latencies = asyncio.run(drive(broker, args.devices, args.rate, args.seconds))
            window = time.monotonic() - wall_start
            cpu = process_cpu_seconds(big.process.pid) - cpu_start
        finally:
            big.close()
    per_device = (rss - small_rss) / (args.devices - args.baseline)
    p50, p99, top = percentiles(latencies)
    answered = len(latencies)
    net_cpu = max(0.0, cpu - idle_rate * window)
    print(f"commands answered: {answered} of {int(args.rate * args.seconds)}")
    print(f"latency /set -> state: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {top:.1f} ms")
    print(f"bridge RSS: {rss / 2**20:.1f} MiB with {args.devices} devices, "
          f"{small_rss / 2**20:.1f} MiB with {args.baseline}: "
          f"{per_device / 1024:.1f} KiB per device")
    print(f"bridge CPU: {cpu * 1000 / max(1, answered):.2f} ms per command "
          f"({net_cpu * 1000 / max(1, answered):.2f} ms less the idle rate of "
          f"{idle_rate * 100:.1f}% of a core: heartbeats)")
    ok = p99 < TARGET_P99_MS and answered == int(args.rate * args.seconds)
    print(f"verdict: p99 < {TARGET_P99_MS:.0f} ms and no command lost: "
          f"{'met' if ok else 'MISSED'} (load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores)")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--version", default="3.3")
    parser.add_argument("--quick", action="store_true", help="100 devices, 5 s")
    args = parser.parse_args()
    if args.quick:
        args.devices, args.seconds = 100, 5.0
    run(args)


if __name__ == "__main__":
    main()
