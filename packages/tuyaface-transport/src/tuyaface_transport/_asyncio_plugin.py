"""The `asyncio` transport plugin. Its module `aio` (and asyncio itself, about 25 ms) loads
with the first asyncio connection or server, or with tuyaface's AsyncDevice, not with
tuyaface_transport: a blocking `Device` never needs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .blocking import TcpTransport
from .hookspecs import hookimpl
from .interfaces import Handler

if TYPE_CHECKING:
    from .aio import AsyncioServer, AsyncioTransport

__all__ = ["FACTORY", "AsyncioFactory", "tuyaface_provide_transports"]


class AsyncioFactory:
    """asyncio TCP; `connect` gives the blocking `TcpTransport`."""

    name = "asyncio"

    def connect(self, host: str, port: int, *, timeout: float) -> TcpTransport:
        return TcpTransport.connect(host, port, timeout=timeout)

    async def aconnect(self, host: str, port: int, *, timeout: float) -> AsyncioTransport:
        from .aio import open_connection

        return await open_connection(host, port, timeout=timeout)

    async def start_server(self, host: str, port: int, handler: Handler) -> AsyncioServer:
        from .aio import start_server

        return await start_server(host, port, handler)


FACTORY = AsyncioFactory()


@hookimpl
def tuyaface_provide_transports() -> list[AsyncioFactory]:
    return [FACTORY]
