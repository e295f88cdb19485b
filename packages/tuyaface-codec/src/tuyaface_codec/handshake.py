"""Session key negotiation maths for 3.4 / 3.5 (docs/protocol.md §8), both roles."""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from ._value import Value
from .crypto.backend import CryptoBackend
from .errors import HandshakeError

__all__ = [
    "NONCE_SIZE",
    "EcbSessionKey",
    "GcmSessionKey",
    "SessionKeyRule",
    "check_finish",
    "finish_payload",
    "nonce_proof",
    "read_response",
    "response_payload",
]

NONCE_SIZE = 16
_PROOF_SIZE = 32


def nonce_proof(local_key: bytes, nonce: bytes) -> bytes:
    """HMAC-SHA256(local key, nonce): proves knowledge of the key."""
    return hmac.new(local_key, nonce, hashlib.sha256).digest()


def response_payload(local_key: bytes, local_nonce: bytes, remote_nonce: bytes) -> bytes:
    """Device side, step 2: remote nonce || proof of the client's nonce."""
    return remote_nonce + nonce_proof(local_key, local_nonce)


def read_response(payload: bytes, local_key: bytes, local_nonce: bytes) -> bytes:
    """Client side, step 2: check the device's proof (constant time), return its nonce."""
    if len(payload) != NONCE_SIZE + _PROOF_SIZE:
        raise HandshakeError(
            f"handshake reply has {len(payload)} bytes, not 48: wrong local key or version"
        )
    remote_nonce, proof = payload[:NONCE_SIZE], payload[NONCE_SIZE:]
    if not hmac.compare_digest(proof, nonce_proof(local_key, local_nonce)):
        raise HandshakeError("device failed the key check: wrong local key or protocol version")
    return remote_nonce


def finish_payload(local_key: bytes, remote_nonce: bytes) -> bytes:
    """Client side, step 3: proof of the device's nonce."""
    return nonce_proof(local_key, remote_nonce)


def check_finish(payload: bytes, local_key: bytes, remote_nonce: bytes) -> None:
    """Device side, step 3: check the client's proof (constant time)."""
    if not hmac.compare_digest(payload, nonce_proof(local_key, remote_nonce)):
        raise HandshakeError("client failed the key check: it has a different local key")


def _xor(a: bytes, b: bytes) -> bytes:
    if len(a) != NONCE_SIZE or len(b) != NONCE_SIZE:
        raise HandshakeError("handshake nonces are 16 bytes each")
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


class SessionKeyRule(Protocol):
    """Derives the session key from the local key and both nonces."""

    def derive(
        self, local_key: bytes, local_nonce: bytes, remote_nonce: bytes, crypto: CryptoBackend
    ) -> bytes:
        """The 16-byte session key."""
        ...


class EcbSessionKey(Value):
    """3.4: AES-ECB(local key, local_nonce XOR remote_nonce)."""

    __slots__ = ()

    def derive(
        self, local_key: bytes, local_nonce: bytes, remote_nonce: bytes, crypto: CryptoBackend
    ) -> bytes:
        return crypto.ecb_encrypt(local_key, _xor(local_nonce, remote_nonce))


class GcmSessionKey(Value):
    """3.5: the 16 ciphertext bytes of AES-GCM(local key, iv=local_nonce[:12]) over the XOR."""

    __slots__ = ()

    def derive(
        self, local_key: bytes, local_nonce: bytes, remote_nonce: bytes, crypto: CryptoBackend
    ) -> bytes:
        mixed = _xor(local_nonce, remote_nonce)
        return crypto.gcm_encrypt(local_key, local_nonce[:12], mixed, None)[:NONCE_SIZE]
