"""R10, deterministic (loopguard.py): blocking calls on a running loop's thread are recorded.

Each blocking call a coroutine makes on the loop is reported with its event; the same
calls made off the loop (before it runs, in a worker thread, under `allow_blocking`) are
not; normal AsyncDevice traffic with the simulator over loopback and TCP records nothing.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from loopguard import LoopGuard, allow_blocking, guarding, no_blocking_calls
from reliabilitykit import run
from simkit import DEV_ID, KEY

from tuyaface import AsyncDevice, SimulatedDevice


def guarded(main: Callable[[], Awaitable[object]]) -> LoopGuard:
    """Run `main()` in a fresh loop inside a guard of its own; the guard, for inspection."""
    with guarding() as guard:
        asyncio.run(main())  # type: ignore[arg-type]
    return guard


def events(guard: LoopGuard) -> list[str]:
    return [violation.event for violation in guard.violations]


def test_time_sleep_in_a_coroutine_is_recorded_with_its_stack() -> None:
    async def main() -> None:
        time.sleep(0)

    guard = guarded(main)
    assert events(guard) == ["time.sleep"]
    assert guard.violations[0].detail == "0"
    assert "time.sleep(0)" in guard.report()  # the stack names the call


def test_open_in_a_coroutine_is_recorded(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"

    async def main() -> None:
        with open(target, "w") as file:
            file.write("x")

    guard = guarded(main)
    assert events(guard) == ["open"]
    assert str(target) in guard.violations[0].detail


def test_importing_a_new_module_in_a_coroutine_is_recorded() -> None:
    name = "colorsys"  # stdlib, imported by nothing else in the suite
    sys.modules.pop(name, None)

    async def main() -> None:
        importlib.import_module(name)

    guard = guarded(main)
    assert events(guard)[0] == "import"
    assert guard.violations[0].detail == repr(name)


def test_an_import_statement_in_a_coroutine_is_recorded_once() -> None:
    sys.modules.pop("colorsys", None)

    async def main() -> None:
        import colorsys  # noqa: F401

    guard = guarded(main)
    assert [v.detail for v in guard.violations if v.event == "import"] == ["'colorsys'"]


def test_a_blocking_connect_in_a_coroutine_is_recorded() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        async def main() -> None:
            with socket.create_connection(listener.getsockname(), timeout=5.0):
                pass

        guard = guarded(main)
    assert "socket.connect" in events(guard)
    assert "blocking socket" in guard.report()


def test_name_resolution_in_a_coroutine_is_recorded() -> None:
    async def main() -> None:
        socket.getaddrinfo("127.0.0.1", 80)

    assert events(guarded(main)) == ["socket.getaddrinfo"]


def test_asyncio_own_non_blocking_sockets_are_not_recorded() -> None:
    async def main() -> None:
        server = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        loop = asyncio.get_running_loop()
        datagrams, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        datagrams.sendto(b"x", datagrams.get_extra_info("sockname"))
        datagrams.close()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as route:
            route.connect(("127.0.0.1", 9))  # picks a route: nothing sent, nothing awaited

    assert guarded(main).violations == []


def test_the_same_calls_off_the_loop_are_not_recorded(tmp_path: Path) -> None:
    def blocking() -> None:
        time.sleep(0)
        (tmp_path / "off").write_text("x")

    async def main() -> None:
        await asyncio.to_thread(blocking)  # a worker thread: no running loop there
        with allow_blocking("the test says so"):
            blocking()

    with guarding() as guard:
        blocking()  # no loop running yet
        asyncio.run(main())
    assert guard.violations == []


def test_no_blocking_calls_fails_naming_the_event_and_the_stack() -> None:
    async def main() -> None:
        time.sleep(0)

    with pytest.raises(AssertionError, match=r"(?s)blocking call on the event loop.*time\.sleep"
                       r".*test_loop_guard\.py"), no_blocking_calls():
        asyncio.run(main())


def test_reliabilitykit_run_applies_the_guard() -> None:
    async def main() -> None:
        await asyncio.sleep(0)
        time.sleep(0)

    with pytest.raises(AssertionError, match=r"blocking call on the event loop \(R10\)"):
        run(main)


@pytest.mark.parametrize("transport", ["loopback", "asyncio"])
@pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])
def test_async_device_traffic_makes_no_blocking_call(transport: str, version: str) -> None:
    async def main() -> None:
        simulated = SimulatedDevice(DEV_ID, KEY, version=version, idle_timeout=None)
        async with simulated.serve(transport=transport) as server:
            device = AsyncDevice(
                DEV_ID, KEY, server.host, port=server.port, version=version,
                transport=server.transport,
            )
            try:
                await device.status()
                await device.set_status({"1": True})
                await device.heartbeat()
                assert (await device.status())["1"] is True
            finally:
                await device.aclose()

    assert guarded(main).violations == []
