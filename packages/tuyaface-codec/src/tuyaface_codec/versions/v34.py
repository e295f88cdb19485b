"""Protocol 3.4: 55AA + HMAC-SHA256, AES-ECB(session key) over header and JSON."""

from __future__ import annotations

from .._ciphers import InnerHeaderCipher
from .._layout import LAYOUT_55AA_CRC, LAYOUT_55AA_HMAC
from ..commands import Command
from ..handshake import EcbSessionKey
from ..hookspecs import hookimpl
from ..protocol import Broadcast, Protocol
from ..requests import Protocol5Requests
from ._common import STANDARD_HEADER_RULE

__all__ = ["PROTOCOL", "tuyaface_provide_protocols"]

PROTOCOL = Protocol(
    version="3.4",
    layout=LAYOUT_55AA_HMAC,
    cipher=InnerHeaderCipher(b"3.4", ecb=True),
    header_rule=STANDARD_HEADER_RULE,
    requests=Protocol5Requests(),
    broadcast=Broadcast(
        port=6667, cmd=Command.BOARDCAST_LPV34, layout=LAYOUT_55AA_CRC, ecb=True
    ),
    device_echoes_seqno=False,
    session_key_rule=EcbSessionKey(),
)


@hookimpl
def tuyaface_provide_protocols() -> list[Protocol]:
    return [PROTOCOL]
