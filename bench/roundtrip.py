"""Status round trips per second on one persistent connection, for 3.3, 3.4 and 3.5.

Every client talks to the same simulator process on 127.0.0.1 (bench/_common.py), in one run,
round after round, in rotating order:

- `AsyncDevice` and `Device` (tuyaface),
- tinytuya 1.20.0 with a persistent socket, as it ships (a 10 ms sleep after every send)
  and with that send wait disabled (`set_sendWait(None)`),
- the asyncio floor (bench/_floor.py), on the same loop as `AsyncDevice`: a minimal
  `asyncio.Protocol` client on the codec's public functions that sends the same status
  request, decodes and checks the answer in `data_received` and resolves a future a
  coroutine awaits; the least client CPU any asyncio client uses for a real round trip,
- the limit: a bare asyncio Protocol that writes as many bytes as our status request and
  awaits as many as the simulator's reply (a coroutine awaits each reply, as any awaitable
  API must), served by a bare Protocol echo in the simulator process; and the same with a
  blocking socket (`sendall` + `recv`), the limit of a blocking client.

Placement decides loopback latency on this kind of VM, so the default runs client and
simulator pinned to one core, then once more on two cores (`--placement both`).

Run: `python bench/roundtrip.py [--rounds 7] [--seconds 0.3] [--placement same|cross|both]
[--loop asyncio|uvloop]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from _common import (
    ASYNC,
    DEV_ID,
    DEVICE_CLIENTS,
    DPS,
    HOST,
    LOCAL_KEY,
    SYNC,
    TT_NOWAIT,
    TT_SHIPPED,
    Closing,
    Run,
    Sample,
    SimProcess,
    SimSpec,
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
from _floor import FLOOR, open_floor

from tuyaface import AsyncDevice, Device, SimulatedDevice
from tuyaface_transport import TcpTransport

ECHO = "asyncio Protocol echo"
SOCKET_ECHO = "blocking socket echo"


# -- wire sizes for the echo --------------------------------------------------------------


class _CountingFactory:
    """The blocking TCP transport, noting the size of every send and receive."""

    name = "counting-tcp"

    def __init__(self) -> None:
        self.sent = 0
        self.received = 0

    def connect(self, host: str, port: int, *, timeout: float) -> _CountingTransport:
        return _CountingTransport(self, TcpTransport.connect(host, port, timeout=timeout))

    async def aconnect(self, host: str, port: int, *, timeout: float) -> Any:
        raise NotImplementedError

    async def start_server(self, host: str, port: int, handler: Any) -> Any:
        raise NotImplementedError


class _CountingTransport(Closing):
    def __init__(self, counts: _CountingFactory, inner: TcpTransport) -> None:
        self._counts, self._inner = counts, inner

    def send(self, data: bytes) -> None:
        self._counts.sent += len(data)
        self._inner.send(data)

    def receive(self, timeout: float | None) -> bytes:
        data = self._inner.receive(timeout)
        self._counts.received += len(data)
        return data

    def close(self) -> None:
        self._inner.close()


def wire_sizes(version: str) -> tuple[int, int]:
    """Bytes of our status request and of the simulator's reply, once connected."""
    counts = _CountingFactory()
    simulated = SimulatedDevice(DEV_ID, LOCAL_KEY, version=version, dps=DPS)
    with simulated.serve_in_thread() as server:
        device = Device(
            DEV_ID, LOCAL_KEY, server.host, port=server.port, version=version, transport=counts
        )
        with device:
            device.status()
            counts.sent = counts.received = 0
            device.status()
    return counts.sent, counts.received


# -- the clients --------------------------------------------------------------------------


class Client(Closing):
    """One contender: `run(n)` does n status round trips; `close()` ends it."""

    def run(self, ops: int) -> None:
        raise NotImplementedError


class AsyncDeviceClient(Client):
    def __init__(self, loop: asyncio.AbstractEventLoop, version: str, port: int) -> None:
        self.loop = loop
        self.device = AsyncDevice(DEV_ID, LOCAL_KEY, HOST, port=port, version=version)
        check_status(loop.run_until_complete(self.device.status()), ASYNC)

    async def _rounds(self, ops: int) -> None:
        status = self.device.status
        for _ in range(ops):
            check_status(await status(), ASYNC)

    def run(self, ops: int) -> None:
        self.loop.run_until_complete(self._rounds(ops))

    def close(self) -> None:
        self.loop.run_until_complete(self.device.aclose())


class FloorClient(Client):
    """The asyncio floor: the same round trip with nothing but a Protocol and the codec."""

    def __init__(self, loop: asyncio.AbstractEventLoop, version: str, port: int) -> None:
        self.loop = loop
        self.transport, self.protocol = loop.run_until_complete(
            open_floor(version, HOST, port, DEV_ID, LOCAL_KEY)
        )
        self.run(1)

    async def _rounds(self, ops: int) -> None:
        status = self.protocol.status
        for _ in range(ops):
            check_status(await status(), FLOOR)

    def run(self, ops: int) -> None:
        self.loop.run_until_complete(self._rounds(ops))

    def close(self) -> None:
        self.transport.close()
        self.loop.run_until_complete(self.protocol.closed)


class DeviceClient(Client):
    def __init__(self, version: str, port: int) -> None:
        self.device = Device(DEV_ID, LOCAL_KEY, HOST, port=port, version=version)
        check_status(self.device.status(), SYNC)

    def run(self, ops: int) -> None:
        status = self.device.status
        for _ in range(ops):
            check_status(status(), SYNC)

    def close(self) -> None:
        self.device.close()


class TinytuyaClient(Client):
    def __init__(self, tinytuya: ModuleType, version: str, port: int, *, send_wait: bool) -> None:
        self.device = tinytuya.OutletDevice(
            DEV_ID, HOST, LOCAL_KEY, version=float(version), persist=True, port=port
        )
        if not send_wait:
            self.device.set_sendWait(None)
        self.run(1)

    def run(self, ops: int) -> None:
        status = self.device.status
        for _ in range(ops):
            check_tinytuya(status())

    def close(self) -> None:
        self.device.close()


class _EchoProtocol(asyncio.Protocol):
    def __init__(self, reply: int) -> None:
        self.reply, self.pending = reply, 0
        self.waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.pending += len(data)
        if self.pending >= self.reply and self.waiter is not None:
            self.pending -= self.reply
            self.waiter.set_result(None)
            self.waiter = None


class EchoClient(Client):
    """The asyncio limit: write the request's bytes, await the reply's bytes."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, port: int, request: int, reply: int
    ) -> None:
        self.loop, self.request = loop, b"\0" * request
        self.transport, self.protocol = loop.run_until_complete(
            loop.create_connection(lambda: _EchoProtocol(reply), HOST, port)
        )
        self.transport.get_extra_info("socket").setsockopt(
            socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
        )

    async def _rounds(self, ops: int) -> None:
        loop, protocol, request = self.loop, self.protocol, self.request
        write = self.transport.write
        for _ in range(ops):
            protocol.waiter = waiter = loop.create_future()
            write(request)
            await waiter

    def run(self, ops: int) -> None:
        self.loop.run_until_complete(self._rounds(ops))

    def close(self) -> None:
        self.transport.close()
        self.loop.run_until_complete(asyncio.sleep(0))


class SocketEchoClient(Client):
    """The blocking limit: `sendall` the request's bytes, `recv` the reply's bytes."""

    def __init__(self, port: int, request: int, reply: int) -> None:
        self.sock = socket.create_connection((HOST, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request, self.reply = b"\0" * request, reply

    def run(self, ops: int) -> None:
        sock, request, reply = self.sock, self.request, self.reply
        for _ in range(ops):
            sock.sendall(request)
            got = 0
            while got < reply:
                got += len(sock.recv(65536))

    def close(self) -> None:
        self.sock.close()


# -- measuring ----------------------------------------------------------------------------


@contextlib.contextmanager
def open_clients(
    sim: SimProcess,
    slots: dict[str, dict[str, int]],
    sizes: dict[str, tuple[int, int]],
    tinytuya: ModuleType | None,
    version: str,
    loop: asyncio.AbstractEventLoop,
) -> Iterator[dict[str, Run]]:
    slot, wire = slots[version], sizes[version]
    ports = {name: sim.addresses["fresh"][slot[name]][1] for name in (*DEVICE_CLIENTS, FLOOR)}
    echo_port = sim.addresses["echo"][slot[ECHO]][1]
    makers: dict[str, Callable[[], Client]] = {
        ASYNC: lambda: AsyncDeviceClient(loop, version, ports[ASYNC]),
        FLOOR: lambda: FloorClient(loop, version, ports[FLOOR]),
        SYNC: lambda: DeviceClient(version, ports[SYNC]),
        ECHO: lambda: EchoClient(loop, echo_port, *wire),
        SOCKET_ECHO: lambda: SocketEchoClient(echo_port, *wire),
    }
    if tinytuya is not None:
        makers[TT_SHIPPED] = lambda: TinytuyaClient(
            tinytuya, version, ports[TT_SHIPPED], send_wait=True
        )
        makers[TT_NOWAIT] = lambda: TinytuyaClient(
            tinytuya, version, ports[TT_NOWAIT], send_wait=False
        )
    with contextlib.ExitStack() as stack:
        clients = {name: stack.enter_context(maker()) for name, maker in makers.items()}
        yield {name: client.run for name, client in clients.items()}


def floor_lines(version: str, samples: dict[str, list[Sample]], loop: str) -> list[str]:
    """roundtrip.py: the floor's client CPU per round trip against tinytuya's, and
    `AsyncDevice`'s against the floor's."""
    floor, theirs, ours = samples[FLOOR], samples[TT_NOWAIT], samples[ASYNC]
    reach = paired_cpu_ratio(floor, theirs).median
    share = paired_cpu_ratio(ours, floor).median
    return [
        f"{version}: {FLOOR} client CPU per round trip {reach:.2f}x tinytuya without send "
        f"wait, on {loop}: the least any asyncio client uses here; AsyncDevice uses "
        f"{share:.2f}x the floor's"
    ]


def targets(version: str, samples: dict[str, list[Sample]], loop: str) -> list[str]:
    """Issue 12's client CPU targets (paired CPU per round trip), then the older round-trip
    time targets."""
    if TT_NOWAIT not in samples:
        return [f"{version}: tinytuya missing, targets not checked"]
    async_cpu = paired_cpu_ratio(samples[ASYNC], samples[TT_NOWAIT]).median
    async_target = 0.6 if loop == "uvloop" else 1.0
    sync_cpu = paired_cpu_ratio(samples[SYNC], samples[TT_NOWAIT]).median
    time_ratio = 1 / paired_ratio(samples[ASYNC], samples[TT_NOWAIT]).median
    shipped = paired_ratio(samples[ASYNC], samples[TT_SHIPPED]).median
    sync_ratio = paired_ratio(samples[SYNC], samples[TT_NOWAIT]).median
    floor = floor_lines(version, samples, loop) if FLOOR in samples else []
    return [
        f"{version}: AsyncDevice client CPU per round trip {against(async_cpu, async_target)}x "
        f"tinytuya without send wait, on {loop} (target <= {async_target}x): "
        f"{verdict(async_cpu <= async_target)}",
        *floor,
        f"{version}: Device client CPU per round trip {against(sync_cpu, 0.8)}x tinytuya "
        f"without send wait (target <= 0.8x): {verdict(sync_cpu <= 0.8)}",
        f"{version}: AsyncDevice round-trip time {against(time_ratio, 0.8)}x tinytuya without "
        f"send wait (target <= 0.8x): {verdict(time_ratio <= 0.8)}",
        f"{version}: AsyncDevice {shipped:.0f}x the round trips of tinytuya as shipped "
        f"(target >= 50x): {verdict(shipped >= 50)}",
        f"{version}: Device {against(sync_ratio, 1.0)}x the round trips of tinytuya without "
        f"send wait (target >= 1.0x): {verdict(sync_ratio >= 1.0)}",
    ]


TABLE = Table(
    "Round trips",
    "round trips",
    order=(ASYNC, FLOOR, SYNC, TT_NOWAIT, TT_SHIPPED, ECHO, SOCKET_ECHO),
    bases=(
        (ECHO, "x asyncio echo"),
        (TT_NOWAIT, "x tinytuya no wait"),
        (TT_SHIPPED, "x tinytuya shipped"),
    ),
    targets=targets,
)


def main(argv: list[str] | None = None) -> int:
    args = comparison_args(__doc__ or "", argv)
    tinytuya = load_tinytuya()
    sizes = {version: wire_sizes(version) for version in args.versions}
    spec = SimSpec()
    slots: dict[str, dict[str, int]] = {}
    for version in args.versions:
        slots[version] = {}
        for name in (*DEVICE_CLIENTS, FLOOR):
            slots[version][name] = len(spec.fresh)
            spec.fresh.append((DEV_ID, LOCAL_KEY, version, HOST))
        slots[version][ECHO] = len(spec.echo)
        spec.echo.append((HOST, *sizes[version]))
    print(f"## bench/roundtrip.py: {args.rounds} rounds of {args.seconds} s per client\n")
    print(machine_line())
    for version, (request, reply) in sizes.items():
        print(f"- {version}: status request {request} bytes, reply {reply} bytes")
    with SimProcess(spec) as sim:
        contenders = functools.partial(open_clients, sim, slots, sizes, tinytuya)
        compare(sim, args, contenders, TABLE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
