"""One error tree (issue 11, item 5): a bad argument to any public call raises a TuyaError
that is also a ValueError or TypeError, before any I/O; every class of the tree is importable
from `tuyaface`."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from simkit import DEV_ID, KEY, simulator

import tuyaface
import tuyaface_codec.errors
from tuyaface import (
    AsyncDevice,
    Device,
    LocalProtocolError,
    ScanOptions,
    SimulatedDevice,
    TuyaError,
    discover,
)

GOOD = {"dev_id": DEV_ID, "local_key": KEY, "host": "127.0.0.1", "version": "3.3"}

# Each bad argument to Device / AsyncDevice, and the words its message must contain.
DEVICE_ARGUMENTS: dict[str, tuple[dict[str, Any], str]] = {
    "short key": ({"local_key": "short"}, "16"),
    "long key": ({"local_key": b"0123456789abcdef0"}, "16"),
    "key not text": ({"local_key": 12345}, "16"),
    "no key": ({"local_key": None}, "key"),
    "key outside Latin-1": ({"local_key": "0123456789abcde€"}, "Latin-1"),
    "empty device id": ({"dev_id": ""}, "device id"),
    "device id not text": ({"dev_id": 5}, "device id"),
    "empty host": ({"host": ""}, "host"),
    "host not text": ({"host": 5}, "host"),
    "zero timeout": ({"timeout": 0}, "timeout"),
    "negative timeout": ({"timeout": -1}, "timeout"),
    "timeout not a number": ({"timeout": "5"}, "timeout"),
    "NaN timeout": ({"timeout": float("nan")}, "timeout"),
    "infinite timeout": ({"timeout": float("inf")}, "timeout"),
    "negative heartbeat": ({"heartbeat_interval": -1}, "heartbeat_interval"),
    "heartbeat not a number": ({"heartbeat_interval": "9"}, "heartbeat_interval"),
    "version without a dot": ({"version": "3"}, "version"),
    "version not a tag": ({"version": "v3.3"}, "version"),
    "version as a float": ({"version": 3.3}, "version"),
    "no version": ({"version": None}, "version"),
    "negative port": ({"port": -1}, "port"),
    "port zero": ({"port": 0}, "port"),
    "port too big": ({"port": 70000}, "port"),
    "port as text": ({"port": "6668"}, "port"),
    "port as a bool": ({"port": True}, "port"),
    "cid not text": ({"cid": 5}, "cid"),
    "DP ids not numbers": ({"dp_ids": ["x"]}, "DP ids"),
    "DP ids not a list": ({"dp_ids": 5}, "DP ids"),
    "transport not a factory": ({"transport": 5}, "transport"),
}

SIMULATOR_ARGUMENTS: dict[str, tuple[dict[str, Any], str]] = {
    "short key": ({"local_key": "short"}, "16"),
    "device id not text": ({"dev_id": 5}, "dev_id"),
    "version without a dot": ({"version": "3"}, "version"),
    "version as a float": ({"version": 3.3}, "version"),
    "negative reply delay": ({"reply_delay": -1}, "reply_delay"),
    "zero idle timeout": ({"idle_timeout": 0}, "idle_timeout"),
    "dps not a dict": ({"dps": [1]}, "dict"),
}

LEGACY_DEVICE = {"deviceid": DEV_ID, "localkey": KEY, "ip": "127.0.0.1", "protocol": "3.3"}

LEGACY_DICTS: dict[str, tuple[dict[str, Any], str]] = {
    "no device id": ({"deviceid": None}, "deviceid"),
    "no key": ({"localkey": ""}, "localkey"),
    "short key": ({"localkey": "short"}, "16"),
    "port not a number": ({"port": "x"}, "port"),
    "port too big": ({"port": 70000}, "port"),
    "timeout not a number": ({"timeout": "x"}, "timeout"),
    "negative timeout": ({"timeout": -1}, "timeout"),
    "malformed version": ({"protocol": "three"}, "version"),
    "unknown status command": ({"pref_status_cmd": 99}, "pref_status_cmd"),
}


def is_bad_argument(error: BaseException) -> bool:
    """A TuyaError, and a ValueError or a TypeError."""
    return isinstance(error, TuyaError) and isinstance(error, (ValueError, TypeError))


def expect_bad_argument(call: Callable[[], object], words: str) -> BaseException:
    with pytest.raises(TuyaError) as caught:
        call()
    assert is_bad_argument(caught.value), type(caught.value).__mro__
    assert words in str(caught.value)
    assert KEY not in str(caught.value)
    return caught.value


@pytest.mark.parametrize("cls", [Device, AsyncDevice])
@pytest.mark.parametrize(
    ("changes", "words"), DEVICE_ARGUMENTS.values(), ids=list(DEVICE_ARGUMENTS)
)
def test_bad_device_arguments(cls: type[Any], changes: dict[str, Any], words: str) -> None:
    expect_bad_argument(lambda: cls(**(GOOD | changes)), words)


@pytest.mark.parametrize(
    ("changes", "words"), SIMULATOR_ARGUMENTS.values(), ids=list(SIMULATOR_ARGUMENTS)
)
def test_bad_simulator_arguments(changes: dict[str, Any], words: str) -> None:
    arguments = {"dev_id": DEV_ID, "local_key": KEY} | changes
    expect_bad_argument(lambda: SimulatedDevice(**arguments), words)


def test_a_simulator_knob_is_checked_when_changed() -> None:
    device = SimulatedDevice(DEV_ID, KEY)
    expect_bad_argument(lambda: setattr(device, "reply_delay", -0.5), "reply_delay")


@pytest.mark.parametrize("port", [-1, 70000, "6668"])
def test_bad_simulator_ports(port: Any) -> None:
    device = SimulatedDevice(DEV_ID, KEY)

    async def serve() -> None:
        async with device.serve(port=port):
            pass  # pragma: no cover - never listens

    expect_bad_argument(lambda: asyncio.run(serve()), "port")
    expect_bad_argument(lambda: device.serve_in_thread(port=port), "port")


@pytest.mark.parametrize(
    ("changes", "words"), LEGACY_DICTS.values(), ids=list(LEGACY_DICTS)
)
@pytest.mark.parametrize("call", ["status", "set_status", "set_state"])
def test_bad_legacy_device_dicts(call: str, changes: dict[str, Any], words: str) -> None:
    device = LEGACY_DEVICE | changes
    calls: dict[str, Callable[[], object]] = {
        "status": lambda: tuyaface.status(device),
        "set_status": lambda: tuyaface.set_status(device, {"1": True}),
        "set_state": lambda: tuyaface.set_state(device, True),
    }
    expect_bad_argument(calls[call], words)


# Bad arguments to a connected device's calls; `call` gets the blocking face of it.
CALLS: dict[str, tuple[Callable[[Any], object], str]] = {
    "no DPs to set": (lambda device: device.set_status({}), "at least one DP"),
    "DPs not a dict": (lambda device: device.set_status([("1", True)]), "dict"),
    "DPs None": (lambda device: device.set_status(None), "DP"),
    "a DP value JSON cannot hold": (lambda device: device.set_status({"1": object()}), "JSON"),
    "refresh of a DP that is no number": (lambda device: device.refresh(["x"]), "DP ids"),
    "refresh of a single id": (lambda device: device.refresh(5), "DP ids"),
}


class Blocking:
    """Run an AsyncDevice's calls to completion, one event loop for the whole test."""

    def __init__(self, device: AsyncDevice, runner: asyncio.Runner) -> None:
        self._device, self._runner = device, runner

    def __getattr__(self, name: str) -> Callable[..., object]:
        method = getattr(self._device, name)

        def call(*args: Any) -> object:
            result = method(*args)
            return self._runner.run(result) if inspect.isawaitable(result) else result

        return call


@pytest.mark.parametrize(("act", "words"), CALLS.values(), ids=list(CALLS))
def test_bad_call_arguments(act: Callable[[Any], object], words: str) -> None:
    with simulator("3.3", "loopback") as sim:
        options = GOOD | {"host": sim.host, "port": sim.port, "transport": sim.transport}
        with Device(**options) as device:
            device.status()
            expect_bad_argument(lambda: act(device), words)
            assert device.status() == {"1": False}  # the connection is still good
        with asyncio.Runner() as runner:
            async_device = AsyncDevice(**options)
            try:
                face = Blocking(async_device, runner)
                face.status()
                expect_bad_argument(lambda: act(face), words)
                assert face.status() == {"1": False}
            finally:
                runner.run(async_device.aclose())


def test_bad_wait_for_push_timeout() -> None:
    with Device(**GOOD) as device:
        expect_bad_argument(lambda: device.wait_for_push(-1), "timeout")


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: discover(0), "timeout"),
        (lambda: discover("6"), "timeout"),
        (lambda: ScanOptions(request_interval=0), "request_interval"),
        (lambda: ScanOptions(reply_ip="not an address"), "reply_ip"),
    ],
    ids=["zero scan timeout", "scan timeout as text", "zero request interval", "bad reply ip"],
)
def test_bad_discovery_arguments(call: Callable[[], object], words: str) -> None:
    expect_bad_argument(call, words)


def test_old_catches_still_work() -> None:
    """Callers that caught LocalProtocolError for a bad key or timeout still do."""
    with pytest.raises(LocalProtocolError):
        Device(**(GOOD | {"local_key": "short"}))
    with pytest.raises(LocalProtocolError):
        Device(**(GOOD | {"timeout": 0}))
    with pytest.raises(ValueError, match="16"):
        Device(**(GOOD | {"local_key": "short"}))
    with pytest.raises(TypeError, match="port"):
        Device(**(GOOD | {"port": "6668"}))


def tree() -> list[type[BaseException]]:
    """Every error class the codec's errors module defines."""
    classes = [getattr(tuyaface_codec.errors, name) for name in tuyaface_codec.errors.__all__]
    return [cls for cls in classes if isinstance(cls, type) and issubclass(cls, TuyaError)]


def test_every_error_of_the_tree_is_importable_from_tuyaface() -> None:
    assert len(tree()) >= 18
    for cls in tree():
        assert getattr(tuyaface, cls.__name__) is cls
        assert cls.__name__ in tuyaface.__all__
