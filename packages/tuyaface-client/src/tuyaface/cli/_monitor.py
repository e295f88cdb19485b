"""`tuyaface monitor`: a device's pushes and connection changes, as they happen."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs
import click

from tuyaface_codec import DeviceError, NetworkError, Timeout

from ..async_device import AsyncDevice, EventStream
from ..events import (
    ChildOffline,
    ChildOnline,
    Connected,
    ConnectFailed,
    DeviceEvent,
    Disconnected,
    StatusPush,
)
from ..gateway import AsyncGateway
from ._group import emit_json, json_option, main
from ._select import Selection, Target, device_options
from ._show import value_text
from ._text import say

__all__ = ["event_record", "monitor"]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def event_record(event: DeviceEvent, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """One event as a JSON object: `{"event": "push", "dps": {...}}` and so on. A gateway
    child's events carry its `cid`, and its `name` where `names` (cid -> name) has one."""
    if isinstance(event, StatusPush):
        record: dict[str, Any] = {"event": "push", "dps": event.dps}
        if event.cid is not None:
            record.update(_child(event.cid, names))
        return record
    if isinstance(event, Connected):
        return {"event": "connected"}
    if isinstance(event, ChildOnline | ChildOffline):
        state = "online" if isinstance(event, ChildOnline) else "offline"
        return {"event": f"child_{state}", **_child(event.cid, names)}
    if isinstance(event, Disconnected):
        reason = None if event.error is None else str(event.error)
        return {"event": "disconnected", "reason": reason}
    return {"event": "connect_failed", "reason": str(event.error), "retry_in": event.retry_in}


def _child(cid: str, names: Mapping[str, str] | None) -> dict[str, str]:
    name = (names or {}).get(cid)
    return {"cid": cid, "name": name} if name else {"cid": cid}


def _text(record: dict[str, Any]) -> str:
    kind = record["event"]
    child = ""
    if "cid" in record:
        child = f" [{record['cid']}{' ' + record['name'] if 'name' in record else ''}]"
    if kind in ("push", "status"):
        return f"{kind}{child} {value_text(record['dps'])}"
    if kind in ("child_online", "child_offline"):
        return f"{kind}{child}"
    if kind == "disconnected":
        return f"disconnected ({record['reason'] or 'closed'}); reconnecting"
    if kind == "connect_failed":
        return f"connect failed ({record['reason']}); retry in {record['retry_in']:.1f} s"
    return str(kind)


@attrs.define
class _Printer:
    """Prints events (one JSON object a line with --json) and counts the pushes."""

    as_json: bool
    pushes: int = 0

    def __call__(self, record: dict[str, Any]) -> None:
        if record["event"] == "push":
            self.pushes += 1
        stamped = {"time": _now(), **record}
        if self.as_json:
            emit_json(stamped)
        else:
            say(f"{stamped['time']} {_text(record)}")


@main.command(short_help="Print a device's pushes and connection changes as they happen.")
@device_options
@click.option(
    "--duration", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
    help="Stop after this long [default: until Ctrl-C].",
)
@click.option(
    "--count", type=click.IntRange(min=1), metavar="N", help="Stop after N pushes."
)
@json_option
def monitor(
    selection: Selection, duration: float | None, count: int | None, as_json: bool
) -> None:
    """Connect, print the status, then every push and connection change as it happens,
    until Ctrl-C (or --duration / --count). The connection is kept with heartbeats and
    re-opened after a drop; only the first connection must succeed (a drop before the
    status is followed too: the status comes from the next connection).

    \b
    tuyaface monitor --name "Desk plug"
    tuyaface monitor --name "Desk plug" --json | jq .
    """
    target = selection.resolve()
    printer = _Printer(as_json)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_monitor(target, printer, duration, count))


async def _monitor(
    target: Target, printer: _Printer, duration: float | None, count: int | None
) -> None:
    device = target.async_gateway() if target.is_gateway else target.async_device()
    async with device:
        events = device.events()
        first, early = await _first_connection(target, events)
        answered = await _connected(target, device, printer, first, first=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration):
                async for event in _after(early, events):
                    if not _concerns(target, event):
                        continue
                    if isinstance(event, Connected) and not answered:
                        answered = await _connected(target, device, printer, event, first=False)
                        continue
                    printer(event_record(event, target.children))
                    if count is not None and printer.pushes >= count:
                        return


async def _connected(
    target: Target, device: AsyncDevice, printer: _Printer, event: DeviceEvent, *, first: bool
) -> bool:
    """Print a connection, then the status it answers; False when it ended before the
    answer (its `disconnected` event follows; the next connection is asked again). Other
    errors (a wrong key, a device error) are the command's, and so is no answer in time
    on the `first` connection (a device that is not answering: exit 3 at once); later,
    the session replaces a connection that did not answer, as after any drop."""
    try:
        dps = await _status(target, device)  # before "connected": 3.1 - 3.3 have no handshake
    except NetworkError as exc:
        if first and isinstance(exc, Timeout):
            raise
        printer(event_record(event))
        return False
    printer(event_record(event))
    if dps is not None:
        status = {"event": "status", "dps": dps}
        printer(status if target.cid is None else {**status, "cid": target.cid})
    return True


async def _status(target: Target, device: AsyncDevice) -> dict[str, Any] | None:
    """The first status: the child's with --cid; a gateway's own, if it has DPs."""
    if isinstance(device, AsyncGateway) and target.cid is not None:
        return await device.child(target.cid).status()
    try:
        return await device.status()
    except DeviceError:
        if not target.is_gateway:
            raise
        return None  # a gateway polled without a cid may answer "data unvalid"


def _concerns(target: Target, event: DeviceEvent) -> bool:
    """With --cid, that child's pushes and presence (and the connection's events)."""
    if target.cid is None or not isinstance(event, StatusPush | ChildOnline | ChildOffline):
        return True
    return event.cid == target.cid


async def _first_connection(
    target: Target, events: EventStream
) -> tuple[DeviceEvent, list[DeviceEvent]]:
    """Wait for the first connection; its failure is the command's error (and exit code).

    Also returns the pushes that came before the device counted as connected (on 3.1 - 3.3
    that is after it answered a heartbeat), so they are printed after it, not lost.
    """
    bound = 2 * target.timeout + 1.0  # connect, then the 3.4 / 3.5 handshake
    early: list[DeviceEvent] = []
    try:
        async with asyncio.timeout(bound):
            event = await anext(events)
            while isinstance(event, StatusPush | ChildOnline | ChildOffline):
                early.append(event)
                event = await anext(events)
    except TimeoutError:
        where = f"{target.ip}:{target.port}"
        raise Timeout(f"could not connect to {where} within {bound:g} s") from None
    if isinstance(event, ConnectFailed):
        raise event.error
    return event, early


async def _after(early: list[DeviceEvent], events: EventStream) -> AsyncIterator[DeviceEvent]:
    """The early events, then the stream's."""
    for event in early:
        yield event
    async for event in events:
        yield event
