"""A hostile device (hostilekit.py, hostilecases.py) against every client API.

For each case: the call fails only with an error from our tree (the CLI: a documented
exit code, never 1), returns within its timeout + `SLACK`, and once the device behaves
again the next call on the same client works. Per batch: file descriptors come back.

Coverage: `Device` and `AsyncDevice` get every case on every version it applies to, over
TCP on 127.0.0.1 (one batch per driver and version, the cases in parallel), and over the
loopback transport on 3.3 and 3.5 (without the endless floods: an in-memory connection
has no backpressure, so the device's writes never wait and only fill memory). The 1.x
`status(device_dict)` gets `LEGACY_CASES` and the CLI (in process, `CliRunner`, one at a
time) `CLI_CASES`, on every version.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hostilecases import CASE_NAMES, CASES, FLOODS
from hostilekit import (
    HONEST_DPS,
    SLACK,
    Case,
    Conn,
    HostileDevice,
    LoopThread,
    fd_count,
    loop_thread,
)
from reliabilitykit import run
from simkit import DEV_ID, KEY, VERSIONS

from tuyaface import AsyncDevice, Device, TuyaError
from tuyaface import status as legacy_status
from tuyaface._legacy import close_connection
from tuyaface.cli import main as cli_main
from tuyaface_codec import Command, LocalProtocolError, NetworkError

TIMEOUT = 0.5  # every client's timeout for the hostile call
# The call once the device behaves again: generous, the machine may be loaded (the
# connect and the key exchange then count against it too); hangs still fail the bound.
HONEST_TIMEOUT = 5.0
TRACED_SLACK = 10.0  # under tracemalloc (several times slower) only runaway calls count
SETTLE = 0.2  # seconds an AsyncDevice gets to notice that the device reset the connection
FD_SLACK = 4  # descriptors a batch may leave behind (the runtime's own, lazily opened)
FLOOD_PEAK = 32 * 1024 * 1024  # bytes tracemalloc may see at peak during the flood cases
MAX_CONNECTIONS = 20  # a client that reconnects more than this during one case hammers
DOCUMENTED_EXITS = {0, 2, 3, 4, 5, 6, 7}
ENDLESS = ("garbage_stream", "push_flood", "unreadable_push_flood")
LEGACY_CASES = (
    "garbage",
    "length_2_32_minus_1",
    "close_immediately",
    "bad_checksum",
    "non_json",
    "deep_json",
    "other_key",
    "late_reply",
    "duplicate_replies",
    "push_flood_then_answer",
    "retcode_error",
    "odd_dp_ids",
    "handshake_wrong_hmac",
)
CLI_CASES = (
    "garbage",
    "close_immediately",
    "bad_checksum",
    "non_json",
    "retcode_error",
    "odd_dp_ids",
    "dps_not_a_map",
    "handshake_wrong_length",
)


@attrs.frozen
class Call:
    """One API call: how long it took and what came of it."""

    elapsed: float
    value: Any = None
    error: BaseException | None = None


@attrs.frozen
class Outcome:
    hostile: Call
    honest: Call
    connections: int
    kit_errors: tuple[str, ...]


@attrs.frozen
class Batch:
    outcomes: dict[str, Outcome]
    fds_before: int
    fds_after: int


def _timed(call: Callable[[], Any]) -> Call:
    start = time.monotonic()
    try:
        value = call()
    except Exception as exc:  # judged by `check`
        return Call(time.monotonic() - start, error=exc)
    return Call(time.monotonic() - start, value)


async def _atimed(call: Callable[[], Awaitable[Any]]) -> Call:
    start = time.monotonic()
    try:
        value = await call()
    except Exception as exc:  # judged by `check`
        return Call(time.monotonic() - start, error=exc)
    return Call(time.monotonic() - start, value)


def applies(case: Case, version: str, names: tuple[str, ...] | None = None) -> bool:
    return version in case.versions and (names is None or case.name in names)


@contextlib.contextmanager
def servers(
    thread: LoopThread, cases: list[Case], version: str, transport: str
) -> Iterator[dict[str, HostileDevice]]:
    started = {case.name: HostileDevice(case, version, transport) for case in cases}
    for server in started.values():
        thread.call(server.start())
    try:
        yield started
    finally:
        for server in started.values():
            thread.call(server.stop())


def _options(
    server: HostileDevice, version: str, kind: str, timeout: float = TIMEOUT
) -> dict[str, Any]:
    host, port = server.address
    return {
        "dev_id": DEV_ID,
        "local_key": KEY,
        "host": host,
        "port": port,
        "version": version,
        "transport": server.client_transport[kind],
        "timeout": timeout,
    }


# -- the APIs ------------------------------------------------------------------------------


def hostile_timeout(case: Case) -> float:
    """The client's timeout for the hostile call: short where the case fails (a silence
    must not cost 5 s), `HONEST_TIMEOUT` where it must succeed: its answer comes, and a
    short timeout would only measure how loaded the machine is (the device runs in this
    process; the answer behind a burst on a busy loop has its own test)."""
    return HONEST_TIMEOUT if case.expect == "ok" else TIMEOUT


def _be_patient(device: Device | AsyncDevice) -> None:
    """`HONEST_TIMEOUT` from now on: for the next connect and the connections it opens (a
    script that keeps its connection answers honestly at once). No public setter exists:
    the test reaches into the driver's state."""
    device._core.timeout = HONEST_TIMEOUT



def _sync_case(thread: LoopThread, server: HostileDevice, version: str) -> Outcome:
    device = Device(**_options(server, version, "sync", hostile_timeout(server.case)))
    try:
        hostile = _timed(getattr(device, server.case.call))
        thread.call(server.behave())
        _be_patient(device)
        honest = _timed(device.status)
    finally:
        device.close()
    return Outcome(hostile, honest, server.connections, tuple(server.errors))


async def _async_case(thread: LoopThread, server: HostileDevice, version: str) -> Outcome:
    device = AsyncDevice(**_options(server, version, "async", hostile_timeout(server.case)))
    try:
        hostile = await _atimed(getattr(device, server.case.call))
        reset = await thread.acall(server.behave())
        # AsyncDevice notices a dropped connection in the background (a status racing the
        # reset is retried once, test_async_call_racing_a_reset): give it that moment, and
        # after a flood the time to work through what arrived before the reset (a real
        # device takes longer to reboot).
        await asyncio.sleep(SETTLE)
        deadline = time.monotonic() + HONEST_TIMEOUT
        while reset and device.connected and time.monotonic() < deadline:
            await asyncio.sleep(SETTLE)
        _be_patient(device)
        honest = await _atimed(device.status)
    finally:
        await device.aclose()
    return Outcome(hostile, honest, server.connections, tuple(server.errors))


def _legacy_case(thread: LoopThread, server: HostileDevice, version: str) -> Outcome:
    host, port = server.address
    device = {
        "protocol": version,
        "deviceid": DEV_ID,
        "localkey": KEY,
        "ip": host,
        "port": port,
        "timeout": hostile_timeout(server.case),
        "transport": server.client_transport["sync"],
    }
    try:
        hostile = _timed(lambda: legacy_status(device))
        thread.call(server.behave())
        device["timeout"] = HONEST_TIMEOUT  # (the 1.x API: a new Device for the new timeout)
        honest = _timed(lambda: legacy_status(device)["dps"])
    finally:
        close_connection(device)
    return Outcome(hostile, honest, server.connections, tuple(server.errors))


def _threaded(
    runner: Callable[[LoopThread, HostileDevice, str], Outcome],
) -> Callable[[LoopThread, dict[str, HostileDevice], str], dict[str, Outcome]]:
    def batch(thread: LoopThread, started: dict[str, HostileDevice], version: str) -> Any:
        with concurrent.futures.ThreadPoolExecutor(len(started)) as pool:
            futures = {
                name: pool.submit(runner, thread, server, version)
                for name, server in started.items()
            }
            return {name: future.result() for name, future in futures.items()}

    return batch


def _async_batch(
    thread: LoopThread, started: dict[str, HostileDevice], version: str
) -> dict[str, Outcome]:
    async def main() -> dict[str, Outcome]:
        names = list(started)
        outcomes = await asyncio.gather(
            *(_async_case(thread, started[name], version) for name in names)
        )
        return dict(zip(names, outcomes, strict=True))

    return run(main, virtual=False)


BATCHES = {
    "Device": _threaded(_sync_case),
    "AsyncDevice": _async_batch,
    "legacy": _threaded(_legacy_case),
}
_DONE: dict[tuple[str, str, str], Batch] = {}


def batch(api: str, version: str, transport: str = "tcp") -> Batch:
    """Every case of `api` on `version`, run once (in parallel) and remembered."""
    key = (api, version, transport)
    if key not in _DONE:
        names = LEGACY_CASES if api == "legacy" else None
        cases = [case for case in CASES if applies(case, version, names)]
        if transport == "loopback":  # no backpressure in memory: a flood only fills it
            cases = [case for case in cases if case.name not in ENDLESS]
        before = fd_count()
        thread = LoopThread()
        try:
            with servers(thread, cases, version, transport) as started:
                outcomes = BATCHES[api](thread, started, version)
        finally:
            thread.close()
        _DONE[key] = Batch(outcomes, before, fd_count())
    return _DONE[key]


# -- the checks ----------------------------------------------------------------------------


def check(case: Case, outcome: Outcome, *, slack: float = SLACK) -> None:
    hostile, honest = outcome.hostile, outcome.honest
    assert not outcome.kit_errors, f"the hostile device itself failed: {outcome.kit_errors}"
    if hostile.error is not None:
        assert isinstance(hostile.error, TuyaError), f"not from our tree: {hostile.error!r}"
        # LocalProtocolError means the caller broke the rules; here the device did.
        assert not isinstance(hostile.error, LocalProtocolError), f"{hostile.error!r}"
    if case.expect == "error":
        assert hostile.error is not None, f"accepted a hostile answer: {hostile.value!r}"
    if case.expect == "ok":
        assert hostile.error is None, f"failed: {hostile.error!r}"
    bound = hostile_timeout(case) + slack
    assert hostile.elapsed <= bound, f"the hostile call took {hostile.elapsed:.2f} s"
    assert honest.error is None, f"did not recover: {honest.error!r}"
    dps = honest.value or {}
    assert dps.get("1") == HONEST_DPS["1"], f"the next call got {dps!r}"
    assert honest.elapsed <= HONEST_TIMEOUT + slack, f"the next call took {honest.elapsed:.2f} s"
    assert outcome.connections <= MAX_CONNECTIONS, f"{outcome.connections} connections"


def _params(apis: tuple[str, ...], names: tuple[str, ...] | None = None) -> list[Any]:
    return [
        pytest.param(api, version, case.name, id=f"{api}-{version}-{case.name}")
        for api in apis
        for version in VERSIONS
        for case in CASES
        if applies(case, version, names)
    ]


@pytest.mark.parametrize(("api", "version", "name"), _params(("Device", "AsyncDevice")))
def test_driver_survives(api: str, version: str, name: str) -> None:
    check(CASE_NAMES[name], batch(api, version).outcomes[name])


@pytest.mark.parametrize(("api", "version", "name"), _params(("legacy",), LEGACY_CASES))
def test_legacy_api_survives(api: str, version: str, name: str) -> None:
    check(CASE_NAMES[name], batch(api, version).outcomes[name])


@pytest.mark.parametrize("version", ["3.3", "3.5"])
@pytest.mark.parametrize("api", ["Device", "AsyncDevice"])
def test_driver_survives_over_loopback(api: str, version: str) -> None:
    outcomes = batch(api, version, "loopback").outcomes
    failures = {}
    for name, outcome in outcomes.items():
        try:
            check(CASE_NAMES[name], outcome)
        except AssertionError as exc:
            failures[name] = str(exc).splitlines()[0]
    assert not failures


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("api", ["Device", "AsyncDevice", "legacy"])
def test_descriptors_come_back(api: str, version: str) -> None:
    done = batch(api, version)
    assert done.fds_after <= done.fds_before + FD_SLACK


# -- a reset racing the next call ----------------------------------------------------------


HONEST = Case("honest", lambda conn: conn.serve_honestly(), expect="ok")


@pytest.mark.parametrize("version", ["3.3", "3.5"])
def test_sync_call_racing_a_reset(version: str) -> None:
    """The device resets the idle connection just as the next call starts: `Device`
    notices the stale connection and retries once on a new one."""
    with loop_thread() as thread, servers(thread, [HONEST], version, "tcp") as started:
        server = started["honest"]
        thread.call(server.behave())
        device = Device(**_options(server, version, "sync", HONEST_TIMEOUT))
        try:
            for _ in range(5):
                assert device.status() == HONEST_DPS
                thread.call(server.reset_all())
        finally:
            device.close()


@pytest.mark.parametrize("version", ["3.3", "3.5"])
def test_async_call_racing_a_reset(version: str) -> None:
    """The same for `AsyncDevice`: it retries a status once on a new connection."""
    async def main() -> None:
        with servers(thread, [HONEST], version, "tcp") as started:
            server = started["honest"]
            await thread.acall(server.behave())
            device = AsyncDevice(**_options(server, version, "async", HONEST_TIMEOUT))
            try:
                for _ in range(5):
                    assert await device.status() == HONEST_DPS
                    await thread.acall(server.reset_all())
            finally:
                await device.aclose()

    with loop_thread() as thread:
        run(main, virtual=False)


def _reset_on_second_request(seen: list[int]) -> Case:
    """Connection 1 answers one request, then takes the next (its cmd goes in `seen`) and
    resets without a word (acted on, or not: the client cannot tell); later connections
    answer honestly, recording what they are asked too."""

    async def script(conn: Conn) -> None:
        if not await conn.handshake():
            return
        first = seen == []
        answered = 0
        while (request := await conn.next_request()) is not None:
            seen.append(request.cmd)
            if first and answered == 1:
                conn.abort()
                return
            answered += 1
            if not await conn.send(conn.honest_answer(request)):
                return

    return Case("reset_on_second_request", script, expect="any")


@pytest.mark.parametrize("version", ["3.3", "3.5"])
def test_async_retries_a_query_but_not_a_written_set(version: str) -> None:
    """A reset right after the request went out: `status` is asked again on a new
    connection (harmless twice); `set_status` fails instead, sent once only (the device
    may have acted on it)."""
    seen: list[int] = []
    case = _reset_on_second_request(seen)

    async def main() -> tuple[Any, Call]:
        with servers(thread, [case], version, "tcp") as started:
            server = started[case.name]
            device = AsyncDevice(**_options(server, version, "async", HONEST_TIMEOUT))
            try:
                assert await device.status() == HONEST_DPS
                dps = await device.status()  # reset on connection 1, retried on 2
                assert await device.status() == HONEST_DPS  # connection 2 answers
                seen.clear()
                await thread.acall(server.reset_all())
                await asyncio.sleep(SETTLE)
                assert await device.status() == HONEST_DPS  # connection 3, answer 1
                failed = await _atimed(lambda: device.set_status({"1": "on"}))
            finally:
                await device.aclose()
        return dps, failed

    with loop_thread() as thread:
        dps, failed = run(main, virtual=False)
    assert dps == HONEST_DPS
    assert isinstance(failed.error, NetworkError), failed
    sets = [cmd for cmd in seen if cmd in (Command.CONTROL, Command.CONTROL_NEW)]
    assert len(sets) == 1, f"the device got {len(sets)} set requests"


@pytest.mark.parametrize("version", ["3.3", "3.5"])
def test_sync_retries_a_query_but_not_a_written_set(version: str) -> None:
    """The same for `Device`."""
    seen: list[int] = []
    case = _reset_on_second_request(seen)
    with loop_thread() as thread, servers(thread, [case], version, "tcp") as started:
        server = started[case.name]
        device = Device(**_options(server, version, "sync", HONEST_TIMEOUT))
        try:
            assert device.status() == HONEST_DPS
            assert device.status() == HONEST_DPS  # reset on connection 1, retried on 2
            seen.clear()
            thread.call(server.reset_all())
            assert device.status() == HONEST_DPS  # stale: retried on connection 3
            failed = _timed(lambda: device.set_status({"1": "on"}))
        finally:
            device.close()
    assert isinstance(failed.error, NetworkError), failed
    sets = [cmd for cmd in seen if cmd in (Command.CONTROL, Command.CONTROL_NEW)]
    assert len(sets) == 1, f"the device got {len(sets)} set requests"


@pytest.mark.parametrize("version", ["3.3", "3.5"])
def test_a_call_joining_a_failing_attempt_tries_once_itself(version: str) -> None:
    """A call made while the background connection attempt is under way (here: to a
    device still silent) does not fail with that attempt's outcome if the device behaves
    meanwhile: it gets one attempt of its own."""
    silence = CASE_NAMES["silence"]

    async def main() -> Call:
        with servers(thread, [silence], version, "tcp") as started:
            server = started[silence.name]
            device = AsyncDevice(**_options(server, version, "async", HONEST_TIMEOUT))
            try:
                device.start()
                while server.connections == 0:  # the attempt is under way
                    await asyncio.sleep(0.01)
                call = asyncio.get_running_loop().create_task(_atimed(device.status))
                await asyncio.sleep(0.05)  # the call waits for that attempt
                await thread.acall(server.behave())  # which is reset now
                return await call
            finally:
                await device.aclose()

    with loop_thread() as thread:
        call = run(main, virtual=False)
    assert call.error is None, f"{call.error!r}"
    assert call.value == HONEST_DPS


# -- an answer behind a burst of pushes, on a busy loop ---------------------------------------

BURST = 1000  # pushes ahead of the answer: about 30 slices of 4 KiB for the reader
BUSY_TURN = 0.05  # seconds of other work in every turn of the client's loop
BURST_TIMEOUT = 1.0  # less than decoding the burst takes on that loop (about 30 turns)


async def _burst_then_answer(conn: Conn) -> None:
    """One request answered honestly; the next answered behind `BURST` pushes, in one write."""
    answered = 0
    if not await conn.handshake():
        return
    while (request := await conn.next_request()) is not None:
        pushes = b"".join(conn.push({"4": n}) for n in range(BURST)) if answered else b""
        answered += 1
        if not await conn.send(pushes + conn.status_answer(request)):
            return


@pytest.mark.parametrize("transport", ["tcp", "loopback"])
@pytest.mark.parametrize("version", ["3.3", "3.5"])
def test_an_answer_behind_a_burst_is_not_timed_out_while_decoding(
    version: str, transport: str
) -> None:
    """The device sends pushes and the answer in time, but the client's loop is so busy
    that decoding them (a slice per turn) takes longer than the timeout: the answer that
    had arrived counts (docs/reliability.md, client scenario 14)."""
    case = Case("burst_then_answer", _burst_then_answer, expect="ok")

    async def busy() -> None:
        while True:
            end = time.monotonic() + BUSY_TURN
            while time.monotonic() < end:  # other devices' work, in every turn
                pass
            await asyncio.sleep(0)

    async def main() -> tuple[Call, float]:
        with servers(thread, [case], version, transport) as started:
            options = _options(started[case.name], version, "async", BURST_TIMEOUT)
            device = AsyncDevice(**options)
            try:
                assert await device.status() == HONEST_DPS
                hog = asyncio.get_running_loop().create_task(busy())
                try:
                    call = await _atimed(device.status)
                finally:
                    hog.cancel()
            finally:
                await device.aclose()
        return call, device._core.timeout

    with loop_thread() as thread:
        call, timeout = run(main, virtual=False)
    assert call.elapsed > timeout, "the loop was not busy enough to test anything"
    assert call.error is None, f"{call.error!r} after {call.elapsed:.2f} s"
    assert call.value == HONEST_DPS


# -- memory under floods --------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("api", ["Device", "AsyncDevice"])
def test_floods_stay_in_bounded_memory(api: str, version: str) -> None:
    cases = [CASE_NAMES[name] for name in FLOODS if applies(CASE_NAMES[name], version)]
    thread = LoopThread()
    tracemalloc.start()
    try:
        with servers(thread, cases, version, "tcp") as started:
            outcomes = BATCHES[api](thread, started, version)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        thread.close()
    assert peak < FLOOD_PEAK, f"peak {peak / 1e6:.1f} MB"
    for case in cases:  # tracemalloc slows everything down: the timing is checked untraced
        check(case, outcomes[case.name], slack=TRACED_SLACK)


# -- the CLI ------------------------------------------------------------------------------


def _cli(server: HostileDevice, version: str, timeout: float = TIMEOUT) -> tuple[int, str]:
    host, port = server.address
    args = ["status", "--id", DEV_ID, "--key", KEY, "--ip", host, "--port", str(port)]
    args += ["--version", version, "--timeout", str(timeout), "--json"]
    env = {"TUYAFACE_LOCAL_KEY": None, "TUYAFACE_DEVICES": None}
    result = CliRunner().invoke(cli_main, args, env=env, prog_name="tuyaface")
    return result.exit_code, result.stdout


@pytest.mark.parametrize("version", VERSIONS)
def test_cli_survives(version: str) -> None:
    cases = [case for case in CASES if applies(case, version, CLI_CASES)]
    thread = LoopThread()
    failures: dict[str, str] = {}
    try:
        with servers(thread, cases, version, "tcp") as started:
            for name, server in started.items():
                start = time.monotonic()
                code, out = _cli(server, version)
                elapsed = time.monotonic() - start
                thread.call(server.behave())
                honest_code, honest_out = _cli(server, version, HONEST_TIMEOUT)
                if code not in DOCUMENTED_EXITS or elapsed > TIMEOUT + SLACK:
                    failures[name] = f"exit {code} after {elapsed:.2f} s: {out[-300:]!r}"
                elif CASE_NAMES[name].expect == "error" and code == 0:
                    failures[name] = f"exit 0 on a hostile answer: {out[-300:]!r}"
                elif honest_code != 0 or json.loads(honest_out)["dps"]["1"] != "honest":
                    failures[name] = f"next run: exit {honest_code}: {honest_out[-300:]!r}"
    finally:
        thread.close()
    assert not failures
