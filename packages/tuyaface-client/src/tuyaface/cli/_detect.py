"""`tuyaface detect`: find DPs a device does not report by itself (device22)."""

from __future__ import annotations

import click

from ..model import detect_dps
from ._group import emit_json, json_option, main
from ._select import Selection, device_options
from ._show import dp_order, dps_table
from ._text import say

__all__ = ["detect"]


@main.command(short_help="Probe for DPs the device does not list.")
@click.argument("device_name", required=False, metavar="[NAME]")
@device_options
@json_option
def detect(selection: Selection, device_name: str | None, as_json: bool) -> None:
    """Probe DPs 1-30, 50-70 and 100-140 (about 11 small requests) and list every DP
    the device answers for. Devices that report only the DPs asked for (device22) need
    this once: pass the list printed here as --dp-ids to later commands.

    \b
    tuyaface detect "Hall light"
    """
    target = selection.resolve(device_name)
    if target.cid is not None:
        raise click.UsageError(
            f"{target.title} is a gateway child: detect probes a device directly, and no "
            "gateway is known to pass such probes on. Its DPs come from its devices.json "
            "mapping (`tuyaface describe`) or its status",
            ctx=click.get_current_context(silent=True),
        )
    with target.device() as device:
        found = detect_dps(device)
    ids = ",".join(sorted(found, key=dp_order))
    if as_json:
        emit_json({**target.describe(), "dps": found, "dp_ids": ids})
        return
    say(target.title)
    say(dps_table(found))
    say(f"  later commands: --dp-ids {ids}")
