"""Choosing a crypto backend among those the plugins provide."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import UnknownBackendError
from .backend import CryptoBackend

if TYPE_CHECKING:
    import pluggy

__all__ = ["available_backends", "default_backend", "get_backend"]

BACKEND_ENV = "TUYAFACE_CRYPTO_BACKEND"


def _manager(plugin_manager: pluggy.PluginManager | None) -> pluggy.PluginManager:
    from ..plugins import default_plugin_manager  # the plugins import this module

    return plugin_manager or default_plugin_manager()


def _provided(manager: pluggy.PluginManager) -> dict[str, CryptoBackend]:
    found = [b for provided in manager.hook.tuyaface_provide_crypto_backends() for b in provided]
    found.sort(key=lambda backend: backend.priority, reverse=True)
    return {backend.name: backend for backend in found}


def available_backends(
    plugin_manager: pluggy.PluginManager | None = None,
) -> dict[str, CryptoBackend]:
    """Backends provided by the registered plugins, by name, best first (the built-ins and the
    plugins loaded so far: `plugins.scan_entry_points` loads the installed ones)."""
    return _provided(_manager(plugin_manager))


def get_backend(name: str, plugin_manager: pluggy.PluginManager | None = None) -> CryptoBackend:
    """The backend called `name`; UnknownBackendError (a LookupError) if no plugin has it."""
    from ..plugins import find, not_found_hint

    manager = _manager(plugin_manager)
    backend = find(manager, lambda m: _provided(m).get(name))
    if backend is None:
        raise UnknownBackendError(
            f"no crypto backend {name!r}; installed: {sorted(_provided(manager))}"
            + not_found_hint(manager)
        )
    return backend


def default_backend(plugin_manager: pluggy.PluginManager | None = None) -> CryptoBackend:
    """$TUYAFACE_CRYPTO_BACKEND if set, else the highest-priority backend registered."""
    wanted = os.environ.get(BACKEND_ENV)
    if wanted:
        return get_backend(wanted, plugin_manager)
    manager = _manager(plugin_manager)
    found: list[CryptoBackend] = [
        b for provided in manager.hook.tuyaface_provide_crypto_backends() for b in provided
    ]
    if not found:
        raise UnknownBackendError("no crypto backend installed: install pycryptodome")
    return max(found, key=lambda backend: backend.priority)
