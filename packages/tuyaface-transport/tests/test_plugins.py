"""Transports are found by name through the pluggy hook, built-ins and outside plugins alike."""

from __future__ import annotations

import importlib.metadata

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
    for name, module in BUILTIN_PLUGINS.items():
        assert manager.get_plugin(name) is importlib.import_module(module)


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


def test_one_manager_with_the_codec_hooks() -> None:
    codec_plugins = pytest.importorskip("tuyaface_codec.plugins")
    manager = codec_plugins.make_plugin_manager(
        hookspec_modules=[tuyaface_transport.hookspecs],
        builtins=tuyaface_transport.BUILTIN_PLUGINS,
        load_entry_points=False,
    )
    assert transports(manager) == ["asyncio", "loopback", "tcp"]
    assert manager.hook.tuyaface_provide_protocols()


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
