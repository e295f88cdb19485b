"""Protocol 3.3: 55AA + CRC32, AES-ECB(local key), version header in clear."""

from __future__ import annotations

from .._ciphers import ClearHeaderEcbCipher
from .._layout import LAYOUT_55AA_CRC
from ..commands import Command
from ..hookspecs import hookimpl
from ..protocol import Broadcast, Protocol
from ..requests import LegacyRequests
from ._common import STANDARD_HEADER_RULE

__all__ = ["PROTOCOL", "tuyaface_provide_protocols"]

PROTOCOL = Protocol(
    version="3.3",
    layout=LAYOUT_55AA_CRC,
    cipher=ClearHeaderEcbCipher(b"3.3"),
    header_rule=STANDARD_HEADER_RULE,
    requests=LegacyRequests(),
    broadcast=Broadcast(port=6667, cmd=Command.UDP_NEW, layout=LAYOUT_55AA_CRC, ecb=True),
)


@hookimpl
def tuyaface_provide_protocols() -> list[Protocol]:
    return [PROTOCOL]
