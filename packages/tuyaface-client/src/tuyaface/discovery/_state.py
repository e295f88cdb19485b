"""`ScanState`: the sans-IO part of a scan. Feed it datagrams; it reports each device once."""

from __future__ import annotations

import logging

import attrs

from tuyaface_codec import TuyaError, decode_broadcast

from ._device import DiscoveredDevice, device_from_info

__all__ = ["ScanState"]

log = logging.getLogger(__name__)


@attrs.define
class ScanState:
    """What one scan has seen so far.

    `devices`: each device once, in the order found. `undecodable`: datagrams that were not
    Tuya discovery frames (bad frame, tag, padding or JSON). `ignored`: datagrams that decoded
    but announce no device (other apps' discovery requests, JSON without `gwId`).
    """

    wanted_id: str | None = None
    devices: list[DiscoveredDevice] = attrs.field(factory=list)
    undecodable: int = 0
    ignored: int = 0
    _seen: set[str] = attrs.field(factory=set, repr=False)

    @property
    def done(self) -> bool:
        """True once the wanted device has been found."""
        return self.wanted_id is not None and self.wanted_id in self._seen

    def feed(self, datagram: bytes, source: tuple[str, int]) -> DiscoveredDevice | None:
        """The device `datagram` announces if it is new, else None. Never raises for bad
        input: it is counted instead."""
        try:
            info = decode_broadcast(datagram)
        except TuyaError as exc:
            self.undecodable += 1
            log.debug("skipped a datagram from %s: %s", source[0], exc)
            return None
        device = None if info.get("from") == "app" else device_from_info(info, source[0])
        if device is None:
            self.ignored += 1
            return None
        if device.id in self._seen:
            return None
        self._seen.add(device.id)
        self.devices.append(device)
        return device
