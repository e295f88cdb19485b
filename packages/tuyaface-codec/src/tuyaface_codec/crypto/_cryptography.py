"""AES through the `cryptography` package (extra `tuyaface-codec[fast]`)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import IntegrityError
from .backend import partial_block_error

__all__ = ["CryptographyBackend"]

_TAG_SIZE = 16

Update = Callable[[bytes], bytes]


class _ContextPool:
    """Idle AES-ECB contexts of one key and direction, lent to one caller at a time.

    A context may not be used by two threads at once (cryptography raises "Already
    borrowed" once an update releases the GIL), and making one per call costs about 50x
    the update of a small frame. `list.pop` and `list.append` are atomic, so each caller
    holds a context of its own; the pool grows to the number of simultaneous callers.
    ECB keeps no state between whole blocks, so a context is reused without finalizing.
    """

    def __init__(self, make: Callable[[], Update]) -> None:
        self._make = make
        self._idle: list[Update] = []

    def update(self, data: bytes) -> bytes:
        try:
            update = self._idle.pop()
        except IndexError:
            update = self._make()
        out = update(data)
        self._idle.append(update)  # only after success: a failed context is dropped
        return out


@functools.lru_cache(maxsize=512)
def _ecb(key: bytes) -> tuple[_ContextPool, _ContextPool]:
    cipher = Cipher(algorithms.AES(key), modes.ECB())
    return (
        _ContextPool(lambda: cipher.encryptor().update),
        _ContextPool(lambda: cipher.decryptor().update),
    )


@functools.lru_cache(maxsize=512)
def _gcm(key: bytes) -> AESGCM:
    return AESGCM(key)  # stateless between calls: safe to share between threads


class CryptographyBackend:
    """cryptography (OpenSSL): about 80x faster than pycryptodome on GCM."""

    name = "cryptography"
    priority = 20

    def ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        if len(data) % 16:
            raise partial_block_error(data)
        return _ecb(key)[0].update(data)

    def ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        if len(data) % 16:
            raise partial_block_error(data)
        return _ecb(key)[1].update(data)

    def gcm_encrypt(self, key: bytes, iv: bytes, plaintext: bytes, aad: bytes | None) -> bytes:
        return _gcm(key).encrypt(iv, plaintext, aad or None)

    def gcm_decrypt(self, key: bytes, iv: bytes, sealed: bytes, aad: bytes | None) -> bytes:
        if len(sealed) < _TAG_SIZE:
            raise IntegrityError("GCM data shorter than its tag")
        try:
            return _gcm(key).decrypt(iv, sealed, aad or None)
        except InvalidTag:
            raise IntegrityError("GCM tag mismatch: wrong key or corrupted frame") from None

    def __repr__(self) -> str:
        return f"<CryptoBackend {self.name}>"
