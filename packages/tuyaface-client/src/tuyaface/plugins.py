"""The client's plugin manager: protocol versions and transports, built-ins and outside
plugins registered the same way (docs/design.md §4). Nothing loads at import time."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from tuyaface_codec import (
    LocalProtocolError,
    Protocol,
    UnknownProtocolError,
    default_backend,
    get_protocol,
)
from tuyaface_codec import plugins as codec_plugins
from tuyaface_codec.crypto.select import BACKEND_ENV

if TYPE_CHECKING:
    from tuyaface_transport import TransportFactory

__all__ = [
    "default_plugin_manager",
    "make_plugin_manager",
    "resolve_protocol",
    "resolve_transport",
    "use_plugin_manager",
]

T = TypeVar("T")

_default: pluggy.PluginManager | None = None
_memo: dict[tuple[str, str], tuple[tuple[Any, ...], Any]] = {}


def make_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A new manager holding the codec's and the transport's hooks, the built-in versions
    ("v31" ... "v35", "crypto") and transports ("tcp", "asyncio", "loopback"), and the
    `tuyaface` entry points. Names in $TUYAFACE_DISABLE_PLUGINS (comma separated) are
    blocked."""
    import tuyaface_transport
    from tuyaface_transport import hookspecs as transport_hookspecs

    return codec_plugins.make_plugin_manager(
        hookspec_modules=[transport_hookspecs],
        builtins=tuyaface_transport.BUILTIN_PLUGINS,
        load_entry_points=load_entry_points,
    )


def default_plugin_manager() -> pluggy.PluginManager:
    """The client's process-wide manager, built on first use."""
    global _default
    if _default is None:
        _default = make_plugin_manager()
    return _default


def use_plugin_manager(manager: pluggy.PluginManager | None) -> None:
    """Make `manager` the client's process-wide one (None: build a fresh one on next use)."""
    global _default
    _default = manager


def resolve_protocol(
    version: str | Protocol, plugin_manager: pluggy.PluginManager | None = None
) -> Protocol:
    """The `Protocol` for a version tag such as "3.3" (a `Protocol` is returned as it is).

    With `plugin_manager`, the versions registered there; else the codec's registry.
    """
    if isinstance(version, Protocol):
        return version
    manager = plugin_manager or codec_plugins.default_plugin_manager()
    backends = codec_plugins.default_plugin_manager().hook.tuyaface_provide_crypto_backends
    hooks = (manager.hook.tuyaface_provide_protocols, backends)
    if plugin_manager is None:
        return _remembered("protocol", version, manager, hooks, lambda: get_protocol(version))
    return _remembered("protocol", version, manager, hooks, lambda: _provided(manager, version))


def _provided(manager: pluggy.PluginManager, version: str) -> Protocol:
    for provided in manager.hook.tuyaface_provide_protocols():
        for protocol in provided:
            if isinstance(protocol, Protocol) and protocol.version == version:
                return protocol.with_crypto(default_backend())
    raise UnknownProtocolError(
        f"unknown protocol version {version!r}: use '3.1' ... '3.5', and check that its "
        "plugin is not blocked by $TUYAFACE_DISABLE_PLUGINS"
    )


def _remembered(
    kind: str,
    name: str,
    manager: pluggy.PluginManager,
    hooks: tuple[Any, ...],
    look_up: Callable[[], T],
) -> T:
    """`look_up()`, or its earlier result while nothing it depends on changed: the same
    manager, the same plugins answering `hooks` (compared by identity), the same
    $TUYAFACE_CRYPTO_BACKEND. Each lookup calls plugin hooks and copies the protocol: about
    half the cost of creating a device, and a copy per device with thousands of them."""
    state = (manager, *(hook.get_hookimpls() for hook in hooks), os.environ.get(BACKEND_ENV))
    known = _memo.get((kind, name))
    if known is not None and known[0] == state:
        result: T = known[1]
        return result
    result = look_up()
    _memo[(kind, name)] = (state, result)
    return result


def resolve_transport(
    transport: str | TransportFactory, plugin_manager: pluggy.PluginManager | None = None
) -> TransportFactory:
    """A transport factory by plugin name ("tcp", "asyncio", "loopback"), or the factory
    object given."""
    if not isinstance(transport, str):
        return transport
    from tuyaface_transport import UnknownTransportError, get_transport

    manager = plugin_manager or default_plugin_manager()
    hooks = (manager.hook.tuyaface_provide_transports,)
    try:
        return _remembered(
            "transport", transport, manager, hooks, lambda: get_transport(transport, manager)
        )
    except UnknownTransportError as exc:
        raise LocalProtocolError(str(exc)) from None
