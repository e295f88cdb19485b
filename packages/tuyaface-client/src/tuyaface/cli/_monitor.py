"""`tuyaface monitor`: a device's pushes and connection changes, as they happen."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import attrs
import click

from tuyaface_codec import Timeout

from ..async_device import EventStream
from ..events import (
    ChildOffline,
    ChildOnline,
    Connected,
    ConnectFailed,
    DeviceEvent,
    Disconnected,
    StatusPush,
)
from ._group import emit_json, json_option, main
from ._select import Selection, Target, device_options
from ._show import value_text
from ._text import say

__all__ = ["event_record", "monitor"]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def event_record(event: DeviceEvent) -> dict[str, Any]:
    """One event as a JSON object: `{"event": "push", "dps": {...}}` and so on."""
    if isinstance(event, StatusPush):
        record: dict[str, Any] = {"event": "push", "dps": event.dps}
        if event.cid is not None:
            record["cid"] = event.cid
        return record
    if isinstance(event, Connected):
        return {"event": "connected"}
    if isinstance(event, ChildOnline | ChildOffline):
        state = "online" if isinstance(event, ChildOnline) else "offline"
        return {"event": f"child_{state}", "cid": event.cid}
    if isinstance(event, Disconnected):
        reason = None if event.error is None else str(event.error)
        return {"event": "disconnected", "reason": reason}
    return {"event": "connect_failed", "reason": str(event.error), "retry_in": event.retry_in}


def _text(record: dict[str, Any]) -> str:
    kind = record["event"]
    if kind in ("push", "status"):
        return f"{kind} {value_text(record['dps'])}"
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
    re-opened after a drop; only the first connection must succeed.

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
    async with target.async_device() as device:
        events = device.events()
        first, early = await _first_connection(target, events)
        dps = await device.status()  # before "connected": 3.1 - 3.3 have no handshake
        printer(event_record(first))
        printer({"event": "status", "dps": dps})
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration):
                async for event in _after(early, events):
                    printer(event_record(event))
                    if count is not None and printer.pushes >= count:
                        return


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
            while isinstance(event, StatusPush):
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
