"""The `loopback` transport plugin: `host` names an in-memory listener."""

from __future__ import annotations

from ..hookspecs import hookimpl
from ..interfaces import Handler
from .faults import FaultPlan
from .listener import LoopbackListener, get_listener
from .transport import AsyncLoopbackTransport, LoopbackTransport

__all__ = ["FACTORY", "LoopbackFactory", "tuyaface_provide_transports"]


class LoopbackFactory:
    """In-memory connections to `LoopbackListener`s, found by (name, port)."""

    name = "loopback"

    def connect(self, host: str, port: int, *, timeout: float) -> LoopbackTransport:
        return get_listener(host, port).connect()

    async def aconnect(self, host: str, port: int, *, timeout: float) -> AsyncLoopbackTransport:
        return await get_listener(host, port).aconnect()

    async def start_server(
        self,
        host: str,
        port: int,
        handler: Handler,
        *,
        faults: FaultPlan | None = None,
        client_faults: FaultPlan | None = None,
    ) -> LoopbackListener:
        """A listener at (host, port) serving `handler` in the running loop."""
        listener = LoopbackListener(host, port, faults=faults, client_faults=client_faults)
        listener.serve(handler)
        return listener


FACTORY = LoopbackFactory()


@hookimpl
def tuyaface_provide_transports() -> list[LoopbackFactory]:
    return [FACTORY]
