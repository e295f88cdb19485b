"""`DiscoveredDevice`: what one announcement says about a device (docs/protocol.md §10)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["DiscoveredDevice", "device_from_info"]


@attrs.frozen
class DiscoveredDevice:
    """A device seen on the network. `raw` is the whole decoded announcement.

    `ip` comes from the announcement's `ip` field, else the datagram's source address;
    `version` and `product_key` are None when the device did not say.
    """

    id: str
    ip: str
    version: str | None
    product_key: str | None
    raw: dict[str, Any] = attrs.field(factory=dict, hash=False, repr=False)

    @property
    def ability(self) -> int | None:
        """The `ability` field, spelled `ablilty` by most 3.3+ firmware."""
        return _int_field(self.raw, "ablilty", "ability")

    @property
    def active(self) -> int | None:
        """2 when the device is activated, 0 when not, None when it did not say."""
        return _int_field(self.raw, "active")

    def as_dict(self) -> dict[str, Any]:
        """Plain fields for JSON output (`id`, `ip`, `version`, `product_key`, `raw`)."""
        return {
            "id": self.id,
            "ip": self.ip,
            "version": self.version,
            "product_key": self.product_key,
            "raw": dict(self.raw),
        }


def _int_field(info: Mapping[str, Any], *names: str) -> int | None:
    for name in names:
        value = info.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _text(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _ip(value: object, source_ip: str) -> str:
    if isinstance(value, str):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass
    return source_ip


def device_from_info(info: Mapping[str, Any], source_ip: str) -> DiscoveredDevice | None:
    """The device an announcement describes; None when it names no device (`gwId`)."""
    dev_id = info.get("gwId")
    if not isinstance(dev_id, str) or not dev_id:
        return None
    return DiscoveredDevice(
        id=dev_id,
        ip=_ip(info.get("ip"), source_ip),
        version=_text(info.get("version")),
        product_key=_text(info.get("productKey")),
        raw=dict(info),
    )
