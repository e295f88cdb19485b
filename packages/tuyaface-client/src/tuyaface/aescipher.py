"""tuyaface 1.x AES helpers: AES-128-ECB with PKCS#7 padding, optionally base64, as the
3.1 - 3.3 payloads use. The codec's crypto backend and padding do the work."""

from __future__ import annotations

import base64
import binascii

from tuyaface_codec import DecryptError, default_backend
from tuyaface_codec.keys import KeyLike, as_key, require_key
from tuyaface_codec.parts import ecb_decrypt_unpad, pad

__all__ = ["decrypt", "encrypt"]


def _key(key: KeyLike) -> bytes:
    return require_key(as_key(key))


def encrypt(key: KeyLike, raw: bytes | str, use_base64: bool = True) -> bytes:
    """AES-ECB(key, PKCS7(raw)), base64-encoded unless `use_base64` is False. The key is
    the 16-character local key (as 1.x: its characters are the key bytes)."""
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    sealed = default_backend().ecb_encrypt(_key(key), pad(data))
    return base64.b64encode(sealed) if use_base64 else sealed


def decrypt(key: KeyLike, enc: bytes | str, use_base64: bool = True) -> str:
    """The UTF-8 text `encrypt` sealed. DecryptError when it does not decrypt (a wrong
    key most often) or is not text."""
    data = enc.encode("ascii", errors="replace") if isinstance(enc, str) else bytes(enc)
    if use_base64:
        try:
            data = base64.b64decode(data, validate=True)
        except binascii.Error:
            raise DecryptError("not base64: pass use_base64=False for raw bytes") from None
    plain = ecb_decrypt_unpad(data, _key(key), default_backend())
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptError("decrypted data is not UTF-8 text: wrong local key?") from None
