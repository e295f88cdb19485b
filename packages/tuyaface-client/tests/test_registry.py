"""One plugin registry: the codec, the transport and the client share the process manager,
so what is registered through any of them is seen by all; unknown names are TuyaErrors and
LookupErrors; a plugin with a misspelled hook is refused, named."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest
from simkit import DEV_ID, KEY, simulator

import tuyaface
import tuyaface_codec
import tuyaface_transport
from tuyaface import Device, SimulatedDevice, TuyaError, UnknownProtocolError
from tuyaface.plugins import (
    UnknownTransportError,
    default_plugin_manager,
    make_plugin_manager,
    resolve_protocol,
    resolve_transport,
    use_plugin_manager,
)
from tuyaface_codec import Protocol, hookimpl
from tuyaface_codec.versions import v33
from tuyaface_transport.aio import AsyncioFactory


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    """Each test starts and ends with a new process manager (what it registers goes away)."""
    use_plugin_manager(None)
    yield
    use_plugin_manager(None)


class Version98:
    """An outside protocol plugin: 3.3 under the tag "9.8"."""

    @hookimpl
    def tuyaface_provide_protocols(self) -> list[Protocol]:
        cipher = v33.PROTOCOL.cipher.replace(tag=b"9.8")
        return [v33.PROTOCOL.replace(version="9.8", cipher=cipher)]


class Other(AsyncioFactory):
    name = "other"


class OtherTransport:
    @hookimpl
    def tuyaface_provide_transports(self) -> list[Any]:
        return [Other()]


class Misspelled:
    @hookimpl
    def tuyaface_provide_protocol(self) -> list[Protocol]:  # the "s" is missing
        return []


def test_the_codec_the_transport_and_the_client_share_one_manager() -> None:
    from tuyaface_codec import plugins as codec
    from tuyaface_transport import plugins as transport

    manager = default_plugin_manager()
    assert codec.default_plugin_manager() is manager is transport.default_plugin_manager()
    assert {"v33", "crypto", "tcp", "asyncio", "loopback"} <= {
        name for name, _ in manager.list_name_plugin()
    }


def test_a_version_registered_through_the_client_reaches_device_and_codec() -> None:
    with pytest.raises(UnknownProtocolError):
        Device(DEV_ID, KEY, "127.0.0.1", version="9.8")
    tuyaface.register(Version98(), name="v98")
    assert tuyaface_codec.get_protocol("9.8").version == "9.8"
    assert "9.8" in tuyaface_codec.protocols()
    with simulator("9.8", dps={"1": True}) as sim:
        device = Device(DEV_ID, KEY, sim.host, port=sim.port, version="9.8", transport="loopback")
        with device:
            assert device.status() == {"1": True}


def test_a_transport_registered_through_the_codec_reaches_device_and_transport() -> None:
    with pytest.raises(LookupError):
        tuyaface_transport.get_transport("other")
    tuyaface_codec.register(OtherTransport(), name="other")
    assert tuyaface_transport.get_transport("other").name == "other"
    device = Device(DEV_ID, KEY, "127.0.0.1", version="3.3", transport="other")
    assert resolve_transport("other").name == "other"
    assert repr(device).endswith("v3.3>")


def test_an_unregistered_plugin_is_gone_for_everyone() -> None:
    tuyaface.register(Version98(), name="v98")
    assert resolve_protocol("9.8").version == "9.8"
    tuyaface.plugins.unregister("v98")
    with pytest.raises(UnknownProtocolError, match=r"9\.8"):
        resolve_protocol("9.8")


class CountingProtocols:
    """Provides nothing new; counts how often the registry asks it."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    def tuyaface_provide_protocols(self) -> list[Protocol]:
        self.calls += 1
        return []


class OtherAsyncio:
    """A transport plugin overriding the built-in "asyncio" (the last registered wins)."""

    @hookimpl
    def tuyaface_provide_transports(self) -> list[Any]:
        factory = Other()
        factory.name = "asyncio"
        return [factory]


def test_devices_resolve_without_asking_the_hooks_again() -> None:
    counter = CountingProtocols()
    tuyaface.register(counter, name="counting")
    for _ in range(3):
        Device(DEV_ID, KEY, "127.0.0.1", version="3.4")
    assert counter.calls == 1  # one lookup; the next devices reuse it
    tuyaface.register(Version98(), name="v98")  # a registration: the answer is looked up again
    assert resolve_protocol("9.8").version == "9.8"
    Device(DEV_ID, KEY, "127.0.0.1", version="3.4")
    assert counter.calls == 3


def test_a_runtime_registration_replaces_a_resolved_transport_and_unregistering_restores_it() -> (
    None
):
    builtin = resolve_transport("asyncio")
    tuyaface.register(OtherAsyncio(), name="other-asyncio")
    assert isinstance(resolve_transport("asyncio"), Other)
    tuyaface.plugins.unregister("other-asyncio")
    assert resolve_transport("asyncio") is builtin


def test_a_device_sees_a_runtime_transport_override_and_its_removal() -> None:
    """A device's protocol and transport are remembered together (`resolve_plugins`): a
    registration or an unregistration still reaches the next device."""
    builtin = Device(DEV_ID, KEY, "127.0.0.1", version="3.3", transport="asyncio")._core.factory
    tuyaface.register(OtherAsyncio(), name="other-asyncio")
    device = Device(DEV_ID, KEY, "127.0.0.1", version="3.3", transport="asyncio")
    assert isinstance(device._core.factory, Other)
    tuyaface.plugins.unregister("other-asyncio")
    device = Device(DEV_ID, KEY, "127.0.0.1", version="3.3", transport="asyncio")
    assert device._core.factory is builtin


def test_unknown_names_are_tuya_errors_and_lookup_errors() -> None:
    with pytest.raises(UnknownTransportError, match="nope") as transport:
        Device(DEV_ID, KEY, "127.0.0.1", version="3.3", transport="nope")
    assert isinstance(transport.value, TuyaError | LookupError)
    assert isinstance(transport.value, tuyaface_transport.UnknownTransportError)
    with pytest.raises(LookupError, match="nope"):
        tuyaface_transport.get_transport("nope")  # the transport alone: a LookupError
    with pytest.raises(tuyaface_codec.UnknownBackendError, match="nope") as backend:
        tuyaface_codec.get_backend("nope")
    assert isinstance(backend.value, TuyaError) and isinstance(backend.value, LookupError)
    with pytest.raises(UnknownProtocolError, match=r"9\.7") as protocol:
        Device(DEV_ID, KEY, "127.0.0.1", version="9.7")  # well formed, but no plugin has it
    assert isinstance(protocol.value, TuyaError) and isinstance(protocol.value, LookupError)
    with pytest.raises(ValueError, match="nope") as malformed:  # not a version at all
        Device(DEV_ID, KEY, "127.0.0.1", version="nope")
    assert isinstance(malformed.value, TuyaError)


def test_a_misspelled_hook_is_refused_naming_it() -> None:
    with pytest.raises(pluggy.PluginValidationError, match="tuyaface_provide_protocol"):
        tuyaface.register(Misspelled(), name="misspelled")
    assert not default_plugin_manager().has_plugin("misspelled")


def test_devices_share_one_protocol_object() -> None:
    assert resolve_protocol("3.4") is resolve_protocol("3.4")
    manager = make_plugin_manager(load_entry_points=False)
    assert resolve_protocol("3.4", manager) is resolve_protocol("3.4", manager)


def test_the_simulator_takes_a_plugin_manager() -> None:
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(Version98(), name="v98")
    simulated = SimulatedDevice(DEV_ID, KEY, version="9.8", plugin_manager=manager)
    assert simulated.protocol.version == "9.8"
    with pytest.raises(UnknownProtocolError, match=r"9\.8"):
        SimulatedDevice(DEV_ID, KEY, version="9.8")  # not in the process registry


def test_the_simulator_names_an_unknown_version() -> None:
    with pytest.raises(UnknownProtocolError, match=r"7\.7"):
        SimulatedDevice(DEV_ID, KEY, version="7.7")


def test_an_installed_plugin_with_a_misspelled_hook_fails_loudly(tmp_path: Path) -> None:
    """A distribution on sys.path declaring a `tuyaface` entry point whose module misspells a
    hook: the first scan raises, naming the hook and the module."""
    (tmp_path / "badly_spelled_plugin.py").write_text(
        "from tuyaface_codec import hookimpl\n\n"
        "@hookimpl\ndef tuyaface_provide_transport():\n    return []\n",
        encoding="utf-8",
    )
    info = tmp_path / "badly_spelled_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: badly-spelled-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[tuyaface]\nbadly = badly_spelled_plugin\n", encoding="utf-8"
    )
    script = "import tuyaface.plugins as p; p.protocol_versions()"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode != 0
    assert "tuyaface_provide_transport" in result.stderr
    assert "badly_spelled_plugin" in result.stderr
    assert "PluginValidationError" in result.stderr


def test_a_runtime_registration_reaches_the_1x_api_and_the_command_line() -> None:
    from legacykit import legacy_dict
    from test_cli_device import run

    tuyaface.register(Version98(), name="v98")
    with simulator("9.8", "tcp", dps={"1": True}) as sim:
        assert tuyaface.status(legacy_dict(sim))["dps"] == {"1": True}
        result = run(
            "status", "--id", DEV_ID, "--key", KEY, "--ip", sim.host, "--port", str(sim.port),
            "--version", "9.8", "--timeout", "2", "--json",
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert '"1": true' in result.stdout
