"""`tuyaface children GATEWAY`: a gateway's sub-devices and whether they are online."""

from __future__ import annotations

from typing import Any

import click

from ..gateway import ChildState
from ._group import emit_json, json_option, main
from ._select import Selection, Target, device_options
from ._show import table
from ._text import say

__all__ = ["children"]


@main.command(short_help="List a gateway's children and whether they are online.")
@click.argument("gateway", required=False, metavar="[GATEWAY]")
@device_options
@json_option
def children(gateway: str | None, selection: Selection, as_json: bool) -> None:
    """List a gateway's children (sub-devices): those it reports (3.4 / 3.5) and those
    devices.json lists with it as "parent", each online, offline or unknown. 3.3 gateways
    do not report: their children come from devices.json, their state unknown.

    \b
    tuyaface children "Zigbee hub"
    tuyaface children --id GW_ID --key KEY --ip 192.168.1.50 --version 3.4 --json
    """
    target = selection.resolve(gateway)
    with target.gateway() as hub:
        states = hub.query_children()
    rows = _rows(target, states)
    if as_json:
        emit_json({**target.describe(), "children": rows})
        return
    say(f"gateway {target.title}")
    if not rows:
        say("  no children reported or listed in devices.json")
        return
    say(table(("CID", "NAME", "STATE"), [(r["cid"], r["name"] or "", _state(r)) for r in rows]))


def _rows(target: Target, states: dict[str, ChildState]) -> list[dict[str, Any]]:
    """One row per child, reported or listed, sorted by cid."""
    rows = []
    for cid in sorted({*states, *target.children}):
        state = states.get(cid, ChildState())
        name = target.children.get(cid) or None
        rows.append({"cid": cid, "name": name, "online": state.online})
    return rows


def _state(row: dict[str, Any]) -> str:
    online = row["online"]
    return "unknown" if online is None else "online" if online else "offline"
