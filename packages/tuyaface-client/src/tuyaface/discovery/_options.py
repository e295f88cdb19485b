"""`ScanOptions`: where a scan listens and where its 3.5 request goes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import attrs

from tuyaface_codec import InvalidArgument

from .._args import check_seconds

__all__ = ["BROADCAST_PORTS", "LAN_BROADCAST", "REPLY_PORT", "ScanOptions"]

BROADCAST_PORTS = (6666, 6667)
REPLY_PORT = 7000
LAN_BROADCAST = "255.255.255.255"


def _ports(value: Iterable[int]) -> tuple[int, ...]:
    return tuple(value)


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    check_seconds(attribute.name, value)


def _ipv4(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise InvalidArgument(f"{attribute.name} must be an IPv4 address, not {value!r}") from None


@attrs.frozen
class ScanOptions:
    """Where to listen and ask. The defaults serve a real LAN; tests pass 127.0.0.1 and port 0.

    - `host`: the address the listeners bind ("0.0.0.0": every interface).
    - `broadcast_ports`: where devices broadcast (6666: plain 3.1; 6667: encrypted 3.2-3.5).
    - `reply_port`: where 3.5 devices answer the discovery request (7000); None: do not
      listen there and send no request.
    - `request_address` / `request_port`: where the 3.5 request goes (the LAN broadcast,
      port 7000); None: send no request.
    - `request_interval`: seconds between requests during a scan.
    - `reply_ip`: the address devices should answer to (written into the request); None:
      the local address that faces `request_address`.
    - `reuse_port`: share the ports with other listeners (SO_REUSEPORT where the platform
      has it), so a scan can run beside another Tuya app.
    """

    host: str = "0.0.0.0"
    broadcast_ports: tuple[int, ...] = attrs.field(default=BROADCAST_PORTS, converter=_ports)
    reply_port: int | None = REPLY_PORT
    request_address: str | None = attrs.field(default=LAN_BROADCAST, validator=_ipv4)
    request_port: int = REPLY_PORT
    request_interval: float = attrs.field(default=3.0, validator=_positive)
    reply_ip: str | None = attrs.field(default=None, validator=_ipv4)
    reuse_port: bool = True

    @property
    def sends_requests(self) -> bool:
        """True when the scan asks 3.5 devices to answer (and listens for the answers)."""
        return self.reply_port is not None and self.request_address is not None

    @classmethod
    def local(cls, **changes: object) -> ScanOptions:
        """Options for a scan on 127.0.0.1 with OS-chosen ports (tests, simulators)."""
        base = cls(
            host="127.0.0.1",
            broadcast_ports=(0, 0),
            reply_port=0,
            request_address="127.0.0.1",
            reply_ip="127.0.0.1",
        )
        return attrs.evolve(base, **changes)  # type: ignore[arg-type]
