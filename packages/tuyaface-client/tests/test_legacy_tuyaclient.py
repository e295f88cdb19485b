"""tuyaface.tuyaclient.TuyaClient: the 1.x persistent client thread."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from legacykit import Recorder, legacy_dict, unreachable_dict
from simkit import DEV_ID, QUICK, simulator

from tuyaface import NetworkError, SimulatedDevice, Timeout, TuyaError
from tuyaface.tuyaclient import TuyaClient
from tuyaface_codec import LocalProtocolError

STOP_BOUND = 8.0  # the dict's default timeout (5 s) + 2 s, and some slack


def stopped(client: TuyaClient) -> float:
    """Stop the client; how long it took."""
    started = time.monotonic()
    client.stop_client()
    took = time.monotonic() - started
    assert not client.is_alive()
    assert took < STOP_BOUND
    return took


def test_the_1x_readme_example_runs_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    sim_device = SimulatedDevice(
        "34280100600194d17c96", "e7e9339aa82abe61", version="3.3", dps={"1": True}
    )
    with sim_device.serve_in_thread(transport="tcp") as sim:
        # -- the 1.x README example; only 'ip' points at the simulator, plus its 'port' --
        from tuyaface.tuyaclient import TuyaClient

        def on_status(data: dict):  # type: ignore[type-arg]
            print(data)

        def on_connection(value: bool):  # type: ignore[no-untyped-def]
            print(value)

        device = {
            "protocol": "3.3",
            "deviceid": "34280100600194d17c96",
            "localkey": "e7e9339aa82abe61",
            "ip": "127.0.0.1",
            "port": sim.port,
        }
        client = TuyaClient(device, on_status, on_connection)
        client.start()
        data = client.status()
        client.set_state(not data["dps"]["1"], 1)  # toggle
        client.stop_client()
        # -- end of the example --

        assert sim_device.dps == {"1": False}
        assert not client.is_alive()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "True"
    assert lines[-1] == "False"


def test_calls_on_every_version_and_transport(version: str, transport: str) -> None:
    with simulator(version, transport, dps={"1": True, "2": 3}) as sim:
        pushes, connection = Recorder(), Recorder()
        client = TuyaClient(legacy_dict(sim), pushes, connection)
        client.start()
        try:
            assert client.status() == {"devId": DEV_ID, "dps": {"1": True, "2": 3}}
            assert connection.next() is True
            assert client.set_state(False) == {"devId": DEV_ID, "dps": {"1": False}}
            assert pushes.next() == {"devId": DEV_ID, "dps": {"1": False}}
            client.set_status({2: 8})
            assert pushes.next() == {"devId": DEV_ID, "dps": {"2": 8}}
            assert sim.device.dps == {"1": False, "2": 8}
            book = client.device["tuyaface"]
            assert book["sequence_nr"] == 3
            assert book["status"]["dps"] == {"1": True, "2": 3}
            assert book["availability"] is True
        finally:
            stopped(client)
        assert connection.next() is False
        assert client.device["tuyaface"]["availability"] is False


def test_device_initiated_push_reaches_on_status() -> None:
    with simulator("3.4", "tcp", dps={"1": True}) as sim:
        pushes, connection = Recorder(), Recorder()
        client = TuyaClient(legacy_dict(sim), pushes, connection)
        client.start()
        try:
            assert connection.next() is True
            client.status()  # a round trip: the simulator has the connection by now
            assert sim.push({"1": False, "7": "scene"})  # a button pressed on the device
            assert pushes.next() == {"devId": DEV_ID, "dps": {"1": False, "7": "scene"}}
        finally:
            stopped(client)


def test_on_connection_follows_a_drop_and_the_reconnect() -> None:
    with simulator("3.3", "tcp", dps={"1": True}) as sim:
        pushes, connection = Recorder(), Recorder()
        client = TuyaClient(legacy_dict(sim), pushes, connection)
        client.start()
        try:
            assert connection.next() is True
            client.status()  # a round trip: the simulator has the connection by now
            assert sim.disconnect()  # the device drops us
            assert connection.next() is False
            assert connection.next(timeout=6.0) is True  # backoff about 1 s, then back
            assert client.status()["dps"] == {"1": True}
            assert sim.device.connections == 2
        finally:
            stopped(client)
        assert connection.next() is False
        assert connection.drain() == []  # each change reported once


def test_unreachable_device_reports_false_once_and_calls_fail() -> None:
    device = unreachable_dict()
    connection = Recorder()
    client = TuyaClient(device, on_connection=connection)
    client.start()
    try:
        assert connection.next() is False
        with pytest.raises(NetworkError):
            client.status()
        assert device["tuyaface"]["availability"] is False
    finally:
        stopped(client)
    assert connection.drain() == []


def test_stop_is_bounded_while_the_device_does_not_answer() -> None:
    with simulator("3.3", "tcp", dps={"1": True}, answering=False) as sim:
        client = TuyaClient(legacy_dict(sim, timeout=QUICK))
        client.start()
        started = time.monotonic()
        with pytest.raises(Timeout, match="no answer"):
            client.status()
        assert time.monotonic() - started < 2.0  # the reply timeout, not the outer bound
        assert stopped(client) < 3.0


def test_stop_releases_a_caller_waiting_for_an_answer() -> None:
    outcome: list[BaseException | dict[str, Any]] = []

    def ask() -> None:
        try:
            outcome.append(client.status())
        except TuyaError as exc:
            outcome.append(exc)

    with simulator("3.3", "tcp", dps={"1": True}, answering=False) as sim:
        client = TuyaClient(legacy_dict(sim, timeout=30.0))
        client.start()
        asking = threading.Thread(target=ask)
        asking.start()
        time.sleep(0.2)  # the request is on its way and unanswered (if not: stop fails it too)
        started = time.monotonic()
        stopped(client)
        asking.join(15.0)
        assert not asking.is_alive()
        assert time.monotonic() - started < 15.0  # released by the stop, not the 30 s timeout
    assert len(outcome) == 1
    assert isinstance(outcome[0], LocalProtocolError)


def test_calls_before_start_and_after_stop_say_what_to_do() -> None:
    with simulator("3.3", "tcp") as sim:
        client = TuyaClient(legacy_dict(sim))
        with pytest.raises(LocalProtocolError, match="start"):
            client.status()
        client.start()
        stopped(client)
        with pytest.raises(LocalProtocolError, match="stopped"):
            client.set_state(True)
        client.stop_client()  # twice is harmless


def test_stop_before_start_is_harmless() -> None:
    with simulator("3.3", "tcp") as sim:
        client = TuyaClient(legacy_dict(sim))
        client.stop_client()
        assert not client.is_alive()
        assert sim.device.connections == 0


def test_a_failing_callback_does_not_end_the_client(caplog: pytest.LogCaptureFixture) -> None:
    def broken(_: Any) -> None:
        raise RuntimeError("user bug")

    with simulator("3.3", "tcp", dps={"1": True}) as sim:
        client = TuyaClient(legacy_dict(sim), broken, broken)
        with caplog.at_level(logging.ERROR, logger="tuyaface.tuyaclient"):
            client.start()
            try:
                client.set_state(False)
                assert client.status()["dps"] == {"1": False}
            finally:
                stopped(client)
        assert "callback" in caplog.text


def test_client_calls_from_a_callback_are_refused() -> None:
    errors: list[BaseException] = []
    done = threading.Event()

    def on_connection(value: bool) -> None:
        if value:
            try:
                client.status()
            except LocalProtocolError as exc:
                errors.append(exc)
            done.set()

    with simulator("3.3", "tcp") as sim:
        client = TuyaClient(legacy_dict(sim), on_connection=on_connection)
        client.start()
        try:
            assert done.wait(3.0)
        finally:
            stopped(client)
    assert len(errors) == 1
    assert "another thread" in str(errors[0])


def test_stop_from_a_callback_ends_the_thread() -> None:
    def on_connection(value: bool) -> None:
        if value:
            client.stop_client()

    with simulator("3.3", "tcp") as sim:
        client = TuyaClient(legacy_dict(sim), on_connection=on_connection)
        client.start()
        client.join(STOP_BOUND)
        assert not client.is_alive()


def test_takes_over_the_connection_the_functions_kept() -> None:
    import tuyaface

    with simulator("3.3", "tcp", dps={"1": True}) as sim:
        device = legacy_dict(sim)
        tuyaface.status(device)  # keeps the device's one connection slot
        client = TuyaClient(device)
        client.start()
        try:
            assert client.status()["dps"] == {"1": True}
            assert device["tuyaface"]["connection"] is None
            assert sim.device.refused == 0
        finally:
            stopped(client)


def test_device22_is_learnt_and_honoured() -> None:
    with simulator("3.3", "tcp", device22=True, dps={"1": True}) as sim:
        device = legacy_dict(sim)
        client = TuyaClient(device)
        client.start()
        try:
            assert client.status()["dps"] == {"1": True}
        finally:
            stopped(client)
        assert device["tuyaface"]["pref_status_cmd"] == 13

        sim.device.requests.clear()
        again = TuyaClient(device)
        again.start()
        try:
            assert again.status()["dps"] == {"1": True}
        finally:
            stopped(again)
        # (heartbeats aside: AsyncDevice opens a 3.1-3.3 connection with one)
        assert [frame.cmd for frame in sim.device.requests if frame.cmd != 9] == [13]
