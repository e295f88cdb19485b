"""`tuyaface status`: read a device's DP values."""

from __future__ import annotations

from ._group import emit_json, json_option, main
from ._select import Selection, device_options
from ._show import dps_table
from ._text import say

__all__ = ["status"]


@main.command(short_help="Read a device's DP values.")
@device_options
@json_option
def status(selection: Selection, as_json: bool) -> None:
    """Read the device's DP values.

    \b
    tuyaface status --name "Desk plug"
    tuyaface status --id ID --key KEY --ip 192.168.1.20 --version 3.3 --json
    """
    target = selection.resolve()
    with target.reach() as device:
        dps = device.status()
    if as_json:
        emit_json({**target.describe(), "dps": dps})
        return
    say(target.title)
    say(dps_table(dps))
