"""Protocol "3.9" (3.3's framing and cipher under a new version tag) and transport "tcp39"
(TCP under another name, counting its connections), as an outside plugin would add them."""

from __future__ import annotations

from tuyaface_codec import Command, hookimpl, parts
from tuyaface_transport import AsyncTransport, Handler, Transport
from tuyaface_transport.interfaces import AsyncServer
from tuyaface_transport.tcp import FACTORY as TCP

__all__ = ["PROTOCOL", "TCP39", "tuyaface_provide_protocols", "tuyaface_provide_transports"]

PROTOCOL = parts.Protocol(
    version="3.9",
    layout=parts.LAYOUT_55AA_CRC,
    cipher=parts.ClearHeaderEcbCipher(b"3.9"),
    header_rule=parts.STANDARD_HEADER_RULE,
    requests=parts.LegacyRequests(),
    broadcast=parts.Broadcast(
        port=6667, cmd=Command.UDP_NEW, layout=parts.LAYOUT_55AA_CRC, ecb=True
    ),
)


class Tcp39:
    """The tcp transport under the name "tcp39"; `connections` counts what it opened."""

    name = "tcp39"

    def __init__(self) -> None:
        self.connections = 0

    def connect(self, host: str, port: int, *, timeout: float) -> Transport:
        self.connections += 1
        return TCP.connect(host, port, timeout=timeout)

    async def aconnect(self, host: str, port: int, *, timeout: float) -> AsyncTransport:
        self.connections += 1
        return await TCP.aconnect(host, port, timeout=timeout)

    async def start_server(self, host: str, port: int, handler: Handler) -> AsyncServer:
        return await TCP.start_server(host, port, handler)


TCP39 = Tcp39()


@hookimpl
def tuyaface_provide_protocols() -> list[parts.Protocol]:
    return [PROTOCOL]


@hookimpl
def tuyaface_provide_transports() -> list[Tcp39]:
    return [TCP39]
