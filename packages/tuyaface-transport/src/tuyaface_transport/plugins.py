"""Finding transports: built-ins register through the hook like outside plugins."""

from __future__ import annotations

import importlib
import os

import pluggy

from . import hookspecs
from .errors import UnknownTransportError
from .interfaces import TransportFactory

__all__ = [
    "BUILTIN_PLUGINS",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "default_plugin_manager",
    "get_transport",
    "make_plugin_manager",
    "transports",
    "use_plugin_manager",
]

ENTRY_POINT_GROUP = "tuyaface"
DISABLE_ENV = "TUYAFACE_DISABLE_PLUGINS"

# plugin name -> module path; a module provides `tuyaface_provide_transports`.
BUILTIN_PLUGINS: dict[str, str] = {
    "tcp": "tuyaface_transport.tcp",
    "asyncio": "tuyaface_transport.aio",
    "loopback": "tuyaface_transport.loopback.plugin",
}

_default: pluggy.PluginManager | None = None


def make_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """A manager with the transport hookspec, the built-ins and the `tuyaface` entry points.

    The client builds a bigger one (codec and transport hooks) with
    `tuyaface_codec.plugins.make_plugin_manager(hookspec_modules=[hookspecs],
    builtins=BUILTIN_PLUGINS)`; `get_transport` accepts either. Names listed in
    $TUYAFACE_DISABLE_PLUGINS (comma separated) are not registered.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in os.environ.get(DISABLE_ENV, "").split(","):
        if name.strip():
            manager.set_blocked(name.strip())
    for name, module_path in BUILTIN_PLUGINS.items():
        if not manager.is_blocked(name):
            manager.register(importlib.import_module(module_path), name=name)
    if load_entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return manager


def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager of this package, built on first use."""
    global _default
    if _default is None:
        _default = make_plugin_manager()
    return _default


def use_plugin_manager(manager: pluggy.PluginManager | None) -> None:
    """Make `manager` the one `get_transport` uses by default (None: a fresh one on next use)."""
    global _default
    _default = manager


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
    """The transport factory registered as `name` ("tcp", "asyncio", "loopback", ...)."""
    manager = plugin_manager or default_plugin_manager()
    try:
        return _registered(manager)[name]
    except KeyError:
        known = ", ".join(transports(manager)) or "none"
        raise UnknownTransportError(
            f"no transport named {name!r}; registered: {known}. "
            "Install or register the plugin that provides it."
        ) from None
