"""`tuyaface status`: read a device's DP values (named and scaled when a schema is known)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ._group import emit_json, json_option, main
from ._schema import jsonable, schema_known, schema_options, target_schema
from ._select import Selection, device_options
from ._show import dp_order, dps_table, table, value_text
from ._text import say

if TYPE_CHECKING:
    from ..model import DefinitionSet

__all__ = ["status"]


@main.command(short_help="Read a device's DP values.")
@click.argument("device_name", required=False, metavar="[NAME]")
@device_options
@schema_options
@click.option("--raw", is_flag=True, help="Raw DP ids and values only, no schema.")
@json_option
def status(
    selection: Selection,
    device_name: str | None,
    definitions: DefinitionSet | None,
    raw: bool,
    as_json: bool,
) -> None:
    """Read the device's DP values: codes and values in units when its schema is known
    (see `tuyaface describe`), raw DPs with --raw.

    \b
    tuyaface status "Desk plug"
    tuyaface status --id ID --key KEY --ip 192.168.1.20 --version 3.3 --json
    """
    target = selection.resolve(device_name)
    with target.reach() as device:
        dps = device.status()
    known = not raw and schema_known(target, definitions)
    schema = target_schema(target, definitions, dps) if known else None
    if schema is None or not schema.specs:
        if as_json:
            emit_json({**target.describe(), "dps": dps})
        else:
            say(target.title)
            say(dps_table(dps))
        return
    readings = sorted(schema.readings(dps), key=lambda r: dp_order(r.dp))
    if as_json:
        values = [{"dp": r.dp, "code": r.code, "value": jsonable(r.value), "unit": r.unit}
                  for r in readings]
        emit_json({**target.describe(), "schema": schema.source, "dps": dps, "values": values})
        return
    say(target.title)
    rows = [(r.dp, r.code if r.known else "-", value_text(jsonable(r.value)), r.unit or "")
            for r in readings]
    say(table(("DP", "CODE", "VALUE", "UNIT"), rows))
