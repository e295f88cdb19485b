"""The `tcp` transport: blocking sockets (`TcpTransport`); its asyncio side is `asyncio`'s."""

from __future__ import annotations

from ._asyncio_plugin import FACTORY as ASYNCIO
from .blocking import TcpTransport
from .hookspecs import hookimpl
from .interfaces import AsyncServer, AsyncTransport, Handler

__all__ = ["FACTORY", "TcpFactory", "tuyaface_provide_transports"]


class TcpFactory:
    """Blocking TCP connections; the asyncio side is the `asyncio` transport."""

    name = "tcp"

    def connect(self, host: str, port: int, *, timeout: float) -> TcpTransport:
        return TcpTransport.connect(host, port, timeout=timeout)

    async def aconnect(self, host: str, port: int, *, timeout: float) -> AsyncTransport:
        return await ASYNCIO.aconnect(host, port, timeout=timeout)

    async def start_server(self, host: str, port: int, handler: Handler) -> AsyncServer:
        return await ASYNCIO.start_server(host, port, handler)


FACTORY = TcpFactory()


@hookimpl
def tuyaface_provide_transports() -> list[TcpFactory]:
    return [FACTORY]
