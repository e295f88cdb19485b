"""Transports are found by name through the pluggy hook, built-ins and outside plugins alike."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pluggy
import pytest

import tuyaface_transport
from tuyaface_transport import (
    AsyncTransport,
    LoopbackListener,
    LoopbackTransport,
    Transport,
    TransportFactory,
    UnknownTransportError,
    get_transport,
    hookimpl,
    make_plugin_manager,
    transports,
)
from tuyaface_transport.plugins import BUILTIN_PLUGINS, DISABLE_ENV


def test_builtins_by_name() -> None:
    assert transports() == ["asyncio", "loopback", "tcp"]
    for name in ("tcp", "asyncio", "loopback"):
        factory = get_transport(name)
        assert factory.name == name
        assert isinstance(factory, TransportFactory)


def test_builtins_are_registered_as_plugins() -> None:
    manager = make_plugin_manager(load_entry_points=False)
    for name, plugin in BUILTIN_PLUGINS.items():
        assert manager.get_plugin(name) is plugin


def test_unknown_name() -> None:
    with pytest.raises(UnknownTransportError, match="registered: asyncio, loopback, tcp"):
        get_transport("carrier-pigeon")


class _Named:
    """An outside transport: loopback connections under another name."""

    name = "custom"

    def connect(self, host: str, port: int, *, timeout: float) -> Transport:
        return get_transport("loopback").connect(host, port, timeout=timeout)

    async def aconnect(self, host: str, port: int, *, timeout: float) -> AsyncTransport:
        return await get_transport("loopback").aconnect(host, port, timeout=timeout)

    async def start_server(self, host: str, port: int, handler: object) -> object:
        raise NotImplementedError


class _Plugin:
    @hookimpl
    def tuyaface_provide_transports(self) -> list[_Named]:
        return [_Named()]


def test_an_outside_plugin_registers_like_the_builtins() -> None:
    manager = make_plugin_manager(load_entry_points=False)
    manager.register(_Plugin(), name="custom")
    assert transports(manager) == ["asyncio", "custom", "loopback", "tcp"]
    with LoopbackListener("outside", 1) as listener:
        connection = get_transport("custom", manager).connect("outside", 1, timeout=1)
        assert isinstance(connection, LoopbackTransport)
        connection.send(b"via the plugin")
        assert listener.accept(1).receive(1) == b"via the plugin"


def test_disabled_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISABLE_ENV, "loopback, v33")
    manager = make_plugin_manager(load_entry_points=False)
    assert transports(manager) == ["asyncio", "tcp"]


def test_the_process_manager_is_shared_with_the_codec() -> None:
    """Whichever package builds the process manager first, the other adopts it: a transport
    registered through the codec is found here, and the codec's versions are in it."""
    codec = pytest.importorskip("tuyaface_codec")
    from tuyaface_transport import plugins

    plugins.use_plugin_manager(None)  # both slots: a new shared manager on next use
    try:
        manager = plugins.default_plugin_manager()
        assert codec.plugins.default_plugin_manager() is manager
        codec.register(_Plugin(), name="custom")
        assert get_transport("custom").name == "custom"
        assert "3.3" in codec.protocols()
    finally:
        plugins.use_plugin_manager(None)


def test_add_to_puts_the_transports_in_any_manager() -> None:
    manager = tuyaface_transport.plugins.add_to(pluggy.PluginManager("tuyaface"))
    assert transports(manager) == ["asyncio", "loopback", "tcp"]
    assert tuyaface_transport.plugins.add_to(manager) is manager  # again: no change


def test_the_transport_alone_imports_no_codec() -> None:
    script = (
        "import sys, tuyaface_transport as t\n"
        "assert t.get_transport('tcp').name == 'tcp'\n"
        "assert 'tuyaface_codec' not in sys.modules\n"
        "assert 'tuyaface_transport.loopback' not in sys.modules  # loaded on first use\n"
        "assert t.get_transport('loopback').name == 'loopback'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)


def test_fixtures_are_not_a_pytest11_entry_point() -> None:
    modules = {ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    assert not any(value.startswith("tuyaface_transport") for value in modules)


def test_fixture_loopback_pair(loopback_pair: tuple[LoopbackTransport, LoopbackTransport]) -> None:
    client, server = loopback_pair
    client.send(b"ping")
    assert server.receive(1) == b"ping"


async def test_fixture_loopback_listener_async_view(loopback_listener: LoopbackListener) -> None:
    client = await loopback_listener.aconnect()
    server = loopback_listener.accept(1).as_async()
    await server.send(b"pong")
    assert await client.receive(1) == b"pong"


async def test_fixture_tcp_listener(tcp_listener: object) -> None:
    import socket

    assert isinstance(tcp_listener, socket.socket)
    host, port = tcp_listener.getsockname()
    assert host == "127.0.0.1" and port > 0
    with get_transport("tcp").connect(host, port, timeout=1) as client:
        accepted, _ = tcp_listener.accept()
        with accepted:
            accepted.sendall(b"hi")
            assert client.receive(1) == b"hi"
