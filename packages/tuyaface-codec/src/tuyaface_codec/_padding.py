"""PKCS#7 padding to the AES block size."""

from __future__ import annotations

from .errors import DecryptError

__all__ = ["BLOCK", "pad", "unpad"]

BLOCK = 16


def pad(data: bytes) -> bytes:
    """Append k bytes of value k, 1 <= k <= 16."""
    k = BLOCK - len(data) % BLOCK
    return data + bytes((k,)) * k


def unpad(data: bytes) -> bytes:
    """Remove PKCS#7 padding; DecryptError when it is malformed."""
    if not data or len(data) % BLOCK:
        raise DecryptError("decrypted data is not whole AES blocks: wrong local key or version?")
    k = data[-1]
    if not 1 <= k <= BLOCK or data[-k:] != bytes((k,)) * k:
        raise DecryptError("bad padding after decryption: wrong local key or protocol version")
    return data[:-k]
