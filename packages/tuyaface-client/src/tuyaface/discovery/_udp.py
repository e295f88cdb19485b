"""The little UDP glue discovery needs, over `tuyaface_transport`'s datagram listener."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from tuyaface_codec import NetworkError
from tuyaface_transport import (
    DatagramListener,
    TransportClosedError,
    TransportError,
    open_datagram_listener,
)
from tuyaface_transport.udp import local_address_facing

__all__ = ["Address", "Endpoint", "datagrams", "local_ip_facing", "open_endpoint", "send_quietly"]

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
