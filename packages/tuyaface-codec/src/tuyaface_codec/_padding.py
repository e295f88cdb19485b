"""PKCS#7 padding to the AES block size."""

from __future__ import annotations

from .errors import DecryptError

__all__ = ["BLOCK", "pad", "strip_padding", "unpad"]

BLOCK = 16
_PADDING = tuple(bytes((k,)) * k for k in range(BLOCK + 1))  # _PADDING[k]: k bytes of value k


def pad(data: bytes) -> bytes:
    """Append k bytes of value k, 1 <= k <= 16."""
    k = BLOCK - len(data) % BLOCK
    return data + _PADDING[k]


def unpad(data: bytes) -> bytes:
    """Remove PKCS#7 padding; DecryptError when it is malformed."""
    if not data or len(data) % BLOCK:
        raise DecryptError("decrypted data is not whole AES blocks: wrong local key or version?")
    return strip_padding(data)


def strip_padding(data: bytes) -> bytes:
    """`unpad` of data already known to be whole AES blocks, at least one (what AES-ECB
    returned for whole blocks): the length is not checked again."""
    k = data[-1]
    if not 1 <= k <= BLOCK or not data.endswith(_PADDING[k]):
        raise DecryptError("bad padding after decryption: wrong local key or protocol version")
    return data[:-k]
