"""The interface every crypto backend provides."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..errors import CodecError

__all__ = ["CryptoBackend", "partial_block_error"]


def partial_block_error(data: bytes) -> CodecError:
    """What a backend raises for AES-ECB input that is not whole 16-byte blocks."""
    return CodecError(f"AES-ECB works on whole 16-byte blocks (pad first), got {len(data)} bytes")


@runtime_checkable
class CryptoBackend(Protocol):
    """AES-128 primitives the codec needs. Keys are 16 raw bytes.

    `priority` picks the default: the highest available backend wins.
    """

    name: str
    priority: int

    def ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        """Encrypt whole blocks (no padding) with AES-ECB; CodecError for a partial block."""
        ...

    def ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        """Decrypt whole blocks (no unpadding) with AES-ECB; CodecError for a partial block."""
        ...

    def gcm_encrypt(self, key: bytes, iv: bytes, plaintext: bytes, aad: bytes | None) -> bytes:
        """Return ciphertext || 16-byte tag."""
        ...

    def gcm_decrypt(self, key: bytes, iv: bytes, sealed: bytes, aad: bytes | None) -> bytes:
        """Check the tag of ciphertext || tag, then return the plaintext.

        Raises IntegrityError when the tag does not match; no plaintext is returned then.
        """
        ...
