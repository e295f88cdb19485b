"""AES through the `cryptography` package (extra `tuyaface-codec[fast]`)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import IntegrityError
from .backend import partial_block_error

__all__ = ["CryptographyBackend"]

_TAG_SIZE = 16


@functools.lru_cache(maxsize=512)
def _ecb_updates(
    key: bytes, _thread: int
) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    # ECB is stateless between whole blocks, so one encryptor and one decryptor per key
    # serve every call through update() and are never finalized. A partial block would stay
    # buffered in the shared context and shift every later call, hence the length checks.
    # A context refuses a second thread while one is inside it ("Already borrowed"), so
    # each thread has its own (`_thread`: a live thread's id, unique among live threads).
    cipher = Cipher(algorithms.AES(key), modes.ECB())
    return cipher.encryptor().update, cipher.decryptor().update


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
        return _ecb_updates(key, threading.get_ident())[0](data)

    def ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        if len(data) % 16:
            raise partial_block_error(data)
        return _ecb_updates(key, threading.get_ident())[1](data)

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
