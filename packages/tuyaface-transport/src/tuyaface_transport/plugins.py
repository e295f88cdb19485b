"""Finding transports: built-ins register through the hook like outside plugins.

The process-wide manager is shared with tuyaface-codec when both are used (this package never
imports the codec): the `_default` slot here and in `tuyaface_codec.plugins` hold the same
manager; whichever package builds it first, the other adopts it (found in `sys.modules`) and
adds its own hookspecs and built-ins with `add_to`. The codec loads the entry points (lazily,
off the event loop); this package alone uses its built-ins and what `register()` adds.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Sequence
from types import ModuleType

import pluggy

from . import _asyncio_plugin as asyncio_plugin
from . import _loopback_plugin as loopback_plugin
from . import hookspecs, tcp
from .errors import UnknownTransportError
from .interfaces import TransportFactory

__all__ = [
    "BUILTIN_PLUGINS",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "REGISTRY_GROUP",
    "add_to",
    "default_plugin_manager",
    "get_transport",
    "make_plugin_manager",
    "register",
    "transports",
    "use_plugin_manager",
]

ENTRY_POINT_GROUP = "tuyaface"
REGISTRY_GROUP = "tuyaface.registry"
DISABLE_ENV = "TUYAFACE_DISABLE_PLUGINS"


def _hooks_of(module: ModuleType) -> ModuleType:
    """A plugin (or hookspec namespace) holding only the hooks of `module`: pluggy inspects
    every name of what it registers, so the built-ins register as these few-name namespaces
    rather than as their whole modules (half the cost of building the registry)."""
    plugin = ModuleType(module.__name__, module.__doc__)
    plugin.__dict__.update((k, v) for k, v in vars(module).items() if k.startswith("tuyaface_"))
    return plugin


_HOOKSPECS = _hooks_of(hookspecs)  # the same few-name trick for the hookspecs

# plugin name -> plugin providing `tuyaface_provide_transports`; the name is what
# $TUYAFACE_DISABLE_PLUGINS blocks.
BUILTIN_PLUGINS: dict[str, object] = {
    "tcp": _hooks_of(tcp),
    "asyncio": _hooks_of(asyncio_plugin),
    "loopback": _hooks_of(loopback_plugin),
}

# The other package that may hold the process manager: looked up, never imported.
_SIBLING = "tuyaface_codec.plugins"

_default: pluggy.PluginManager | None = None
# managers this package has added its hookspecs and built-ins to
_added: weakref.WeakSet[pluggy.PluginManager] = weakref.WeakSet()


def add_to(manager: pluggy.PluginManager) -> pluggy.PluginManager:
    """Add the transport's hookspec and built-ins to `manager` (again: no change)."""
    caller = getattr(manager.hook, "tuyaface_provide_transports", None)
    if caller is None or not caller.has_spec():
        manager.add_hookspecs(_HOOKSPECS)
    for name, plugin in BUILTIN_PLUGINS.items():
        if not manager.is_blocked(name) and not manager.has_plugin(name):
            manager.register(plugin, name=name)
    return manager


def _new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    for name in os.environ.get(DISABLE_ENV, "").split(","):
        if name.strip():
            manager.set_blocked(name.strip())
    return add_to(manager)


def make_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A new manager (not the process one) with the transport hookspec, the built-ins and,
    unless `load_entry_points` is false, the installed plugins: each project package's
    `add_to` (group `tuyaface.registry`), then group `tuyaface`, then `check_pending()` (a
    misspelled hook fails, named). Names in $TUYAFACE_DISABLE_PLUGINS are blocked."""
    manager = _new_manager()
    if load_entry_points:
        import importlib.metadata  # not at import time: it costs ~20 ms

        for point in importlib.metadata.entry_points(group=REGISTRY_GROUP):
            point.load()(manager)
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
        manager.check_pending()
    return manager


def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager (shared with tuyaface-codec), built on first use."""
    global _default
    if _default is None:
        _default = getattr(sys.modules.get(_SIBLING), "_default", None) or _new_manager()
    if _default not in _added:  # built by the other package, or given to use_plugin_manager
        _added.add(add_to(_default))
    return _default


def use_plugin_manager(manager: pluggy.PluginManager | None) -> None:
    """Make `manager` the process-wide one, for both packages (None: a new one on next use)."""
    global _default
    _default = manager
    sibling = sys.modules.get(_SIBLING)
    if sibling is not None:
        setattr(sibling, "_default", manager)  # noqa: B010 - typed as a plain module


def register(plugin: object, name: str | None = None) -> str | None:
    """Register an outside plugin in the process-wide manager; returns its name. A plugin
    implementing an unknown hook is refused (PluginValidationError naming it)."""
    manager = default_plugin_manager()
    registered = manager.register(plugin, name=name)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError:
        manager.unregister(plugin)
        raise
    return registered


def _registered(manager: pluggy.PluginManager) -> dict[str, TransportFactory]:
    found: dict[str, TransportFactory] = {}
    for provided in manager.hook.tuyaface_provide_transports():
        for factory in provided:
            found.setdefault(factory.name, factory)
    return found


def transports(plugin_manager: pluggy.PluginManager | None = None) -> list[str]:
    """Names of every registered transport, sorted."""
    return sorted(_registered(plugin_manager or default_plugin_manager()))


def get_transport(
    name: str, plugin_manager: pluggy.PluginManager | None = None
) -> TransportFactory:
    """The transport factory registered as `name` ("tcp", "asyncio", "loopback", ...);
    UnknownTransportError (a LookupError) if none is."""
    manager = plugin_manager or default_plugin_manager()
    provided: list[Sequence[TransportFactory]] = manager.hook.tuyaface_provide_transports()
    for factories in provided:
        for factory in factories:
            if factory.name == name:  # the last registered plugin wins, as in `_registered`
                return factory
    known = ", ".join(transports(manager)) or "none"
    raise UnknownTransportError(
        f"no transport named {name!r}; registered: {known}. "
        "Install or register the plugin that provides it."
    )
