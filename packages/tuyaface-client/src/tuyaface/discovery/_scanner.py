"""`Scanner`: listens for device announcements and asks 3.5 devices to answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator

import attrs

from tuyaface_codec import encode_discovery_request

from .._args import check_seconds
from . import _udp
from ._device import DiscoveredDevice
from ._options import ScanOptions
from ._state import ScanState

__all__ = ["Scanner"]

log = logging.getLogger(__name__)

Address = tuple[str, int]
Received = asyncio.Queue[tuple[bytes, Address]]
_REQUEST_IV_SIZE = 12  # the 6699 request is AES-GCM: a fresh 12-byte IV each time
_BACKLOG = 1024  # datagrams kept for the scan; past that the oldest are dropped


@attrs.define
class Scanner(_udp.AsyncOpenClose):
    """Owns the listening sockets of a scan.

    Use it as an async context manager to bind first (`broadcast_addresses` and
    `reply_address` then hold the real ports) and scan once or more; `scan()` alone binds
    and closes around one scan (one scan at a time). `state` is the current or last scan's
    `ScanState` (`devices`, `undecodable`, `ignored`).
    """

    options: ScanOptions = attrs.field(factory=ScanOptions)
    state: ScanState = attrs.field(factory=ScanState, init=False)
    _group: _udp.UdpGroup = attrs.field(factory=_udp.UdpGroup, init=False, repr=False)
    _reply: _udp.Endpoint | None = attrs.field(default=None, init=False, repr=False)
    _received: Received | None = attrs.field(default=None, init=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self._received is not None

    @property
    def broadcast_addresses(self) -> list[Address]:
        """Where this scanner hears broadcasts, in `options.broadcast_ports` order."""
        return [ep.address for ep in self._group.endpoints if ep is not self._reply]

    @property
    def reply_address(self) -> Address | None:
        """Where this scanner hears 3.5 answers (None when it sends no request)."""
        return self._reply.address if self._reply is not None else None

    async def open(self) -> None:
        """Bind every listener; NetworkError when a port cannot be bound."""
        if self.is_open:
            return
        opts, received = self.options, Received(_BACKLOG)
        try:
            for port in opts.broadcast_ports:
                await self._group.bind(opts.host, port, reuse_port=opts.reuse_port)
            if opts.sends_requests and opts.reply_port is not None:
                self._reply = await self._group.bind(
                    opts.host, opts.reply_port, reuse_port=opts.reuse_port
                )
        except BaseException:
            await self.aclose()
            raise
        for endpoint in self._group.endpoints:
            self._group.spawn(_pump(endpoint, received))
        self._received = received

    async def aclose(self) -> None:
        """Stop listening; closing twice is harmless."""
        self._reply, self._received = None, None
        await self._group.aclose()

    async def scan(
        self, timeout: float = 6.0, *, wanted_id: str | None = None
    ) -> AsyncGenerator[DiscoveredDevice, None]:
        """Each device once as it is found, for `timeout` seconds or until `wanted_id` is."""
        check_seconds("timeout", timeout)
        self.state = ScanState(wanted_id=wanted_id)
        async with contextlib.AsyncExitStack() as stack:
            if not self.is_open:
                await stack.enter_async_context(self)
            if self._reply is not None:
                requester = asyncio.create_task(self._ask(self._reply, self._reply_ip()))
                stack.push_async_callback(_udp.cancel, [requester])
            async for device in self._collect(timeout):
                yield device

    async def _collect(self, timeout: float) -> AsyncIterator[DiscoveredDevice]:
        received = self._received
        assert received is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.state.done:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                data, source = await asyncio.wait_for(received.get(), remaining)
            except TimeoutError:
                return
            device = self.state.feed(data, source)
            if device is not None:
                log.debug("found %s at %s (version %s)", device.id, device.ip, device.version)
                yield device

    def _reply_ip(self) -> str:
        """The address written into the request; NetworkError when none can be found."""
        opts = self.options
        assert opts.request_address is not None
        return opts.reply_ip or _udp.local_ip_facing(opts.request_address)

    async def _ask(self, endpoint: _udp.Endpoint, reply_ip: str) -> None:
        opts = self.options
        assert opts.request_address is not None
        target = (opts.request_address, opts.request_port)
        while True:
            request = encode_discovery_request(ip=reply_ip, iv=os.urandom(_REQUEST_IV_SIZE))
            _udp.send_quietly(endpoint, request, target)
            await asyncio.sleep(opts.request_interval)


async def _pump(endpoint: _udp.Endpoint, received: Received) -> None:
    async for datagram in _udp.datagrams(endpoint):
        if received.full():
            received.get_nowait()
        received.put_nowait(datagram)
