"""The client's view of the one plugin registry (docs/design.md §4): the process-wide
pluggy manager shared by tuyaface-codec and tuyaface-transport, holding both packages'
hookspecs and built-ins and, once loaded, the installed plugins (entry point group
`tuyaface`). Devices, the simulator, discovery, the 1.x API and the CLI all ask it, so a
plugin registered at run time is seen by every one of them.

Built-ins answer without the entry-point scan. The scan runs once: on the first name the
built-ins do not know or the first listing of every name (never on a running event loop:
there a miss says to `await load_plugins()`), or when `load_plugins()` is awaited.
"""

from __future__ import annotations

import importlib
import os
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pluggy

from tuyaface_codec import LocalProtocolError, Protocol, get_protocol, protocols
from tuyaface_codec import plugins as codec_plugins
from tuyaface_codec.crypto.select import BACKEND_ENV
from tuyaface_transport import UnknownTransportError as _TransportLookupError
from tuyaface_transport import get_transport, transports
from tuyaface_transport import plugins as transport_plugins

if TYPE_CHECKING:
    from tuyaface_transport import TransportFactory

__all__ = [
    "UnknownTransportError",
    "default_plugin_manager",
    "load_plugins",
    "make_plugin_manager",
    "protocol_versions",
    "register",
    "resolve_plugins",
    "resolve_protocol",
    "resolve_transport",
    "transport_names",
    "unregister",
    "use_plugin_manager",
]


T = TypeVar("T")

# What a protocol or transport name resolved to, per manager, with the manager's registrations
# at that moment: reused while they are the same objects, so a register() or unregister()
# (which changes them) is seen at once and nothing is invalidated by hand. The three hook
# calls it saves were half of creating a Device (21 -> 11 us).
_HOOKS = (
    "tuyaface_provide_protocols",
    "tuyaface_provide_crypto_backends",
    "tuyaface_provide_transports",
)
_Registrations = tuple[list[object], ...]
_Key = tuple[str | None, ...]
_resolved: weakref.WeakKeyDictionary[
    pluggy.PluginManager, dict[_Key, tuple[_Registrations, object]]
] = weakref.WeakKeyDictionary()


def _registrations(manager: pluggy.PluginManager) -> _Registrations:
    """The hook implementations registered right now (new objects on each registration)."""
    hook = manager.hook
    found = []
    for name in _HOOKS:
        caller = getattr(hook, name, None)
        found.append(caller.get_hookimpls() if caller is not None else [])
    return tuple(found)


def _cached(manager: pluggy.PluginManager, key: _Key, resolve: Callable[[], T]) -> T:
    """`resolve()`, or its earlier answer for `key` if the registrations did not change."""
    now = _registrations(manager)
    answers = _resolved.get(manager)  # (setdefault would make a weak reference per call)
    if answers is None:
        answers = _resolved[manager] = {}
    known = answers.get(key)
    if known is not None and known[0] == now:  # HookImpl compares by identity
        return known[1]  # type: ignore[return-value]
    found = resolve()
    answers[key] = (_registrations(manager), found)  # after an entry-point scan, if any
    return found


class UnknownTransportError(LocalProtocolError, _TransportLookupError):
    """No transport plugin of that name: a TuyaError (a LocalProtocolError, as it was) and
    the transport package's UnknownTransportError (a LookupError), which it wraps."""


def make_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A new manager (not the process one) holding the codec's and the transport's hooks and
    built-ins ("v31" ... "v35", "crypto", "tcp", "asyncio", "loopback") and, unless
    `load_entry_points` is false, the installed plugins. Names in $TUYAFACE_DISABLE_PLUGINS
    (comma separated) are blocked."""
    manager = transport_plugins.add_to(codec_plugins.add_to(codec_plugins.new_manager()))
    if load_entry_points:
        codec_plugins.scan_entry_points(manager)
    return manager


def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager (the codec's and the transport's), built on first use."""
    codec_plugins.default_plugin_manager()
    return transport_plugins.default_plugin_manager()  # adopts the codec's: the same one


def use_plugin_manager(manager: pluggy.PluginManager | None) -> None:
    """Make `manager` the process-wide one (None: a new one on next use)."""
    codec_plugins.use_plugin_manager(manager)
    transport_plugins.use_plugin_manager(manager)


def register(plugin: object, name: str | None = None) -> str | None:
    """Register a plugin in the process-wide manager; every part of tuyaface sees it. A
    plugin implementing an unknown (misspelled) hook is refused with PluginValidationError."""
    default_plugin_manager()
    return codec_plugins.register(plugin, name)


def unregister(name: str) -> None:
    """Remove the plugin registered as `name` from the process-wide manager."""
    default_plugin_manager().unregister(name=name)


async def load_plugins() -> pluggy.PluginManager:
    """Load the installed plugins (entry point group `tuyaface`) into the process-wide
    manager, in the loop's default executor: the scan reads files and imports modules, so an
    asyncio application (Home Assistant, ...) awaits this once at start-up instead of having
    it block the loop. The same executor job loads `AsyncDevice`'s modules, which `import
    tuyaface` leaves out. Raises PluginValidationError for a plugin with a misspelled hook."""
    import asyncio  # loaded already (a loop is running); a blocking Device does without it

    manager = default_plugin_manager()
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _load_off_the_loop, manager)


def _load_off_the_loop(manager: pluggy.PluginManager) -> pluggy.PluginManager:
    codec_plugins.scan_entry_points(manager)
    importlib.import_module("tuyaface.async_device")  # so tuyaface.AsyncDevice imports nothing
    return manager


def protocol_versions(plugin_manager: pluggy.PluginManager | None = None) -> list[str]:
    """Every registered protocol version, sorted (the installed plugins loaded first)."""
    return protocols(plugin_manager or default_plugin_manager())


def transport_names(plugin_manager: pluggy.PluginManager | None = None) -> list[str]:
    """Every registered transport, sorted (the installed plugins loaded first)."""
    manager = plugin_manager or default_plugin_manager()
    if codec_plugins.can_scan(manager):
        codec_plugins.scan_entry_points(manager)
    return transports(manager)


def resolve_protocol(
    version: str | Protocol, plugin_manager: pluggy.PluginManager | None = None
) -> Protocol:
    """The `Protocol` for a version tag such as "3.3" (a `Protocol` is returned as it is);
    UnknownProtocolError if no plugin provides it."""
    if isinstance(version, Protocol):
        return version
    manager = plugin_manager or default_plugin_manager()
    key = ("protocol", version, os.environ.get(BACKEND_ENV))
    return _cached(manager, key, lambda: get_protocol(version, plugin_manager=manager))


def resolve_transport(
    transport: str | TransportFactory, plugin_manager: pluggy.PluginManager | None = None
) -> TransportFactory:
    """A transport factory by plugin name ("tcp", "asyncio", "loopback"), or the factory
    object given; UnknownTransportError if no plugin provides it."""
    if not isinstance(transport, str):
        return transport
    manager = plugin_manager or default_plugin_manager()
    key = ("transport", transport, None)
    return _cached(manager, key, lambda: _find_transport(transport, manager))


def resolve_plugins(
    version: str | Protocol,
    transport: str | TransportFactory,
    plugin_manager: pluggy.PluginManager | None = None,
) -> tuple[Protocol, TransportFactory]:
    """`resolve_protocol` then `resolve_transport` (a device's two plugins). Two names are
    remembered together, checked against one look at the registrations rather than two
    (with one weak reference fewer in `_cached`: AsyncDevice() 10.3 -> 7.8 us, best
    of 7 x 20,000; paired in-process A/B, 21 rounds: -1.4% client CPU per 3.3 set-up)."""
    if not (isinstance(version, str) and isinstance(transport, str)):
        return resolve_protocol(version, plugin_manager), resolve_transport(
            transport, plugin_manager
        )
    manager = plugin_manager or default_plugin_manager()
    key = ("device", version, transport, os.environ.get(BACKEND_ENV))
    return _cached(
        manager,
        key,
        lambda: (resolve_protocol(version, manager), resolve_transport(transport, manager)),
    )


def _find_transport(name: str, manager: pluggy.PluginManager) -> TransportFactory:
    try:
        found = codec_plugins.find(manager, lambda m: _transport_or_none(name, m))
        return found or get_transport(name, manager)
    except _TransportLookupError as exc:
        raise UnknownTransportError(f"{exc}{codec_plugins.not_found_hint(manager)}") from None


def _transport_or_none(name: str, manager: pluggy.PluginManager) -> TransportFactory | None:
    try:
        return get_transport(name, manager)
    except _TransportLookupError:
        return None
