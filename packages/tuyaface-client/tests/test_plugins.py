"""make_plugin_manager: versions and transports through one manager, blocking by name,
nothing loaded at import time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from simkit import DEV_ID, KEY, simulator

import tuyaface
from tuyaface import Device, UnknownProtocolError
from tuyaface.plugins import resolve_protocol, resolve_transport
from tuyaface_codec import LocalProtocolError
from tuyaface_transport import get_transport, transports


def test_one_manager_holds_versions_and_transports() -> None:
    manager = tuyaface.make_plugin_manager(load_entry_points=False)
    assert {"tcp", "asyncio", "loopback"} <= set(transports(manager))
    versions = {p.version for found in manager.hook.tuyaface_provide_protocols() for p in found}
    assert versions == {"3.1", "3.2", "3.3", "3.4", "3.5"}
    assert resolve_protocol("3.4", manager).version == "3.4"
    assert resolve_transport("loopback", manager).name == "loopback"


def test_disabled_plugins_are_not_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUYAFACE_DISABLE_PLUGINS", "loopback, v35")
    manager = tuyaface.make_plugin_manager(load_entry_points=False)
    with pytest.raises(LocalProtocolError, match="loopback"):
        resolve_transport("loopback", manager)
    with pytest.raises(UnknownProtocolError, match=r"3\.5"):
        Device(DEV_ID, KEY, "x", version="3.5", transport="tcp", plugin_manager=manager)
    assert resolve_protocol("3.3", manager).version == "3.3"


def test_a_factory_object_can_be_injected() -> None:
    with simulator("3.3", dps={"1": True}) as sim:
        factory = get_transport("loopback")
        device = Device(DEV_ID, KEY, sim.host, port=sim.port, version="3.3", transport=factory)
        assert device.status() == {"1": True}
        device.close()


LOADED_ON_FIRST_USE = (
    "tuyaface._legacy",
    "tuyaface.aescipher",
    "tuyaface.announce",
    "tuyaface.async_device",
    "tuyaface.backoff",
    "tuyaface.discovery",
    "tuyaface.simulator",
    "tuyaface_codec.udp",
    "tuyaface_transport.loopback",
    "tuyaface_transport.udp",
)


def test_import_tuyaface_loads_only_what_devices_need() -> None:
    script = f"""
import sys, tuyaface, tuyaface_codec.plugins as codec, tuyaface_transport.plugins as transport
early = [m for m in {LOADED_ON_FIRST_USE!r} if m in sys.modules]
assert not early, early
for module in ("click", "Crypto", "cffi", "importlib.metadata", "asyncio"):
    assert module not in sys.modules, module
assert codec._default is None and transport._default is None, "a manager at import time"
device = tuyaface.Device("dev", "0123456789abcdef", "127.0.0.1", version="3.5")
assert device.version == "3.5"
assert "Crypto" not in sys.modules, "pycryptodome imported although cryptography is used"
assert "importlib.metadata" not in sys.modules, "entry points scanned for a built-in"
from tuyaface import SimulatedDevice, discover, set_status, Announcer, helper
for name in tuyaface.__all__:
    getattr(tuyaface, name)
"""
    env = {k: v for k, v in os.environ.items() if k != "TUYAFACE_CRYPTO_BACKEND"}
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60, env=env)
