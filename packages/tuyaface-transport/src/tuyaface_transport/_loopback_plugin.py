"""The `loopback` transport plugin: `host` names an in-memory listener. The loopback package
itself loads on the first connection or server, not with tuyaface_transport."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .hookspecs import hookimpl
from .interfaces import Handler

if TYPE_CHECKING:
    from .loopback.faults import FaultPlan
    from .loopback.listener import LoopbackListener
    from .loopback.transport import AsyncLoopbackTransport, LoopbackTransport

__all__ = ["FACTORY", "LoopbackFactory", "tuyaface_provide_transports"]


class LoopbackFactory:
    """In-memory connections to `LoopbackListener`s, found by (name, port)."""

    name = "loopback"

    def connect(self, host: str, port: int, *, timeout: float) -> LoopbackTransport:
        from .loopback.listener import get_listener

        return get_listener(host, port).connect()

    async def aconnect(self, host: str, port: int, *, timeout: float) -> AsyncLoopbackTransport:
        from .loopback.listener import get_listener

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
        from .loopback.listener import LoopbackListener

        listener = LoopbackListener(host, port, faults=faults, client_faults=client_faults)
        listener.serve(handler)
        return listener


FACTORY = LoopbackFactory()


@hookimpl
def tuyaface_provide_transports() -> list[LoopbackFactory]:
    return [FACTORY]
