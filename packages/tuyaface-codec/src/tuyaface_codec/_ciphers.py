"""Payload ciphers: how the version header and JSON become a frame's payload, and back."""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import ClassVar, Protocol

from ._padding import BLOCK, pad, strip_padding
from ._value import Value, set_fields
from .crypto.backend import CryptoBackend
from .errors import DecryptError, IntegrityError
from .keys import require_key

# CPython's own MD5 for 3.1's short signatures: 0.4 us against OpenSSL's 0.7 (3.1 encode set -6%)
try:
    from _md5 import md5  # type: ignore[import-not-found]
except ImportError:  # an interpreter built without it
    from hashlib import md5

__all__ = [
    "HEADER_SIZE",
    "ClearHeaderEcbCipher",
    "InnerHeaderCipher",
    "PayloadCipher",
    "SignedBase64Cipher",
    "split_version_header",
]

HEADER_SIZE = 15


class PayloadCipher(Protocol):
    """Turns `header || body` into wire payload bytes and back.

    A cipher may also have `sealed_prefix` (bytes): `open` gives back `(None, payload)` for
    any payload that does not start with it, so the caller skips the call for those. Without
    it (or with b""), every payload goes through `open`.
    """

    def seal(
        self, cmd: int, header: bytes, body: bytes, *, key: bytes | None, crypto: CryptoBackend
    ) -> bytes:
        """Wire payload for `body` with `header` (b"" or the 15-byte version header)."""
        ...

    def open(
        self, payload: bytes, *, key: bytes | None, crypto: CryptoBackend
    ) -> tuple[bytes | None, bytes]:
        """(the 12 bytes after the version string, or None; the plaintext body)."""
        ...


def split_version_header(tag: bytes, data: bytes) -> tuple[bytes | None, bytes]:
    """Drop the 15-byte header when `data` starts with the version string, whatever follows."""
    if len(data) >= HEADER_SIZE and data.startswith(tag):
        return data[len(tag) : HEADER_SIZE], data[HEADER_SIZE:]
    return None, data


def ecb_decrypt_unpad(data: bytes, key: bytes | None, crypto: CryptoBackend) -> bytes:
    """AES-ECB decrypt whole blocks and remove PKCS#7 padding."""
    if not data or len(data) % BLOCK:
        raise DecryptError(
            f"encrypted payload of {len(data)} bytes is not whole AES blocks: "
            "wrong protocol version?"
        )
    # the length was checked just above: not again in unpad (40 ns a frame)
    return strip_padding(crypto.ecb_decrypt(require_key(key), data))


class InnerHeaderCipher(Value):
    """3.4 (ECB over header and JSON) and 3.5 (GCM is the layout's job: plaintext here)."""

    _fields: ClassVar[tuple[str, ...]] = ("tag", "ecb")
    __slots__ = _fields

    tag: bytes
    ecb: bool

    def __init__(self, tag: bytes, ecb: bool) -> None:
        set_fields(self, tag=tag, ecb=ecb)

    @property
    def sealed_prefix(self) -> bytes:
        """Without ECB (3.5), a payload not starting with the tag is opened as it is."""
        return b"" if self.ecb else self.tag

    def seal(
        self, cmd: int, header: bytes, body: bytes, *, key: bytes | None, crypto: CryptoBackend
    ) -> bytes:
        data = header + body
        if self.ecb and data:
            return crypto.ecb_encrypt(require_key(key), pad(data))
        return data

    def open(
        self, payload: bytes, *, key: bytes | None, crypto: CryptoBackend
    ) -> tuple[bytes | None, bytes]:
        if self.ecb and payload:
            payload = ecb_decrypt_unpad(payload, key, crypto)
        return split_version_header(self.tag, payload)


class ClearHeaderEcbCipher(Value):
    """3.2 / 3.3: the version header in clear, then AES-ECB(local key) of the JSON.
    `also_read`: other version tags whose header is taken too (3.2 devices accept 3.3's)."""

    _fields: ClassVar[tuple[str, ...]] = ("tag", "also_read")
    __slots__ = (*_fields, "tags")

    tag: bytes
    also_read: tuple[bytes, ...]
    tags: tuple[bytes, ...]  # tag, then also_read

    def __init__(self, tag: bytes, also_read: tuple[bytes, ...] = ()) -> None:
        set_fields(self, tag=tag, also_read=also_read, tags=(tag, *also_read))

    def seal(
        self, cmd: int, header: bytes, body: bytes, *, key: bytes | None, crypto: CryptoBackend
    ) -> bytes:
        if not body:
            return header
        return header + crypto.ecb_encrypt(require_key(key), pad(body))

    def open(
        self, payload: bytes, *, key: bytes | None, crypto: CryptoBackend
    ) -> tuple[bytes | None, bytes]:
        extra, rest = None, payload
        for tag in self.tags:
            if payload.startswith(tag):  # a call only for a header (3.3 decode -1.3%)
                extra, rest = split_version_header(tag, payload)
                if extra is not None:
                    break
        if not rest:
            return extra, rest
        # whole blocks, not empty: what ecb_decrypt_unpad would check again (3.3 decode -1.1%)
        if len(rest) % BLOCK == 0:
            try:
                return extra, strip_padding(crypto.ecb_decrypt(require_key(key), rest))
            except DecryptError:
                if not rest.startswith(b"{"):
                    raise
        if rest.startswith(b"{"):
            return extra, rest  # some firmware answers in plaintext
        raise DecryptError(
            f"payload of {len(rest)} bytes is neither AES blocks nor JSON: wrong version?"
        )


class SignedBase64Cipher(Value):
    """3.1: plaintext, except `encrypted_commands`, which carry
    `"3.1" || md5 signature || base64(AES-ECB(json))`."""

    _fields: ClassVar[tuple[str, ...]] = ("encrypted_commands", "tag", "signature_size")
    __slots__ = _fields

    encrypted_commands: frozenset[int]
    tag: bytes
    signature_size: int

    def __init__(
        self, encrypted_commands: frozenset[int], tag: bytes = b"3.1", signature_size: int = 16
    ) -> None:
        set_fields(
            self, encrypted_commands=encrypted_commands, tag=tag, signature_size=signature_size
        )

    @property
    def sealed_prefix(self) -> bytes:
        """Only a payload starting with the tag is sealed; any other is plaintext JSON."""
        return self.tag

    def _signature(self, key: bytes, b64: bytes) -> bytes:
        digest: str = md5(b"data=" + b64 + b"||lpv=" + self.tag + b"||" + key).hexdigest()
        return digest[8:24].encode("ascii")

    def seal(
        self, cmd: int, header: bytes, body: bytes, *, key: bytes | None, crypto: CryptoBackend
    ) -> bytes:
        if cmd not in self.encrypted_commands or not body:
            return body
        raw_key = require_key(key)
        b64 = base64.b64encode(crypto.ecb_encrypt(raw_key, pad(body)))
        return self.tag + self._signature(raw_key, b64) + b64

    def open(
        self, payload: bytes, *, key: bytes | None, crypto: CryptoBackend
    ) -> tuple[bytes | None, bytes]:
        if not payload.startswith(self.tag):
            return None, payload
        raw_key = require_key(key)
        start = len(self.tag) + self.signature_size
        signature, b64 = payload[len(self.tag) : start], payload[start:]
        if not hmac.compare_digest(signature, self._signature(raw_key, b64)):
            raise IntegrityError("3.1 payload signature mismatch: wrong local key?")
        try:
            encrypted = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise DecryptError("3.1 payload is not valid base64") from None
        return None, ecb_decrypt_unpad(encrypted, raw_key, crypto)
