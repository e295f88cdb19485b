"""Plugin that provides the built-in crypto backends."""

from __future__ import annotations

from ..hookspecs import hookimpl
from .backend import CryptoBackend

__all__ = ["tuyaface_provide_crypto_backends"]


@hookimpl
def tuyaface_provide_crypto_backends() -> list[CryptoBackend]:
    """pycryptodome always; cryptography when it is installed."""
    from ._pycryptodome import PycryptodomeBackend

    backends: list[CryptoBackend] = [PycryptodomeBackend()]
    try:
        from ._cryptography import CryptographyBackend
    except ImportError:
        return backends
    backends.append(CryptographyBackend())
    return backends
