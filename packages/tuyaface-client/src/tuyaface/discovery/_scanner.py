"""`Scanner`: listens for device announcements and asks 3.5 devices to answer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Self

import attrs

from tuyaface_codec import encode_discovery_request

from . import _udp
from ._device import DiscoveredDevice
from ._options import ScanOptions
from ._state import ScanState

__all__ = ["Scanner"]

log = logging.getLogger(__name__)

Address = tuple[str, int]
_REQUEST_IV_SIZE = 12  # the 6699 request is AES-GCM: a fresh 12-byte IV each time


@attrs.define
class Scanner:
    """Owns the listening sockets of a scan.

    Use it as an async context manager to bind first (then `addresses` holds the real
    ports) and scan once or more; `scan()` alone binds and closes around one scan.
    `state` is the last scan's `ScanState` (devices found, `undecodable`, `ignored`).
    """

    options: ScanOptions = attrs.field(factory=ScanOptions)
    state: ScanState = attrs.field(factory=ScanState, init=False)
    _endpoints: list[_udp.Endpoint] = attrs.field(factory=list, init=False, repr=False)
    _reply: _udp.Endpoint | None = attrs.field(default=None, init=False, repr=False)
    _queue: asyncio.Queue[tuple[bytes, Address]] | None = attrs.field(
        default=None, init=False, repr=False
    )
    _tasks: list[asyncio.Task[None]] = attrs.field(factory=list, init=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self._queue is not None

    @property
    def addresses(self) -> dict[str, list[Address]]:
        """The bound addresses: {"broadcast": [...], "reply": [...]} (empty before `open`)."""
        broadcast = [ep.address for ep in self._endpoints if ep is not self._reply]
        reply = [self._reply.address] if self._reply is not None else []
        return {"broadcast": broadcast, "reply": reply}

    @property
    def reply_address(self) -> Address | None:
        """Where this scanner hears 3.5 answers (None when it sends no request)."""
        return self._reply.address if self._reply is not None else None

    async def open(self) -> None:
        """Bind every listener; `TransportError` (an OSError) when a port cannot be bound."""
        if self.is_open:
            return
        opts = self.options
        queue: asyncio.Queue[tuple[bytes, Address]] = asyncio.Queue()
        try:
            for port in opts.broadcast_ports:
                self._endpoints.append(await self._bind(port))
            if opts.sends_requests and opts.reply_port is not None:
                self._reply = await self._bind(opts.reply_port)
                self._endpoints.append(self._reply)
        except BaseException:
            await self.aclose()
            raise
        self._queue = queue
        self._tasks = [asyncio.create_task(self._pump(ep, queue)) for ep in self._endpoints]

    async def aclose(self) -> None:
        """Stop listening; closing twice is harmless."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        endpoints, self._endpoints, self._reply, self._queue = self._endpoints, [], None, None
        for endpoint in endpoints:
            await endpoint.aclose()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def scan(
        self, timeout: float = 6.0, *, wanted_id: str | None = None
    ) -> AsyncIterator[DiscoveredDevice]:
        """Each device once as it is found, for `timeout` seconds or until `wanted_id` is."""
        self.state = ScanState(wanted_id=wanted_id)
        async with contextlib.AsyncExitStack() as stack:
            if not self.is_open:
                await stack.enter_async_context(self)
            if self._reply is not None:
                requester = asyncio.create_task(self._ask(self._reply))
                stack.callback(requester.cancel)
            async for device in self._collect(timeout):
                yield device

    async def _collect(self, timeout: float) -> AsyncIterator[DiscoveredDevice]:
        queue = self._queue
        assert queue is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.state.done:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return
            try:
                data, source = await asyncio.wait_for(queue.get(), remaining)
            except TimeoutError:
                return
            device = self.state.feed(data, source)
            if device is not None:
                log.debug("found %s at %s (version %s)", device.id, device.ip, device.version)
                yield device

    async def _bind(self, port: int) -> _udp.Endpoint:
        return await _udp.open_endpoint(
            self.options.host, port, reuse_port=self.options.reuse_port
        )

    async def _pump(
        self, endpoint: _udp.Endpoint, queue: asyncio.Queue[tuple[bytes, Address]]
    ) -> None:
        async for data, source in _udp.datagrams(endpoint):
            queue.put_nowait((data, source))

    async def _ask(self, endpoint: _udp.Endpoint) -> None:
        opts = self.options
        assert opts.request_address is not None
        target = (opts.request_address, opts.request_port)
        reply_ip = opts.reply_ip or _udp.local_ip_facing(opts.request_address)
        while True:
            request = encode_discovery_request(ip=reply_ip, iv=os.urandom(_REQUEST_IV_SIZE))
            _udp.send_quietly(endpoint, request, target)
            await asyncio.sleep(opts.request_interval)

