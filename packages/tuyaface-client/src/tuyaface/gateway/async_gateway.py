"""`AsyncGateway`: a Tuya gateway and its children (Zigbee / BLE sub-devices) over one
asyncio connection, kept like `AsyncDevice` keeps its own (it is one)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from tuyaface_codec import RequestKind

from .._core import outcome
from .._types import DpsInput
from ..async_device import AsyncDevice, EventStream, _Link
from ..events import ChildOffline, ChildOnline, Event, RequestDone
from ._book import ChildState, ChildStatus, ChildView
from ._shared import DEFAULT_SETTLE, check_cid, new_book, reports_presence

__all__ = ["AsyncChild", "AsyncGateway"]


class AsyncGateway(AsyncDevice):
    """A gateway for asyncio: `AsyncGateway(gw_id, key, host, version="3.4")`. Its own
    DPs work as on `AsyncDevice`; `child(cid)` reaches a sub-device through the same
    connection. `events()` has every child's pushes (`StatusPush.cid`) and presence
    changes (`ChildOnline`, `ChildOffline`)."""

    serves_children = True

    def _setup(self) -> None:
        super()._setup()
        self._book = new_book(self._core)
        self._child_streams: dict[str, dict[EventStream, None]] = {}

    def child(self, cid: str) -> AsyncChild:
        """A handle on the sub-device `cid` (no I/O)."""
        return AsyncChild(self, check_cid(cid))

    @property
    def children(self) -> dict[str, ChildState]:
        """Children heard of so far: cid -> presence (`online`, `last_seen`)."""
        return self._book.children

    async def query_children(self, *, settle: float = DEFAULT_SETTLE) -> dict[str, ChildState]:
        """Ask a 3.4 / 3.5 gateway who is there, and wait until its report frames stop
        (`settle` seconds without one). 3.3 has no such query: presence then comes from
        answers and pushes, and this returns what is known without asking."""
        if reports_presence(self._core.protocol):
            await self._call(RequestKind.SUB_DEVICES)
            seen = -1
            while seen != self._book.reports:
                seen = self._book.reports
                await asyncio.sleep(settle)
        return self.children

    async def aclose(self) -> None:
        await super().aclose()
        for streams in self._child_streams.values():
            for stream in list(streams):
                stream.put(None)
            streams.clear()

    def _absorb(self, link: _Link, events: list[Event]) -> None:
        super()._absorb(link, events)
        for cid, event in self._book.take(events):
            if isinstance(event, ChildOnline | ChildOffline):
                self._emit(event)
            for stream in list(self._child_streams.get(cid, ())):
                stream.put(event)


class AsyncChild(ChildView[AsyncGateway]):
    """One sub-device of an `AsyncGateway`: the calls of an `AsyncDevice`, sent through
    the gateway's connection and answered for this child only."""

    async def status(self) -> ChildStatus:
        """The child's DP values as the gateway remembers them (`cached` is True)."""
        event = await self._gateway._request(RequestKind.STATUS, cid=self.cid)
        dps = outcome(event)
        return ChildStatus(dps, cached=isinstance(event, RequestDone) and event.cached)

    async def set_status(self, dps: DpsInput) -> None:
        """Set DPs, e.g. `{"1": True}`; the new values follow as a `StatusPush` event."""
        await self._gateway._call(RequestKind.SET, dps=dps, cid=self.cid)

    async def set_state(self, value: Any, idx: int | str = 1) -> None:
        """Set one DP (DP 1 by default)."""
        await self.set_status({str(idx): value})

    async def refresh(self, dps: Iterable[int | str]) -> None:
        """Ask the child to measure these DPs again; fresh values follow as pushes."""
        await self._gateway._call(RequestKind.REFRESH, dp_ids=list(dps), cid=self.cid)

    def events(self) -> EventStream:
        """This child's pushes and presence changes from now on; starts the connection."""
        gateway = self._gateway
        return gateway._subscribe(gateway._child_streams.setdefault(self.cid, {}))

    def __repr__(self) -> str:
        return f"<AsyncChild {self.cid} of {self._gateway!r}>"
