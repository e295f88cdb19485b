"""`Announcer`: a simulated device's UDP announcements and 3.5 discovery answers."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
from collections.abc import Mapping
from typing import Any

import attrs

from tuyaface_codec import Protocol, TuyaError, decode_broadcast

from .discovery import _udp
from .discovery._options import LAN_BROADCAST, REPLY_PORT
from .plugins import resolve_protocol

__all__ = ["Announcer"]

log = logging.getLogger(__name__)

Address = tuple[str, int]


@attrs.define
class Announcer(_udp.AsyncOpenClose):
    """Announces one device the way a real device of `protocol`'s version does.

    - `protocol`: a `Protocol` or a version tag ("3.1" ... "3.5").
    - `info`: the announcement JSON (`gwId`, `ip`, `productKey`, ...); `version` defaults
      to the protocol's.
    - `target`: where broadcasts go; None: the LAN broadcast on the version's port.
    - `interval`: seconds between broadcasts; None: never broadcast (a 3.5 device that
      only answers requests).
    - `answer_on`: bind here and answer 3.5 discovery requests (real devices: port 7000);
      None: answer nothing. The answer goes to the request's `ip`, port `reply_port`
      (which may be changed while running).
    - `host`: the address the sending socket binds when `answer_on` is None.
    """

    protocol: Protocol = attrs.field(converter=resolve_protocol)
    info: Mapping[str, Any]
    target: Address | None = None
    interval: float | None = 5.0
    answer_on: Address | None = None
    reply_port: int = REPLY_PORT
    host: str = "0.0.0.0"
    sent: int = attrs.field(default=0, init=False)
    answered: int = attrs.field(default=0, init=False)
    _group: _udp.UdpGroup = attrs.field(factory=_udp.UdpGroup, init=False, repr=False)

    @property
    def broadcast_target(self) -> Address:
        """Where the broadcasts go."""
        return self.target or (LAN_BROADCAST, self.protocol.broadcast.port)

    @property
    def address(self) -> Address | None:
        """The bound address (the real port when port 0 was asked); None before `open`."""
        endpoints = self._group.endpoints
        return endpoints[0].address if endpoints else None

    def datagram(self) -> bytes:
        """One announcement, as this version encodes it (a fresh IV where it needs one)."""
        iv_size = self.protocol.broadcast.layout.iv_size
        iv = os.urandom(iv_size) if iv_size else None
        info = {"version": self.protocol.version, **self.info}
        return self.protocol.encode_broadcast(info, iv=iv)

    async def open(self) -> None:
        """Bind, then broadcast every `interval` and answer requests until `aclose`.

        PayloadError at once when `info` cannot be encoded as JSON.
        """
        if self._group.endpoints:
            return
        self.datagram()
        host, port = self.answer_on or (self.host, 0)
        endpoint = await self._group.bind(host, port, reuse_port=True)
        if self.interval is not None:
            self._group.spawn(self._broadcast(endpoint, self.interval))
        if self.answer_on is not None:
            self._group.spawn(self._answer(endpoint))

    async def aclose(self) -> None:
        """Stop announcing; closing twice is harmless."""
        await self._group.aclose()

    async def _broadcast(self, endpoint: _udp.Endpoint, interval: float) -> None:
        while True:
            if _udp.send_quietly(endpoint, self.datagram(), self.broadcast_target):
                self.sent += 1
            await asyncio.sleep(interval)

    async def _answer(self, endpoint: _udp.Endpoint) -> None:
        async for data, source in _udp.datagrams(endpoint):
            reply_ip = _requester_ip(data)
            if reply_ip is None:
                continue
            log.debug("answering a discovery request from %s", source[0])
            if _udp.send_quietly(endpoint, self.datagram(), (reply_ip, self.reply_port)):
                self.answered += 1


def _requester_ip(datagram: bytes) -> str | None:
    """The `ip` a discovery request asks to be answered at; None for anything else."""
    try:
        request = decode_broadcast(datagram)
    except TuyaError:
        return None
    reply_ip = request.get("ip")
    if "from" not in request or not isinstance(reply_ip, str):
        return None
    try:
        return str(ipaddress.IPv4Address(reply_ip))
    except ValueError:
        return None
