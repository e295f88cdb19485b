"""`Gateway`: a Tuya gateway and its children over one blocking connection, shared by
every thread (it is a `Device`)."""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable
from typing import Any

from tuyaface_codec import RequestKind

from .._core import outcome
from .._types import DpsInput
from ..device import _MAX_QUEUED_PUSHES, Device, _Link
from ..events import Event, RequestDone, StatusPush
from ._book import ChildBook, ChildState, ChildStatus, ChildView
from ._shared import DEFAULT_SETTLE, check_cid, new_book, reports_presence

__all__ = ["Child", "Gateway"]


class Gateway(Device):
    """A gateway, blocking calls: `Gateway(gw_id, key, host, version="3.4")`. Its own DPs
    work as on `Device`; `child(cid)` reaches a sub-device through the same connection,
    one request at a time for all threads. `wait_for_push` returns any child's push."""

    serves_children = True

    def _setup(self) -> None:
        super()._setup()
        self._book = new_book(self._core)
        self._child_pushes: dict[str, deque[StatusPush]] = {}

    def child(self, cid: str) -> Child:
        """A handle on the sub-device `cid` (no I/O)."""
        return Child(self, check_cid(cid))

    @property
    def children(self) -> dict[str, ChildState]:
        """Children heard of so far: cid -> presence (`online`, `last_seen`)."""
        return self._book.children

    def query_children(self, *, settle: float = DEFAULT_SETTLE) -> dict[str, ChildState]:
        """Ask a 3.4 / 3.5 gateway who is there, reading until its report frames stop
        (`settle` seconds without one). 3.3 has no such query: presence then comes from
        answers and pushes, and this returns what is known without asking."""
        if reports_presence(self._core.protocol):
            self._call(RequestKind.SUB_DEVICES)
            with self._turns.turn(self._core.timeout, self._core.where):
                link = self._connected()
                book, seen = self._book, -1
                while seen != book.reports:
                    seen = book.reports
                    until = self._core.clock() + settle
                    self._drive(link, functools.partial(_changed, book, seen), until=until)
        return self.children

    def _pushes_of(self, cid: str) -> deque[StatusPush]:
        return self._child_pushes.setdefault(cid, deque(maxlen=_MAX_QUEUED_PUSHES))

    def _handle(self, link: _Link, events: list[Event]) -> None:
        super()._handle(link, events)
        for cid, event in self._book.take(events):
            pushes = self._child_pushes.get(cid)
            if pushes is not None and isinstance(event, StatusPush):
                pushes.append(event)


def _changed(book: ChildBook, seen: int) -> bool:
    return book.reports != seen


class Child(ChildView[Gateway]):
    """One sub-device of a `Gateway`: the calls of a `Device`, sent through the gateway's
    connection and answered for this child only."""

    def __init__(self, gateway: Gateway, cid: str) -> None:
        super().__init__(gateway, cid)
        gateway._pushes_of(cid)  # pushes are kept for this child from now on

    def status(self) -> ChildStatus:
        """The child's DP values as the gateway remembers them (`cached` is True)."""
        event = self._gateway._request(RequestKind.STATUS, cid=self.cid)
        dps = outcome(event)
        return ChildStatus(dps, cached=isinstance(event, RequestDone) and event.cached)

    def set_status(self, dps: DpsInput) -> None:
        """Set DPs, e.g. `{"1": True}`; the new values follow as a push."""
        self._gateway._call(RequestKind.SET, dps=dps, cid=self.cid)

    def set_state(self, value: Any, idx: int | str = 1) -> None:
        """Set one DP (DP 1 by default)."""
        self.set_status({str(idx): value})

    def refresh(self, dps: Iterable[int | str]) -> None:
        """Ask the child to measure these DPs again; fresh values follow as pushes."""
        self._gateway._call(RequestKind.REFRESH, dp_ids=list(dps), cid=self.cid)

    def wait_for_push(self, timeout: float) -> StatusPush | None:
        """This child's next push (already received, or within `timeout` s), or None."""
        gateway = self._gateway
        return gateway._next_push(gateway._pushes_of(self.cid), timeout)

    @property
    def gateway(self) -> Gateway:
        """The gateway this child is reached through."""
        return self._gateway

    def __repr__(self) -> str:
        return f"<Child {self.cid} of {self._gateway!r}>"
