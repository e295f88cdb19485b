"""Kit for the reliability tests (docs/reliability.md, client scenarios 1-13 and R10-R12).

- `run(main, virtual=True)`: run a coroutine function in a fresh event loop with asyncio
  debug on, where a blocking call on the loop fails the test (R10, `loop_checks()`).
  With `virtual=True` the loop's clock skips ahead whenever nothing is ready, so a
  scenario that waits for minutes (heartbeats, idle closes, reply timeouts, backoff)
  takes milliseconds. Everything
  in such a test lives in that loop: the simulator served over loopback, an `AsyncDevice`
  with `clock=loop.time`. Loopback `FaultPlan.delay` is real time: use it only with
  `virtual=False` (a blocking `Device` runs in a worker thread then).
- `Bench`: a `SimulatedDevice` served over loopback from the running loop through `Tap`s,
  which record every byte each connection received and sent (to count frames).
- `Draws`: a seeded `random_bytes` source that remembers what it handed out (nonces).
- `RecordingSleep`, `jitter`: the backoff's sleep and jitter sources, injected.
"""

from __future__ import annotations

import asyncio
import concurrent.futures.thread  # noqa: F401 - asyncio imports it on the first to_thread
import contextlib
import logging
import os
import random
import re
import selectors
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import attrs
from loopguard import no_blocking_calls
from simkit import DEV_ID, KEY, VERSIONS

import tuyaface
import tuyaface.discovery
import tuyaface_transport
from tuyaface import AsyncDevice, Device, SimulatedDevice, StatusPush
from tuyaface.plugins import default_plugin_manager
from tuyaface_codec import Frame, FrameDecoder, get_protocol
from tuyaface_transport import AsyncTransport, FaultPlan, LoopbackListener, TransportTimeout
from tuyaface_transport.plugins import default_plugin_manager as default_transport_plugins

__all__ = [
    "SCENARIO_VERSIONS",
    "SLOW_CALLBACK",
    "WALLCLOCK_GUARD",
    "AsyncFace",
    "Bench",
    "Face",
    "ThreadFace",
    "Draws",
    "RecordingSleep",
    "Tap",
    "VirtualClockLoop",
    "jitter",
    "loop_checks",
    "no_slow_callbacks",
    "run",
    "simulated",
]

T = TypeVar("T")
SCENARIO_VERSIONS = ("3.3", "3.4", "3.5")  # docs/reliability.md: each client scenario on these
# R10 by default is deterministic: a blocking call on the loop's thread fails the test
# (loopguard.py). The wall-clock check (a callback that holds the loop longer than
# SLOW_CALLBACK fails the test) depends on how busy the machine is, so it is opt-in:
# TUYAFACE_WALLCLOCK_GUARD=1 (`tox -e soak`), threshold TUYAFACE_SLOW_CALLBACK seconds.
WALLCLOCK_GUARD = os.environ.get("TUYAFACE_WALLCLOCK_GUARD", "0") == "1"
SLOW_CALLBACK = float(os.environ.get("TUYAFACE_SLOW_CALLBACK", "0.05"))
_SLOW = re.compile(r"Executing .* took")


# -- R10: no blocking calls on the loop; slow callbacks fail (opt-in) --------------------


@contextlib.contextmanager
def loop_checks() -> Iterator[None]:
    """R10: no blocking call on a running loop's thread; with `WALLCLOCK_GUARD`, also no
    callback slower than `SLOW_CALLBACK` on a debug loop."""
    with contextlib.ExitStack() as checks:
        checks.enter_context(no_blocking_calls())
        if WALLCLOCK_GUARD:
            checks.enter_context(no_slow_callbacks())
        yield


class _SlowCallbacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if _SLOW.search(message):
            self.seen.append(message)


_REPORTED: set[str] = set()  # failed an inner guard already: outer guards let them be


@contextlib.contextmanager
def no_slow_callbacks() -> Iterator[None]:
    """Fail when asyncio (in debug mode) reports a callback slower than `SLOW_CALLBACK`."""
    handler = _SlowCallbacks()
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    old_level = logger.level
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    slow = [message for message in handler.seen if message not in _REPORTED]
    _REPORTED.update(slow)
    assert not slow, f"the event loop was blocked (R10): {slow}"


def debug_loop(loop: asyncio.AbstractEventLoop) -> None:
    """asyncio debug mode with the R10 threshold."""
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW_CALLBACK


# -- virtual time ---------------------------------------------------------------------


class _SkippingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    """Polls without waiting; when nothing is ready, tells the loop to skip the wait."""

    def __init__(self) -> None:
        super().__init__()
        self.skip: Callable[[float], None] = lambda _: None

    def select(self, timeout: float | None = None) -> list[Any]:
        ready: list[Any] = super().select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if timeout is None:  # no timer at all: only another thread can wake us
            return super().select(None)  # type: ignore[no-any-return]
        self.skip(timeout)
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer when nothing else can run.

    `time()` is the monotonic clock plus the time skipped, so work still takes the time it
    takes (R10 keeps measuring callbacks) while idle waits cost nothing."""

    def __init__(self) -> None:
        selector = _SkippingSelector()
        super().__init__(selector)
        self.skipped = 0.0
        selector.skip = self._skip

    def _skip(self, seconds: float) -> None:
        self.skipped += seconds

    def time(self) -> float:
        return time.monotonic() + self.skipped


def warm_up() -> None:
    """Load the protocol and transport plugins (the crypto libraries) before a loop runs.

    The first protocol lookup in a process imports the crypto backends (50-90 ms), and the
    first transport lookup reads installed packages' entry points: inside a running loop
    that is file I/O that R10 reports. The modules `tuyaface` and its subpackages load on
    first use (the 1.x API, discovery, the simulator, loopback) are imported here too: a
    test body that touches one inside its loop would otherwise be reported for an import
    the library defers on purpose.
    """
    for package in (tuyaface, tuyaface.discovery, tuyaface_transport):
        for name in package._LAZY:
            getattr(package, name)
    for version in VERSIONS:
        get_protocol(version)
    default_plugin_manager()
    default_transport_plugins()  # its first build reads every installed package's metadata


def run(main: Callable[[], Awaitable[T]], *, virtual: bool = True, debug: bool = True) -> T:
    """Run `main()` in a new debug event loop (virtual clock by default); R10 applies
    (`loop_checks()`).

    `debug=False` only for long loops of cycles (R11): debug mode records a stack trace
    for every callback, future and task, which makes such a loop ten times slower."""
    warm_up()
    factory = VirtualClockLoop if virtual else asyncio.new_event_loop
    with loop_checks(), asyncio.Runner(debug=debug, loop_factory=factory) as runner:
        if debug:
            debug_loop(runner.get_loop())
        return runner.run(_awaited(main))


async def _awaited(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


# -- injected sources -----------------------------------------------------------------


class RecordingSleep:
    """The backoff's sleep: records each delay, then really sleeps it (on a virtual
    clock that costs nothing)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(delay)


def jitter(values: Iterable[float]) -> Callable[[], float]:
    """A jitter source returning `values` in turn, cycling."""
    pool = list(values)
    index = iter(range(1 << 62))
    return lambda: pool[next(index) % len(pool)]


@attrs.define
class Draws:
    """`random_bytes` for one end of a conversation: seeded, and every draw kept."""

    seed: int
    drawn: list[bytes] = attrs.field(factory=list)
    _random: random.Random = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def __call__(self, size: int) -> bytes:
        value = self._random.randbytes(size)
        self.drawn.append(value)
        return value

    def of_size(self, size: int) -> list[bytes]:
        """The draws of `size` bytes (16: the handshake nonces)."""
        return [value for value in self.drawn if len(value) == size]


# -- a simulator with taps ------------------------------------------------------------


def simulated(version: str, **knobs: Any) -> SimulatedDevice:
    """The simulated device of the scenarios; it never closes an idle connection unless
    `idle_timeout` is given."""
    knobs.setdefault("idle_timeout", None)
    return SimulatedDevice(DEV_ID, KEY, version=version, **knobs)



class Tap:
    """An accepted connection, passed through, with what crossed it recorded.

    Knobs on the device's writes, on the loop's clock (so virtual time applies):
    `hold` seconds before the next write arrives (later writes do not wait for it: a
    device that answers late and goes on pushing meanwhile; the device goes on reading,
    as it does while it waits out `reply_delay`), and `black_hole`: writes vanish and
    the connection stays open (a half-open connection).
    """

    def __init__(self, transport: AsyncTransport) -> None:
        self._transport = transport
        self.received: list[bytes] = []  # what the device read, one entry per receive
        self.sent: list[bytes] = []  # what the device wrote, one entry per send
        self.hold = 0.0
        self.black_hole = False
        self._held: set[asyncio.Task[None]] = set()

    async def send(self, data: bytes) -> None:
        self.sent.append(bytes(data))
        hold, self.hold = self.hold, 0.0
        if self.black_hole:
            return
        if not hold:
            await self._transport.send(data)
            return
        task = asyncio.get_running_loop().create_task(self._send_later(hold, bytes(data)))
        self._held.add(task)
        task.add_done_callback(self._held.discard)

    async def _send_later(self, hold: float, data: bytes) -> None:
        await asyncio.sleep(hold)
        with contextlib.suppress(OSError):  # the client has left meanwhile
            await self._transport.send(data)

    async def receive(self, timeout: float | None) -> bytes:
        # The timeout (the simulator's idle close) on the loop's clock, as the asyncio TCP
        # transport measures it; the loopback measures it on the monotonic clock.
        try:
            async with asyncio.timeout(timeout):
                data = await self._transport.receive(None)
        except TimeoutError:
            raise TransportTimeout(f"nothing received within {timeout} s") from None
        self.received.append(data)
        return data

    async def aclose(self) -> None:
        await self._transport.aclose()

    def abort(self) -> None:
        abort = getattr(self._transport, "abort", None)
        if callable(abort):
            abort()

    async def __aenter__(self) -> Tap:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def frames(self, version: str) -> int:
        """How many whole frames the device received (from the headers: no key needed)."""
        layout = get_protocol(version).layout
        data = b"".join(self.received)
        count = offset = 0
        while len(data) - offset >= layout.header_size:
            offset += layout.frame_size(data[offset : offset + layout.header_size], len(data))
            count += 1
        return count

    def first_frame(self, version: str, key: str | bytes) -> Frame:
        """The first client frame, decoded under `key`."""
        decoder = FrameDecoder(get_protocol(version), key=key, from_device=False)
        return decoder.feed(b"".join(self.received), limit=1)[0]


@attrs.define(eq=False)
class Bench:
    """A `SimulatedDevice` served over loopback from the running loop, every connection
    through a `Tap`. Faults and `accepting` are the listener's."""

    device: SimulatedDevice
    listener: LoopbackListener
    taps: list[Tap] = attrs.field(factory=list)

    @property
    def host(self) -> str:
        return self.listener.address[0]

    @property
    def port(self) -> int:
        return self.listener.address[1]

    def client(self, **options: Any) -> AsyncDevice:
        """An AsyncDevice for this simulator, on the running loop's clock."""
        options.setdefault("clock", asyncio.get_running_loop().time)
        return AsyncDevice(**self.options(**options))

    def face(self, driver: str, **options: Any) -> Face:
        """`AsyncDevice` (on the loop's clock) or `Device` (calls in worker threads)."""
        if driver == "AsyncDevice":
            return AsyncFace(self.client(**options))
        return ThreadFace(Device(**self.options(**options)))

    def options(self, **options: Any) -> dict[str, Any]:
        """Keyword arguments for a `Device` / `AsyncDevice` pointed at this simulator."""
        return {
            "dev_id": self.device.dev_id,
            "local_key": self.device.local_key,
            "host": self.host,
            "port": self.port,
            "version": self.device.version,
            "transport": "loopback",
            **options,
        }

    def prefix(self, connection: int = 0) -> int:
        """Bytes the device wrote on a connection so far."""
        return sum(len(data) for data in self.taps[connection].sent)

    @classmethod
    @contextlib.asynccontextmanager
    async def serving(
        cls, device: SimulatedDevice, faults: FaultPlan | None = None
    ) -> AsyncIterator[Bench]:
        listener = LoopbackListener("reliability", 0, faults=faults)
        bench = cls(device, listener)

        async def handle(transport: AsyncTransport) -> None:
            tap = Tap(transport)
            bench.taps.append(tap)
            await device.handle(tap)

        listener.serve(handle)
        try:
            yield bench
        finally:
            await listener.aclose()


# -- one face over both drivers, for coroutines ---------------------------------------


class AsyncFace:
    """An `AsyncDevice` and its event stream (opened at once: it starts the connection)."""

    def __init__(self, device: AsyncDevice) -> None:
        self.device = device
        self.events = device.events()

    async def status(self) -> dict[str, Any]:
        return await self.device.status()

    async def set_status(self, dps: dict[str, Any]) -> None:
        await self.device.set_status(dps)

    async def heartbeat(self) -> None:
        await self.device.heartbeat()

    async def refresh(self, dps: list[int | str]) -> None:
        await self.device.refresh(dps)

    async def next_push(self, timeout: float) -> dict[str, Any] | None:
        """The next pushed DPs within `timeout` seconds, or None."""
        try:
            async with asyncio.timeout(timeout):
                async for event in self.events:
                    if isinstance(event, StatusPush):
                        return event.dps
        except TimeoutError:
            pass
        return None

    async def aclose(self) -> None:
        await self.device.aclose()


class ThreadFace:
    """A blocking `Device`, each call run in a worker thread (the loop keeps serving)."""

    def __init__(self, device: Device) -> None:
        self.device = device

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(function, *args)

    async def status(self) -> dict[str, Any]:
        return await self._call(self.device.status)

    async def set_status(self, dps: dict[str, Any]) -> None:
        await self._call(self.device.set_status, dps)

    async def heartbeat(self) -> None:
        await self._call(self.device.heartbeat)

    async def refresh(self, dps: list[int | str]) -> None:
        await self._call(self.device.refresh, dps)

    async def next_push(self, timeout: float) -> dict[str, Any] | None:
        push = await self._call(self.device.wait_for_push, timeout)
        return None if push is None else push.dps

    async def aclose(self) -> None:
        await self._call(self.device.close)


Face = AsyncFace | ThreadFace
