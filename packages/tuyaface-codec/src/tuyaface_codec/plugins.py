"""The plugin manager: built-in versions and backends register like outside plugins."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable
from types import ModuleType

import pluggy

from . import hookspecs

__all__ = [
    "BUILTIN_PLUGINS",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "default_plugin_manager",
    "make_plugin_manager",
    "register",
    "use_plugin_manager",
]

ENTRY_POINT_GROUP = "tuyaface"
DISABLE_ENV = "TUYAFACE_DISABLE_PLUGINS"

# name -> module; the name is what TUYAFACE_DISABLE_PLUGINS blocks.
BUILTIN_PLUGINS: dict[str, str] = {
    "v31": "tuyaface_codec.versions.v31",
    "v32": "tuyaface_codec.versions.v32",
    "v33": "tuyaface_codec.versions.v33",
    "v34": "tuyaface_codec.versions.v34",
    "v35": "tuyaface_codec.versions.v35",
    "crypto": "tuyaface_codec.crypto.builtin",
}

_default: pluggy.PluginManager | None = None


def _blocked_names() -> list[str]:
    return [name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()]


def make_plugin_manager(
    *,
    hookspec_modules: Iterable[ModuleType] = (),
    builtins: dict[str, str] | None = None,
    load_entry_points: bool = True,
) -> pluggy.PluginManager:
    """A new manager with the codec's hookspecs (plus `hookspec_modules`), the built-ins
    (plus `builtins`, name -> module path) and the `tuyaface` entry points.

    Names listed in $TUYAFACE_DISABLE_PLUGINS (comma separated) are blocked.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for module in hookspec_modules:
        manager.add_hookspecs(module)
    for name in _blocked_names():
        manager.set_blocked(name)
    for name, module_path in {**BUILTIN_PLUGINS, **(builtins or {})}.items():
        if not manager.is_blocked(name):
            manager.register(importlib.import_module(module_path), name=name)
    if load_entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    return manager


def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, built on first use (nothing loads at import time)."""
    global _default
    if _default is None:
        _default = make_plugin_manager()
    return _default


def use_plugin_manager(manager: pluggy.PluginManager | None) -> None:
    """Make `manager` the process-wide one (None: build a fresh default on next use)."""
    global _default
    _default = manager


def register(plugin: object, name: str | None = None) -> str | None:
    """Register an outside plugin in the process-wide manager; returns its name."""
    return default_plugin_manager().register(plugin, name=name)
