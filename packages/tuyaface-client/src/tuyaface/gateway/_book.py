"""`ChildBook`: what a gateway driver knows of its children, learnt from session events.
No I/O: `Gateway` and `AsyncGateway` share it, as both devices share the `Session`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Generic, Protocol, TypeVar

import attrs

from .._dpcache import DpCache
from .._lograte import warn_rate_limited
from ..events import (
    ChildOffline,
    ChildOnline,
    DeviceEvent,
    Event,
    PresenceReport,
    RequestDone,
    StatusPush,
)

__all__ = ["MAX_CHILDREN", "ChildBook", "ChildState", "ChildStatus", "ChildView"]

log = logging.getLogger(__name__)

# Zigbee gateways serve up to a few hundred children. A gateway that names ever-new cids is
# broken or hostile: past this many, new cids are not kept (their events still go out).
MAX_CHILDREN = 1024


@attrs.frozen
class ChildState:
    """A child's presence: `online` (None until known) and `last_seen`, the driver clock's
    time it was last reported online, answered or pushed (None: never)."""

    online: bool | None = None
    last_seen: float | None = None


class ChildStatus(dict[str, Any]):
    """A child's DP values, with `cached`: True when the gateway answered from its memory
    (a status read always is, docs/protocol.md §10a), False for values a push measured."""

    cached: bool

    def __init__(self, dps: dict[str, Any], *, cached: bool) -> None:
        super().__init__(dps)
        self.cached = cached


@attrs.define(eq=False)
class _Child:
    cache: DpCache
    state: ChildState = ChildState()
    cached: bool = True  # where the last values came from


class ChildBook:
    """Children by cid: DP values, presence, and which events concern which child.

    Presence: a report's `online` and `offline` lists set a child's state; a child missing
    from one report frame keeps its state (reports are split over frames). A push shows a
    child is there. Before any report (3.3 gateways have none) an answer about a child
    counts too; after one, answers come from the gateway's memory and prove nothing."""

    def __init__(
        self,
        max_cached_dps: int,
        where: str,
        clock: Callable[[], float],
        max_children: int = MAX_CHILDREN,
    ) -> None:
        self._children: dict[str, _Child] = {}
        self._max_children = max_children
        self._limit = max_cached_dps
        self._where = where
        self._clock = clock
        self.reports = 0  # report frames taken in (a driver waits for them to stop)

    def _child(self, cid: str) -> _Child | None:
        """The child's record, made on first sight; None past `max_children`."""
        child = self._children.get(cid)
        if child is None:
            if len(self._children) >= self._max_children:
                message = "%s: over %d children named: new cids are not kept"
                warn_rate_limited(log, self._where, message, self._where, self._max_children)
                return None
            cache = DpCache(self._limit, f"{self._where}, child {cid}", self._clock)
            child = self._children[cid] = _Child(cache)
        return child

    def dps(self, cid: str) -> dict[str, Any]:
        """The child's last known DP values, a copy."""
        child = self._children.get(cid)
        return {} if child is None else dict(child.cache.values)

    def cached(self, cid: str) -> bool:
        """True while the child's last values came from the gateway's memory."""
        child = self._children.get(cid)
        return child is None or child.cached

    @property
    def children(self) -> dict[str, ChildState]:
        """Every child heard of: cid -> presence (a copy)."""
        return {cid: child.state for cid, child in self._children.items()}

    def take(self, events: Iterable[Event]) -> list[tuple[str, DeviceEvent]]:
        """Learn from a session's events; the events for a child's handle, with its cid."""
        routed: list[tuple[str, DeviceEvent]] = []
        for event in events:
            if isinstance(event, StatusPush) and event.cid is not None:
                routed.append((event.cid, event))
                child = self._child(event.cid)
                if child is not None:
                    child.cache.update(event.dps)
                    child.cached = False
                    self._seen(event.cid, True, routed)
            elif isinstance(event, RequestDone) and event.cid is not None:
                child = self._child(event.cid)
                if child is not None:
                    child.cache.update(event.dps or {})
                    child.cached = event.cached
                    if not self.reports:
                        self._seen(event.cid, True, routed)
            elif isinstance(event, PresenceReport):
                self.reports += 1
                for cid in event.online:
                    self._seen(cid, True, routed)
                for cid in event.offline:
                    self._seen(cid, False, routed)
        return routed

    def _seen(self, cid: str, online: bool, routed: list[tuple[str, DeviceEvent]]) -> None:
        child = self._child(cid)
        if child is None:
            return
        changed = child.state.online is not online
        last_seen = self._clock() if online else child.state.last_seen
        child.state = ChildState(online, last_seen)
        if changed:
            routed.append((cid, ChildOnline(cid) if online else ChildOffline(cid)))


class _Keeper(Protocol):
    """A gateway driver: it keeps a `ChildBook`."""

    @property
    def _book(self) -> ChildBook: ...


G = TypeVar("G", bound=_Keeper)


class ChildView(Generic[G]):
    """What `Child` and `AsyncChild` share: the `cid`, and what the gateway's book knows
    of the child (no I/O)."""

    def __init__(self, gateway: G, cid: str) -> None:
        self._gateway = gateway
        self.cid = cid

    @property
    def dps(self) -> dict[str, Any]:
        """The child's last known DP values (a copy)."""
        return self._gateway._book.dps(self.cid)

    @property
    def cached(self) -> bool:
        """True while the last known values came from the gateway's memory, not a push."""
        return self._gateway._book.cached(self.cid)

    @property
    def state(self) -> ChildState:
        """The child's presence."""
        return self._gateway._book.children.get(self.cid, ChildState())
