"""Plugin that provides the built-in crypto backends: pycryptodome always, cryptography when
it is installed (imported here, with the codec, so choosing a backend imports nothing)."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ._pycryptodome import PycryptodomeBackend
from .backend import CryptoBackend

try:
    from ._cryptography import CryptographyBackend
except ImportError:  # tuyaface-codec without the [fast] extra
    _BACKENDS: tuple[CryptoBackend, ...] = (PycryptodomeBackend(),)
else:
    _BACKENDS = (PycryptodomeBackend(), CryptographyBackend())

__all__ = ["tuyaface_provide_crypto_backends"]


@hookimpl
def tuyaface_provide_crypto_backends() -> list[CryptoBackend]:
    """pycryptodome always; cryptography when it is installed."""
    return list(_BACKENDS)
