"""The parts protocol versions are assembled from, for outside version plugins.

A new version is a `Protocol` built from these (or from an existing version with
`protocol.replace(...)`), returned by a `tuyaface_provide_protocols` hook implementation.
Every part is an immutable value with `replace(**changes)`.
"""

from __future__ import annotations

from ._ciphers import (
    ClearHeaderEcbCipher,
    InnerHeaderCipher,
    PayloadCipher,
    SignedBase64Cipher,
    ecb_decrypt_unpad,
    split_version_header,
)
from ._layout import (
    LAYOUT_55AA_CRC,
    LAYOUT_55AA_HMAC,
    LAYOUT_6699,
    FrameLayout,
    Layout55AA,
    Layout6699,
)
from ._padding import pad, unpad
from ._value import Value, fields_repr
from .handshake import EcbSessionKey, GcmSessionKey, SessionKeyRule
from .protocol import Broadcast, HeaderRule, Protocol
from .requests import LegacyRequests, Protocol5Requests, RequestBuilder
from .versions._common import STANDARD_HEADER_RULE

__all__ = [
    "LAYOUT_55AA_CRC",
    "LAYOUT_55AA_HMAC",
    "LAYOUT_6699",
    "STANDARD_HEADER_RULE",
    "Broadcast",
    "ClearHeaderEcbCipher",
    "EcbSessionKey",
    "FrameLayout",
    "GcmSessionKey",
    "HeaderRule",
    "InnerHeaderCipher",
    "Layout55AA",
    "Layout6699",
    "LegacyRequests",
    "PayloadCipher",
    "Protocol",
    "Protocol5Requests",
    "RequestBuilder",
    "SessionKeyRule",
    "SignedBase64Cipher",
    "Value",
    "ecb_decrypt_unpad",
    "fields_repr",
    "pad",
    "split_version_header",
    "unpad",
]
