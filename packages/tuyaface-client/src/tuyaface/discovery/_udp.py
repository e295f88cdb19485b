"""The little UDP glue discovery needs, over `tuyaface_transport`'s datagram listener."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from typing import Any, Self

import attrs

from tuyaface_codec import NetworkError
from tuyaface_transport import (
    AsyncClosing,
    DatagramListener,
    TransportClosedError,
    TransportError,
    open_datagram_listener,
)
from tuyaface_transport.udp import local_address_facing

__all__ = [
    "Address",
    "AsyncOpenClose",
    "Endpoint",
    "UdpGroup",
    "cancel",
    "datagrams",
    "local_ip_facing",
    "open_endpoint",
    "send_quietly",
]

log = logging.getLogger(__name__)

Address = tuple[str, int]
Endpoint = DatagramListener


async def open_endpoint(host: str, port: int, *, reuse_port: bool) -> Endpoint:
    """A UDP socket bound to (host, port) that may broadcast; NetworkError when it cannot."""
    try:
        return await open_datagram_listener(host, port, reuse_port=reuse_port, broadcast=True)
    except TransportError as exc:
        raise NetworkError(f"discovery: {exc}") from exc


async def datagrams(endpoint: Endpoint) -> AsyncIterator[tuple[bytes, Address]]:
    """Every datagram `endpoint` receives, until it is closed."""
    while True:
        try:
            yield await endpoint.receive(None)
        except TransportClosedError:
            return


def send_quietly(endpoint: Endpoint, data: bytes, target: Address) -> bool:
    """Send one datagram; a failure is logged (the next round tries again), not raised."""
    try:
        endpoint.send_to(data, target)
    except OSError as exc:
        log.debug("could not send a discovery datagram to %s:%s: %s", *target, exc)
        return False
    return True


def local_ip_facing(address: str) -> str:
    """The local IPv4 address datagrams to `address` leave from; NetworkError without one."""
    try:
        return local_address_facing(address)
    except TransportError as exc:
        raise NetworkError(
            f"discovery: {exc}; pass ScanOptions(reply_ip=...) with this machine's address"
        ) from exc


@attrs.define
class UdpGroup:
    """Bound endpoints and the tasks serving them, closed together."""

    endpoints: list[Endpoint] = attrs.field(factory=list)
    tasks: list[asyncio.Task[None]] = attrs.field(factory=list)

    async def bind(self, host: str, port: int, *, reuse_port: bool) -> Endpoint:
        endpoint = await open_endpoint(host, port, reuse_port=reuse_port)
        self.endpoints.append(endpoint)
        return endpoint

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self.tasks.append(task)
        return task

    async def aclose(self) -> None:
        """Cancel the tasks, wait for them, then close the endpoints."""
        tasks, self.tasks = self.tasks, []
        await cancel(tasks)
        endpoints, self.endpoints = self.endpoints, []
        for endpoint in endpoints:
            await endpoint.aclose()


async def cancel(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel `tasks` and wait until they have finished."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class AsyncOpenClose(AsyncClosing):
    """`async with` for owners of a `UdpGroup`: `open()` on entry, `aclose()` on exit."""

    __slots__ = ()

    async def open(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.open()
        return self
