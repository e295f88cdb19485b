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


@functools.lru_cache(maxsize=512)
def _ecb_updates(key: bytes) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    # ECB is stateless between whole blocks, so one encryptor and one decryptor per key
    # serve every call through update() and are never finalized. A partial block would stay
    # buffered in the shared context and shift every later call, hence the length checks.
    cipher = Cipher(algorithms.AES(key), modes.ECB())
    return cipher.encryptor().update, cipher.decryptor().update


def _own_cipher(key: bytes) -> Cipher[modes.ECB]:
    """For a call that finds the shared context busy: a context refuses a second thread
    while one is inside it (RuntimeError "Already borrowed", raised before any state
    changes), so that call gets a context of its own."""
    return Cipher(algorithms.AES(key), modes.ECB())


@functools.lru_cache(maxsize=512)
def _gcm(key: bytes) -> AESGCM:
    return AESGCM(key)


class CryptographyBackend:
    """cryptography (OpenSSL): about 80x faster than pycryptodome on GCM."""

    name = "cryptography"
    priority = 20

    def ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        if len(data) % 16:
            raise partial_block_error(data)
        try:
            return _ecb_updates(key)[0](data)
        except RuntimeError:  # another thread is inside the shared context right now
            return _own_cipher(key).encryptor().update(data)

    def ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        if len(data) % 16:
            raise partial_block_error(data)
        try:
            return _ecb_updates(key)[1](data)
        except RuntimeError:  # another thread is inside the shared context right now
            return _own_cipher(key).decryptor().update(data)

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
