"""Protocol 3.2: 55AA + CRC32, AES-ECB(local key), version header in clear."""

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
    version="3.2",
    layout=LAYOUT_55AA_CRC,
    # tuyapi talks to 3.2 devices as 3.3 (a "3.3" header), and real 3.2 devices accept it
    cipher=ClearHeaderEcbCipher(b"3.2", also_read=(b"3.3",)),
    header_rule=STANDARD_HEADER_RULE,
    requests=LegacyRequests(),
    broadcast=Broadcast(port=6667, cmd=Command.UDP_NEW, layout=LAYOUT_55AA_CRC, ecb=True),
    prefers_device22=True,  # tinytuya and localtuya treat every 3.2 device as device22
)


@hookimpl
def tuyaface_provide_protocols() -> list[Protocol]:
    return [PROTOCOL]
