"""Choosing a crypto backend among those the plugins provide."""

from __future__ import annotations

import os

from ..errors import UnknownProtocolError
from .backend import CryptoBackend

__all__ = ["available_backends", "default_backend", "get_backend"]

BACKEND_ENV = "TUYAFACE_CRYPTO_BACKEND"


def available_backends() -> dict[str, CryptoBackend]:
    """Backends provided by the registered plugins, by name, best first."""
    from ..plugins import default_plugin_manager

    found: list[CryptoBackend] = []
    for provided in default_plugin_manager().hook.tuyaface_provide_crypto_backends():
        found.extend(provided)
    found.sort(key=lambda backend: backend.priority, reverse=True)
    return {backend.name: backend for backend in found}


def get_backend(name: str) -> CryptoBackend:
    """The backend called `name`; UnknownProtocolError if no plugin provides it."""
    try:
        return available_backends()[name]
    except KeyError:
        raise UnknownProtocolError(
            f"no crypto backend {name!r}; installed: {sorted(available_backends())}"
        ) from None


def default_backend() -> CryptoBackend:
    """$TUYAFACE_CRYPTO_BACKEND if set, else the highest-priority backend installed."""
    wanted = os.environ.get(BACKEND_ENV)
    if wanted:
        return get_backend(wanted)
    backends = available_backends()
    if not backends:
        raise UnknownProtocolError("no crypto backend installed: install pycryptodome")
    return max(backends.values(), key=lambda backend: backend.priority)
