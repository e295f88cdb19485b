"""Protocol 3.1: 55AA + CRC32, plaintext JSON except signed base64 AES-ECB on CONTROL."""

from __future__ import annotations

from .._ciphers import SignedBase64Cipher
from .._layout import LAYOUT_55AA_CRC
from ..commands import Command
from ..hookspecs import hookimpl
from ..protocol import Broadcast, HeaderRule, Protocol
from ..requests import LegacyRequests

__all__ = ["PROTOCOL", "tuyaface_provide_protocols"]

PROTOCOL = Protocol(
    version="3.1",
    layout=LAYOUT_55AA_CRC,
    cipher=SignedBase64Cipher(frozenset({Command.CONTROL, Command.STATUS})),
    header_rule=HeaderRule(frozenset(), never=True),
    requests=LegacyRequests(),
    broadcast=Broadcast(port=6666, cmd=Command.UDP, layout=LAYOUT_55AA_CRC, ecb=False),
)


@hookimpl
def tuyaface_provide_protocols() -> list[Protocol]:
    return [PROTOCOL]
