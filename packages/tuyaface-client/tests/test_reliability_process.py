"""docs/reliability.md process-wide properties R10-R12.

R10 Never block the loop: conftest.py runs every pytest-asyncio test of the client suite
    with asyncio debug on and fails any test during which a running loop's thread makes a
    blocking call (loopguard.py, test_loop_guard.py); `reliabilitykit.run` does the same
    for the loops the reliability tests start. The wall-clock check (a debug loop reports
    a callback slower than 50 ms) is opt-in (TUYAFACE_WALLCLOCK_GUARD=1, `tox -e soak`).
    Here: both guards are in force, and each catches a blocking callback (real and
    virtual clock).
R11 No leaks: connect/fail/close cycles leave file descriptors, threads and tasks where
    they were. `LEAK_CYCLES` (10,000) on the cheapest paths: `Device` and `AsyncDevice`
    against a refused 127.0.0.1 port and a loopback listener that refuses; a tenth of that
    on paths that connect first (loopback, TCP: a simulator that resets a second client).
    `TUYAFACE_LEAK_CYCLES` sets the count. (The 10,000 AsyncDevice cycles over loopback run
    without asyncio debug mode, ten times faster; the TCP ones with it.)
R12 No secrets in output: with the root logger and every tuyaface logger at DEBUG, status,
    set, heartbeat, refresh and a handful of failures on every version, through both
    drivers; the local keys, every handshake nonce and every session key (both ends draw
    from injected sources, so they are known) appear in no log record (message, args,
    exception text), no repr of the objects involved and no exception text: raw, hex,
    base64 or repr, nor any 8-byte piece of them.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import logging
import os
import random
import socket
import string
import threading
import time
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from loopguard import no_blocking_calls
from reliabilitykit import (
    SLOW_CALLBACK,
    WALLCLOCK_GUARD,
    Bench,
    Draws,
    RecordingSleep,
    no_slow_callbacks,
    run,
)
from simkit import DRIVERS, until

from tuyaface import (
    AsyncDevice,
    Device,
    DeviceBusyError,
    NetworkError,
    SimulatedDevice,
    TuyaError,
)
from tuyaface.events import Ready, RequestDone, StatusPush
from tuyaface.session import Role, Session
from tuyaface_codec import FrameDecoder, RequestKind, get_protocol
from tuyaface_codec.handshake import NONCE_SIZE
from tuyaface_transport import FaultPlan, LoopbackListener

ALL_VERSIONS = ("3.1", "3.2", "3.3", "3.4", "3.5")
QUICK = 0.15  # reply timeout where R12 makes one run out
LEAK_CYCLES = int(os.environ.get("TUYAFACE_LEAK_CYCLES", "10000"))


# -- R10 --------------------------------------------------------------------------------


async def test_pytest_asyncio_tests_run_in_debug_mode_under_the_guard() -> None:
    loop = asyncio.get_running_loop()
    assert loop.get_debug()
    if WALLCLOCK_GUARD:
        assert loop.slow_callback_duration == SLOW_CALLBACK
    with (
        pytest.raises(AssertionError, match=r"(?s)blocking call on the event loop.*time\.sleep"),
        no_blocking_calls(),  # innermost, so it, not the autouse guard, records this
    ):
        time.sleep(0)


@pytest.mark.parametrize("virtual", [True, False], ids=["virtual", "real"])
def test_a_blocking_callback_fails_the_test(virtual: bool) -> None:
    async def blocks() -> None:
        await asyncio.sleep(0)
        time.sleep(0)  # a blocking call in a coroutine, however short

    with pytest.raises(AssertionError, match=r"blocking call on the event loop \(R10\)"):
        run(blocks, virtual=virtual)


@pytest.mark.parametrize("virtual", [True, False], ids=["virtual", "real"])
def test_the_opt_in_wall_clock_guard_reports_a_slow_callback(virtual: bool) -> None:
    threshold = 0.05

    async def spins() -> None:
        loop = asyncio.get_running_loop()
        loop.slow_callback_duration = threshold
        await asyncio.sleep(0)
        end = time.monotonic() + threshold * 1.5
        while time.monotonic() < end:  # busy: no blocking call, only time
            pass

    with (
        pytest.raises(AssertionError, match=r"event loop was blocked \(R10\).*took"),
        no_slow_callbacks(),
    ):
        run(spins, virtual=virtual)


def test_the_virtual_clock_skips_waits_but_not_work() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        started, real = loop.time(), time.monotonic()
        await asyncio.sleep(3600.0)
        return loop.time() - started, time.monotonic() - real

    skipped, real = run(main)
    assert skipped == pytest.approx(3600.0, abs=0.01)
    assert real < 0.5


# -- R11 --------------------------------------------------------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def refused_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def baseline() -> Iterator[dict[str, int]]:
    """File descriptors and threads before the test; checked again after it."""
    gc.collect()
    before = {"fds": open_fds(), "threads": threading.active_count()}
    yield before
    gc.collect()
    assert open_fds() <= before["fds"]
    assert threading.active_count() <= before["threads"]


def test_device_refused_cycles_leak_nothing(refused_port: int, baseline: dict[str, int]) -> None:
    listener = LoopbackListener("r11-refusing", 0)
    listener.accepting = False
    try:
        targets = [
            {"host": "127.0.0.1", "port": refused_port, "transport": "tcp"},
            {"host": listener.address[0], "port": listener.address[1], "transport": "loopback"},
        ]
        for target in targets:
            for _ in range(LEAK_CYCLES):
                device = Device("r11", "0123456789abcdef", version="3.3", timeout=1.0, **target)
                with pytest.raises(NetworkError, match="cannot connect"):
                    device.status()
                device.close()
            assert open_fds() <= baseline["fds"], target["transport"]
    finally:
        listener.close()


@pytest.mark.parametrize(
    ("transport", "cycles", "debug"),
    [("loopback", LEAK_CYCLES, False), ("asyncio", LEAK_CYCLES // 10, True)],
    ids=["loopback", "tcp"],
)
def test_async_device_refused_cycles_leak_nothing(
    transport: str, cycles: int, debug: bool, refused_port: int, baseline: dict[str, int]
) -> None:
    """(The loopback cycles run without asyncio debug: see `reliabilitykit.run`.)"""
    listener = LoopbackListener("r11-refusing", 0)
    listener.accepting = False
    host, port = listener.address if transport == "loopback" else ("127.0.0.1", refused_port)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        tasks, fds = len(asyncio.all_tasks(loop)), open_fds()
        for _ in range(cycles):
            device = AsyncDevice(
                "r11", "0123456789abcdef", host, port=port, transport=transport,
                version="3.4", timeout=1.0, clock=loop.time,
            )
            with pytest.raises(NetworkError, match="cannot connect"):
                await device.status()
            await device.aclose()
        assert len(asyncio.all_tasks(loop)) == tasks
        assert open_fds() <= fds

    try:
        run(main, debug=debug)
    finally:
        listener.close()


@pytest.mark.parametrize("transport", ["loopback", "tcp"])
@pytest.mark.parametrize("driver", DRIVERS)
def test_connect_then_dropped_cycles_leak_nothing(
    driver: str, transport: str, baseline: dict[str, int]
) -> None:
    """A simulator whose one slot is taken resets every other client right after the
    connect: DeviceBusyError, then close; LEAK_CYCLES // 20 times."""
    cycles = LEAK_CYCLES // 20
    simulated = SimulatedDevice("r11", "0123456789abcdef", version="3.4")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        served = "asyncio" if transport == "tcp" else transport
        async with simulated.serve(transport=served) as server:
            options: dict[str, Any] = {
                "version": "3.4", "port": server.port, "transport": server.transport,
            }
            holder = AsyncDevice("r11", "0123456789abcdef", server.host, **options)
            await holder.connect()  # takes the slot
            tasks = len(asyncio.all_tasks(loop))
            fds = open_fds()
            if driver == "Device":
                options["transport"] = "tcp" if transport == "tcp" else "loopback"
                await asyncio.to_thread(_device_cycles, cycles, server.host, options)
            else:
                for _ in range(cycles):
                    device = AsyncDevice("r11", "0123456789abcdef", server.host, **options)
                    with pytest.raises(DeviceBusyError):
                        await device.status()
                    await device.aclose()
            await until(  # the simulator's handlers of the last ones finish
                lambda: len(asyncio.all_tasks(loop)) == tasks and open_fds() <= fds,
                "the last handlers end",
            )
            assert simulated.refused >= cycles
            assert holder.connected
            await holder.aclose()

    run(main, virtual=False)


def _device_cycles(cycles: int, host: str, options: dict[str, Any]) -> None:
    for _ in range(cycles):
        device = Device("r11", "0123456789abcdef", host, **options)
        with pytest.raises(DeviceBusyError):
            device.status()
        device.close()


# -- R12 --------------------------------------------------------------------------------


def printable_key(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))


class Secrets:
    """Everything that must not show: local keys, nonces, session keys."""

    def __init__(self) -> None:
        self.values: list[bytes] = []

    def add(self, value: bytes | str) -> None:
        self.values.append(value.encode() if isinstance(value, str) else value)

    def add_handshakes(self, version: str, key: str, client: Draws, device: Draws) -> None:
        """The nonces both ends drew, and the session key of every pairing of them."""
        protocol = get_protocol(version)
        ours, theirs = client.of_size(NONCE_SIZE), device.of_size(NONCE_SIZE)
        for nonce in ours + theirs:
            self.add(nonce)
        if protocol.needs_handshake:
            for mine in ours:
                for other in theirs:
                    self.add(protocol.session_key(key, mine, other))

    def forms(self) -> Iterator[tuple[str, bytes]]:
        """Each secret, and each 8-byte piece of it, in every spelling."""
        for value in self.values:
            pieces = [value] + [value[i : i + 8] for i in range(len(value) - 7)]
            for piece in pieces:
                yield piece.hex(), value
                yield piece.hex().upper(), value
                yield base64.b64encode(piece).decode().rstrip("="), value
                yield repr(piece)[2:-1], value
                yield piece.decode("latin-1"), value
            yield base64.urlsafe_b64encode(value).decode().rstrip("="), value

    def find_in(self, text: str) -> list[str]:
        return [form for form, _ in self.forms() if len(form) >= 8 and form in text]


class Everything(logging.Handler):
    """Every log record, formatted, with its raw message and args."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record))  # message, and the traceback if any
        self.texts.append(repr(record.msg) + repr(record.args))


@pytest.fixture
def all_logs() -> Iterator[Everything]:
    handler = Everything()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in _tuyaface_loggers()}
    old_root = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in [*levels, "tuyaface", "tuyaface_codec", "tuyaface_transport"]:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_root)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _tuyaface_loggers() -> list[str]:
    return [name for name in logging.root.manager.loggerDict if name.startswith("tuyaface")]


def error_texts(error: BaseException) -> list[str]:
    """str, repr and the formatted traceback of an error and of what it chains."""
    texts = ["".join(traceback.format_exception(error))]
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return texts


@pytest.mark.parametrize("driver", DRIVERS)
def test_no_key_material_in_logs_reprs_or_errors(driver: str, all_logs: Everything) -> None:
    rng = random.Random(12)
    secrets = Secrets()
    texts: list[str] = []  # reprs and error texts

    failures: list[TuyaError] = []

    async def expect_failure(call: Any) -> None:
        """Await `call`; keep the texts of the error it (most likely) raises."""
        try:
            await call
        except TuyaError as exc:
            failures.append(exc)
            texts.extend(error_texts(exc))

    async def one_version(version: str) -> None:
        key, wrong = printable_key(rng), printable_key(rng)
        secrets.add(key)
        secrets.add(wrong)
        client, device_draws, wrong_draws = Draws(rng.randrange(1 << 30)), Draws(1), Draws(2)
        device_draws.seed = rng.randrange(1 << 30)
        simulated = SimulatedDevice(
            "r12dev", key, version=version, dps={"1": True, "2": 5}, idle_timeout=None,
            random_bytes=device_draws,
        )
        async with Bench.serving(simulated) as bench:
            face = bench.face(driver, random_bytes=client, timeout=QUICK, **_sleep(driver))
            texts.append(repr(face.device))
            assert (await face.status())["2"] == 5
            await face.set_status({"2": 6})
            await face.heartbeat()
            await face.refresh([2])
            # failures: an error answer, a timeout, a drop in the middle of a reply,
            # corrupted bytes
            bench.device.error_text = "devid not found"
            await expect_failure(face.status())
            bench.device.error_text = None
            bench.device.answering = False
            await expect_failure(face.status())
            bench.device.answering = True
            await face.aclose()
            texts.append(repr(simulated))
            texts.append(repr(face.device))
            for plan in (FaultPlan(close_after=20), FaultPlan(corrupt_bytes={30})):
                bench.listener.faults = plan
                broken = bench.face(driver, random_bytes=client, timeout=QUICK, **_sleep(driver))
                await expect_failure(_twice(broken))
                await broken.aclose()
            bench.listener.faults = None
            # the wrong key
            stranger = bench.face(
                driver, local_key=wrong, random_bytes=wrong_draws, timeout=QUICK, **_sleep(driver)
            )
            await expect_failure(stranger.set_status({"1": False}))
            texts.append(repr(stranger.device))
            await stranger.aclose()
        secrets.add_handshakes(version, key, client, device_draws)
        secrets.add_handshakes(version, wrong, wrong_draws, device_draws)
        texts.extend(sans_io_reprs(version, key, secrets))

    async def main() -> None:
        for version in ALL_VERSIONS:
            await one_version(version)

    run(main, virtual=driver == "AsyncDevice")
    assert any(" DEBUG " in text for text in all_logs.texts if text.startswith("tuyaface"))
    assert len(failures) >= 4 * len(ALL_VERSIONS)
    assert len(secrets.values) > 20
    leaks = {
        form: text
        for text in texts + all_logs.texts
        for form in secrets.find_in(text)
    }
    assert not leaks, f"key material in output: {leaks}"


def _sleep(driver: str) -> dict[str, Any]:
    return {"sleep": RecordingSleep()} if driver == "AsyncDevice" else {}


async def _twice(face: Any) -> None:
    """Two calls (the first may only take a reconnection's worth of damage)."""
    await face.status()
    await face.status()


def sans_io_reprs(version: str, key: str, secrets: Secrets) -> list[str]:
    """A client and a device session through a handshake and a status read: reprs of the
    sessions, every frame and every event, with the session key set."""
    protocol = get_protocol(version)
    client_draws, device_draws = Draws(7), Draws(8)
    client = Session(protocol, key, "r12dev", random_bytes=client_draws)
    device = Session(protocol, key, "r12dev", role=Role.DEVICE, random_bytes=device_draws)
    texts: list[str] = []
    device.start(0.0)
    events = client.start(0.0)
    for _ in range(3):
        wire = client.data_to_send()
        texts += [repr(f) for f in FrameDecoder(protocol, key=key, from_device=False).feed(
            wire, limit=1
        )]
        events += device.receive_data(wire, 0.0)
        events += client.receive_data(device.data_to_send(), 0.0)
    assert any(isinstance(e, Ready) for e in events)
    client.request(RequestKind.STATUS, 0.0)
    for event in device.receive_data(client.data_to_send(), 0.0):
        if hasattr(event, "frame"):
            device.reply(event.frame, b'{"dps":{"1":true}}')
            device.push(b'{"dps":{"2":1}}')
            events.append(event)
    events += client.receive_data(device.data_to_send(), 0.0)
    assert any(isinstance(e, RequestDone) for e in events)
    assert any(isinstance(e, StatusPush) for e in events)
    secrets.add_handshakes(version, key, client_draws, device_draws)
    texts += [repr(client), repr(device), *map(repr, events)]
    texts += [repr(e.frame) for e in events if hasattr(e, "frame")]
    return texts
