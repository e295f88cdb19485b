"""The plugin registry: one pluggy manager per process, shared with tuyaface-transport.

How the packages share it without importing each other:

- each package exposes `add_to(manager)`: it adds its own hookspecs and its built-in plugins
  (imported statically with the package, so adding them imports nothing) to any manager;
- the process-wide manager sits in the `_default` slot of this module and of
  `tuyaface_transport.plugins`; whichever package builds it first, the other one adopts it
  (found in `sys.modules`, never imported) and adds itself with `add_to`; `use_plugin_manager`
  fills both slots;
- installed packages of the project announce their `add_to` in the entry point group
  `tuyaface.registry`, so the entry-point scan sees every hookspec before `check_pending()`.

The entry-point scan (group `tuyaface`) runs once per manager, never on a running event loop:
built-ins answer without it; it runs on the first name the built-ins do not know, on the first
listing of every name, or when asked (`scan_entry_points`, `await tuyaface.load_plugins()`).
"""

from __future__ import annotations

import importlib
import os
import sys
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

import pluggy

from . import hookspecs
from .crypto import builtin as crypto_builtin
from .versions import v31, v32, v33, v34, v35

__all__ = [
    "BUILTIN_PLUGINS",
    "DISABLE_ENV",
    "ENTRY_POINT_GROUP",
    "REGISTRY_GROUP",
    "add_to",
    "can_scan",
    "check_plugins",
    "default_plugin_manager",
    "find",
    "not_found_hint",
    "scan_entry_points",
    "make_plugin_manager",
    "new_manager",
    "register",
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

# name -> plugin; the name is what TUYAFACE_DISABLE_PLUGINS blocks.
BUILTIN_PLUGINS: dict[str, object] = {
    "v31": _hooks_of(v31),
    "v32": _hooks_of(v32),
    "v33": _hooks_of(v33),
    "v34": _hooks_of(v34),
    "v35": _hooks_of(v35),
    "crypto": _hooks_of(crypto_builtin),
}

# The other package that may hold the process manager: looked up, never imported.
_SIBLING = "tuyaface_transport.plugins"

T = TypeVar("T")

_default: pluggy.PluginManager | None = None
# managers this package has added its hookspecs and built-ins to
_added: weakref.WeakSet[pluggy.PluginManager] = weakref.WeakSet()
_scanned: weakref.WeakSet[pluggy.PluginManager] = weakref.WeakSet()


def new_manager() -> pluggy.PluginManager:
    """An empty manager of project `tuyaface`, with $TUYAFACE_DISABLE_PLUGINS blocked."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    for name in os.environ.get(DISABLE_ENV, "").split(","):
        if name.strip():
            manager.set_blocked(name.strip())
    return manager


def add_to(manager: pluggy.PluginManager) -> pluggy.PluginManager:
    """Add the codec's hookspecs and built-ins to `manager` (again: no change)."""
    caller = getattr(manager.hook, "tuyaface_provide_protocols", None)
    if caller is None or not caller.has_spec():
        manager.add_hookspecs(_HOOKSPECS)
    for name, plugin in BUILTIN_PLUGINS.items():
        if not manager.is_blocked(name) and not manager.has_plugin(name):
            manager.register(plugin, name=name)
    return manager


def scan_entry_points(manager: pluggy.PluginManager) -> pluggy.PluginManager:
    """Scan the installed distributions once: each project package's `add_to` (group
    `tuyaface.registry`), then the plugins of group `tuyaface`; then `check_pending()`, so a
    plugin implementing an unknown (misspelled) hook fails here, named. Blocking: call it
    off the event loop (`await tuyaface.load_plugins()` does)."""
    if manager in _scanned:
        return manager
    import importlib.metadata  # not at import time: it costs ~20 ms

    found = importlib.metadata.entry_points()
    for point in found.select(group=REGISTRY_GROUP):
        point.load()(manager)
    for point in found.select(group=ENTRY_POINT_GROUP):
        if not manager.is_blocked(point.name) and not manager.has_plugin(point.name):
            manager.register(point.load(), name=point.name)
    check_plugins(manager)  # raises again on each later attempt until the plugin is fixed
    _scanned.add(manager)
    return manager


def check_plugins(manager: pluggy.PluginManager) -> None:
    """pluggy's `check_pending()`: a hook implementation no hookspec declares (a misspelled
    hook name) raises PluginValidationError naming the hook and the plugin."""
    manager.check_pending()


def can_scan(manager: pluggy.PluginManager) -> bool:
    """True when `manager` is the process manager, not scanned yet, and no event loop runs
    in this thread: a lookup that misses may then load the entry points."""
    return manager is _default and manager not in _scanned and not _loop_running()


def find(
    manager: pluggy.PluginManager, look: Callable[[pluggy.PluginManager], T | None]
) -> T | None:
    """`look(manager)`; when it finds nothing and `can_scan(manager)`, the entry points are
    loaded and it looks again."""
    found = look(manager)
    if found is None and can_scan(manager):
        scan_entry_points(manager)
        found = look(manager)
    return found


def not_found_hint(manager: pluggy.PluginManager) -> str:
    """What to add to a "not found" message when the entry points were not loaded yet."""
    if manager is not _default or manager in _scanned:
        return ""
    return (
        " (outside plugins are not loaded yet: on a running event loop, "
        "`await tuyaface.load_plugins()` first)"
    )


def _loop_running() -> bool:
    asyncio = sys.modules.get("asyncio")  # not imported: no loop can be running
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def make_plugin_manager(
    *,
    hookspec_modules: tuple[ModuleType, ...] | list[ModuleType] = (),
    builtins: dict[str, object] | None = None,
    load_entry_points: bool = True,
) -> pluggy.PluginManager:
    """A new manager (not the process one) with the codec's hookspecs and built-ins, plus
    `hookspec_modules` and `builtins` (name -> plugin, or the path of a plugin module), and
    the entry points loaded unless `load_entry_points` is false."""
    manager = add_to(new_manager())
    for module in hookspec_modules:
        manager.add_hookspecs(module)
    for name, plugin in (builtins or {}).items():
        if not manager.is_blocked(name):
            loaded = importlib.import_module(plugin) if isinstance(plugin, str) else plugin
            manager.register(loaded, name=name)
    if load_entry_points:
        scan_entry_points(manager)
    return manager


def default_plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager, shared with tuyaface-transport, built on first use with the
    built-ins only (the entry points are loaded later: see the module's docstring)."""
    global _default
    if _default is None:
        _default = getattr(sys.modules.get(_SIBLING), "_default", None) or new_manager()
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
        check_plugins(manager)
    except pluggy.PluginValidationError:
        manager.unregister(plugin)
        raise
    return registered
