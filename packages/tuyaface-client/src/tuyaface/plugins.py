"""The client's plugin manager: protocol versions and transports, built-ins and outside
plugins registered the same way (DESIGN.md section 4). Nothing loads at import time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

from tuyaface_codec import (
    LocalProtocolError,
    Protocol,
    UnknownProtocolError,
    default_backend,
    get_protocol,
)
from tuyaface_codec import plugins as codec_plugins

if TYPE_CHECKING:
    from tuyaface_transport import TransportFactory

__all__ = [
    "default_plugin_manager",
    "make_plugin_manager",
    "resolve_protocol",
    "resolve_transport",
    "use_plugin_manager",
]

_default: pluggy.PluginManager | None = None
_shared: dict[str, list[Protocol]] = {}
_SHARED_PER_VERSION = 8


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
    if plugin_manager is None:
        return _one_copy(get_protocol(version))
    for provided in plugin_manager.hook.tuyaface_provide_protocols():
        for protocol in provided:
            if isinstance(protocol, Protocol) and protocol.version == version:
                return _one_copy(protocol.with_crypto(default_backend()))
    raise UnknownProtocolError(
        f"unknown protocol version {version!r}: use '3.1' ... '3.5', and check that its "
        "plugin is not blocked by $TUYAFACE_DISABLE_PLUGINS"
    )


def _one_copy(protocol: Protocol) -> Protocol:
    """An equal `Protocol` resolved before, if any: they are immutable, and every lookup
    makes a copy bound to the crypto backend; thousands of devices then share one."""
    known = _shared.setdefault(protocol.version, [])
    for earlier in known:
        if earlier == protocol:
            return earlier
    if len(known) < _SHARED_PER_VERSION:
        known.append(protocol)
    return protocol


def resolve_transport(
    transport: str | TransportFactory, plugin_manager: pluggy.PluginManager | None = None
) -> TransportFactory:
    """A transport factory by plugin name ("tcp", "asyncio", "loopback"), or the factory
    object given."""
    if not isinstance(transport, str):
        return transport
    from tuyaface_transport import UnknownTransportError, get_transport

    try:
        return get_transport(transport, plugin_manager or default_plugin_manager())
    except UnknownTransportError as exc:
        raise LocalProtocolError(str(exc)) from None
