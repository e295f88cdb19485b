"""Helpers shared by the codec tests (fixtures live in conftest.py)."""

from __future__ import annotations

import collections
import struct

import attrs

import tuyaface_codec
from tuyaface_codec import CryptoBackend, FrameError, IntegrityError, Protocol

BACKENDS = ("pycryptodome", "cryptography")
BUILTIN_VERSIONS = ("3.1", "3.2", "3.3", "3.4", "3.5")


def protocol(tag: str, crypto: CryptoBackend) -> Protocol:
    """The built-in protocol `tag` bound to `crypto`."""
    return tuyaface_codec.get_protocol(tag, crypto=crypto)


def flip(data: bytes, bit: int) -> bytes:
    """`data` with bit number `bit` (0 = most significant bit of byte 0) inverted."""
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def damaged_frames(
    data: bytes, *, device: bool, body_size: int
) -> list[tuple[bytes, type[Exception], str]]:
    """Each framing defect of a whole 55AA frame `data` (its JSON body `body_size` bytes) in
    turn: (the damaged bytes, the error class `decode_frame` raises, its message)."""
    trailer = len(data) - 24 - (4 if device else 0) - body_size  # not header nor body
    return [
        (data[: 16 + (4 if device else 0) + trailer - 1], FrameError, "too few"),
        (b"\x00\x00\x66\x99" + data[4:], FrameError, "does not start with 000055AA"),
        (data[:12] + struct.pack(">I", len(data) - 15) + data[16:], FrameError,
         "length field says"),
        (data[:-1] + b"\x56", FrameError, "does not end with 0000AA55"),
        (data[:-5] + bytes([data[-5] ^ 1]) + data[-4:], IntegrityError, "checksum mismatch"),
    ]


@attrs.define
class CountingBackend:
    """A real backend that counts its calls, and how many plaintexts GCM handed out."""

    inner: CryptoBackend
    calls: collections.Counter[str] = attrs.field(factory=collections.Counter)
    priority: int = 0

    @property
    def name(self) -> str:
        return f"counting-{self.inner.name}"

    def ecb_encrypt(self, key: bytes, data: bytes) -> bytes:
        self.calls["ecb_encrypt"] += 1
        return self.inner.ecb_encrypt(key, data)

    def ecb_decrypt(self, key: bytes, data: bytes) -> bytes:
        self.calls["ecb_decrypt"] += 1
        return self.inner.ecb_decrypt(key, data)

    def gcm_encrypt(self, key: bytes, iv: bytes, plaintext: bytes, aad: bytes | None) -> bytes:
        self.calls["gcm_encrypt"] += 1
        return self.inner.gcm_encrypt(key, iv, plaintext, aad)

    def gcm_decrypt(self, key: bytes, iv: bytes, sealed: bytes, aad: bytes | None) -> bytes:
        self.calls["gcm_decrypt"] += 1
        plaintext = self.inner.gcm_decrypt(key, iv, sealed, aad)
        self.calls["gcm_plaintext"] += 1
        return plaintext
