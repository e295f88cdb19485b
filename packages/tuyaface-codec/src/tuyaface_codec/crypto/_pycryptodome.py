"""AES through pycryptodome, the backend always installed. pycryptodome itself (and cffi,
which it loads when present) is imported on first use, so choosing cryptography never loads it."""

from __future__ import annotations

import functools
from typing import Any

from ..errors import IntegrityError
from .backend import partial_block_error

__all__ = ["PycryptodomeBackend"]

_TAG_SIZE = 16


@functools.cache
def _aes() -> Any:
    from Crypto.Cipher import AES

    return AES


@functools.lru_cache(maxsize=512)
def _ecb(key: bytes) -> Any:
    # ECB keeps no state between calls, so one cipher object per key is reused.
    return _aes().new(key, _aes().MODE_ECB)


class PycryptodomeBackend:
    """pycryptodome: always available, slower on GCM (a new cipher object per frame)."""

    name = "pycryptodome"
    priority = 10

    def ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        if len(data) % 16:
            raise partial_block_error(data)
        return bytes(_ecb(key).encrypt(data))

    def ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        if len(data) % 16:
            raise partial_block_error(data)
        return bytes(_ecb(key).decrypt(data))

    def gcm_encrypt(self, key: bytes, iv: bytes, plaintext: bytes, aad: bytes | None) -> bytes:
        cipher = _aes().new(key, _aes().MODE_GCM, nonce=iv, mac_len=_TAG_SIZE)
        if aad:
            cipher.update(aad)
        ciphertext, tag = cipher.encrypt_and_digest(plaintext)
        return bytes(ciphertext) + bytes(tag)

    def gcm_decrypt(self, key: bytes, iv: bytes, sealed: bytes, aad: bytes | None) -> bytes:
        if len(sealed) < _TAG_SIZE:
            raise IntegrityError("GCM data shorter than its tag")
        cipher = _aes().new(key, _aes().MODE_GCM, nonce=iv, mac_len=_TAG_SIZE)
        if aad:
            cipher.update(aad)
        try:
            return bytes(cipher.decrypt_and_verify(sealed[:-_TAG_SIZE], sealed[-_TAG_SIZE:]))
        except ValueError:
            raise IntegrityError("GCM tag mismatch: wrong key or corrupted frame") from None

    def __repr__(self) -> str:
        return f"<CryptoBackend {self.name}>"
