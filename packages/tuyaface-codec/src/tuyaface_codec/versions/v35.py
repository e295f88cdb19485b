"""Protocol 3.5: 6699 + AES-GCM(session key), version header inside the ciphertext."""

from __future__ import annotations

from .._ciphers import InnerHeaderCipher
from .._layout import LAYOUT_6699
from ..commands import Command
from ..handshake import GcmSessionKey
from ..hookspecs import hookimpl
from ..protocol import Broadcast, Protocol
from ..requests import Protocol5Requests
from ._common import STANDARD_HEADER_RULE

__all__ = ["PROTOCOL", "tuyaface_provide_protocols"]

PROTOCOL = Protocol(
    version="3.5",
    layout=LAYOUT_6699,
    cipher=InnerHeaderCipher(b"3.5", ecb=False),
    header_rule=STANDARD_HEADER_RULE,
    requests=Protocol5Requests(),
    broadcast=Broadcast(port=6667, cmd=Command.UDP_NEW, layout=LAYOUT_6699, ecb=False),
    device_echoes_seqno=False,
    session_key_rule=GcmSessionKey(),
)


@hookimpl
def tuyaface_provide_protocols() -> list[Protocol]:
    return [PROTOCOL]
