"""Threads sharing one `Device` take turns first come, first served, and none waits longer
than its timeout for its turn (issue 10, item 13)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from simkit import DEV_ID, KEY, simulator

from tuyaface import Device, Timeout
from tuyaface._simreplies import request_dps
from tuyaface._turns import Turns

THREADS = 50
TIMEOUT = 2.0
REPLY_DELAY = 0.1  # 50 calls take 5 s: more than the timeout, so some must give up
SLACK = 0.5  # thread scheduling on a loaded machine


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.001)


def test_fifty_threads_take_turns_in_order_within_their_timeout() -> None:
    durations: dict[int, float] = {}
    failures: dict[int, BaseException] = {}

    with simulator("3.3", "tcp", reply_delay=REPLY_DELAY) as sim:
        device = Device(DEV_ID, KEY, sim.host, port=sim.port, version="3.3", timeout=TIMEOUT)
        with device:
            device.heartbeat()  # connected before the race

            def call(index: int) -> None:
                started = time.monotonic()
                try:
                    device.set_status({"2": index})
                except BaseException as exc:  # reported below, not lost in the thread
                    failures[index] = exc
                durations[index] = time.monotonic() - started

            # A caller holds the device (waiting for a push) while the others queue up,
            # one after the other: the queue's order is known.
            holder = threading.Thread(target=device.wait_for_push, args=(30,))
            holder.start()
            until(lambda: device._turns.held)
            threads = [threading.Thread(target=call, args=(i,)) for i in range(THREADS)]
            for queued, thread in enumerate(threads, start=1):
                thread.start()
                until(lambda: device._turns.waiting == queued)  # noqa: B023
            assert sim.push({"9": 1})  # the holder's push: its turn ends
            for thread in [holder, *threads]:
                thread.join(30)
            served = [request_dps(f.payload)["2"] for f in sim.device.requests if f.cmd == 7]

    assert len(durations) == THREADS
    worst = max(durations.values())
    assert worst <= TIMEOUT + REPLY_DELAY + SLACK, sorted(durations.values())[-5:]
    assert all(isinstance(exc, Timeout) for exc in failures.values()), failures
    assert all("other callers" in str(exc) for exc in failures.values())
    assert failures, "the queue outgrew the timeout: some calls must give up"
    assert served == sorted(served)  # first come, first served
    assert set(served) == set(range(THREADS)) - set(failures)


def test_turns_are_first_come_first_served_and_a_waiter_that_gives_up_leaves() -> None:
    turns = Turns()
    order: list[int] = []
    assert turns.acquire(0)  # free: taken at once, even with no time to wait

    def waiter(index: int, timeout: float | None) -> None:
        if turns.acquire(timeout):
            order.append(index)
            turns.release()
        else:
            order.append(-index)

    threads = []
    for index, timeout in enumerate([None, 0.2, None, None], start=1):
        threads.append(threading.Thread(target=waiter, args=(index, timeout)))
        threads[-1].start()
        deadline = time.monotonic() + 5
        while turns.waiting < index:  # queued before the next one starts
            assert time.monotonic() < deadline
            time.sleep(0.001)
    time.sleep(0.4)  # waiter 2 gives up meanwhile; the others keep their places
    assert order == [-2] and turns.waiting == 3
    turns.release()
    for thread in threads:
        thread.join(5)
    assert order == [-2, 1, 3, 4]
    assert turns.waiting == 0 and turns.acquire(0)


def test_no_turn_within_the_timeout_says_other_callers_hold_the_device() -> None:
    turns = Turns()
    with turns.turn(None, "device x"):
        started = time.monotonic()
        with (
            pytest.raises(Timeout, match="other callers hold the device"),
            turns.turn(0.1, "device x"),
        ):
            pass  # pragma: no cover
        assert 0.1 <= time.monotonic() - started < 1.0
    with pytest.raises(RuntimeError):
        turns.release()
