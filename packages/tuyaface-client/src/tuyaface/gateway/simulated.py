"""`SimulatedGateway`: a Tuya gateway with children in software (docs/protocol.md §10a),
served like `SimulatedDevice` (loopback, TCP on 127.0.0.1, a background thread)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any, Protocol

import attrs

from tuyaface_codec import Command, Frame, PayloadError, parse_json_object

from .._simreplies import (
    DATA_FORMAT_ERROR,
    DEVICE22_ANSWER,
    child_status,
    presence_report,
    request_cid,
    requested_dp_ids,
)
from .._types import DpsInput
from ..session import Session
from ..simulator import CLIENT_WAIT, Behaviour, SimulatedDevice, apply_control
from ._shared import reports_presence

__all__ = [
    "DEFAULT_GATEWAY_CONNECTIONS",
    "REPORT_CHUNK",
    "ChildBehaviour",
    "SimulatedChild",
    "SimulatedGateway",
]

DEFAULT_GATEWAY_CONNECTIONS = 3  # gateways take 1 to 3 clients
REPORT_CHUNK = 20  # cids per presence report frame: more children, more frames
_PRESENCE_QUERY = "subdev_online_stat_query"


class ChildBehaviour(Protocol):
    """What a child does beyond storing DPs, as `tuyaface.simulator.Behaviour` for a
    device (`tuyaface.model.simulated_gateway` builds them from schemas)."""

    def accept(self, device: SimulatedChild, dps: dict[str, Any]) -> dict[str, Any]:
        """The part of a control the child takes (the rest is ignored, not stored)."""
        ...

    async def run(self, device: SimulatedChild) -> None:
        """Runs while the gateway serves: change the child's DPs over time (`push`)."""
        ...


def _children(value: Mapping[str, DpsInput]) -> dict[str, dict[str, Any]]:
    return {cid: {str(dp): v for dp, v in dps.items()} for cid, dps in value.items()}


@attrs.define(eq=False)
class SimulatedGateway(SimulatedDevice):
    """A simulated gateway: `SimulatedGateway("gw1", KEY, version="3.4",
    children={"a4c138...": {"1": True}})`, on top of `SimulatedDevice`'s knobs.

    - `children`: cid -> DP state. Reads are answered from it (as a gateway answers from
      its memory); a control changes it, is acknowledged, and its push goes to every
      client; a list-form refresh (`"cid":[CID]`) pushes the DPs asked for.
    - `offline`: cids of children that are off the mesh: still answered from memory,
      their controls acknowledged but without effect or push.
    - `dps`: the gateway's own DPs; with none, a read without a cid is answered
      "json obj data unvalid", as real gateways do.
    - `report_chunk`: cids per presence report frame (3.4 / 3.5 answer cmd 64
      `subdev_online_stat_query`; 3.3 ignores it).
    - `max_connections`: clients at once (default 3; 1 for the strict case).
    - `child_behaviours`: cid -> `ChildBehaviour` (given at construction): checks that
      child's controls and changes its DPs over time while serving (not while it is
      offline).
    """

    children: dict[str, dict[str, Any]] = attrs.field(
        factory=dict, kw_only=True, converter=_children
    )
    offline: set[str] = attrs.field(factory=set, kw_only=True, converter=set)
    report_chunk: int = attrs.field(default=REPORT_CHUNK, kw_only=True)
    dps: dict[str, Any] = attrs.field(factory=dict, kw_only=True)
    max_connections: int = attrs.field(default=DEFAULT_GATEWAY_CONNECTIONS, kw_only=True)
    child_behaviours: dict[str, ChildBehaviour] = attrs.field(
        factory=dict, kw_only=True, repr=False
    )
    _flushes: set[asyncio.Task[None]] = attrs.field(factory=set, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if self.child_behaviours:
            self.behaviour = _WithChildren(self, self.behaviour)

    def child(self, cid: str) -> SimulatedChild:
        """The child `cid` seen as a device of its own (what its behaviour acts on)."""
        return SimulatedChild(self, cid)

    # -- acting like a gateway --------------------------------------------------------

    async def push_child(self, cid: str, dps: DpsInput, *, wait: float = CLIENT_WAIT) -> bool:
        """A child's DPs change (a sensor reading, a button): push them to every client.
        Returns whether any client got it."""
        changed = {str(dp): value for dp, value in dps.items()}
        self.children.setdefault(cid, {}).update(changed)
        return await self._push_all(self._reports.child_push(cid, changed, self._t()), wait)

    async def set_online(
        self, cid: str, online: bool, *, report: bool = True, wait: float = CLIENT_WAIT
    ) -> None:
        """Take a child off the mesh or bring it back; `report` sends an unsolicited
        presence report of it (3.4 / 3.5)."""
        (self.offline.discard if online else self.offline.add)(cid)
        if report and self._reports_presence():
            online_cids, offline_cids = ([cid], []) if online else ([], [cid])
            payload = presence_report(online_cids, offline_cids)
            await self._push_all(payload, wait, cmd=Command.LAN_EXT_STREAM)

    async def report_presence(self, *, wait: float = CLIENT_WAIT) -> None:
        """An unsolicited presence report of every child, split over frames."""
        for payload in self._presence_frames():
            await self._push_all(payload, wait, cmd=Command.LAN_EXT_STREAM)

    # -- answers ----------------------------------------------------------------------

    def _on_status(self, session: Session, frame: Frame) -> None:
        if self._answered_error(session, frame):
            return
        cid = self._cid(session, frame)
        if cid is None:
            return
        if cid == "" and not self.dps:
            session.reply(frame, DEVICE22_ANSWER, retcode=1)
        elif cid == "":
            session.reply(frame, self._reports.status(self.dev_id, self.dps))
        else:
            session.reply(frame, child_status(cid, self.children.get(cid, {})))

    def _on_control(self, session: Session, frame: Frame) -> None:
        cid = self._cid(session, frame)
        if cid == "":
            super()._on_control(session, frame)
            return
        if cid is None:
            return
        dps = self._control_dps(session, frame)
        if dps is None:
            return
        session.reply(frame)
        if cid in self.offline:
            return
        behaviour = self.child_behaviours.get(cid)
        accept = None if behaviour is None else functools.partial(behaviour.accept, self.child(cid))
        report = apply_control(self.children.setdefault(cid, {}), dps, accept)
        self._push_child_everywhere(session, cid, report)

    def _on_refresh(self, session: Session, frame: Frame) -> None:
        try:
            message = parse_json_object(frame.payload)
            ids = requested_dp_ids(frame.payload)
        except PayloadError:
            session.reply(frame, DATA_FORMAT_ERROR, retcode=1)
            return
        cids = message.get("cid")
        if cids is None:
            super()._on_refresh(session, frame)
            return
        session.reply(frame)  # a bare-string cid is acknowledged and ignored (§10a)
        if isinstance(cids, list):
            for cid in cids:
                state = self.children.get(cid) if isinstance(cid, str) else None
                if state is not None and cid not in self.offline:
                    report = {dp: state[dp] for dp in ids if dp in state}
                    self._push_child_everywhere(session, cid, report)

    def _on_ext_stream(self, session: Session, frame: Frame) -> None:
        if not self._reports_presence():
            return  # 3.3 gateways do not answer cmd 64
        try:
            query = parse_json_object(frame.payload).get("reqType")
        except PayloadError:
            return
        if query != _PRESENCE_QUERY:
            return  # only the known request (guessed ones wedge real gateways)
        first, *rest = self._presence_frames()
        session.reply(frame, first)
        for payload in rest:
            session.push(payload, cmd=Command.LAN_EXT_STREAM)

    # -- helpers ----------------------------------------------------------------------

    def _cid(self, session: Session, frame: Frame) -> str | None:
        """The child a request names ("" for the gateway itself); None after answering
        an unreadable request."""
        try:
            return request_cid(frame.payload) or ""
        except PayloadError:
            session.reply(frame, DATA_FORMAT_ERROR, retcode=1)
            return None

    def _reports_presence(self) -> bool:
        return reports_presence(self.protocol)

    def _presence_frames(self) -> list[bytes]:
        cids = list(self.children)
        chunk = max(1, self.report_chunk)
        return [
            presence_report(
                [cid for cid in part if cid not in self.offline],
                [cid for cid in part if cid in self.offline],
            )
            for part in _chunks(cids, chunk)
        ] or [presence_report([], [])]

    def _push_child_everywhere(self, asker: Session, cid: str, dps: Mapping[str, Any]) -> None:
        """A child's push to every ready client; the asking client's flush follows its
        answer, the others' are scheduled."""
        if not dps:
            return
        payload = self._reports.child_push(cid, dps, self._t())
        loop = asyncio.get_running_loop()
        for connection in self._ready_clients():
            connection.session.push(payload)
            if connection.session is asker:
                continue
            task = loop.create_task(_flush_quietly(connection.flush()))
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)


@attrs.frozen
class SimulatedChild:
    """One child of a `SimulatedGateway`, with a device's `dev_id`, `dps` and `push`."""

    gateway: SimulatedGateway
    cid: str

    @property
    def dev_id(self) -> str:
        """The child's cid (what logs name it by)."""
        return self.cid

    @property
    def dps(self) -> dict[str, Any]:
        """The child's DP state (the gateway's own record of it)."""
        return self.gateway.children.setdefault(self.cid, {})

    async def push(self, dps: DpsInput, *, wait: float = CLIENT_WAIT) -> bool:
        """New values from the child; nothing while it is offline."""
        if self.cid in self.gateway.offline:
            return False
        return await self.gateway.push_child(self.cid, dps, wait=wait)


@attrs.define(eq=False)
class _WithChildren:
    """The gateway's behaviour while serving: its own, if it has one, and its children's."""

    gateway: SimulatedGateway
    own: Behaviour | None

    def accept(self, device: SimulatedDevice, dps: dict[str, Any]) -> dict[str, Any]:
        return dps if self.own is None else self.own.accept(device, dps)

    async def run(self, device: SimulatedDevice) -> None:
        gateway = self.gateway
        acting = [b.run(gateway.child(cid)) for cid, b in gateway.child_behaviours.items()]
        if self.own is not None:
            acting.append(self.own.run(device))
        await asyncio.gather(*acting)


async def _flush_quietly(flush: Coroutine[Any, Any, None]) -> None:
    with contextlib.suppress(OSError):  # that client has just gone
        await flush


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
